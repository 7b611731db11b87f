/*
 * Pure: what the region's alarms watch, computed from the port list: each port's health, the region as a
 * whole, the guards a rollout stops on, the ports' traffic shares, and the group's and hosts' counts. The
 * metrics come from metrics.ts, shared with the dashboard (dashboard.ts).
 */
import { healthMetric, portHealthMetric, portTrafficMetric, type MetricRef, type PortMetricSource } from "./metrics";

/**
 * A port is down when, for `minutes` one-minute periods in a row, no load balancer node saw a healthy
 * instance (the Maximum across nodes is below 1). Missing data counts as down: a load balancer reports
 * HealthyHostCount whenever an instance is registered, so silence means none is.
 */
export interface PortAlarmSpec {
  readonly metric: MetricRef;
  readonly statistic: "Maximum";
  readonly period: 60;
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm: number;
  readonly threshold: 1;
  readonly comparisonOperator: "LessThanThreshold";
  readonly treatMissingData: "breaching";
  readonly description: string;
}

export function portAlarmSpec(source: PortMetricSource, minutes: number, clientName: string): PortAlarmSpec {
  return {
    metric: portHealthMetric(source),
    statistic: "Maximum",
    period: 60,
    evaluationPeriods: minutes,
    datapointsToAlarm: minutes,
    threshold: 1,
    comparisonOperator: "LessThanThreshold",
    treatMissingData: "breaching",
    description:
      `Port ${source.port} has had no healthy instance for ${minutes} minute${minutes === 1 ? "" : "s"}: ` +
      `${clientName} answers nothing, and the weighted set sends its share to the other ports.`,
  };
}

/** `ALARM("a") AND ALARM("b")`: the region is down when every port's alarm is in ALARM. */
export function allPortsDownRule(portAlarmNames: readonly string[]): string {
  if (portAlarmNames.length === 0) throw new RangeError("a region has at least one port");
  return portAlarmNames.map((name) => `ALARM(${JSON.stringify(name)})`).join(" AND ");
}

/**
 * An instance refresh stops when an alarm it watches goes to ALARM, and it watches at most 10 alarms;
 * a metric-math alarm takes at most 10 metrics. So the ports are watched in groups of ten, one alarm each.
 */
export const PORTS_PER_GUARD_ALARM = 10;

/** `[9000…9016]` → `[[9000…9009], [9010…9016]]`: consecutive groups, so a new port joins the last group. */
export function guardGroups(ports: readonly number[]): number[][] {
  const groups: number[][] = [];
  for (let i = 0; i < ports.length; i += PORTS_PER_GUARD_ALARM) groups.push(ports.slice(i, i + PORTS_PER_GUARD_ALARM));
  return groups;
}

/**
 * The one-minute datapoints a condition lasting `seconds` can show in: it starts anywhere in a minute, so it
 * reaches into one minute more than it lasts (20 s across a minute's end shows in two).
 */
export function minutesShownIn(seconds: number): number {
  return Math.ceil(seconds / 60) + 1;
}

/**
 * Minutes a port may report unhealthy instances before its guard alarm fires: more than the datapoints a healthy
 * new instance's settling shows in (the grace period, then `healthyThreshold` checks), so a good rollout never
 * trips it, and at least the fleet's alarm minutes. (One more than those datapoints: with only as many, a settling
 * that crossed a minute's end fired every guard, which the local AWS's evaluated alarms showed.)
 */
export function guardMinutes(
  gracePeriodSeconds: number,
  healthCheck: { readonly healthyThreshold: number; readonly interval: number },
  alarmMinutes: number,
): number {
  const settling = gracePeriodSeconds + healthCheck.healthyThreshold * healthCheck.interval;
  return Math.max(alarmMinutes, minutesShownIn(settling) + 1);
}

/** One metric of a metric-math alarm, `p9000`, or the expression over them. */
export type GuardQuery =
  | {
      readonly id: string;
      readonly metric: MetricRef;
      readonly stat: "Maximum" | "Minimum" | "Sum" | "Average";
      readonly period: 60;
    }
  | { readonly id: string; readonly expression: string; readonly label: string };

/**
 * The guard alarm of a group of ports: the highest UnHealthyHostCount among them, above 0 for `minutes`
 * minutes. Missing data is not breaching: a port with no instance registered has none unhealthy.
 */
