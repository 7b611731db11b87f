/*
 * Pure: one region's rollout as a state machine. Given the plan a deploy applies, it says what to do next
 * (apply, look at AWS, wait, cancel or start a refresh), hears what came of it, and moves on; the adapter
 * (rollout/adapters/region.ts) only performs each action and reports the answer. Its decisions are
 * rollout/verdicts.ts's; here they are put in order.
 *
 * The states (RegionPhase), as a region goes through them:
 *
 *   reading-before (the group's launch template version) → reading-known-refreshes
 *     → [planning (a stage, then the review check)] → applying → finding-refresh (the one the apply started)
 *     → reading-version → refreshing (its status, the new instances, a pause; until it ends)
 *       [at a checkpoint (one instance first): settling → baking that instance → refreshing again]
 *     → settling (the new instances, to a verdict) → [stage 2: planning again …]
 *     → reading-bake-version → baking (alarms and instances, to its end) → done: succeeded
 *
 *     → recording (the baked version, in the region's rollout record) → done: succeeded
 *
 *   any judgement that fails → stopping (rollout/rollback.ts: the group read; when the change replaced
 *     instances, this deploy's running refresh cancelled and drained, a refresh back to the last baked version
 *     started and watched) → recording (the rejected change) → done: stopped
 *
 *   a Terraform run that fails → done: failed; an interruption during a wait → done: interrupted.
 *
 * Before anything: a plan that would bring back a change a rollout of the region rolled back is refused
 * (rollout/record.ts), unless retried. A plan that changes nothing checks the group: on the last baked
 * version it is done; on any other (a deploy interrupted or killed before its bake ended) the group is judged
 * and baked now. A plan in two stages (rollout/stages.ts) plans each stage afresh, and each stage plan must
 * stay within the reviewed plans: the one review check.
 */
import { compareStack, matchesReview } from "../review/compare";
import { completionLine } from "../terraform/outcome";
import { altersResources, changesOf, changesOutputs, type TerraformPlanJson } from "../terraform/plan-json";
import { describeJudges, stagingOf, targetFlags, type Staging } from "./stages";
import {
  bakeLine,
  judgeBakeSample,
  shortId,
  startedRefresh,
  type AlarmObservation,
  type InstancesVerdict,
  type RefreshObservation,
  type TemplateVersion,
} from "./verdicts";
import { watchNext, watchStart, type CancelOutcome, type Watch } from "./refresh-watch";
import { ROLLBACK_START, rollbackNext, type RollbackStep } from "./rollback";
import type { Checkpoint } from "./checkpoint";
import {
  EMPTY_RECORD,
  launchTemplateDigest,
  refusalLine,
  rejectedChangeIn,
  type BakedVersion,
  type RejectedChange,
  type RolloutRecord,
} from "./record";

/** What a region's rollout is given: the plan and the rules it is judged by. */
export interface RegionRollout {
  readonly stack: string;
  /** The plan being applied (saved as plan.tfplan in the stack's directory): reviewed, shown, or fresh. */
  readonly plan: TerraformPlanJson;
  /** The plans every stage plan must stay within (any of them may have reviewed a change). */
  readonly reviewed: readonly TerraformPlanJson[];
  readonly bakeSeconds: number;
  /** How long a good new instance may take to be in service on every port once the refresh counts it warm. */
  readonly settleSeconds: number;
  /** The alarms a bake watches, counted for its first line. */
  readonly alarmCount: number;
  /** Milliseconds between two looks. */
  readonly pollMs: number;
  /** What earlier rollouts of the region proved and rolled back (rollout/record.ts). @default none recorded */
  readonly record?: RolloutRecord;
  /** Deploy a change even though a rollout of the region rolled it back (`--retry`). @default false */
  readonly retry?: boolean;
  /** When the reviewed plans were made (a reviewed deploy): a review newer than a rollback retries its change. */
  readonly reviewedAt?: Date;
  /** Alarms the bake does not count (`--ignore-alarm`). @default none */
  readonly ignoreAlarms?: readonly string[];
  /**
   * Whether the group replaces its instances on a new launch template version (`instanceRefresh`). Without,
   * the instances it has are judged and baked, and a stop rolls nothing back: nothing was rolled. @default true
   */
  readonly instanceRefresh?: boolean;
  /** Where the group's refresh stops once one instance is new, to judge and bake it first. @default none */
  readonly checkpoint?: Checkpoint;
}

