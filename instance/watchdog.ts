import { instanceApiPath } from "./instance-api";
import { runitServiceName } from "../fleet/names";

/*
 * Pure: the liveness watchdog each instance runs as one more runit service. The load balancers judge
 * readiness (may this process get traffic now?); the watchdog judges liveness (is this process still
 * alive?), on the host, where the fix is cheap: restart the one process. It hands the instance to its
 * group only when restarting does not help, or when most ports stay silent together for long (the whole
 * instance wedged: under health type EC2 nothing else would replace it), and then only while few enough
 * other instances of its group are out of service, so a saturated fleet cannot cascade through it. Its
 * rules are in docs/architecture.md ("Liveness and readiness").
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
  /**
   * Seconds most ports (or the only one) may stay silent together, the whole instance wedged, before it
   * is handed to its group instead of standing down.
   */
  readonly handOverAfterSeconds: number;
  /**
   * Instances of the group that may be out of service (Unhealthy, or not InService) at once: a hand-over
   * waits while this many others are, so a saturated fleet never hands itself over all at once.
   */
  readonly maxHandOvers: number;
  /**
   * The group's health check grace period (seconds, from when the instance entered service): AWS may
   * ignore a hand-over sent inside it, so one sent then is sent again once it ends.
   */
  readonly gracePeriodSeconds: number;
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
 * The number of failing ports from which the watchdog restarts none: at least 2, and more than half. A
 * wedge is one process (or a few); when most ports stop answering together the cause is the instance or
 * its load, and restarting would only drop the requests they are still working on. A one-port fleet's
 * single port is restarted like any other.
 */
export function standDownAt(ports: number): number {
  return Math.max(2, Math.floor(ports / 2) + 1);
}

/** Seconds between two looks at the group while a hand-over waits for room (watchdog.maxHandOvers). */
export const HAND_OVER_RECHECK_SECONDS = 30;

/** The watchdog's messages, shared with the metric filters that count them (constructs/fleet-logs.ts). */
export const WATCHDOG_LINES = {
  restart: "restarting it",
  handOver: "handing this instance to its group",
  /** A hand-over sent inside the grace period, sent again once it ends (not counted as a second hand-over). */
  handOverAgain: "sending its hand-over again",
} as const;

