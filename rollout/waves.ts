/*
 * Pure: the rollout's waves, and the scheduler that runs stacks through them.
 *
 * The waves of regions come from the fleet file (`rollout.waves`; by default AWS's practice, the first region
 * alone, then the rest). The stacks' dependencies carry them (every region stack of a wave depends on every one
 * of the wave before), so the scheduler needs only the dependencies: deploying, a stack runs after everything
 * it depends on; destroying, after everything that depends on it.
 *
 * The scheduler is a queue in the manner of Terragrunt's run queue: each stack has a status, pending until its
 * turn, then running, then how it ended. At most `limit` stacks of a wave run at once, and a wave starts only
 * when the one before has ended. What it decides is a pure step (rollout/adapters/waves.ts performs it):
 * - Deploying, a failed stack or a stopped rollout keeps back every stack not yet started, in its own wave too
 *   (a wave that runs fewer at once than it has stacks): the change is not carried further until someone looks.
 *   Stacks already running finish.
 * - Destroying, a stack that failed to go keeps back only what it needs (the state bucket under a region's
 *   state): a teardown removes as much as it can.
 * - After an interruption nothing starts.
 * A failure is reported once, at its stack: those it kept back name it (terraform/outcome.ts, notStarted).
 */
import {
  notStarted,
  type NotStartedCause,
  type StackAction,
  type StackOutcome,
  type StackStatus,
} from "../terraform/outcome";
import { stackWaves, type StackNode } from "../terraform/stack-selection";

/** One wave of the rollout: regions that change together, after every earlier wave passed. */
export interface Wave {
  /** 1-based. */
  readonly number: number;
  readonly regions: readonly string[];
  /** The region stacks, in the order of `regions`. */
  readonly stacks: readonly string[];
}
export interface RolloutShape {
  readonly waves: readonly Wave[];
  /** Seconds each region of a wave is watched after its change before the next wave starts. */
  readonly bakeSeconds: number;
  /** Region stacks applied at once within a wave; none: derived from the machine's free memory. */
  readonly maxParallel?: number;
}

/** AWS's practice: the first region alone, then all the others. */
export function defaultWaves(regions: readonly string[]): string[][] {
  const [first, ...rest] = regions;
  if (first === undefined) return [];
  return rest.length === 0 ? [[first]] : [[first], [...rest]];
}

/**
 * What one Terraform process with the AWS provider takes while it plans or applies a region (measured:
 * 8 regions at once peaked at 5.1 GiB).
 */
export const MEMORY_PER_REGION_BYTES = 640 * 1024 * 1024;

/** Regions applied at once: `--parallelism`, else `rollout.maxParallel`, else what free memory holds (at least 1). */
export function parallelism(options: {
  readonly override?: number;
  readonly configured?: number;
  readonly freeMemoryBytes: number;
}): number {
  return (
    options.override ?? options.configured ?? Math.max(1, Math.floor(options.freeMemoryBytes / MEMORY_PER_REGION_BYTES))
  );
}

/** The rollout wave a set of region stacks belongs to, if they all belong to the same one. */
export function waveOf(plan: RolloutShape, stacks: readonly string[]): Wave | undefined {
  const wave = plan.waves.find((w) => stacks.every((s) => w.stacks.includes(s)));
  return stacks.length > 0 ? wave : undefined;
}

/** `wave 1 of 2: us-east-1 (bake 600 s)`. */
export function waveLine(plan: RolloutShape, wave: Wave): string {
  return `wave ${wave.number} of ${plan.waves.length}: ${wave.regions.join(", ")} (bake ${plan.bakeSeconds} s)`;
}

// ---------------------------------------------------------------------------------------------------
// The scheduler

/** A stack in the queue: its turn has not come, it runs, or it ended. */
export type QueueStatus = "pending" | "running" | StackStatus;

export type QueueEntry =
  | { readonly status: "pending" | "running" }
  | { readonly status: StackStatus; readonly outcome: StackOutcome };

export interface WaveQueue {
  readonly action: StackAction;
  /** The waves in the order they run (reversed for a destroy). */
  readonly waves: readonly (readonly string[])[];
  /** Stacks of a wave run at once. */
  readonly limit: number;
  /** What must have gone well before a stack may start: its dependencies (deploy) or its dependents (destroy). */
  readonly blockers: Readonly<Record<string, readonly string[]>>;
  /** The wave open now: -1 before the first. */
  readonly wave: number;
  readonly entries: Readonly<Record<string, QueueEntry>>;
}

/** What the scheduler asks for next. */
export type WaveStep =
  /** A wave opens: the stacks of it that will run (the others were kept back already). */
  | { readonly kind: "announce"; readonly stacks: readonly string[] }
  /** Start this stack now. */
  | { readonly kind: "start"; readonly stack: string }
  /** Stacks are running and no other may start: wait for one to end. */
  | { readonly kind: "wait" }
  /** Every stack has ended: the outcomes, wave by wave, each wave in its order. */
  | { readonly kind: "done"; readonly outcomes: readonly StackOutcome[] };