/** A refresh waiting at its checkpoint: the watch to go on with once its first instance passed. */
export interface Resume {
  readonly stage: Stage;
  readonly watch: Watch;
}

/** A failed look at the new instances or the bake stops the rollout only when this many in a row failed. */
export const FAILED_LOOKS_TO_STOP = 3;

/** What a rollout writes in the region's record: the version that passed its bake, or the change it rejected. */
export type RecordEntry =
  | { readonly kind: "baked"; readonly baked: BakedVersion }
  | { readonly kind: "rejected"; readonly rejected: RejectedChange };

/** A plan applied in one go (`only`) or one of its two stages. */
export type Stage = "only" | 1 | 2;

/** What the adapter is asked to do next; each but `finish` is answered with an event. */
export type RegionAction =
  | { readonly kind: "read-group" }
  | { readonly kind: "read-refreshes" }
  | { readonly kind: "read-alarms" }
  | { readonly kind: "read-refresh"; readonly id: string }
  | { readonly kind: "judge-instances"; readonly version?: string }
  | { readonly kind: "sample-bake"; readonly version?: string }
  | { readonly kind: "plan"; readonly file: string; readonly flags: readonly string[] }
  | { readonly kind: "apply"; readonly file: string }
  | { readonly kind: "cancel-refresh"; readonly id: string }
  | { readonly kind: "start-refresh"; readonly templateId: string; readonly version: string }
  | { readonly kind: "wait"; readonly ms: number }
  | { readonly kind: "record"; readonly entry: RecordEntry }
  | { readonly kind: "finish"; readonly result: RegionResult };

/** What came of an action (or an interruption during it), and when (milliseconds, the adapter's clock). */
export type RegionEvent = { readonly at: number } & (
  | { readonly kind: "group"; readonly version?: string; readonly templateId?: string }
  | { readonly kind: "refreshes"; readonly refreshes: readonly RefreshObservation[] }
  | { readonly kind: "alarms"; readonly alarms: readonly AlarmObservation[] }
  | { readonly kind: "refresh"; readonly refresh?: RefreshObservation }
  | { readonly kind: "instances"; readonly verdict: InstancesVerdict }
  | {
      readonly kind: "bake-sample";
      readonly alarms: readonly AlarmObservation[];
      readonly instances: InstancesVerdict;
    }
  | { readonly kind: "planned"; readonly result: PlanResult }
  | { readonly kind: "applied"; readonly code: number; readonly output: string }
  | { readonly kind: "refresh-cancelled"; readonly outcome: CancelOutcome }
  | { readonly kind: "refresh-started"; readonly id: string }
  | { readonly kind: "waited" }
  | { readonly kind: "recorded" }
  | { readonly kind: "interrupted"; readonly signal: string }
);

export type PlanResult =
  | { readonly ok: true; readonly plan: TerraformPlanJson }
  | { readonly ok: false; readonly code: number; readonly output: string };

/** How the region's rollout ended. A failed Terraform run is told by the adapter, which reads its output. */
export type RegionResult =
  | { readonly kind: "succeeded"; readonly summary: string; readonly rollout?: string }
  | { readonly kind: "stopped"; readonly summary: string; readonly rollout?: string }
  | { readonly kind: "interrupted"; readonly summary: string }
  | { readonly kind: "failed"; readonly run: { readonly code: number; readonly output: string } };

