/*
 * Pure: the rollback of a region whose rollout stopped, a part of its state machine (rollout/machine.ts). It
 * reads the group to see what the change did and where to go back to (rollout/verdicts.ts, rollbackAction:
 * the last version that passed its bake, else the one before the deploy). When the instances must go back,
 * it cancels a refresh of this deploy still running (by its id; someone else's is left alone, and nothing is
 * rolled back under it) and waits a bounded time for it to end, starts a refresh to that version, and
 * watches it to its end (rollout/refresh-watch.ts): judged on its own status, never cancelled by the
 * instances it replaces. Then it reads the group once more: AWS moves the group's own launch template to the
 * restored version when such a refresh succeeds, so a scale-out launches the good one.
 * It ends with what was rolled back, in words, for the stopped region's summary.
 */
import { judgeRefresh, rollbackAction, shortId, type RefreshObservation, type TemplateVersion } from "./verdicts";
import { watchNext, watchStart, type CancelOutcome, type Watch } from "./refresh-watch";
import { CANCEL_TIMEOUT_SECONDS } from "./budget";

/** How far a rollback has come. */
export type RollbackStep =
  | { readonly name: "reading-group" }
  | { readonly name: "finding-active-refresh"; readonly to: TemplateVersion }
  | { readonly name: "cancelling-active-refresh"; readonly to: TemplateVersion; readonly activeId: string }
  | {
      readonly name: "draining-active-refresh";
      readonly to: TemplateVersion;
      readonly activeId: string;
      readonly pausing: boolean;
      readonly deadline: number;
    }
  | { readonly name: "starting-refresh"; readonly to: TemplateVersion }
  | { readonly name: "watching-refresh"; readonly to: TemplateVersion; readonly watch: Watch }
  | { readonly name: "reading-restored-group"; readonly to: TemplateVersion; readonly refreshId: string };

/** What the rollback knows besides what it hears. */
export interface RollbackContext {
  /** The last version that passed its bake in the region. */
  readonly baked?: TemplateVersion;
  /** What the group ran before this deploy applied anything. */
  readonly before?: TemplateVersion;
  /** The refreshes this deploy started: the only ones it may cancel. */
  readonly own: readonly string[];
  readonly pollMs: number;
}

/** The events a rollback hears (a subset of the region's, rollout/machine.ts). */
type RollbackEvent = { readonly at: number } & (
  | { readonly kind: "group"; readonly version?: string; readonly templateId?: string }
  | { readonly kind: "refreshes"; readonly refreshes: readonly RefreshObservation[] }
  | { readonly kind: "refresh"; readonly refresh?: RefreshObservation }
  | { readonly kind: "refresh-cancelled"; readonly outcome: CancelOutcome }
  | { readonly kind: "refresh-started"; readonly id: string }
  | { readonly kind: "waited" }
);

/** The actions a rollback asks for (a subset of the region's). */
export type RollbackAction =
  | { readonly kind: "read-group" }
  | { readonly kind: "read-refreshes" }
  | { readonly kind: "read-refresh"; readonly id: string }
  | { readonly kind: "judge-instances"; readonly version?: string }
  | { readonly kind: "cancel-refresh"; readonly id: string }
  | { readonly kind: "start-refresh"; readonly templateId: string; readonly version: string }
  | { readonly kind: "wait"; readonly ms: number };

export type RollbackNext = { readonly lines: readonly string[] } & (
  | { readonly kind: "rolling-back"; readonly step: RollbackStep; readonly action: RollbackAction }
  /** `rolled back: …` or `nothing rolled back: …`; `restored` when the instances went back. */
  | { readonly kind: "ended"; readonly rolledBack: string; readonly restored?: TemplateVersion }
);

/** The first step: read the group, to compare what it launches with where to go back to. */
export const ROLLBACK_START = {
  step: { name: "reading-group" },
  action: { kind: "read-group" },
} as const satisfies { step: RollbackStep; action: RollbackAction };

