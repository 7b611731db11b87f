/*
 * Pure: how one stack's run ended, and the lines that say so. Terraform's own summary for a finished run,
 * its first error (with the resource it is about, and a hint when the fleet file is the fix) for a failed one.
 */
import { relative } from "node:path";
import type { FleetShape } from "../fleet/shape";
import { lockHint, parseLockInfo } from "../state/lock";
import { explainTerraformError, firstError, formatTerraformError } from "./errors";

/** What is done to a stack: applied (its dependencies first) or destroyed (its dependents first). */
export type StackAction = "deploy" | "destroy";

/** How a stack's run ended. */
export type StackStatus =
  /** Applied, destroyed, or nothing to do. */
  | "succeeded"
  /** Terraform, or a check before it, failed; `summary` says why. */
  | "failed"
  /**
   * The region's rollout stopped it: its change applied, but its refresh, its new instances or its bake
   * failed the judgement (`summary` says why and what was rolled back). Nothing later starts.
   */
  | "stopped"
  /** An interruption (SIGINT, SIGTERM) stopped it; its state is saved, the same command finishes it. */
  | "interrupted"
  /** Never started: `cause` says what kept it back. */
  | "not-started";

/** What kept a stack from starting: an interruption, or stacks that failed or stopped the rollout. */
export type NotStartedCause =
  | { readonly kind: "interrupted"; readonly signal: string }
  | { readonly kind: "failure"; readonly failed: readonly string[]; readonly stopped: readonly string[] };

export interface StackOutcome {
  readonly stack: string;
  readonly status: StackStatus;
  /** `Apply complete! Resources: 18 added, 0 changed, 0 destroyed.`, the error, or why it did not start. */
  readonly summary: string;
  /** Why it did not start (status `not-started` only). */
  readonly cause?: NotStartedCause;
  /** What the rollout saw after the apply: the refresh, the new instances, the bake. */
  readonly rollout?: string;
  /** For a failure the user can fix in the fleet config: which field, and what to change. */
  readonly hint?: string;
  readonly log: string;
  readonly seconds: number;
}

/**
 * The outcome of a stack that never started. A failure is told once, where it happened: the stacks kept back
 * name it (`skipped: … failed`, `not started: the rollout stopped at …`), never each other.
 */
/**
 * A saved-plan deploy's outcome for a stack whose plan was not a change: said as the review or the question saw
 * it (`no changes, as reviewed`) where Terraform's own line says `No changes.`; a change, or a failure, as it is.
 */
export function unchangedAs(outcome: StackOutcome, changing: boolean, label: string): StackOutcome {
  return !changing && outcome.status === "succeeded" && outcome.summary === "No changes."
    ? { ...outcome, summary: label }
    : outcome;
}

export function notStarted(stack: string, cause: NotStartedCause): StackOutcome {
  const summary =
    cause.kind === "interrupted"
      ? `not started: interrupted by ${cause.signal}`
      : cause.stopped.length > 0
        ? `not started: the rollout stopped at ${cause.stopped.join(", ")}`
        : `skipped: ${cause.failed.join(", ")} failed`;
  return { stack, status: "not-started", cause, summary, log: "", seconds: 0 };
}

/** Terraform's `Apply complete! …` (or `Destroy complete! …`) line of a run's output; `done` without one. */
export function completionLine(output: string): string {
  return [...output.matchAll(/(Apply|Destroy) complete! Resources: [^\n]*/g)].map((m) => m[0]).pop() ?? "done";
}

/**
 * One line for a stack's run: Terraform's own summary, or its first error with the resource it is
 * about (and, separately, a hint when the fleet config can fix it). `backendChanged` says how the stack's
 * backend moved, when Terraform refused it for that (it reads the working copy, so the caller knows it).
 */
export function runSummary(
  output: string,
  ok: boolean,
  context: {
    readonly stack: string;
    readonly backendChanged: () => string;
    readonly shape?: FleetShape;
    readonly now: Date;
  },
): { summary: string; hint?: string } {
  if (ok) return { summary: completionLine(output) };
  const error = firstError(output);
  if (error === undefined) return { summary: "failed without an error from Terraform; see the log" };
  if (error.summary === "Backend configuration changed") return { summary: `failed: ${context.backendChanged()}` };
  const detail = error.summary === "Resource precondition failed" && error.detail !== undefined ? error.detail : "";
  const lock = /Error acquiring the state lock/.test(error.summary) ? parseLockInfo(output) : undefined;
  const hint =
    lock !== undefined
      ? lockHint(context.stack, lock, context.now)
      : context.shape === undefined
        ? undefined
        : explainTerraformError(error, context.shape, context.stack);
  return {
    summary: `failed: ${formatTerraformError(error)}${detail === "" ? "" : `: ${detail}`}`,
    ...(hint === undefined ? {} : { hint }),
  };
}

/** `  cloudrim-prod-us-east-1: failed: … (log: …)`, its hint and what the rollout saw: lines for a final report. */
export function outcomeReport(outcome: StackOutcome): string {
  const log =
    outcome.status === "succeeded" || outcome.log === "" ? "" : ` (log: ${relative(process.cwd(), outcome.log)})`;
  const hint = outcome.hint === undefined ? "" : `\n    fix: ${outcome.hint}`;
  const rollout = outcome.rollout === undefined ? "" : `\n    rollout: ${outcome.rollout}`;
  return `  ${outcome.stack}: ${outcome.summary}${log}${hint}${rollout}`;
}