export function watchdogScript(spec: WatchdogSpec): string {
  const { service, ports } = spec;
  const curlFlags = `-s -o /dev/null --max-time ${spec.probeTimeoutSeconds}${spec.requireSuccess ? " -f" : ""}`;
  const silence = spec.requireSuccess ? "no successful answer" : "no answer";
  const handOver = `${WATCHDOG_LINES.handOver} (SetInstanceHealth Unhealthy)`;
  const again = `the group's health check grace period has ended: ${WATCHDOG_LINES.handOverAgain} (SetInstanceHealth Unhealthy)`;
  return [
    "#!/bin/sh",
    `# The liveness watchdog of ${service} (cloudrim-fleet): restarts a process that stops answering, one at a`,
    "# time, and hands the instance to its group when restarts do not help or the whole instance is wedged.",
    "# runsv runs it as root; svlogd logs it.",
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
    "# Every round runs these for every port: shell builtins, not a process each (a round forks only curl and sleep).",
    `supervised() { stat=""; { read -r stat <"$root/etc/service/${service}-$1/supervise/stat"; } 2>/dev/null; [ "$stat" = run ]; }`,
    'forget() { for file in "$@"; do if [ -f "$file" ]; then rm -f "$file"; fi; done; }',
    "# The boot links the watchdog as the instance enters service, when the group's grace period begins; /run",
    "# keeps the first start across the watchdog's own restarts.",
    '[ -f "$state/in-service-since" ] || date +%s >"$state/in-service-since"',
    `grace_ends=$(($(cat "$state/in-service-since") + ${spec.gracePeriodSeconds}))`,
    "# request_hand_over MESSAGE: hands this instance to its group, unless it was already, or the group has",
    `# ${spec.maxHandOvers} other instance(s) out of service (then it waits, and is asked again the next time). One`,
    "# sent inside the grace period is sent again once it ends, saying so (the metric counts one hand-over).",
    "request_hand_over() {",
    '  [ -f "$state/handed-over" ] && return 0',
    '  [ -f "$state/handed-over-in-grace" ] && [ "$(date +%s)" -lt "$grace_ends" ] && return 0',
    "  # While it waits for room, it asks its group again only every so often: a fleet standing down together",
    "  # must not exhaust the account's Auto Scaling API rate.",
    `  [ -f "$state/waiting" ] && [ $(($(date +%s) - $(cat "$state/waiting"))) -lt ${HAND_OVER_RECHECK_SECONDS} ] && return 1`,
    '  if ! instance=$(instance_id) || ! others=$(group_out_of_service "$instance"); then',
    '    say "could not reach the Auto Scaling API to hand this instance over; trying again later"',
    "    return 1",
    "  fi",
    `  if [ "$others" -ge ${spec.maxHandOvers} ]; then`,
    `    [ -f "$state/waiting" ] || say "this instance is to be handed over, but $others other instance(s) of the group are out of service or Unhealthy, the most at a time (watchdog.maxHandOvers ${spec.maxHandOvers}): waiting until fewer are"`,
    '    date +%s >"$state/waiting"',
    "    return 1",
    "  fi",
    '  rm -f "$state/waiting"',
    `  if [ -f "$state/handed-over-in-grace" ]; then say "${again}"; else say "$1"; fi`,
    '  if ! hand_over "$instance"; then say "could not reach the Auto Scaling API; trying again later"; return 1; fi',
    '  if [ "$(date +%s)" -lt "$grace_ends" ]; then',
    `    say "sent inside the group's health check grace period (${spec.gracePeriodSeconds} s, $((grace_ends - $(date +%s))) s left), which AWS may ignore: ${WATCHDOG_LINES.handOverAgain} once it ends"`,
    '    touch "$state/handed-over-in-grace"',
    "  else",
    '    rm -f "$state/handed-over-in-grace"',
    '    touch "$state/handed-over"',
    "  fi",
    "}",
    `restart() { # PORT SECONDS_SILENT`,
    `  say "port $1: ${silence} on ${spec.probePath} within ${spec.probeTimeoutSeconds} s for $2 s; ${WATCHDOG_LINES.restart} (sv force-restart)"`,
    "  # Counted before it is made: a watchdog stopped during the restart (its own restart, a reboot) still counts it.",
    '  date +%s >>"$state/$1.restarts"',
    `  sv -w 7 force-restart "$root/etc/service/${service}-$1" >/dev/null 2>&1`,
    '  rm -f "$state/$1.since"',
    "  # One restart in flight at a time: wait until this process answers before judging any other.",
    "  waited=0",
    `  until probe "$1"; do`,
    `    [ "$waited" -ge ${spec.failAfterSeconds} ] && { say "port $1: still no answer ${spec.failAfterSeconds} s after its restart"; break; }`,
    "    sleep 1; waited=$((waited + 1))",
    "  done",
    `  recent=$(awk -v since=$(($(date +%s) - ${spec.windowMinutes * 60})) '$1 >= since' "$state/$1.restarts" | wc -l)`,
    `  if [ "$recent" -ge ${spec.maxRestarts} ]; then`,
    `    request_hand_over "port $1: restarted $recent times in ${spec.windowMinutes} minutes; this host cannot recover it: ${handOver}"`,
    "  fi",
    "}",
    `total=${ports.length}`,
    "while :; do",
    '  failing=""',
    "  count=0",
    "  for port in $ports; do",
    '    if ! supervised "$port" || probe "$port"; then',
    '      forget "$state/$port.since"',
    "    else",
    '      failing="$failing $port"',
    "      count=$((count + 1))",
    '      [ -f "$state/$port.since" ] || date +%s >"$state/$port.since"',
    "    fi",
    "  done",
    `  if [ "$count" -ge ${standDownAt(ports.length)} ]; then`,
    '    if [ ! -f "$state/standing-down" ]; then',
    '      say "$count of $total ports do not answer: the instance or its load, not one wedged process; restarting none"',
    '      date +%s >"$state/standing-down"',
    "    fi",
    '    wedged=$(($(date +%s) - $(cat "$state/standing-down")))',
    `    if [ "$wedged" -ge ${spec.handOverAfterSeconds} ]; then`,
    `      request_hand_over "$count of $total ports have not answered for $wedged s: the whole instance is wedged; ${handOver}"`,
    "    fi",
    "  else",
    '    [ -f "$state/standing-down" ] && say "$count of $total ports do not answer; watching each again"',
    '    forget "$state/standing-down" "$state/waiting"',
    '    [ -n "$failing" ] && now=$(date +%s)',
    "    for port in $failing; do",
    '      silent=$((now - $(cat "$state/$port.since")))',
    `      if [ "$silent" -ge ${spec.failAfterSeconds} ]; then`,
    '        restart "$port" "$silent"',
    "        break",
    "      fi",
    "    done",
    "  fi",
    "  # A hand-over AWS may have ignored inside the grace period is sent again once the period ends.",
    '  if [ -f "$state/handed-over-in-grace" ] && [ "$(date +%s)" -ge "$grace_ends" ]; then',
    `    request_hand_over "${again}"`,
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
