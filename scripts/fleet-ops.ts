/*
 * The operations behind `make demo`, `make teardown`, `npm run deploy` and the end-to-end suite: one
 * code path, so the tests exercise exactly what users run. Synth once; then one real `cdktf deploy`
 * (or destroy) per stack, wave by wave, stacks of a wave in parallel.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { stackWaves, type StackNode } from "../lib/stack-selection";
import { reconfiguresBackends, targetFromEnv } from "../lib/target";
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

/** The context the commands share: logs in .local/logs, the state stack's state in `workDir`. */
export function fleetContext(
  env: NodeJS.ProcessEnv,
  outdir: string,
  progress: (line: string) => void,
  workDir = PROJECT,
): FleetContext {
  return { env, outdir, workDir, logDir: join(PROJECT, ".local", "logs"), progress };
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

/** One line for a stack's cdktf run: Terraform's own summary, or its first error with what to do. */
export function outcomeLine(output: string, ok: boolean, stackDir: string): string {
  const text = output.replace(ANSI, "");
  const complete = [...text.matchAll(/(Apply|Destroy) complete! Resources: [^\n]*/g)].map((m) => m[0]).pop();
  if (ok) return complete ?? "done";
  const error = /Error: ([^\n]*)/.exec(text)?.[1];
  if (error === "Backend configuration changed") {
    return (
      "failed: its state backend changed (state.bucket, state.region or state.keyPrefix); move the state with " +
      `\`terraform -chdir=${stackDir} init -migrate-state\`, then run again`
    );
  }
  return `failed: ${error ?? "see the log"}`;
}

type Action = "deploy" | "destroy";

async function cdktf(ctx: FleetContext, action: Action, stack: string): Promise<StackOutcome> {
  const started = Date.now();
  ctx.progress(`${stack}: ${action === "deploy" ? "deploying" : "destroying"}`);
  mkdirSync(ctx.logDir, { recursive: true });
  const log = join(ctx.logDir, `${stack}.${action}.log`);
  const stackDir = join(ctx.outdir, "stacks", stack);
  const target = targetFromEnv(ctx.env);
  if (target.ok && reconfiguresBackends(target.target)) {
    // cdktf's own `terraform init` refuses a backend that differs from the one the directory was
    // initialised with; on the local AWS that only means another endpoint.
    const init = await run("terraform", ["init", "-input=false", "-no-color", "-reconfigure"], {
      cwd: stackDir,
      env: ctx.env,
    });
    if (init.code !== 0) {
      writeFileSync(log, `${init.stdout}\n${init.stderr}`);
      const summary = outcomeLine(init.stderr, false, stackDir);
      ctx.progress(`${stack}: ${summary}`);
      return { stack, ok: false, summary, log, seconds: Math.round((Date.now() - started) / 1000) };
    }
  }
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
  const summary = outcomeLine(output, ok, stackDir);
  ctx.progress(`${stack}: ${summary} (${seconds}s)`);
  return { stack, ok, summary, log, seconds };
}

/** `  cloudrim-prod-us-east-1: failed: … (log: …)`: one line per stack for a final report. */
export function outcomeReport(outcome: StackOutcome): string {
  return `  ${outcome.stack}: ${outcome.summary}${outcome.ok || outcome.log === "" ? "" : ` (log: ${outcome.log})`}`;
}

export type StackTask = (stack: string) => Promise<StackOutcome>;

/**
 * Runs `task` wave by wave, the stacks of a wave in parallel. Deploying, waves go in dependency order and
 * a stack whose dependency failed is skipped; destroying, waves go in reverse and a stack is skipped
 * while something that depends on it is still there (never the state bucket under a region's state).
 * `beforeWave` hears only the stacks that will run.
 */
export async function runInWaves(
  stacks: readonly StackNode[],
  action: Action,
  task: StackTask,
  beforeWave: (wave: readonly string[]) => Promise<void> = () => Promise.resolve(),
): Promise<StackOutcome[]> {
  const waves = action === "deploy" ? stackWaves(stacks) : stackWaves(stacks).reverse();
  const blockersOf = (name: string): string[] =>
    action === "deploy"
      ? [...(stacks.find((s) => s.name === name)?.dependencies ?? [])]
      : stacks.filter((s) => s.dependencies.includes(name)).map((s) => s.name);
  const outcomes: StackOutcome[] = [];
  const failed = new Set<string>();
  for (const wave of waves) {
    const runnable = wave.filter((name) => {
      const blockedBy = blockersOf(name).filter((b) => failed.has(b));
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
    if (runnable.length === 0) continue;
    await beforeWave(runnable);
    const results = await Promise.all(runnable.map(task));
    for (const r of results) if (!r.ok) failed.add(r.stack);
    outcomes.push(...results);
  }
  return outcomes;
}

/**
 * Deploys stacks wave by wave (state bucket, hosted zone, then all regions at once). A failed stack
 * fails alone: the rest of its wave still deploys, and only stacks that depend on it are skipped.
 */
export function deployStacks(ctx: FleetContext, stacks: readonly StackNode[]): Promise<StackOutcome[]> {
  return runInWaves(stacks, "deploy", (name) => cdktf(ctx, "deploy", name));
}

/**
 * Destroys stacks in reverse waves: regions first (in parallel), the state bucket last, and only once
 * every stack that keeps its state there is gone.
 */
export function destroyStacks(
  ctx: FleetContext,
  stacks: readonly StackNode[],
  beforeWave?: (wave: readonly string[]) => Promise<void>,
): Promise<StackOutcome[]> {
  return runInWaves(stacks, "destroy", (name) => cdktf(ctx, "destroy", name), beforeWave);
}
