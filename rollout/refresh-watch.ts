/*
 * Pure: watching one instance refresh to its end, a part of the region's rollout (rollout/machine.ts) used
 * twice: for the refresh an apply started, and for the rollback's. Each round reads the refresh (a line when
 * what it reports changes, and at least once a minute); otherwise a pause, and the next round.
 *
 * A rollout's refresh: while it runs, the new instances are judged, and one its group calls Unhealthy ends
 * the watch early with the refresh cancelled (a bad release shows there first), as does a refresh still
 * running after two hours. A refresh with a checkpoint (rollout/checkpoint.ts) is handed back once, when it
 * stops there, for its first instance to be judged and baked; then the watch goes on. A rollback's refresh is never cancelled: the instances it replaces are the bad
 * ones, and stopping it halfway leaves a mix. It is judged on its own end, and given ROLLBACK_TIMEOUT_SECONDS
 * before the deploy stops watching it (it goes on in AWS).
 */
import { atCheckpoint, type Checkpoint } from "./checkpoint";
import { budgetSpentWhy, REFRESH_TIMEOUT_SECONDS, ROLLBACK_TIMEOUT_SECONDS } from "./budget";
import {
  judgeRefresh,
  refreshLine,
  shortId,
  type InstancesVerdict,
  type RefreshObservation,
  type RefreshStatus,
} from "./verdicts";

/** A line at least this often while a refresh reports nothing new: a slow refresh is not a hang. */
const QUIET_LINE_EVERY_MS = 60_000;

export interface Watch {
  readonly id: string;
  /** A rollout's refresh (judged on its new instances, cancelled on a bad one) or a rollback's (left to end). */
  readonly purpose: "rollout" | "rollback";
  /** The launch template version whose instances are judged while it runs; every in-service one when undefined. */
  readonly version?: string;
  readonly deadline: number;
  /** The last line printed, so a line is printed only when what the refresh reports changes. */
  readonly lastLine: string;
  /** When a line was last printed. */
  readonly lastLineAt: number;
  /** What the watch waits to hear. */
  readonly awaiting: "refresh" | "instances" | "pause" | "cancel";
  /** The status it last read, for the timeout's message. */
  readonly status?: RefreshStatus;
  /** Why it ends, once it decided to cancel the refresh. */
  readonly failing?: string;
  /** It ends because the deploy's budget did, not on a verdict. */
  readonly outOfTime?: boolean;
  /** Where a rollout's refresh stops for its first instance, until that was handed back. */
  readonly checkpoint?: Checkpoint;
  /** When the deploy's budget ends (rollout/budget.ts): a rollout's refresh still running then is cancelled. */
  readonly budgetEnd?: number;
}

/** The events a watch hears (a subset of the region's, rollout/machine.ts). */
export type WatchEvent =
  | { readonly kind: "refresh"; readonly refresh?: RefreshObservation; readonly at: number }
  | { readonly kind: "instances"; readonly verdict: InstancesVerdict; readonly at: number }
  | { readonly kind: "waited"; readonly at: number }
  | { readonly kind: "refresh-cancelled"; readonly outcome: CancelOutcome; readonly at: number };

/**
 * What came of cancelling a refresh by its id: cancelled; it had ended already; or another refresh is the
 * group's active one (AWS cancels the active refresh of a group, so that one is left alone).
 */
export type CancelOutcome =
  | { readonly kind: "cancelled" }
  | { readonly kind: "ended" }
  | { readonly kind: "another-active"; readonly activeId: string };

/** The actions a watch asks for (a subset of the region's). */
export type WatchAction =
  | { readonly kind: "read-refresh"; readonly id: string }
  | { readonly kind: "judge-instances"; readonly version?: string }
  | { readonly kind: "wait"; readonly ms: number }
  | { readonly kind: "cancel-refresh"; readonly id: string };

export type WatchNext = { readonly lines: readonly string[] } & (
  | { readonly kind: "watching"; readonly watch: Watch; readonly action: WatchAction }
  /** The refresh stopped at its checkpoint: judge and bake its first instance, then go on with `watch`. */
  | { readonly kind: "checkpoint"; readonly watch: Watch; readonly percentage: number }
  | { readonly kind: "succeeded" }
  /** `outOfTime`: the deploy's budget ended it, not a verdict on the change. */
  | { readonly kind: "failed"; readonly why: string; readonly outOfTime?: boolean }
);

/** A watch of refresh `id` from `at`: its first action reads the refresh. */
export function watchStart(
  id: string,
  at: number,
  version: string | undefined,
  purpose: Watch["purpose"] = "rollout",
  checkpoint?: Checkpoint,
  budgetEnd?: number,
): Watch {
  const seconds = purpose === "rollout" ? REFRESH_TIMEOUT_SECONDS : ROLLBACK_TIMEOUT_SECONDS;
  return {
    id,
    purpose,
    ...(budgetEnd === undefined || purpose === "rollback" ? {} : { budgetEnd }),
    ...(version === undefined ? {} : { version }),
    ...(checkpoint === undefined || purpose === "rollback" ? {} : { checkpoint }),
    deadline: at + seconds * 1000,
    lastLine: "",
    lastLineAt: at,
    awaiting: "refresh",
  };
}