/** Every stack pending, no wave open. `limit` is how many stacks of a wave run at once (at least 1). */
export function queueOf(
  stacks: readonly StackNode[],
  action: StackAction,
  limit = Number.POSITIVE_INFINITY,
): WaveQueue {
  const waves = action === "deploy" ? stackWaves(stacks) : stackWaves(stacks).reverse();
  const blockers = Object.fromEntries(
    stacks.map((stack) => [
      stack.name,
      action === "deploy"
        ? [...stack.dependencies]
        : stacks.filter((s) => s.dependencies.includes(stack.name)).map((s) => s.name),
    ]),
  );
  const entries = Object.fromEntries(stacks.map((s): [string, QueueEntry] => [s.name, { status: "pending" }]));
  return { action, waves, limit: Math.max(1, limit), blockers, wave: -1, entries };
}

/** A running stack ended. */
export function ended(queue: WaveQueue, outcome: StackOutcome): WaveQueue {
  if (queue.entries[outcome.stack]?.status !== "running") {
    throw new Error(`${outcome.stack} ended, but it was not running`);
  }
  return withEntry(queue, outcome.stack, { status: outcome.status, outcome });
}

/**
 * The next step, given the interruption observed now (if any). Stacks that may no longer start are marked
 * not started on the way, so a step is always one of the four.
 */
export function nextStep(queue: WaveQueue, signal?: string): { readonly queue: WaveQueue; readonly step: WaveStep } {
  let current = queue;
  for (;;) {
    const wave = current.waves[current.wave];
    if (wave !== undefined) {
      const running = wave.filter((s) => current.entries[s]?.status === "running").length;
      const pending = wave.find((s) => current.entries[s]?.status === "pending");
      if (pending !== undefined) {
        const cause = keptBack(current, pending, signal);
        if (cause !== undefined) {
          current = withEntry(current, pending, { status: "not-started", outcome: notStarted(pending, cause) });
          continue;
        }
        if (running < current.limit) {
          return { queue: withEntry(current, pending, { status: "running" }), step: { kind: "start", stack: pending } };
        }
        return { queue: current, step: { kind: "wait" } };
      }
      if (running > 0) return { queue: current, step: { kind: "wait" } };
    }
    // The open wave has ended (or none is open yet): open the next, keeping back what may not start.
    const next = current.wave + 1;
    const opening = current.waves[next];
    if (opening === undefined)
      return { queue: { ...current, wave: next }, step: { kind: "done", outcomes: outcomesOf(current) } };
    current = { ...current, wave: next };
    for (const stack of opening) {
      const cause = keptBack(current, stack, signal);
      if (cause !== undefined)
        current = withEntry(current, stack, { status: "not-started", outcome: notStarted(stack, cause) });
    }
    const runnable = opening.filter((s) => current.entries[s]?.status === "pending");
    if (runnable.length > 0) return { queue: current, step: { kind: "announce", stacks: runnable } };
  }
}

/** The status of every stack, for a report or a test. */
export function statusesOf(queue: WaveQueue): Record<string, QueueStatus> {
  return Object.fromEntries(Object.entries(queue.entries).map(([stack, entry]) => [stack, entry.status]));
}

/**
 * Why a stack may not start now, if it may not: an interruption; a blocker that failed or stopped (or was
 * itself kept back by one: the cause is passed on, never the blocker); deploying, any failure so far.
 */
function keptBack(queue: WaveQueue, stack: string, signal: string | undefined): NotStartedCause | undefined {
  if (signal !== undefined) return { kind: "interrupted", signal };
  const causes = (queue.blockers[stack] ?? []).flatMap((blocker) => failuresBehind(queue.entries[blocker]));
  const halted = queue.action === "deploy" ? Object.values(queue.entries).flatMap(failuresBehind) : [];
  const all = causes.length > 0 ? causes : halted;
  if (all.length === 0) return undefined;
  const named = (status: StackStatus) =>
    [...new Set(all.filter((c) => c.status === status).map((c) => c.stack))].sort();
  return { kind: "failure", failed: named("failed"), stopped: named("stopped") };
}

/** The failures an entry stands for: its own, or those that kept it back. */
function failuresBehind(entry: QueueEntry | undefined): { stack: string; status: StackStatus }[] {
  if (entry === undefined || !("outcome" in entry)) return [];
  const { outcome } = entry;
  if (outcome.status === "failed" || outcome.status === "stopped")
    return [{ stack: outcome.stack, status: outcome.status }];
  if (outcome.cause?.kind === "failure") {
    return [
      ...outcome.cause.failed.map((stack) => ({ stack, status: "failed" as const })),
      ...outcome.cause.stopped.map((stack) => ({ stack, status: "stopped" as const })),
    ];
  }
  return [];
}

function withEntry(queue: WaveQueue, stack: string, entry: QueueEntry): WaveQueue {
  return { ...queue, entries: { ...queue.entries, [stack]: entry } };
}

function outcomesOf(queue: WaveQueue): StackOutcome[] {
  return queue.waves.flat().flatMap((stack) => {
    const entry = queue.entries[stack];
    return entry !== undefined && "outcome" in entry ? [entry.outcome] : [];
  });
}
