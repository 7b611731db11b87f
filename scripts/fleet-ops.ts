/*
 * The operations behind `make demo`, `make teardown`, `npm run deploy` and the end-to-end suite: one
 * code path, so the tests exercise exactly what users run. Synth once; then one real `cdktf deploy`
 * (or destroy) per stack, wave by wave, stacks of a wave in parallel.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { stackWaves, type StackNode } from "../lib/stack-selection";
import { UserFacingError } from "./console";
import { run } from "./run";

export const PROJECT = resolve(__dirname, "..");

export interface FleetContext {
  /** Environment for synth, cdktf and terraform (target, config, TF_CLI_CONFIG_FILE). */
  readonly env: NodeJS.ProcessEnv;
  /** Synth output directory (cdktf.out for users, a temp directory in tests). */
  readonly outdir: string;
  /** Where the state stack's local state file goes (the synth's working directory). */
  readonly workDir: string;
  /** Full cdktf output per stack and action lands here. */
  readonly logDir: string;
  readonly progress: (line: string) => void;
}

export interface StackOutcome {
  readonly stack: string;
  readonly ok: boolean;
  /** `Apply complete! Resources: 18 added, 0 changed, 0 destroyed.` or the error. */
  readonly summary: string;
  readonly log: string;
  readonly seconds: number;
}

/** The fleet config is invalid (every problem listed) or main.ts failed: the user's to fix. */
export class SynthError extends UserFacingError {}

/** Runs main.ts (exactly what `cdktf synth` runs) and returns the stacks it wrote. */
export async function synthesize(ctx: FleetContext): Promise<StackNode[]> {
  const result = await run(join(PROJECT, "node_modules", ".bin", "tsx"), [join(PROJECT, "main.ts")], {
    cwd: ctx.workDir,
    env: { ...ctx.env, CDKTF_OUTDIR: ctx.outdir },
  });
  if (result.code !== 0) throw new SynthError(result.stderr.trim());
  const manifest = JSON.parse(readFileSync(join(ctx.outdir, "manifest.json"), "utf8")) as {
    stacks: Record<string, { dependencies: string[] }>;
  };
  return Object.entries(manifest.stacks).map(([name, stack]) => ({ name, dependencies: stack.dependencies }));
}

const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g");

function outcomeLine(output: string, ok: boolean): string {
  const text = output.replace(ANSI, "");
  const complete = [...text.matchAll(/(Apply|Destroy) complete! Resources: [^\n]*/g)].map((m) => m[0]).pop();
  if (ok) return complete ?? "done";
  const error = /Error: ([^\n]*)/.exec(text)?.[1];
  return `failed: ${error ?? "see the log"}`;
}

async function cdktf(ctx: FleetContext, action: "deploy" | "destroy", stack: string): Promise<StackOutcome> {
  const started = Date.now();
  ctx.progress(`${stack}: ${action === "deploy" ? "deploying" : "destroying"}`);
  mkdirSync(ctx.logDir, { recursive: true });
  const log = join(ctx.logDir, `${stack}.${action}.log`);
  const result = await run(
    join(PROJECT, "node_modules", ".bin", "cdktf"),
    [
      action,
      "--auto-approve",
      "--skip-synth",
      // The provider mirror cannot produce lock hashes for other platforms, and we select stacks ourselves.
      "--skip-provider-lock",
      "--ignore-missing-stack-dependencies",
      "--output",
      ctx.outdir,
      stack,
    ],
    // CI=true: plain, line-oriented output instead of the interactive UI.
    { cwd: PROJECT, env: { ...ctx.env, CI: "true", FORCE_COLOR: "0" } },
  );
  const output = `${result.stdout}\n${result.stderr}`;
  writeFileSync(log, output.replace(ANSI, ""));
  const ok = result.code === 0;
  const seconds = Math.round((Date.now() - started) / 1000);
  const summary = outcomeLine(output, ok);
  ctx.progress(`${stack}: ${summary} (${seconds}s)`);
  return { stack, ok, summary, log, seconds };
}

/**
 * Deploys stacks wave by wave (state bucket, hosted zone, then all regions at once). A failed stack
 * fails alone: the rest of its wave still deploys, and only stacks that depend on it are skipped.
 */
export async function deployStacks(ctx: FleetContext, stacks: readonly StackNode[]): Promise<StackOutcome[]> {
  const outcomes: StackOutcome[] = [];
  const failed = new Set<string>();
  for (const wave of stackWaves(stacks)) {
    const runnable = wave.filter((name) => {
      const blockedBy = stacks.find((s) => s.name === name)?.dependencies.filter((d) => failed.has(d)) ?? [];
      if (blockedBy.length === 0) return true;
      outcomes.push({
        stack: name,
        ok: false,
        summary: `skipped: ${blockedBy.join(", ")} failed`,
        log: "",
        seconds: 0,
      });
      failed.add(name);
      return false;
    });
    const results = await Promise.all(runnable.map((name) => cdktf(ctx, "deploy", name)));
    for (const r of results) if (!r.ok) failed.add(r.stack);
    outcomes.push(...results);
  }
  return outcomes;
}

/** Destroys stacks in reverse waves: regions first (in parallel), the state bucket last. */
export async function destroyStacks(
  ctx: FleetContext,
  stacks: readonly StackNode[],
  beforeWave: (wave: readonly string[]) => Promise<void> = () => Promise.resolve(),
): Promise<StackOutcome[]> {
  const outcomes: StackOutcome[] = [];
  for (const wave of stackWaves(stacks).reverse()) {
    await beforeWave(wave);
    outcomes.push(...(await Promise.all(wave.map((name) => cdktf(ctx, "destroy", name)))));
  }
  return outcomes;
}
