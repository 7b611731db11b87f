/*
 * Pure: the rollback of a region whose rollout stopped, a part of its state machine (rollout/machine.ts). It
 * reads the group to see what the change did (rollout/verdicts.ts, rollbackAction); when the change replaced
 * instances, it cancels a refresh still running and waits for it to end, starts a refresh back to the launch
 * template version the group ran before the apply, and watches that one like any (rollout/refresh-watch.ts).
 * It ends with what was rolled back, in words, for the stopped region's summary.
 */
import { judgeRefresh, rollbackAction, shortId, type RefreshObservation } from "./verdicts";
import { watchNext, watchStart, type Watch } from "./refresh-watch";

/** Where the instances go back to. */
export interface RollbackTarget {
  readonly templateId: string;
  readonly toVersion: string;
}

/** How far a rollback has come. */
export type RollbackStep =
  | { readonly name: "reading-group" }
  | { readonly name: "finding-active-refresh"; readonly target: RollbackTarget }
  | { readonly name: "cancelling-active-refresh"; readonly target: RollbackTarget; readonly activeId: string }
  | {
      readonly name: "draining-active-refresh";
      readonly target: RollbackTarget;
      readonly activeId: string;
      readonly pausing: boolean;
    }
  | { readonly name: "starting-refresh"; readonly target: RollbackTarget }
  | { readonly name: "watching-refresh"; readonly target: RollbackTarget; readonly watch: Watch };

/** The events a rollback hears (a subset of the region's, rollout/machine.ts). */
type RollbackEvent = { readonly at: number } & (
  | { readonly kind: "group"; readonly version?: string; readonly templateId?: string }
  | { readonly kind: "refreshes"; readonly refreshes: readonly RefreshObservation[] }
  | { readonly kind: "refresh"; readonly refresh?: RefreshObservation }
  | { readonly kind: "refresh-cancelled" }
  | { readonly kind: "refresh-started"; readonly id: string }
  | { readonly kind: "waited" }
);

/** The actions a rollback asks for (a subset of the region's). */
export type RollbackAction =
  | { readonly kind: "read-group" }
  | { readonly kind: "read-refreshes" }
  | { readonly kind: "read-refresh"; readonly id: string }
  | { readonly kind: "judge-instances"; readonly version?: string }
  | { readonly kind: "cancel-refresh" }
  | { readonly kind: "start-refresh"; readonly templateId: string; readonly version: string }
  | { readonly kind: "wait"; readonly ms: number };

export type RollbackNext = { readonly lines: readonly string[] } & (
  | { readonly kind: "rolling-back"; readonly step: RollbackStep; readonly action: RollbackAction }
  /** `rolled back: …` or `nothing rolled back: …`. */
  | { readonly kind: "ended"; readonly rolledBack: string }
);

/** The first step: read the group, to compare its version with the one before the apply. */
export const ROLLBACK_START = {
  step: { name: "reading-group" },
  action: { kind: "read-group" },
} as const satisfies { step: RollbackStep; action: RollbackAction };

/** The rollback's next step on what it heard; `before` is the version the group ran before the apply. */
export function rollbackNext(
  step: RollbackStep,
  event: { readonly kind: string; readonly at: number },
  before: string | undefined,
  pollMs: number,
): RollbackNext {
  const heard = <K extends RollbackEvent["kind"]>(kind: K): Extract<RollbackEvent, { kind: K }> => {
    if (event.kind !== kind) throw new Error(`the rollback (${step.name}) waited for ${kind}, and heard ${event.kind}`);
    return event as Extract<RollbackEvent, { kind: K }>;
  };
  switch (step.name) {
    case "reading-group": {
      const after = heard("group");
      const action = rollbackAction({
        ...(before === undefined ? {} : { before }),
        ...(after.version === undefined ? {} : { after: after.version }),
      });
      if (action.kind === "refresh" && after.templateId !== undefined) {
        const target = { templateId: after.templateId, toVersion: action.toVersion };
        return rollingBack([], { name: "finding-active-refresh", target }, { kind: "read-refreshes" });
      }
      const why = action.kind === "none" ? action.why : "the group has no launch template";
      return { kind: "ended", lines: [], rolledBack: `nothing rolled back: ${why}` };
    }
    case "finding-active-refresh": {
      const active = heard("refreshes").refreshes.find(running);
      if (active === undefined) return startRefresh([], step.target);
      return rollingBack(
        [`rollback: cancelling refresh ${shortId(active.id)} first`],
        { name: "cancelling-active-refresh", target: step.target, activeId: active.id },
        { kind: "cancel-refresh" },
      );
    }
    case "cancelling-active-refresh":
      heard("refresh-cancelled");
      return rollingBack(
        [],
        { name: "draining-active-refresh", target: step.target, activeId: step.activeId, pausing: false },
        { kind: "read-refresh", id: step.activeId },
      );
    case "draining-active-refresh": {
      if (step.pausing) {
        heard("waited");
        return rollingBack([], { ...step, pausing: false }, { kind: "read-refresh", id: step.activeId });
      }
      const { refresh } = heard("refresh");
      if (refresh === undefined || !running(refresh)) return startRefresh([], step.target);
      return rollingBack([], { ...step, pausing: true }, { kind: "wait", ms: pollMs });
    }
    case "starting-refresh": {
      const { id } = heard("refresh-started");
      return rollingBack(
        [],
        { name: "watching-refresh", target: step.target, watch: watchStart(id, event.at, undefined) },
        { kind: "read-refresh", id },
      );
    }
    case "watching-refresh": {
      const next = watchNext(step.watch, event, pollMs);
      const lines = next.lines.map((line) => `rollback: ${line}`);
      if (next.kind === "watching") return rollingBack(lines, { ...step, watch: next.watch }, next.action);
      const { toVersion } = step.target;
      const rolledBack =
        next.kind === "succeeded"
          ? `instances back on launch template version ${toVersion} (refresh ${shortId(step.watch.id)} Successful)`
          : `the rollback to launch template version ${toVersion} did not finish: ${next.why}; the group may run a mix of versions (docs/runbook.md, "A rollout stopped")`;
      return { kind: "ended", lines, rolledBack: `rolled back: ${rolledBack}` };
    }
  }
}

function running(refresh: RefreshObservation): boolean {
  return judgeRefresh(refresh).kind === "running";
}

function rollingBack(lines: readonly string[], step: RollbackStep, action: RollbackAction): RollbackNext {
  return { kind: "rolling-back", lines, step, action };
}

function startRefresh(lines: readonly string[], target: RollbackTarget): RollbackNext {
  return rollingBack(
    [...lines, `rollback: refreshing the instances back to launch template version ${target.toVersion}`],
    { name: "starting-refresh", target },
    { kind: "start-refresh", templateId: target.templateId, version: target.toVersion },
  );
}