export type RegionPhase =
  | { readonly name: "checking-baked" }
  | { readonly name: "reading-before" }
  | { readonly name: "reading-known-refreshes" }
  | { readonly name: "reading-alarms-before" }
  | { readonly name: "planning"; readonly stage: Stage }
  | { readonly name: "applying"; readonly stage: Stage; readonly startedAt: number }
  | { readonly name: "finding-refresh"; readonly stage: Stage; readonly appliedFrom: number }
  | { readonly name: "reading-version"; readonly stage: Stage; readonly refresh?: RefreshObservation }
  | { readonly name: "refreshing"; readonly stage: Stage; readonly version?: string; readonly watch: Watch }
  | {
      readonly name: "settling";
      readonly stage: Stage;
      readonly version?: string;
      readonly deadline: number;
      readonly pausing: boolean;
      /** Failed looks in a row. */
      readonly failures: number;
      /** When it last said what it waits for. */
      readonly lastLineAt: number;
      /** The first instance of a refresh at its checkpoint is being judged: the refresh's watch goes on after. */
      readonly resume?: Resume;
    }
  | { readonly name: "reading-bake-version" }
  | {
      readonly name: "baking";
      readonly version?: string;
      readonly templateId?: string;
      readonly startedAt: number;
      readonly endsAt: number;
      readonly lastLineAt: number;
      readonly pausing: boolean;
      /** Failed looks in a row. */
      readonly failures: number;
      /** The first instance of a refresh at its checkpoint is being baked: the refresh's watch goes on after. */
      readonly resume?: Resume;
    }
  /** The rollout stopped: the region is rolled back (rollout/rollback.ts), then it has stopped. */
  | { readonly name: "stopping"; readonly why: string; readonly rollback: RollbackStep }
  /** What the rollout proved or rejected is being written; then it ends with `result`. */
  | { readonly name: "recording"; readonly result: RegionResult }
  | { readonly name: "done"; readonly result: RegionResult };

export interface RegionState {
  readonly rollout: RegionRollout;
  readonly staging?: Staging;
  readonly phase: RegionPhase;
  /** The launch template version the group ran before the apply: what a stop rolls back to, when none baked. */
  readonly before?: TemplateVersion;
  /** Refreshes seen so far: a later stage must not take an earlier stage's refresh for its own. */
  readonly knownRefreshes: readonly RefreshObservation[];
  /** The refreshes this deploy's applies started: the only ones its rollback may cancel. */
  readonly started: readonly string[];
  /** The plan changes nothing, but the group runs a version that has not passed its bake: it is judged now. */
  readonly unbaked?: boolean;
  /** Alarms the bake does not count: in ALARM before anything was applied (until they clear), and the ignored. */
  readonly excused: ReadonlySet<string>;
  /** The launch template version the change runs as (its refresh's, or the one judged): what a rejected change ran as. */
  readonly judgedVersion?: string;
  /** Terraform's summary of each apply. */
  readonly applied: readonly string[];
  /** What the rollout saw pass: the refresh, the new instances, the bake. */
  readonly seen: readonly string[];
}

/** A transition: the state it leads to, the lines to print (in order), and the next action. */
export interface Step {
  readonly state: RegionState;
  readonly lines: readonly string[];
  readonly action: RegionAction;
}

/** The plan file of each stage. */
const STAGE_FILE: Readonly<Record<Stage, string>> = { only: "plan.tfplan", 1: "stage1.tfplan", 2: "stage2.tfplan" };

/**
 * The first step: a plan that brings back a rolled-back change is refused; one that changes nothing reads
 * the group, to see whether its version passed its bake; any other reads the group before anything changes.
 */
export function begin(rollout: RegionRollout): Step {
  const staging = stagingOf(rollout.plan);
  const state: RegionState = {
    rollout,
    ...(staging === undefined ? {} : { staging }),
    phase: { name: "reading-before" },
    knownRefreshes: [],
    started: [],
    excused: new Set(rollout.ignoreAlarms ?? []),
    applied: [],
    seen: [],
  };
  const rejected = rejectedChangeIn(rollout.plan, recordOf(rollout), {
    retry: rollout.retry ?? false,
    ...(rollout.reviewedAt === undefined ? {} : { reviewedAt: rollout.reviewedAt }),
  });
  if (rejected !== undefined) {
    const summary = refusalLine(rejected, rollout.reviewedAt !== undefined);
    return finish(state, [summary], { kind: "stopped", summary });
  }
  if (!altersResources(rollout.plan) && !changesOutputs(rollout.plan)) {
    return go(state, [], { phase: { name: "checking-baked" }, action: { kind: "read-group" } });
  }
  return { state, lines: [], action: { kind: "read-group" } };
}

