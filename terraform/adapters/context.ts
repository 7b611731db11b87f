/*
 * The context every stack run shares: where synth writes, where logs go, how progress is told, the fleet and
 * its target, and the knobs of a run (stall report, lock timeout, polling, parallelism).
 */
import { join, resolve } from "node:path";
import type { FleetShape } from "../../fleet/shape";
import type { Target } from "../../fleet/target";

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
  /** Deploy a change even though a rollout rolled it back before (`--retry`; rollout/record.ts). @default false */
  readonly retry?: boolean;
  /** Alarms a rollout's bake does not count (`--ignore-alarm`). @default none */
  readonly ignoreAlarms?: readonly string[];
  /** When the command began (ms): its rollouts move forward until its budget ends (rollout/budget.ts). @default none */
  readonly startedAt?: number;
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
  readonly retry?: boolean;
  readonly ignoreAlarms?: readonly string[];
}): FleetContext {
  return {
    ...options,
    workDir: options.workDir ?? PROJECT,
    logDir: options.logDir ?? runLogDir(),
    startedAt: Date.now(),
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

export function stackDir(ctx: Pick<FleetContext, "outdir">, stack: string): string {
  return join(ctx.outdir, "stacks", stack);
}

/** `-lock-timeout=60s`: how long plan and apply wait for another run's state lock. */
export function lockTimeoutFlag(ctx: Pick<FleetContext, "lockTimeoutSeconds">): string {
  return `-lock-timeout=${ctx.lockTimeoutSeconds ?? 60}s`;
}

/** How a plan treats the state lock: waits for it, or (a plan never applied) takes none at all. */
export function planLockFlag(ctx: Pick<FleetContext, "lockTimeoutSeconds" | "lockPlans">): string {
  return (ctx.lockPlans ?? true) ? lockTimeoutFlag(ctx) : "-lock=false";
}