/** The watch's next round on what it heard. */
export function watchNext(
  watch: Watch,
  event: { readonly kind: string; readonly at: number },
  pollMs: number,
): WatchNext {
  const heard = event as WatchEvent;
  if (heard.kind !== expected(watch)) {
    throw new Error(`the refresh watch waited for ${expected(watch)}, and heard ${event.kind}`);
  }
  switch (heard.kind) {
    case "refresh": {
      const { refresh } = heard;
      if (refresh === undefined) {
        return { kind: "failed", lines: [], why: `instance refresh ${shortId(watch.id)} is not reported by AWS` };
      }
      const line = refreshLine(refresh);
      const quiet = heard.at - watch.lastLineAt >= QUIET_LINE_EVERY_MS;
      const lines =
        line !== watch.lastLine
          ? [line]
          : quiet
            ? [`${line} (unchanged; watched for ${secondsSince(watch, heard.at)} s)`]
            : [];
      const lastLineAt = lines.length > 0 ? heard.at : watch.lastLineAt;
      const verdict = judgeRefresh(refresh);
      if (verdict.kind === "succeeded") return { kind: "succeeded", lines };
      if (verdict.kind === "failed") return { kind: "failed", lines, why: verdict.why };
      const seen = { ...watch, lastLine: line, lastLineAt, status: refresh.status };
      if (watch.purpose === "rollback") {
        if (heard.at > watch.deadline) {
          const why = `instance refresh ${shortId(watch.id)} still ${refresh.status} after ${ROLLBACK_TIMEOUT_SECONDS} s; not cancelled, it goes on in AWS`;
          return { kind: "failed", lines, why };
        }
        return { kind: "watching", lines, watch: { ...seen, awaiting: "pause" }, action: { kind: "wait", ms: pollMs } };
      }
      if (watch.checkpoint !== undefined && atCheckpoint(watch.checkpoint, refresh)) {
        // Handed back once: after the first instance's bake, the watch goes on without its checkpoint.
        const { percentage } = watch.checkpoint;
        const { checkpoint: _handedBack, ...rest } = seen;
        return { kind: "checkpoint", lines, watch: { ...rest, awaiting: "refresh" }, percentage };
      }
      return {
        kind: "watching",
        lines,
        watch: { ...seen, awaiting: "instances" },
        action: { kind: "judge-instances", ...(watch.version === undefined ? {} : { version: watch.version }) },
      };
    }
    case "instances": {
      const ending = earlyEnd(watch, heard.verdict, heard.at);
      if (ending !== undefined) {
        return {
          kind: "watching",
          lines: [],
          watch: { ...watch, ...ending, awaiting: "cancel" },
          action: { kind: "cancel-refresh", id: watch.id },
        };
      }
      return {
        kind: "watching",
        lines: [],
        watch: { ...watch, awaiting: "pause" },
        action: { kind: "wait", ms: pollMs },
      };
    }
    case "waited":
      return {
        kind: "watching",
        lines: [],
        watch: { ...watch, awaiting: "refresh" },
        action: { kind: "read-refresh", id: watch.id },
      };
    case "refresh-cancelled": {
      const why = watch.failing ?? `instance refresh ${shortId(watch.id)} cancelled`;
      const { outcome } = heard;
      const late = watch.outOfTime === true ? { outOfTime: true } : {};
      if (outcome.kind === "cancelled") return { kind: "failed", lines: [], why, ...late };
      const not =
        outcome.kind === "ended"
          ? "it had ended already"
          : `refresh ${shortId(outcome.activeId)}, not this deploy's, is the group's active one and was left alone`;
      return { kind: "failed", lines: [`refresh ${shortId(watch.id)} not cancelled: ${not}`], why, ...late };
    }
  }
}

/**
 * Why a rollout's refresh ends before its own end, if it does: a new instance its group calls Unhealthy, the
 * refresh's timeout, or the deploy's budget (which is no verdict on the change: `outOfTime`).
 */
function earlyEnd(watch: Watch, early: InstancesVerdict, at: number): Pick<Watch, "failing" | "outOfTime"> | undefined {
  const id = shortId(watch.id);
  if (early.kind === "unhealthy" && early.why.includes("Unhealthy for its Auto Scaling group")) {
    return { failing: `${early.why} while the refresh ran (refresh ${id} cancelled)` };
  }
  const status = watch.status ?? "running";
  if (at > watch.deadline) {
    return { failing: `instance refresh ${id} still ${status} after ${REFRESH_TIMEOUT_SECONDS} s (cancelled)` };
  }
  if (watch.budgetEnd !== undefined && at >= watch.budgetEnd) {
    return {
      failing: `${budgetSpentWhy(`instance refresh ${id} was ${status}`)} (refresh cancelled)`,
      outOfTime: true,
    };
  }
  return undefined;
}

function secondsSince(watch: Watch, at: number): number {
  const seconds = watch.purpose === "rollout" ? REFRESH_TIMEOUT_SECONDS : ROLLBACK_TIMEOUT_SECONDS;
  return Math.round((at - (watch.deadline - seconds * 1000)) / 1000);
}

function expected(watch: Watch): WatchEvent["kind"] {
  switch (watch.awaiting) {
    case "refresh":
      return "refresh";
    case "instances":
      return "instances";
    case "pause":
      return "waited";
    case "cancel":
      return "refresh-cancelled";
  }
}
