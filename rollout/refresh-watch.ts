/*
 * Pure: watching one instance refresh to its end, a part of the region's rollout (rollout/machine.ts) used
 * twice: for the refresh an apply started, and for the rollback's. Each round reads the refresh (a line when
 * what it reports changes); while it runs, the new instances are judged, and one its group calls Unhealthy
 * ends the watch early with the refresh cancelled (a bad release shows there first), as does a refresh still
 * running after two hours; otherwise a pause, and the next round.
 */
import {
  judgeRefresh,
  refreshLine,
  shortId,
  type InstancesVerdict,
  type RefreshObservation,
  type RefreshStatus,
} from "./verdicts";

/** A refresh still running after this long stops the rollout (and is cancelled). */
export const REFRESH_TIMEOUT_SECONDS = 2 * 60 * 60;

export interface Watch {
  readonly id: string;
  /** The launch template version whose instances are judged while it runs; every in-service one when undefined. */
  readonly version?: string;
  readonly deadline: number;
  /** The last line printed, so a line is printed only when what the refresh reports changes. */
  readonly lastLine: string;
  /** What the watch waits to hear. */
  readonly awaiting: "refresh" | "instances" | "pause" | "cancel";
  /** The status it last read, for the timeout's message. */
  readonly status?: RefreshStatus;
  /** Why it ends, once it decided to cancel the refresh. */
  readonly failing?: string;
}

/** The events a watch hears (a subset of the region's, rollout/machine.ts). */
export type WatchEvent =
  | { readonly kind: "refresh"; readonly refresh?: RefreshObservation; readonly at: number }
  | { readonly kind: "instances"; readonly verdict: InstancesVerdict; readonly at: number }
  | { readonly kind: "waited"; readonly at: number }
  | { readonly kind: "refresh-cancelled"; readonly at: number };

/** The actions a watch asks for (a subset of the region's). */
export type WatchAction =
  | { readonly kind: "read-refresh"; readonly id: string }
  | { readonly kind: "judge-instances"; readonly version?: string }
  | { readonly kind: "wait"; readonly ms: number }
  | { readonly kind: "cancel-refresh" };

export type WatchNext = { readonly lines: readonly string[] } & (
  | { readonly kind: "watching"; readonly watch: Watch; readonly action: WatchAction }
  | { readonly kind: "succeeded" }
  | { readonly kind: "failed"; readonly why: string }
);

/** A watch of refresh `id` from `at`: its first action reads the refresh. */
export function watchStart(id: string, at: number, version: string | undefined): Watch {
  return {
    id,
    ...(version === undefined ? {} : { version }),
    deadline: at + REFRESH_TIMEOUT_SECONDS * 1000,
    lastLine: "",
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
      const lines = line === watch.lastLine ? [] : [line];
      const verdict = judgeRefresh(refresh);
      if (verdict.kind === "succeeded") return { kind: "succeeded", lines };
      if (verdict.kind === "failed") return { kind: "failed", lines, why: verdict.why };
      return {
        kind: "watching",
        lines,
        watch: { ...watch, lastLine: line, status: refresh.status, awaiting: "instances" },
        action: { kind: "judge-instances", ...(watch.version === undefined ? {} : { version: watch.version }) },
      };
    }
    case "instances": {
      const early = heard.verdict;
      const id = shortId(watch.id);
      const failing =
        early.kind === "unhealthy" && early.why.includes("Unhealthy for its Auto Scaling group")
          ? `${early.why} while the refresh ran (refresh ${id} cancelled)`
          : heard.at > watch.deadline
            ? `instance refresh ${id} still ${watch.status ?? "running"} after ${REFRESH_TIMEOUT_SECONDS} s (cancelled)`
            : undefined;
      if (failing !== undefined) {
        return {
          kind: "watching",
          lines: [],
          watch: { ...watch, failing, awaiting: "cancel" },
          action: { kind: "cancel-refresh" },
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
    case "refresh-cancelled":
      return { kind: "failed", lines: [], why: watch.failing ?? `instance refresh ${shortId(watch.id)} cancelled` };
  }
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