export interface GuardAlarmSpec {
  readonly queries: readonly GuardQuery[];
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm: number;
  readonly threshold: 0;
  readonly comparisonOperator: "GreaterThanThreshold";
  readonly treatMissingData: "notBreaching";
  readonly description: string;
}

export function guardAlarmSpec(sources: readonly PortMetricSource[], minutes: number): GuardAlarmSpec {
  const metrics = sources.map(
    (source): GuardQuery => ({
      id: `p${source.port}`,
      metric: healthMetric(source, "UnHealthyHostCount"),
      stat: "Maximum",
      period: 60,
    }),
  );
  const ports = sources.map((s) => s.port);
  const range = ports.length === 1 ? `port ${ports[0] ?? ""}` : `ports ${ports[0] ?? ""}-${ports.at(-1) ?? ""}`;
  return {
    queries: [
      {
        id: "unhealthy",
        expression: `MAX([${metrics.map((m) => m.id).join(", ")}])`,
        label: `unhealthy hosts, ${range}`,
      },
      ...metrics,
    ],
    ...aboveZeroFor(minutes),
    description:
      `An instance has failed a health check of ${range} for ${minutes} minutes, longer than a new instance takes ` +
      "to pass them: a bad release or a sick instance. An instance refresh watching it stops, and a deploy baking the region stops its rollout.",
  };
}

/**
 * An instance has failed this port's check for `minutes`: the port still serves (others are healthy), but
 * one instance lost it; the load balancer has taken it out, and nothing replaces that instance for a
 * readiness failure alone (the group's health type is EC2; the watchdog judges liveness).
 */
export function portUnhealthyAlarmSpec(source: PortMetricSource, minutes: number): MetricAlarmSpec {
  return {
    metric: healthMetric(source, "UnHealthyHostCount"),
    statistic: "Maximum",
    period: 60,
    ...aboveZeroFor(minutes),
    description:
      `An instance has failed port ${source.port}'s health check for ${minutes} minutes (longer than a new instance takes ` +
      "to pass): its load balancer sends it nothing. Its log stream {instance}/" +
      `${source.port} says why (docs/runbook.md, "On call").`,
  };
}

/** Above zero in every one of `minutes` one-minute periods; no data is nothing wrong. */
function aboveZeroFor(minutes: number) {
  return {
    evaluationPeriods: minutes,
    datapointsToAlarm: minutes,
    threshold: 0,
    comparisonOperator: "GreaterThanThreshold",
    treatMissingData: "notBreaching",
  } as const;
}

/** A single-metric alarm: what the constructs need to create it. */
export interface MetricAlarmSpec {
  readonly metric: MetricRef;
  readonly statistic: "Maximum" | "Sum" | "Minimum";
  readonly period: 60;
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm: number;
  readonly threshold: number;
  readonly comparisonOperator: "GreaterThanThreshold" | "GreaterThanOrEqualToThreshold" | "LessThanThreshold";
  readonly treatMissingData: "breaching" | "notBreaching";
  readonly description: string;
}

/** A metric-math alarm: its queries (the one returning data first) and its rule. */
export interface MathAlarmSpec {
  readonly queries: readonly GuardQuery[];
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm: number;
  readonly threshold: number;
  readonly comparisonOperator: "GreaterThanThreshold";
  readonly treatMissingData: "notBreaching";
  readonly description: string;
}

/** A port's share is judged only once its group of ports takes this many requests (or flows) a minute. */
export const SHARE_MIN_PER_MINUTE = 60;
/** How far from its weight's share a port's traffic may drift: half of it either way. */
export const SHARE_TOLERANCE = 0.5;

/**
 * The ports a port's traffic share is judged against: its group of ten (a metric-math alarm takes ten
 * metrics), or the last ten ports when its own group would leave it alone. Weight-0 ports take no share.
 */
export function shareGroup(port: number, weights: ReadonlyMap<number, number>): number[] {
  const weighted = [...weights.entries()].filter(([, w]) => w > 0).map(([p]) => p);
  const groups = guardGroups(weighted);
  const own = groups.find((group) => group.includes(port)) ?? [];
  return own.length > 1 || weighted.length <= 1 ? own : weighted.slice(-PORTS_PER_GUARD_ALARM);
}

