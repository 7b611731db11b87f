import { BOOT_LINES } from "./user-data";
import { WATCHDOG_LINES } from "./watchdog";

/*
 * Pure: the lines in a region's logs that an on-call engineer must not miss, counted by metric filters
 * (constructs/fleet-logs.ts) and alarmed on as soon as one appears (constructs/host-alarms.ts). The
 * patterns are the very strings the boot script and the watchdog write, imported from them.
 */

export interface LogCount {
  readonly key: "restarts" | "hand-overs" | "abandoned-boots" | "failed-refreshes";
  /** The instances' log group, or the group of Auto Scaling's events. */
  readonly source: "instances" | "events";
  /** A CloudWatch Logs filter pattern. */
  readonly pattern: string;
  readonly metricName: string;
  /** The alarm on this count, if any, by its role in `hostAlarmNames` (fleet/names.ts). */
  readonly alarm?: "handedOver" | "bootAbandoned" | "refreshFailed";
  readonly description: string;
}

/** A filter pattern that matches lines containing `text` as written. */
function phrase(text: string): string {
  return `"${text.replaceAll('"', '\\"')}"`;
}

export const LOG_COUNTS: readonly LogCount[] = [
  {
    key: "restarts",
    source: "instances",
    pattern: phrase(WATCHDOG_LINES.restart),
    metricName: "WatchdogRestarts",
    description: "A process stopped answering its liveness probe and the watchdog restarted it.",
  },
  {
    key: "hand-overs",
    source: "instances",
    pattern: phrase(WATCHDOG_LINES.handOver),
    metricName: "InstancesHandedOver",
    alarm: "handedOver",
    description:
      "The watchdog restarted one port of an instance too often, or most of its ports stayed silent together, and handed " +
      "the instance to its group (SetInstanceHealth " +
      "Unhealthy): the group launches a successor first, then terminates it. Its streams {instance}/watchdog and " +
      "{instance}/<port> in the region's log group say what the process did.",
  },
  {
    key: "abandoned-boots",
    source: "instances",
    pattern: phrase(BOOT_LINES.abandon),
    metricName: "BootsAbandoned",
    alarm: "bootAbandoned",
    description:
      "A new instance abandoned its launch: its release could not be fetched or verified, or a port did not answer " +
      "at boot. It never entered service. Its stream {instance}/boot in the region's log group says which.",
  },
  {
    key: "failed-refreshes",
    source: "events",
    pattern: '{ $.detail-type = "EC2 Auto Scaling Instance Refresh Failed" }',
    metricName: "InstanceRefreshesFailed",
    alarm: "refreshFailed",
    description:
      "An instance refresh of the region's group failed (an alarm it watches fired, or new instances kept failing): " +
      "the region runs a mix of versions until a deploy rolls it back or forward. The event is in the group's events log group.",
  },
];
