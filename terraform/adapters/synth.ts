/*
 * Synth once (main.ts, what `cdktf synth` runs) and read back what it wrote: the stacks and their
 * dependencies, and what a plan report shows beside the plans.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { checkBaseline, type BaselineResult } from "../../baseline/engine";
import type { StackJson } from "../../baseline/terraform-json";
import { PROJECT_EXCEPTIONS } from "../../baseline/exceptions";
import { unlockedImageStacks } from "../../images/lock";
import type { ReportContext } from "../../review/report";
import type { RetiredRegion } from "../../state/retired";
import { selectStacks, type StackNode } from "../stack-selection";
import { UserFacingError } from "../../cli/console";
import { run } from "../../cli/run";
import { PROJECT, stackDir, type FleetContext } from "./context";

/** The fleet config is invalid (every problem listed) or main.ts failed: the user's to fix. */
export class SynthError extends UserFacingError {}

/**
 * How main.ts is run: with tsx, as cdktf.json runs it; or by node with the CommonJS loader that
 * `CLOUDRIM_TS_LOADER` names, which the end-to-end scenarios set to theirs (test/e2e/swc-register.js: a synth
 * there took 0.9 s of CPU instead of tsx's 1.9 s, and they synthesize before every command they run).
 */
export function appCommand(env: NodeJS.ProcessEnv): { readonly command: string; readonly args: string[] } {
  const main = join(PROJECT, "main.ts");
  const loader = env.CLOUDRIM_TS_LOADER ?? "";
  return loader === ""
    ? { command: join(PROJECT, "node_modules", ".bin", "tsx"), args: [main] }
    : { command: process.execPath, args: ["--enable-source-maps", "-r", loader, main] };
}

/** Runs main.ts (exactly what `cdktf synth` runs) and returns the stacks it wrote. */
export async function synthesize(ctx: Pick<FleetContext, "env" | "outdir" | "workDir">): Promise<StackNode[]> {
  const app = appCommand(ctx.env);
  const result = await run(app.command, app.args, {
    cwd: ctx.workDir,
    env: { ...ctx.env, CDKTF_OUTDIR: ctx.outdir },
  });
  if (result.code !== 0) throw new SynthError(result.stderr.trim());
  const manifest = JSON.parse(readFileSync(join(ctx.outdir, "manifest.json"), "utf8")) as {
    stacks: Record<string, { dependencies: string[] }>;
  };
  return Object.entries(manifest.stacks).map(([name, stack]) => ({ name, dependencies: stack.dependencies }));
}

/** Synthesizes the fleet and keeps the stacks the globs select (all without globs), sorted by name. */
export async function synthesizeSelected(
  ctx: Pick<FleetContext, "env" | "outdir" | "workDir" | "progress">,
  globs: readonly string[],
): Promise<StackNode[]> {
  ctx.progress("synthesizing");
  const stacks = await synthesize(ctx);
  const selection = selectStacks(
    stacks.map((s) => s.name),
    globs,
  );
  if (!selection.ok) throw new UserFacingError(selection.error);
  return selection.stacks.flatMap((name) => stacks.filter((s) => s.name === name));
}

/**
 * What a plan report shows beside the plans: the rollout, the retired regions, the regions whose image is
 * not locked, and the baseline's accepted findings. The synth already refused any finding; re-reading the written stacks (pure, milliseconds) keeps
 * main.ts free of a side file for the report.
 */
export function reportContextOf(
  ctx: Pick<FleetContext, "outdir" | "shape" | "target">,
  stacks: readonly StackNode[],
  retired: readonly RetiredRegion[],
): ReportContext {
  const selected = new Set(stacks.map((s) => s.name));
  return {
    rollout: ctx.shape.rollout,
    retired,
    unlockedImages: unlockedImageStacks(ctx.shape, ctx.target).filter((u) => selected.has(u.stack)),
    excepted: baselineOf(
      ctx,
      stacks.map((s) => s.name),
    ).excepted,
  };
}

/** The security baseline over the synthesized stacks (synth refused any finding; the exceptions remain to report). */
function baselineOf(ctx: Pick<FleetContext, "outdir" | "shape">, stacks: readonly string[]): BaselineResult {
  const synthesized = stacks.map((name) => ({
    name,
    json: JSON.parse(readFileSync(join(stackDir(ctx, name), "cdk.tf.json"), "utf8")) as StackJson,
  }));
  return checkBaseline(synthesized, [...PROJECT_EXCEPTIONS, ...ctx.shape.baselineExceptions]);
}