/** The rollback's next step on what it heard. */
export function rollbackNext(
  step: RollbackStep,
  event: { readonly kind: string; readonly at: number },
  context: RollbackContext,
): RollbackNext {
  const heard = <K extends RollbackEvent["kind"]>(kind: K): Extract<RollbackEvent, { kind: K }> => {
    if (event.kind !== kind) throw new Error(`the rollback (${step.name}) waited for ${kind}, and heard ${event.kind}`);
    return event as Extract<RollbackEvent, { kind: K }>;
  };
  switch (step.name) {
    case "reading-group": {
      const group = heard("group");
      const now =
        group.version === undefined || group.templateId === undefined
          ? undefined
          : { templateId: group.templateId, version: group.version };
      const action = rollbackAction({
        ...(context.baked === undefined ? {} : { baked: context.baked }),
        ...(context.before === undefined ? {} : { before: context.before }),
        ...(now === undefined ? {} : { now }),
      });
      if (action.kind === "none") return { kind: "ended", lines: [], rolledBack: `nothing rolled back: ${action.why}` };
      return rollingBack(
        [`rollback: to launch template version ${action.to.version}, ${action.why}`],
        { name: "finding-active-refresh", to: action.to },
        { kind: "read-refreshes" },
      );
    }
    case "finding-active-refresh": {
      const active = heard("refreshes").refreshes.find(running);
      if (active === undefined) return startRefresh([], step.to);
      if (!context.own.includes(active.id)) {
        return {
          kind: "ended",
          lines: [],
          rolledBack: `nothing rolled back: refresh ${shortId(active.id)}, not started by this deploy, is running in the group (${active.status}); it was left alone, and no rollback was started under it`,
        };
      }
      return rollingBack(
        [`rollback: cancelling refresh ${shortId(active.id)} first`],
        { name: "cancelling-active-refresh", to: step.to, activeId: active.id },
        { kind: "cancel-refresh", id: active.id },
      );
    }
    case "cancelling-active-refresh": {
      const { outcome } = heard("refresh-cancelled");
      if (outcome.kind === "another-active") {
        return {
          kind: "ended",
          lines: [],
          rolledBack: `nothing rolled back: refresh ${shortId(outcome.activeId)}, not started by this deploy, became the group's active one; it was left alone`,
        };
      }
      return rollingBack(
        [],
        {
          name: "draining-active-refresh",
          to: step.to,
          activeId: step.activeId,
          pausing: false,
          deadline: event.at + CANCEL_TIMEOUT_SECONDS * 1000,
        },
        { kind: "read-refresh", id: step.activeId },
      );
    }
    case "draining-active-refresh": {
      if (step.pausing) {
        heard("waited");
        return rollingBack([], { ...step, pausing: false }, { kind: "read-refresh", id: step.activeId });
      }
      const { refresh } = heard("refresh");
      if (refresh === undefined || !running(refresh)) return startRefresh([], step.to);
      if (event.at > step.deadline) {
        return {
          kind: "ended",
          lines: [],
          rolledBack: `nothing rolled back: refresh ${shortId(step.activeId)} was cancelled but is still ${refresh.status} after ${CANCEL_TIMEOUT_SECONDS} s (docs/runbook.md, "A rollout stopped")`,
        };
      }
      return rollingBack([], { ...step, pausing: true }, { kind: "wait", ms: context.pollMs });
    }
    case "starting-refresh": {
      const { id } = heard("refresh-started");
      return rollingBack(
        [],
        { name: "watching-refresh", to: step.to, watch: watchStart(id, event.at, step.to.version, "rollback") },
        { kind: "read-refresh", id },
      );
    }
    case "watching-refresh": {
      const next = watchNext(step.watch, event, context.pollMs);
      const lines = next.lines.map((line) => `rollback: ${line}`);
      if (next.kind === "watching") return rollingBack(lines, { ...step, watch: next.watch }, next.action);
      const { version } = step.to;
      if (next.kind === "failed") {
        return {
          kind: "ended",
          lines,
          rolledBack: `rolled back: the rollback to launch template version ${version} did not finish: ${next.why}; the group may run a mix of versions (docs/runbook.md, "A rollout stopped")`,
        };
      }
      return rollingBack(
        lines,
        { name: "reading-restored-group", to: step.to, refreshId: step.watch.id },
        { kind: "read-group" },
      );
    }
    case "reading-restored-group": {
      const group = heard("group");
      const { version } = step.to;
      const refresh = `refresh ${shortId(step.refreshId)} Successful`;
      const rolledBack =
        group.version === version && group.templateId === step.to.templateId
          ? `rolled back: instances and the group back on launch template version ${version} (${refresh})`
          : `rolled back: instances back on launch template version ${version} (${refresh}), but the group still launches version ${group.version ?? "?"}: a scale-out would launch it (docs/runbook.md, "A rollout stopped")`;
      return { kind: "ended", lines: [], rolledBack, restored: step.to };
    }
  }
}

function running(refresh: RefreshObservation): boolean {
  return judgeRefresh(refresh).kind === "running";
}

function rollingBack(lines: readonly string[], step: RollbackStep, action: RollbackAction): RollbackNext {
  return { kind: "rolling-back", lines, step, action };
}

function startRefresh(lines: readonly string[], to: TemplateVersion): RollbackNext {
  return rollingBack(
    [...lines, `rollback: refreshing the instances back to launch template version ${to.version}`],
    { name: "starting-refresh", to },
    { kind: "start-refresh", templateId: to.templateId, version: to.version },
  );
}