/** The transition from a state on what came of its action. */
export function advance(state: RegionState, event: RegionEvent): Step {
  const { phase, rollout } = state;
  if (phase.name === "done") throw new Error("the region's rollout has ended");
  if (event.kind === "interrupted") {
    // An interruption ended a wait of the rollout: what was applied stays, and is judged by the next deploy.
    const applied = state.applied.length === 0 ? "" : ` (applied: ${state.applied.join(" ")})`;
    const summary = `interrupted by ${event.signal} while the rollout watched it${applied}; deploy again to judge it`;
    return finish(state, [summary], { kind: "interrupted", summary });
  }
  switch (phase.name) {
    case "checking-baked": {
      // Nothing to apply: done, unless the group runs a version no bake has passed (a deploy was cut short).
      const group = heard(event, "group");
      const { baked } = recordOf(rollout);
      if (group.version === undefined || group.templateId === undefined) return noChanges(state);
      if (baked?.version === group.version && baked.templateId === group.templateId) return noChanges(state);
      const last = baked === undefined ? "no bake recorded" : `the last baked is version ${baked.version}`;
      const line = `no changes, but launch template version ${group.version} has not passed its bake here (${last}): judging and baking it`;
      return settle({ ...state, unbaked: true }, [line], "only", group.version, event.at);
    }
    case "reading-before": {
      const group = heard(event, "group");
      const before =
        group.version === undefined || group.templateId === undefined
          ? {}
          : { before: { templateId: group.templateId, version: group.version } };
      return go({ ...state, ...before }, [], {
        phase: { name: "reading-known-refreshes" },
        action: { kind: "read-refreshes" },
      });
    }
    case "reading-known-refreshes":
      return go({ ...state, knownRefreshes: heard(event, "refreshes").refreshes }, [], {
        phase: { name: "reading-alarms-before" },
        action: { kind: "read-alarms" },
      });
    case "reading-alarms-before": {
      // An alarm already firing is the region's state, not this change's doing: the bake counts it only once it
      // has cleared and fires again.
      const firing = heard(event, "alarms")
        .alarms.filter((a) => a.state === "ALARM" && !state.excused.has(a.name))
        .map((a) => a.name)
        .sort();
      const ignored = [...state.excused].sort();
      const lines = [
        ...(firing.length === 0
          ? []
          : [
              `in ALARM before this deploy, so not held against it unless they clear and fire again: ${firing.join(", ")}`,
            ]),
        ...(ignored.length === 0 ? [] : [`not counted in the bake (--ignore-alarm): ${ignored.join(", ")}`]),
      ];
      const known = { ...state, excused: new Set([...state.excused, ...firing]) };
      if (state.staging === undefined) return applyStage(known, lines, "only", event.at);
      const line = `two stages: first the launch template and the group, so every instance runs what ${describeJudges(state.staging.judges)} will check; then the rest`;
      return planStage(known, [...lines, line], 1);
    }
    case "planning": {
      // The review check: a stage is planned afresh, and applied only when it stays within the reviewed plans.
      const { result } = heard(event, "planned");
      if (!result.ok) return finish(state, [], { kind: "failed", run: { code: result.code, output: result.output } });
      const file = STAGE_FILE[phase.stage];
      const within = compareStack(rollout.stack, rollout.reviewed, result.plan);
      if (!matchesReview([within])) {
        const name = file.replace(".tfplan", "");
        return stop(state, [], `${name} would change what was not reviewed: ${within.differences.join("; ")}`);
      }
      return applyStage(state, [], phase.stage, event.at);
    }
    case "applying": {
      const { code, output } = heard(event, "applied");
      if (code !== 0) return finish(state, [], { kind: "failed", run: { code, output } });
      return go({ ...state, applied: [...state.applied, completionLine(output)] }, [], {
        phase: { name: "finding-refresh", stage: phase.stage, appliedFrom: phase.startedAt },
        action: { kind: "read-refreshes" },
      });
    }
    case "finding-refresh": {
      const { refreshes } = heard(event, "refreshes");
      const refresh = startedRefresh(state.knownRefreshes, refreshes, new Date(phase.appliedFrom));
      const next = {
        ...state,
        knownRefreshes: refreshes,
        started: refresh === undefined ? state.started : [...state.started, refresh.id],
      };
      if (phase.stage === "only" && !changed(state)) return afterStage(next, [], phase.stage);
      return go(next, [], {
        phase: { name: "reading-version", stage: phase.stage, ...(refresh === undefined ? {} : { refresh }) },
        action: { kind: "read-group" },
      });
    }
    case "reading-version": {
      const { version } = heard(event, "group");
      if (rollout.instanceRefresh === false) {
        // Nothing replaces the instances: they are judged as they are, on whatever version they run.
        const keep =
          state.before === undefined || state.before.version === version
            ? []
            : [
                `instanceRefresh is off: the instances keep launch template version ${state.before.version} until they are replaced; new ones launch version ${version ?? "?"}`,
              ];
        return settle(state, keep, phase.stage, undefined, event.at);
      }
      if (phase.refresh === undefined) return settle(state, [], phase.stage, version, event.at);
      const first =
        rollout.checkpoint === undefined
          ? ""
          : `; one instance first (it stops at ${rollout.checkpoint.percentage}% for up to ${rollout.checkpoint.delaySeconds} s)`;
      const line = `instance refresh ${shortId(phase.refresh.id)} started: launch before terminate, to launch template version ${version ?? "?"}${first}`;
      const watch = watchStart(phase.refresh.id, event.at, version, "rollout", rollout.checkpoint);
      return go({ ...state, ...(version === undefined ? {} : { judgedVersion: version }) }, [line], {
        phase: { name: "refreshing", stage: phase.stage, ...(version === undefined ? {} : { version }), watch },
        action: { kind: "read-refresh", id: phase.refresh.id },
      });
    }
    case "refreshing": {
      const next = watchNext(phase.watch, event, rollout.pollMs);
      if (next.kind === "watching") {
        return go(state, next.lines, { phase: { ...phase, watch: next.watch }, action: next.action });
      }
      if (next.kind === "failed") return stop(state, next.lines, next.why);
      if (next.kind === "checkpoint") {
        const line = `refresh ${shortId(phase.watch.id)} stopped at its checkpoint (${next.percentage}%): judging its first instance on every port, then baking it`;
        const resume = { stage: phase.stage, watch: next.watch };
        return settle(state, [...next.lines, line], phase.stage, phase.version, event.at, resume);
      }
      const passed = { ...state, seen: [...state.seen, `refresh ${shortId(phase.watch.id)} Successful`] };
      return settle(passed, next.lines, phase.stage, phase.version, event.at);
    }
    case "settling": {
      if (phase.pausing) {
        heard(event, "waited");
        return go(state, [], {
          phase: { ...phase, pausing: false },
          action: { kind: "judge-instances", ...versionOf(phase) },
        });
      }
      const { verdict } = heard(event, "instances");
      if (verdict.kind === "unhealthy") {
        const failures = phase.failures + 1;
        if (failures >= FAILED_LOOKS_TO_STOP) return stop(state, [], `${verdict.why} (${failures} looks in a row)`);
        return go(state, [`${verdict.why} (${failures} of ${FAILED_LOOKS_TO_STOP} looks in a row to stop)`], {
          phase: { ...phase, failures, pausing: true },
          action: { kind: "wait", ms: rollout.pollMs },
        });
      }
      if (verdict.kind === "waiting") {
        if (event.at >= phase.deadline) return stop(state, [], `${verdict.why} after ${rollout.settleSeconds} s`);
        // A line at least once a minute: a slow boot is not a hang.
        const lineDue = event.at - phase.lastLineAt >= BAKE_LINE_EVERY_MS;
        const waited = Math.round((rollout.settleSeconds * 1000 - (phase.deadline - event.at)) / 1000);
        return go(state, lineDue ? [`waiting ${waited} of ${rollout.settleSeconds} s: ${verdict.why}`] : [], {
          phase: { ...phase, failures: 0, pausing: true, lastLineAt: lineDue ? event.at : phase.lastLineAt },
          action: { kind: "wait", ms: rollout.pollMs },
        });
      }
      const plural = verdict.instances === 1 ? "" : "s";
      const on = phase.version === undefined ? "" : ` on launch template version ${phase.version}`;
      const line = `${verdict.instances} instance${plural}${on} in service on all ${verdict.ports} ports`;
      if (phase.resume !== undefined) {
        const first = `first instance: ${line}`;
        return bake({ ...state, seen: [...state.seen, first] }, [first], event.at, phase.version, phase.resume);
      }
      return afterStage({ ...state, seen: [...state.seen, line] }, [line], phase.stage);
    }
    case "reading-bake-version": {
      const { version, templateId } = heard(event, "group");
      return bake(state, [], event.at, version, undefined, templateId);
    }
    case "baking": {
      if (phase.pausing) {
        heard(event, "waited");
        return go(state, [], {
          phase: { ...phase, pausing: false },
          action: { kind: "sample-bake", ...versionOf(phase) },
        });
      }
      const sample = heard(event, "bake-sample");
      // An excused alarm seen OK is excused no more: if it fires again during the bake, it counts.
      const excused = new Set(
        [...state.excused].filter(
          (name) =>
            (rollout.ignoreAlarms ?? []).includes(name) ||
            !sample.alarms.some((a) => a.name === name && a.state === "OK"),
        ),
      );
      const verdict = judgeBakeSample(sample.alarms, sample.instances, excused);
      const bakeOf = phase.resume === undefined ? "the bake" : "the first instance's bake";
      const into = `${Math.round((event.at - phase.startedAt) / 1000)} s into ${bakeOf}`;
      if (verdict.kind === "failed") {
        const failures = phase.failures + 1;
        if (failures >= FAILED_LOOKS_TO_STOP || event.at >= phase.endsAt) {
          return stop({ ...state, excused }, [], `${verdict.why}, ${into} (${failures} looks in a row)`);
        }
        return go(
          { ...state, excused },
          [`${verdict.why}, ${into} (${failures} of ${FAILED_LOOKS_TO_STOP} looks in a row to stop)`],
          {
            phase: { ...phase, failures, pausing: true },
            action: { kind: "wait", ms: Math.min(rollout.pollMs, Math.max(0, phase.endsAt - event.at)) },
          },
        );
      }
      const seconds = rollout.bakeSeconds;
      if (event.at >= phase.endsAt && phase.resume !== undefined) {
        // The first instance passed: the refresh replaces the rest once its checkpoint's delay ends.
        const line = `first instance baked ${seconds} s: no alarm in ALARM; the refresh replaces the rest when its checkpoint's wait ends`;
        const { stage, watch } = phase.resume;
        return go({ ...state, excused, seen: [...state.seen, `first instance baked ${seconds} s`] }, [line], {
          phase: { name: "refreshing", stage, ...versionOf(phase), watch },
          action: { kind: "read-refresh", id: watch.id },
        });
      }
      if (event.at >= phase.endsAt) {
        const health = sample.instances.kind === "healthy" ? "new instances healthy" : sample.instances.why;
        const baked = { ...state, seen: [...state.seen, `baked ${seconds} s, no alarm`] };
        const lines = [`baked ${seconds} s: no alarm in ALARM, ${health}`];
        const { version, templateId } = phase;
        if (version === undefined || templateId === undefined) return succeed(baked, lines);
        const entry = { kind: "baked", baked: { templateId, version, at: isoAt(event.at) } } as const;
        return recordThen(baked, lines, entry, successOf(baked));
      }
      const lineDue = event.at - phase.lastLineAt >= BAKE_LINE_EVERY_MS;
      return go(
        { ...state, excused },
        lineDue ? [bakeLine((phase.endsAt - event.at) / 1000, sample.alarms, sample.instances)] : [],
        {
          phase: { ...phase, failures: 0, pausing: true, lastLineAt: lineDue ? event.at : phase.lastLineAt },
          action: { kind: "wait", ms: Math.min(rollout.pollMs, phase.endsAt - event.at) },
        },
      );
    }
    case "stopping": {
      const { baked } = recordOf(rollout);
      const next = rollbackNext(phase.rollback, event, {
        ...(baked === undefined ? {} : { baked }),
        ...(state.before === undefined ? {} : { before: state.before }),
        own: state.started,
        pollMs: rollout.pollMs,
      });
      if (next.kind === "rolling-back") {
        return go(state, next.lines, { phase: { ...phase, rollback: next.step }, action: next.action });
      }
      const summary = `stopped: ${phase.why}; ${next.rolledBack}`;
      const result = stoppedResult(state, summary);
      const lines = [...next.lines, summary];
      // What was judged and failed is remembered, so that it does not come back unasked.
      const digest = launchTemplateDigest(rollout.plan);
      if (digest === undefined || (state.applied.length === 0 && state.unbaked !== true)) {
        return finish(state, lines, result);
      }
      const rejected = {
        digest,
        ...(state.judgedVersion === undefined ? {} : { version: state.judgedVersion }),
        at: isoAt(event.at),
        why: phase.why,
      };
      return recordThen(state, lines, { kind: "rejected", rejected }, result);
    }
    case "recording":
      heard(event, "recorded");
      return finish(state, [], phase.result);
  }
}

