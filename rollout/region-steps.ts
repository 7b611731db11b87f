/*
 * Pure: the steps a region's rollout (rollout/machine.ts) takes from one phase to the next: moving on, finishing,
 * planning and applying a stage, judging the new instances, baking, stopping.
 */
import { changesOf } from "../terraform/plan-json";
import { targetFlags } from "./stages";
import { ROLLBACK_START } from "./rollback";
import { EMPTY_RECORD, type RolloutRecord } from "./record";
import type {
  RecordEntry,
  RegionAction,
  RegionEvent,
  RegionPhase,
  RegionResult,
  RegionRollout,
  RegionState,
  Resume,
  Stage,
  Step,
} from "./region-rollout";

/** The plan file of each stage. */
export const STAGE_FILE: Readonly<Record<Stage, string>> = {
  only: "plan.tfplan",
  1: "stage1.tfplan",
  2: "stage2.tfplan",
};

/** A stopped region's result: why, and what its applies did before the stop. */
export function stoppedResult(state: RegionState, summary: string): RegionResult {
  const applied =
    state.applied.length === 0 ? {} : { rollout: `applied before it stopped: ${state.applied.join(" ")}` };
  return { kind: "stopped", summary, ...applied };
}

export function recordOf(rollout: RegionRollout): RolloutRecord {
  return rollout.record ?? EMPTY_RECORD;
}

export function isoAt(at: number): string {
  return new Date(at).toISOString();
}

export function noChanges(state: RegionState): Step {
  return finish(state, [], { kind: "succeeded", summary: "No changes." });
}

/** Writes what the rollout proved or rejected, then ends with `result`. */
export function recordThen(
  state: RegionState,
  lines: readonly string[],
  entry: RecordEntry,
  result: RegionResult,
): Step {
  return go(state, lines, { phase: { name: "recording", result }, action: { kind: "record", entry } });
}

/** How often a bake says it is alive. */
export const BAKE_LINE_EVERY_MS = 60_000;

/** Whether the plan changes resources (not only outputs or imports): then the region is judged and baked. */
export function changed(state: RegionState): boolean {
  return changesOf(state.rollout.plan).length > 0;
}

export function versionOf(phase: { readonly version?: string }): { version?: string } {
  return phase.version === undefined ? {} : { version: phase.version };
}

export function go(
  state: RegionState,
  lines: readonly string[],
  next: { readonly phase: RegionPhase; readonly action: RegionAction },
): Step {
  return { state: { ...state, phase: next.phase }, lines, action: next.action };
}

export function finish(state: RegionState, lines: readonly string[], result: RegionResult): Step {
  return { state: { ...state, phase: { name: "done", result } }, lines, action: { kind: "finish", result } };
}

export function heard<K extends RegionEvent["kind"]>(event: RegionEvent, kind: K): Extract<RegionEvent, { kind: K }> {
  if (event.kind !== kind) throw new Error(`the region's rollout waited for ${kind}, and heard ${event.kind}`);
  return event as Extract<RegionEvent, { kind: K }>;
}

export function planStage(state: RegionState, lines: readonly string[], stage: 1 | 2): Step {
  const flags = stage === 1 && state.staging !== undefined ? targetFlags(state.staging) : [];
  return go(state, lines, {
    phase: { name: "planning", stage },
    action: { kind: "plan", file: STAGE_FILE[stage], flags },
  });
}

export function applyStage(state: RegionState, lines: readonly string[], stage: Stage, at: number): Step {
  return go(state, lines, {
    phase: { name: "applying", stage, startedAt: at },
    action: { kind: "apply", file: STAGE_FILE[stage] },
  });
}

/** The new instances to a verdict: in service and healthy everywhere, or unhealthy, or still waiting at the deadline. */
export function settle(
  state: RegionState,
  lines: readonly string[],
  stage: Stage,
  version: string | undefined,
  at: number,
  resume?: Resume,
): Step {
  const v = version === undefined ? {} : { version };
  return go({ ...state, ...(version === undefined ? {} : { judgedVersion: version }) }, lines, {
    phase: {
      name: "settling",
      stage,
      ...v,
      deadline: at + state.rollout.settleSeconds * 1000,
      pausing: false,
      failures: 0,
      lastLineAt: at,
      ...(resume === undefined ? {} : { resume }),
    },
    action: { kind: "judge-instances", ...v },
  });
}

/** A bake of `version`: the alarms and its instances, sampled until it ends (the first instance's, with `resume`). */
export function bake(
  state: RegionState,
  lines: readonly string[],
  at: number,
  version: string | undefined,
  resume?: Resume,
  templateId?: string,
): Step {
  const seconds = state.rollout.bakeSeconds;
  const what = resume === undefined ? "the new instances" : "the first new instance";
  const line = `baking ${seconds} s: watching ${state.rollout.alarmCount} alarms and ${what}`;
  return go(state, [...lines, line], {
    phase: {
      name: "baking",
      ...(version === undefined ? {} : { version }),
      ...(templateId === undefined ? {} : { templateId }),
      startedAt: at,
      endsAt: at + seconds * 1000,
      lastLineAt: at,
      pausing: false,
      failures: 0,
      ...(resume === undefined ? {} : { resume }),
    },
    action: { kind: "sample-bake", ...(version === undefined ? {} : { version }) },
  });
}

/** A stage passed: the next stage, the bake, or (a change the region is not judged on) success. */
export function afterStage(state: RegionState, lines: readonly string[], stage: Stage): Step {
  if (stage === 1) return planStage(state, lines, 2);
  if (!changed(state) && state.unbaked !== true) return succeed(state, lines);
  return go(state, lines, { phase: { name: "reading-bake-version" }, action: { kind: "read-group" } });
}

export function succeed(state: RegionState, lines: readonly string[]): Step {
  return finish(state, lines, successOf(state));
}

export function successOf(state: RegionState): RegionResult {
  const { applied, seen } = state;
  const none = state.unbaked === true ? "No changes." : "done";
  const summary = applied.length > 1 ? applied.map((a, i) => `stage ${i + 1}: ${a}`).join(" ") : (applied[0] ?? none);
  return { kind: "succeeded", summary, ...(seen.length === 0 ? {} : { rollout: seen.join("; ") }) };
}

/** Stops the rollout at this region: rolls it back first, if the change replaced its instances. */
/** `outOfTime`: stopped by the deploy's budget, not a verdict on the change, which is not recorded as rejected. */
export function stop(state: RegionState, lines: readonly string[], why: string, outOfTime = false): Step {
  if (state.rollout.instanceRefresh === false) {
    const summary = `stopped: ${why}; nothing rolled back: instanceRefresh is off, so no instance was replaced`;
    return finish(state, [...lines, `stopping the rollout: ${why}`, summary], stoppedResult(state, summary));
  }
  return go(state, [...lines, `stopping the rollout: ${why}`], {
    phase: { name: "stopping", why, rollback: ROLLBACK_START.step, ...(outOfTime ? { outOfTime } : {}) },
    action: ROLLBACK_START.action,
  });
}
