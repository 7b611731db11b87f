/*
 * The operations behind `make demo`, `make teardown`, `npm run deploy` and the end-to-end suite: one
 * code path, so the tests exercise exactly what users run. Synth once (main.ts, what `cdktf synth`
 * runs); then, per stack, `terraform init` and `terraform apply` (or destroy) in the synthesized stack
 * directory, wave by wave, stacks of a wave in parallel. Terraform runs directly rather than through
 * `cdktf deploy`: cdktf drops Terraform's error text (a failed stack ends in "Invoking Terraform CLI
 * failed with exit code 1") and initialises every selected stack before deploying any.
 */
import { existsSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { checkBaseline, type BaselineResult } from "../../baseline/engine";
import type { StackJson } from "../../baseline/terraform-json";
import { PROJECT_EXCEPTIONS } from "../../baseline/exceptions";
import { legacyWeightedRecords, replaceFlags, type TerraformState } from "../legacy-records";
import { unlockedImageStacks } from "../../images/lock";
import type { FleetShape } from "../../fleet/shape";
import { lockHint, parseLockInfo } from "../../state/lock";
import type { ReportContext } from "../../review/report";
import type { RetiredRegion } from "../../state/retired";
import { mapWithLimit, selectStacks, stackWaves, type StackNode } from "../stack-selection";
import { explainTerraformError, firstError, formatTerraformError } from "../errors";
import { reconfiguresBackends, type Target } from "../../fleet/target";
import { UserFacingError } from "../../cli/console";
import { interruption } from "../../cli/interrupt";
import { run } from "../../cli/run";
import { stateElsewhere, stateElsewhereLine } from "../../state/adapters/location";
import { runStreaming } from "../../cli/stream";
import { lockRecordDir, recordLockHolder } from "../../state/adapters/unlock";

export const PROJECT = resolve(__dirname, "..", "..");

export interface FleetContext {
  /** Environment for synth and terraform (target, config, TF_CLI_CONFIG_FILE). */
  readonly env: NodeJS.ProcessEnv;
  /** Synth output directory (cdktf.out for users, a temp directory in tests). */
  readonly outdir: string;
  /** The directory main.ts runs in (where CLOUDRIM_CONFIG is resolved from). */
  readonly workDir: string;
  /** This run's logs: one file per stack and action, written as the output arrives. */
  readonly logDir: string;
  readonly progress: (line: string) => void;
  /** The validated fleet, adapted to the target: names the state bucket and explains errors. */
  readonly shape: FleetShape;
  readonly target: Target;
  /**
   * Drop a stack directory's remembered backend before init (`-reconfigure`). Only on the local target,
   * where the endpoint is per-run configuration; on AWS a changed backend must stop the run.
   * @default reconfiguresBackends(target)
   */
  readonly reconfigure?: boolean;
  /** Report a stack that prints nothing for this many seconds (it keeps running). @default 300 */
  readonly stallSeconds?: number;
  /** How long plan and apply wait for another run's state lock. @default 60 */
  readonly lockTimeoutSeconds?: number;
  /**
   * Whether plans take the state lock. A plan that is never applied (a pull request's) need not: it only
   * reads the state, and a lock it held would make a deploy wait or fail. Applies always lock. @default true
   */
  readonly lockPlans?: boolean;
  /** Seconds between two looks at a refresh or a bake. @default 15 on AWS, 1 on the local AWS */
  readonly pollSeconds?: number;
  /** Stacks of a wave applied at once (`--parallelism`). @default rollout.maxParallel, else what free memory holds */
  readonly parallelism?: number;
}

/** The context a command builds once: a fresh log directory for this run, the target's reconfigure rule. */
export function fleetContext(options: {
  readonly env: NodeJS.ProcessEnv;
  readonly outdir: string;
  readonly progress: (line: string) => void;
  readonly shape: FleetShape;
  readonly target: Target;
  readonly workDir?: string;
  readonly logDir?: string;
  readonly stallSeconds?: number;
  readonly lockTimeoutSeconds?: number;
  readonly pollSeconds?: number;
  readonly parallelism?: number;
  readonly lockPlans?: boolean;
}): FleetContext {
  return {
    ...options,
    workDir: options.workDir ?? PROJECT,
    logDir: options.logDir ?? runLogDir(),
  };
}

/**
 * `.local/logs/2026-11-25T13-20-01Z`: a fresh log directory per run, so no run reads another's log
 * (under CLOUDRIM_LOG_DIR when set).
 */
export function runLogDir(
  base = process.env.CLOUDRIM_LOG_DIR ?? join(PROJECT, ".local", "logs"),
  now = new Date(),
): string {
  return join(
    base,
    now
      .toISOString()
      .replace(/\.\d+Z$/, "Z")
      .replaceAll(":", "-"),
  );
}

export interface StackOutcome {
  readonly stack: string;
  readonly ok: boolean;
  /**
   * The region's rollout stopped it: its change applied, but its refresh, its new instances or its bake
   * failed the judgement (`summary` says why and what was rolled back). Later waves are not started.
   */
  readonly stopped?: boolean;
  /** `Apply complete! Resources: 18 added, 0 changed, 0 destroyed.` or the error. */
  readonly summary: string;
  /** An interruption (SIGINT, SIGTERM) stopped it; its state is saved, the same command finishes it. */
  readonly interrupted?: boolean;
  /** What the rollout saw after the apply: the refresh, the new instances, the bake. */
  readonly rollout?: string;
  /** For a failure the user can fix in the fleet config: which field, and what to change. */
  readonly hint?: string;
  readonly log: string;
  readonly seconds: number;
}

/** The fleet config is invalid (every problem listed) or main.ts failed: the user's to fix. */
export class SynthError extends UserFacingError {}

/** Runs main.ts (exactly what `cdktf synth` runs) and returns the stacks it wrote. */
export async function synthesize(ctx: Pick<FleetContext, "env" | "outdir" | "workDir">): Promise<StackNode[]> {
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

/** `-lock-timeout=60s`: how long plan and apply wait for another run's state lock. */
export function lockTimeoutFlag(ctx: Pick<FleetContext, "lockTimeoutSeconds">): string {
  return `-lock-timeout=${ctx.lockTimeoutSeconds ?? 60}s`;
}

/** How a plan treats the state lock: waits for it, or (a plan never applied) takes none at all. */
export function planLockFlag(ctx: Pick<FleetContext, "lockTimeoutSeconds" | "lockPlans">): string {
  return (ctx.lockPlans ?? true) ? lockTimeoutFlag(ctx) : "-lock=false";
}

export function stackDir(ctx: Pick<FleetContext, "outdir">, stack: string): string {
  return join(ctx.outdir, "stacks", stack);
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

/** `s3://bucket/key (region)`: a backend as a reviewer reads it. */
function describeBackend(config: Record<string, unknown> | undefined): string {
  if (config === undefined) return "local state";
  const str = (key: string) => {
    const value = config[key];
    return typeof value === "string" ? value : "?";
  };
  return `s3://${str("bucket")}/${str("key")} (${str("region")})`;
}

/** The backend a stack directory was initialised with (Terraform remembers it in .terraform/). */
export function initialisedBackend(dir: string): Record<string, unknown> | undefined {
  const file = join(dir, ".terraform", "terraform.tfstate");
  if (!existsSync(file)) return undefined;
  const saved = JSON.parse(readFileSync(file, "utf8")) as { backend?: { config?: Record<string, unknown> } };
  return saved.backend?.config;
}

/** The backend the synthesized stack asks for. */
export function configuredBackend(dir: string): Record<string, unknown> | undefined {
  const json = JSON.parse(readFileSync(join(dir, "cdk.tf.json"), "utf8")) as {
    terraform?: { backend?: { s3?: Record<string, unknown> } };
  };
  return json.terraform?.backend?.s3;
}

/**
 * One line for a stack whose backend moved (`state.bucket`, `state.region`, `state.keyPrefix` or a
 * renamed service): the old and new backend and the command that moves the state.
 */
export function backendChangedLine(stack: string, dir: string, cwd = process.cwd()): string {
  const from = describeBackend(initialisedBackend(dir));
  const to = describeBackend(configuredBackend(dir));
  const chdir = relative(cwd, dir) === "" ? "." : relative(cwd, dir);
  return (
    `${stack}: its state backend changed from ${from} to ${to}; nothing was planned or applied. Move the state with ` +
    `\`terraform -chdir=${chdir} init -migrate-state\`, then run again (docs/state-and-locks.md, "Moving state")`
  );
}

/**
 * One line for a stack's run: Terraform's own summary, or its first error with the resource it is
 * about (and, separately, a hint when the fleet config can fix it).
 */
export function outcomeLine(
  output: string,
  ok: boolean,
  stack: string,
  dir: string,
  shape?: FleetShape,
): { summary: string; hint?: string } {
  const complete = [...output.matchAll(/(Apply|Destroy) complete! Resources: [^\n]*/g)].map((m) => m[0]).pop();
  if (ok) return { summary: complete ?? "done" };
  const error = firstError(output);
  if (error === undefined) return { summary: "failed without an error from Terraform; see the log" };
  if (error.summary === "Backend configuration changed") {
    return { summary: `failed: ${backendChangedLine(stack, dir).replace(`${stack}: `, "")}` };
  }
  const detail = error.summary === "Resource precondition failed" && error.detail !== undefined ? error.detail : "";
  const lock = /Error acquiring the state lock/.test(error.summary) ? parseLockInfo(output) : undefined;
  const hint =
    lock !== undefined
      ? lockHint(stack, lock, new Date())
      : shape === undefined
        ? undefined
        : explainTerraformError(error, shape, stack);
  return {
    summary: `failed: ${formatTerraformError(error)}${detail === "" ? "" : `: ${detail}`}`,
    ...(hint === undefined ? {} : { hint }),
  };
}

export type Action = "deploy" | "destroy";

/** Runs terraform in a stack's directory, logging as it goes and reporting silences. */
export function terraform(ctx: FleetContext, stack: string, log: string, args: readonly string[]) {
  const stallSeconds = ctx.stallSeconds ?? 300;
  return runStreaming("terraform", [...args], {
    cwd: stackDir(ctx, stack),
    env: { ...ctx.env, TF_IN_AUTOMATION: "1" },
    logFile: log,
    label: stack,
    // Terraform's lock names no process: the pid that may hold it is recorded for `npm run unlock`.
    onStart: (pid) => {
      recordLockHolder(lockRecordDir(PROJECT), stackDir(ctx, stack), pid, args);
    },
    stallSeconds,
    onStall: (silent, lastLine) => {
      ctx.progress(
        `${stack}: stalled? no output for ${silent}s; last line: ${lastLine === "" ? "(none yet)" : lastLine}`,
      );
    },
  });
}

/** `terraform init` for a stack, with `-reconfigure` only where the target allows it. */
export function init(ctx: FleetContext, stack: string, log: string, extra: readonly string[] = []) {
  const reconfigure = ctx.reconfigure ?? reconfiguresBackends(ctx.target);
  return terraform(ctx, stack, log, [
    "init",
    "-input=false",
    "-no-color",
    ...(reconfigure && !extra.includes("-migrate-state") ? ["-reconfigure"] : []),
    ...extra,
  ]);
}

/**
 * `-replace=…` for each weighted record still in the first releases' CNAME form (terraform/legacy-records.ts),
 * read from the stack's state after init; none for a stack without state.
 */
export async function legacyReplacements(ctx: FleetContext, stack: string): Promise<string[]> {
  const pulled = await run("terraform", ["state", "pull"], { cwd: stackDir(ctx, stack), env: ctx.env });
  if (pulled.code !== 0 || pulled.stdout.trim() === "") return [];
  const addresses = legacyWeightedRecords(JSON.parse(pulled.stdout) as TerraformState);
  if (addresses.length > 0) {
    ctx.progress(
      `${stack}: replacing the ${addresses.length} CNAME members of its regional set with alias records (deleted first, then created)`,
    );
  }
  return replaceFlags(addresses);
}

/** The outcome of a finished step, reported on the progress line too. */
export function finish(
  ctx: FleetContext,
  stack: string,
  started: number,
  log: string,
  result: { code: number; output: string },
): StackOutcome {
  const ok = result.code === 0;
  const seconds = Math.round((Date.now() - started) / 1000);
  const signal = interruption();
  if (!ok && signal !== undefined) {
    const summary = `interrupted by ${signal}: Terraform stopped after the resource it was on and saved its state; run the command again to finish`;
    ctx.progress(`${stack}: ${summary} (${seconds}s)`);
    return { stack, ok, interrupted: true, summary, log, seconds };
  }
  const line = outcomeLine(result.output, ok, stack, stackDir(ctx, stack), ctx.shape);
  ctx.progress(`${stack}: ${line.summary} (${seconds}s)`);
  if (line.hint !== undefined) ctx.progress(`${stack}: fix: ${line.hint}`);
  return { stack, ok, summary: line.summary, ...(line.hint === undefined ? {} : { hint: line.hint }), log, seconds };
}

/**
 * Init, then the checks every apply or destroy of a stack makes first: a working copy that remembers another
 * backend stops at init (Terraform's own guard); a fresh one is checked for state under another key; a
 * deploy replaces the first releases' CNAME members. Returns the failed outcome, or the extra flags.
 */
export async function prepareStack(
  ctx: FleetContext,
  action: Action,
  stack: string,
  log: string,
  started: number,
): Promise<{ readonly ok: false; readonly outcome: StackOutcome } | { readonly ok: true; readonly flags: string[] }> {
  const initialised = await init(ctx, stack, log);
  if (initialised.code !== 0) return { ok: false, outcome: finish(ctx, stack, started, log, initialised) };
  // A fresh working copy does not remember its backend: its new, empty key must not hide the stack's state.
  const elsewhere = await stateElsewhere(ctx.target, ctx.shape, stack);
  if (elsewhere.length > 0) {
    const summary = `failed: ${stateElsewhereLine(ctx.shape, stack, elsewhere).replace(`${stack}: `, "")}`;
    ctx.progress(`${stack}: ${summary}`);
    return {
      ok: false,
      outcome: { stack, ok: false, summary, log, seconds: Math.round((Date.now() - started) / 1000) },
    };
  }
  return { ok: true, flags: action === "deploy" ? await legacyReplacements(ctx, stack) : [] };
}

/**
 * Init, then apply or destroy one (non-bootstrap) stack. `beforeRun` runs between the two (a teardown's
 * adoption of orphans); its failure is the stack's.
 */
export async function applyStack(
  ctx: FleetContext,
  action: Action,
  stack: string,
  beforeRun?: (log: string) => Promise<{ readonly code: number; readonly output: string } | undefined>,
): Promise<StackOutcome> {
  const started = Date.now();
  ctx.progress(`${stack}: ${action === "deploy" ? "deploying" : "destroying"}`);
  const log = join(ctx.logDir, `${stack}.${action}.log`);
  const prepared = await prepareStack(ctx, action, stack, log, started);
  if (!prepared.ok) return prepared.outcome;
  const failedBefore = await beforeRun?.(log);
  if (failedBefore !== undefined) return finish(ctx, stack, started, log, failedBefore);
  const applied = await terraform(ctx, stack, log, [
    action === "deploy" ? "apply" : "destroy",
    "-auto-approve",
    "-input=false",
    "-no-color",
    lockTimeoutFlag(ctx),
    ...prepared.flags,
  ]);
  return finish(ctx, stack, started, log, applied);
}

/**
 * Applies the plan the stack's last `terraform plan` saved (plan.tfplan), exactly: Terraform refuses it
 * if the state changed since, and plans nothing new.
 */
export async function applySavedPlan(ctx: FleetContext, stack: string): Promise<StackOutcome> {
  const started = Date.now();
  ctx.progress(`${stack}: applying its saved plan`);
  const log = join(ctx.logDir, `${stack}.apply.log`);
  const applied = await terraform(ctx, stack, log, [
    "apply",
    "-input=false",
    "-no-color",
    lockTimeoutFlag(ctx),
    "plan.tfplan",
  ]);
  return finish(ctx, stack, started, log, applied);
}

/** `  cloudrim-prod-us-east-1: failed: … (log: …)`, its hint and what the rollout saw: lines for a final report. */
export function outcomeReport(outcome: StackOutcome): string {
  const log = outcome.ok || outcome.log === "" ? "" : ` (log: ${relative(process.cwd(), outcome.log)})`;
  const hint = outcome.hint === undefined ? "" : `\n    fix: ${outcome.hint}`;
  const rollout = outcome.rollout === undefined ? "" : `\n    rollout: ${outcome.rollout}`;
  return `  ${outcome.stack}: ${outcome.summary}${log}${hint}${rollout}`;
}

export type StackTask = (stack: string) => Promise<StackOutcome>;

/**
 * Runs `task` wave by wave, at most `limit` stacks of a wave at once. Deploying, waves go in dependency
 * order and a stack whose dependency failed (or stopped the rollout) is not started; destroying, waves
 * go in reverse and a stack is skipped while something that depends on it is still there (never the
 * state bucket under a region's state). `beforeWave` hears only the stacks that will run.
 */
export async function runInWaves(
  stacks: readonly StackNode[],
  action: Action,
  task: StackTask,
  beforeWave: (wave: readonly string[]) => Promise<void> = () => Promise.resolve(),
  limit = Number.POSITIVE_INFINITY,
): Promise<StackOutcome[]> {
  const waves = action === "deploy" ? stackWaves(stacks) : stackWaves(stacks).reverse();
  const blockersOf = (name: string): string[] =>
    action === "deploy"
      ? [...(stacks.find((s) => s.name === name)?.dependencies ?? [])]
      : stacks.filter((s) => s.dependencies.includes(name)).map((s) => s.name);
  const outcomes: StackOutcome[] = [];
  const failed = new Set<string>();
  const stopped = new Set<string>();
  for (const wave of waves) {
    const signal = interruption();
    if (signal !== undefined) {
      for (const name of wave) {
        outcomes.push({
          stack: name,
          ok: false,
          summary: `not started: interrupted by ${signal}`,
          log: "",
          seconds: 0,
        });
      }
      continue;
    }
    const runnable = wave.filter((name) => {
      const blockedBy = blockersOf(name).filter((b) => failed.has(b));
      if (blockedBy.length === 0) return true;
      const stoppers = blockedBy.filter((b) => stopped.has(b));
      outcomes.push({
        stack: name,
        ok: false,
        summary:
          stoppers.length > 0
            ? `not started: the rollout stopped at ${stoppers.join(", ")}`
            : `skipped: ${blockedBy.join(", ")} failed`,
        log: "",
        seconds: 0,
        ...(stoppers.length > 0 ? { stopped: true } : {}),
      });
      failed.add(name);
      if (stoppers.length > 0) stopped.add(name);
      return false;
    });
    if (runnable.length === 0) continue;
    await beforeWave(runnable);
    // A stack whose turn comes after an interruption does not start.
    const guarded: StackTask = (name) => {
      const interrupted = interruption();
      return interrupted === undefined
        ? task(name)
        : Promise.resolve({
            stack: name,
            ok: false,
            summary: `not started: interrupted by ${interrupted}`,
            log: "",
            seconds: 0,
          });
    };
    const results = await mapWithLimit(runnable, Number.isFinite(limit) ? limit : runnable.length, guarded);
    for (const r of results) {
      if (!r.ok) failed.add(r.stack);
      if (r.stopped === true) stopped.add(r.stack);
    }
    outcomes.push(...results);
  }
  return outcomes;
}