/** A stopped region's result: why, and what its applies did before the stop. */
function stoppedResult(state: RegionState, summary: string): RegionResult {
  const applied =
    state.applied.length === 0 ? {} : { rollout: `applied before it stopped: ${state.applied.join(" ")}` };
  return { kind: "stopped", summary, ...applied };
}

function recordOf(rollout: RegionRollout): RolloutRecord {
  return rollout.record ?? EMPTY_RECORD;
}

function isoAt(at: number): string {
  return new Date(at).toISOString();
}

function noChanges(state: RegionState): Step {
  return finish(state, [], { kind: "succeeded", summary: "No changes." });
}

/** Writes what the rollout proved or rejected, then ends with `result`. */
function recordThen(state: RegionState, lines: readonly string[], entry: RecordEntry, result: RegionResult): Step {
  return go(state, lines, { phase: { name: "recording", result }, action: { kind: "record", entry } });
}

/** How often a bake says it is alive. */
const BAKE_LINE_EVERY_MS = 60_000;

/** Whether the plan changes resources (not only outputs or imports): then the region is judged and baked. */
function changed(state: RegionState): boolean {
  return changesOf(state.rollout.plan).length > 0;
}

function versionOf(phase: { readonly version?: string }): { version?: string } {
  return phase.version === undefined ? {} : { version: phase.version };
}

