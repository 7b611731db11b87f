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
import { altersResources, changesOutputs } from "../terraform/plan-json";
import { describeJudges, stagingOf } from "./stages";
import { judgeBakeSample, bakeLine, shortId, startedRefresh } from "./verdicts";
import { watchNext, watchStart } from "./refresh-watch";
import { rollbackNext } from "./rollback";
import { budgetSpentWhy } from "./budget";
import { launchTemplateDigest, refusalLine, rejectedChangeIn } from "./record";
import {
  FAILED_LOOKS_TO_STOP,
  type RegionEvent,
  type RegionRollout,
  type RegionState,
  type Step,
} from "./region-rollout";
import {
  afterStage,
  applyStage,
  bake,
  BAKE_LINE_EVERY_MS,
  changed,
  finish,
  go,
  heard,
  isoAt,
  noChanges,
  planStage,
  recordOf,
  recordThen,
  settle,
  STAGE_FILE,
  stop,
  stoppedResult,
  succeed,
  successOf,
  versionOf,
} from "./region-steps";

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
  if ((phase.name === "reading-before" || phase.name === "checking-baked") && pastDeadline(rollout, event.at)) {
    // The deploy's budget was spent before this region began: it is left as it is, and so are those after it.
    const summary = `stopped: ${budgetSpentWhy("earlier regions rolled out")}; nothing applied here`;
    return finish(state, [summary], { kind: "stopped", summary });
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
      const watch = watchStart(phase.refresh.id, event.at, version, "rollout", rollout.checkpoint, rollout.deadline);
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
      if (next.kind === "failed") return stop(state, next.lines, next.why, next.outOfTime === true);
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
        if (pastDeadline(rollout, event.at)) return stop(state, [], budgetSpentWhy(`waiting: ${verdict.why}`), true);
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
      if (pastDeadline(rollout, event.at)) {
        const left = Math.round((phase.endsAt - event.at) / 1000);
        return stop({ ...state, excused }, [], budgetSpentWhy(`baking, ${left} s of the bake left`), true);
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
      // What was judged and failed is remembered, so that it does not come back unasked; a change the budget
      // stopped was not judged, and may simply be deployed again.
      const digest = launchTemplateDigest(rollout.plan);
      if (digest === undefined || phase.outOfTime === true || (state.applied.length === 0 && state.unbaked !== true)) {
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

/** Whether the deploy's budget (rollout/budget.ts) is spent: the rollout moves forward no more. */
function pastDeadline(rollout: RegionRollout, at: number): boolean {
  return rollout.deadline !== undefined && at >= rollout.deadline;
}