/**
 * A port whose share of its group's traffic is far from its weight's share for `minutes`: DNS answers are
 * cached per resolver, so clients behind one resolver can pin one port (too much), and a port nobody
 * resolves gets too little. Judged only above SHARE_MIN_PER_MINUTE; none for a port alone or weighted 0.
 */
export function trafficShareAlarmSpec(
  port: number,
  sources: ReadonlyMap<number, PortMetricSource>,
  weights: ReadonlyMap<number, number>,
  minutes: number,
): MathAlarmSpec | undefined {
  const group = shareGroup(port, weights);
  if (group.length < 2 || !group.includes(port)) return undefined;
  const total = group.reduce((sum, p) => sum + (weights.get(p) ?? 0), 0);
  const expected = (weights.get(port) ?? 0) / total;
  const metrics = group.map((p): GuardQuery => {
    const source = sources.get(p);
    if (source === undefined) throw new RangeError(`no load balancer for port ${p}`);
    return { id: `r${p}`, metric: portTrafficMetric(source), stat: "Sum", period: 60 };
  });
  const all = `SUM([${metrics.map((m) => m.id).join(", ")}])`;
  const share = expected.toFixed(4);
  return {
    queries: [
      {
        id: "drift",
        expression: `IF(${all} >= ${SHARE_MIN_PER_MINUTE}, ABS(r${port} / ${all} - ${share}) / ${share}, 0)`,
        label: `port ${port}: drift from its ${(expected * 100).toFixed(1)}% share`,
      },
      ...metrics,
    ],
    evaluationPeriods: minutes,
    datapointsToAlarm: minutes,
    threshold: SHARE_TOLERANCE,
    comparisonOperator: "GreaterThanThreshold",
    treatMissingData: "notBreaching",
    description:
      `Port ${port} has taken a share of its ports' traffic more than ${SHARE_TOLERANCE * 100}% away from its weight's ` +
      `${(expected * 100).toFixed(1)}% for ${minutes} minutes: clients pinned to it by a resolver's cached answer, or ` +
      "a port nobody resolves. Compare the ports' request graphs on the dashboard.",
  };
}

/**
 * Fewer instances in service than desired for `minutes`, longer than a launch takes to boot and enter
 * service: launches failing (a bad release abandoned at boot, capacity, quotas), or instances lost.
 */
export function belowDesiredAlarmSpec(groupName: string, minutes: number): MathAlarmSpec {
  const dimensions = { AutoScalingGroupName: groupName };
  return {
    queries: [
      { id: "missing", expression: "desired - inService", label: "instances missing from service" },
      {
        id: "desired",
        metric: { namespace: "AWS/AutoScaling", metricName: "GroupDesiredCapacity", dimensions },
        stat: "Minimum",
        period: 60,
      },
      {
        id: "inService",
        metric: { namespace: "AWS/AutoScaling", metricName: "GroupInServiceInstances", dimensions },
        stat: "Maximum",
        period: 60,
      },
    ],
    ...aboveZeroFor(minutes),
    description:
      `The group has had fewer instances in service than desired for ${minutes} minutes, longer than an instance takes ` +
      "to boot: launches fail (a release abandoned at boot, capacity, a quota) or instances are lost. See the group's activity history.",
  };
}

/** What the fleet's log filters count, each an alarm when it happens at all. */
export interface LogCountSpec {
  readonly metricName: string;
  readonly description: string;
}

/** Minutes a region's in-service count may stay below desired: more than the datapoints a whole boot shows in. */
export function belowDesiredMinutes(bootTimeoutSeconds: number, alarmMinutes: number): number {
  return Math.max(alarmMinutes, minutesShownIn(bootTimeoutSeconds) + 1);
}

/** A count from the logs that alarms as soon as it is above zero in a minute. */
export function logCountAlarmSpec(namespace: string, count: LogCountSpec): MetricAlarmSpec {
  return {
    metric: { namespace, metricName: count.metricName, dimensions: {} },
    statistic: "Sum",
    period: 60,
    evaluationPeriods: 1,
    datapointsToAlarm: 1,
    threshold: 1,
    comparisonOperator: "GreaterThanOrEqualToThreshold",
    treatMissingData: "notBreaching",
    description: count.description,
  };
}
