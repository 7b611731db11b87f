import { instanceApiPath } from "./instance-api";
import { runitServiceName } from "../fleet/names";

/*
 * Pure: the liveness watchdog each instance runs as one more runit service. The load balancers judge
 * readiness (may this process get traffic now?); the watchdog judges liveness (is this process still
 * alive?), on the host, where the fix is cheap: restart the one process. It hands the instance to its
 * group only when restarting does not help. Its rules, and why a saturated fleet cannot cascade through
 * it, are in docs/architecture.md ("Liveness and readiness").
 */

export interface WatchdogSpec {
  readonly service: string;
  readonly ports: readonly number[];
  /** The path probed on each port: the liveness path, else the health check path, else "/". */
  readonly probePath: string;
  /**
   * Whether the answer must be a success (2xx/3xx: a liveness path) or any HTTP answer counts (the health
   * path or "/": a process that answers 500 there is alive, merely not ready).
   */
  readonly requireSuccess: boolean;
  /** Seconds one probe waits for an answer. */
  readonly probeTimeoutSeconds: number;
  /** Seconds a port must fail every probe before it is restarted. */
  readonly failAfterSeconds: number;
  /** Restarts of one port within `windowMinutes` after which the instance is handed to its group. */
  readonly maxRestarts: number;
  readonly windowMinutes: number;
}

export interface WatchdogService {
  readonly name: string;
  readonly directory: string;
  readonly logDirectory: string;
  readonly scriptPath: string;
}

export function watchdogService(service: string): WatchdogService {
  const name = `${service}-watchdog`;
  return {
    name,
    directory: `/etc/sv/${name}`,
    logDirectory: `/var/log/${service}/${name}`,
    scriptPath: `/usr/local/lib/${service}/watchdog`,
  };
}

/** Seconds between two rounds of probes: at least three rounds fit in `failAfterSeconds`. */
export function probeInterval(spec: Pick<WatchdogSpec, "failAfterSeconds" | "probeTimeoutSeconds">): number {
  return Math.max(1, Math.min(10, Math.floor(spec.failAfterSeconds / 3) - spec.probeTimeoutSeconds));
}

/**
 * At most this many ports may be failing for the watchdog to act: a wedge is one process (or a few); when
 * most ports stop answering together the cause is the instance or its load, and restarting would only
 * drop the requests they are still working on.
 */
export function mostPortsMayFail(ports: number): number {
  return Math.floor(ports / 2);
}

/** The watchdog's messages, shared with the metric filters that count them (constructs/fleet-logs.ts). */
export const WATCHDOG_LINES = {
  restart: "restarting it",
  handOver: "handing this instance to its group",
} as const;

export function watchdogScript(spec: WatchdogSpec): string {
  const { service, ports } = spec;
  const curlFlags = `-s -o /dev/null --max-time ${spec.probeTimeoutSeconds}${spec.requireSuccess ? " -f" : ""}`;
  const silence = spec.requireSuccess ? "no successful answer" : "no answer";
  return [
    "#!/bin/sh",
    `# The liveness watchdog of ${service} (cloudrim-fleet): restarts a process that stops answering, one at a`,
    "# time, and hands the instance to its group when restarts do not help. runsv runs it as root; svlogd logs it.",
    "exec 2>&1",
    "set -u",
    'root="${CLOUDRIM_ROOT:-}"',
    `# shellcheck source=/dev/null`,
    `. "$root${instanceApiPath(service)}"`,
    `ports="${ports.join(" ")}"`,
    `state="$root/run/${service}-watchdog"`,
    'mkdir -p "$state"',
    'say() { echo "watchdog: $*"; }',
    `probe() { curl ${curlFlags} "http://127.0.0.1:$1${spec.probePath}"; }`,
    "# Only a process runsv is running is judged: one an operator stopped (sv down) or paused stays as it is.",
    `supervised() { [ "$(cat "$root/etc/service/${service}-$1/supervise/stat" 2>/dev/null)" = run ]; }`,
    `restart() { # PORT SECONDS_SILENT`,
    `  say "port $1: ${silence} on ${spec.probePath} within ${spec.probeTimeoutSeconds} s for $2 s; ${WATCHDOG_LINES.restart} (sv force-restart)"`,
    `  sv -w 7 force-restart "$root/etc/service/${service}-$1" >/dev/null 2>&1`,
    '  date +%s >>"$state/$1.restarts"',
    '  rm -f "$state/$1.since"',
    "  # One restart in flight at a time: wait until this process answers before judging any other.",
    "  waited=0",
    `  until probe "$1"; do`,
    `    [ "$waited" -ge ${spec.failAfterSeconds} ] && { say "port $1: still no answer ${spec.failAfterSeconds} s after its restart"; break; }`,
    "    sleep 1; waited=$((waited + 1))",
    "  done",
    `  recent=$(awk -v since=$(($(date +%s) - ${spec.windowMinutes * 60})) '$1 >= since' "$state/$1.restarts" | wc -l)`,
    `  if [ "$recent" -ge ${spec.maxRestarts} ] && [ ! -f "$state/handed-over" ]; then`,
    `    say "port $1: restarted $recent times in ${spec.windowMinutes} minutes; this host cannot recover it: ${WATCHDOG_LINES.handOver} (SetInstanceHealth Unhealthy)"`,
    '    if instance=$(instance_id) && hand_over "$instance"; then touch "$state/handed-over"; else say "could not reach the Auto Scaling API; trying again after the next restart"; fi',
    "  fi",
    "}",
    `total=${ports.length}`,
    "while :; do",
    '  failing=""',
    "  count=0",
    "  for port in $ports; do",
    '    if ! supervised "$port" || probe "$port"; then',
    '      rm -f "$state/$port.since"',
    "    else",
    '      failing="$failing $port"',
    "      count=$((count + 1))",
    '      [ -f "$state/$port.since" ] || date +%s >"$state/$port.since"',
    "    fi",
    "  done",
    `  if [ "$count" -gt ${mostPortsMayFail(ports.length)} ]; then`,
    `    [ -f "$state/standing-down" ] || say "$count of $total ports do not answer: the instance or its load, not one wedged process; restarting none"`,
    '    touch "$state/standing-down"',
    "  else",
    '    [ -f "$state/standing-down" ] && say "$count of $total ports do not answer; watching each again"',
    '    rm -f "$state/standing-down"',
    "    now=$(date +%s)",
    "    for port in $failing; do",
    '      silent=$((now - $(cat "$state/$port.since")))',
    `      if [ "$silent" -ge ${spec.failAfterSeconds} ]; then`,
    '        restart "$port" "$silent"',
    "        break",
    "      fi",
    "    done",
    "  fi",
    `  sleep ${probeInterval(spec)}`,
    "done",
    "",
  ].join("\n");
}

/** The runit service names the enable script writes: one per port, then the watchdog. */
export function supervisedServices(service: string, ports: readonly number[]): string[] {
  return [...ports.map((port) => runitServiceName(service, port)), watchdogService(service).name];
}