function go(
  state: RegionState,
  lines: readonly string[],
  next: { readonly phase: RegionPhase; readonly action: RegionAction },
): Step {
  return { state: { ...state, phase: next.phase }, lines, action: next.action };
}

function finish(state: RegionState, lines: readonly string[], result: RegionResult): Step {
  return { state: { ...state, phase: { name: "done", result } }, lines, action: { kind: "finish", result } };
}

function heard<K extends RegionEvent["kind"]>(event: RegionEvent, kind: K): Extract<RegionEvent, { kind: K }> {
  if (event.kind !== kind) throw new Error(`the region's rollout waited for ${kind}, and heard ${event.kind}`);
  return event as Extract<RegionEvent, { kind: K }>;
}

function planStage(state: RegionState, lines: readonly string[], stage: 1 | 2): Step {
  const flags = stage === 1 && state.staging !== undefined ? targetFlags(state.staging) : [];
  return go(state, lines, {
    phase: { name: "planning", stage },
    action: { kind: "plan", file: STAGE_FILE[stage], flags },
  });
}

function applyStage(state: RegionState, lines: readonly string[], stage: Stage, at: number): Step {
  return go(state, lines, {
    phase: { name: "applying", stage, startedAt: at },
    action: { kind: "apply", file: STAGE_FILE[stage] },
  });
}

/** The new instances to a verdict: in service and healthy everywhere, or unhealthy, or still waiting at the deadline. */
function settle(
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
function bake(
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
function afterStage(state: RegionState, lines: readonly string[], stage: Stage): Step {
  if (stage === 1) return planStage(state, lines, 2);
  if (!changed(state) && state.unbaked !== true) return succeed(state, lines);
  return go(state, lines, { phase: { name: "reading-bake-version" }, action: { kind: "read-group" } });
}

function succeed(state: RegionState, lines: readonly string[]): Step {
  return finish(state, lines, successOf(state));
}

function successOf(state: RegionState): RegionResult {
  const { applied, seen } = state;
  const none = state.unbaked === true ? "No changes." : "done";
  const summary = applied.length > 1 ? applied.map((a, i) => `stage ${i + 1}: ${a}`).join(" ") : (applied[0] ?? none);
  return { kind: "succeeded", summary, ...(seen.length === 0 ? {} : { rollout: seen.join("; ") }) };
}

/** Stops the rollout at this region: rolls it back first, if the change replaced its instances. */
function stop(state: RegionState, lines: readonly string[], why: string): Step {
  if (state.rollout.instanceRefresh === false) {
    const summary = `stopped: ${why}; nothing rolled back: instanceRefresh is off, so no instance was replaced`;
    return finish(state, [...lines, `stopping the rollout: ${why}`, summary], stoppedResult(state, summary));
  }
  return go(state, [...lines, `stopping the rollout: ${why}`], {
    phase: { name: "stopping", why, rollback: ROLLBACK_START.step },
    action: ROLLBACK_START.action,
  });
}
