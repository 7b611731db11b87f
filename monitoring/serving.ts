/*
 * Pure: how a region's ports serve once their instances are healthy: the latency and backend-error alarms
 * of each group of ten ports (a metric-math alarm takes ten metrics), and the alarms an instance refresh
 * stops on (it takes ten). A release that boots and passes its checks but serves badly trips these, where
 * the health alarms (alarms.ts) stay OK.
 */
import { PORTS_PER_GUARD_ALARM, type GuardQuery, type MathAlarmSpec } from "./alarms";
import { portBackendErrorMetric, portLatencyMetric, type PortMetricSource } from "./metrics";

/** `port 9000`, `ports 9000-9009`: a group in an alarm's words. */
function portRangeText(ports: readonly number[]): string {
  return ports.length === 1 ? `port ${ports[0] ?? ""}` : `ports ${ports[0] ?? ""}-${ports.at(-1) ?? ""}`;
}

/** One metric of each port of a group, one minute at a time. */
type PortQuery = Extract<GuardQuery, { readonly metric: unknown }>;

/** The highest of one metric among a group's ports, above `threshold` in each of `minutes` minutes. */
function highestOfGroup(
  metrics: readonly PortQuery[],
  id: string,
  label: string,
  rule: { readonly threshold: number; readonly minutes: number; readonly description: string },
): MathAlarmSpec {
  if (metrics.length === 0 || metrics.length > PORTS_PER_GUARD_ALARM) {
    throw new RangeError(`a group holds 1-${PORTS_PER_GUARD_ALARM} ports, not ${metrics.length}`);
  }
  return {
    queries: [{ id, expression: `MAX([${metrics.map((m) => m.id).join(", ")}])`, label }, ...metrics],
    evaluationPeriods: rule.minutes,
    datapointsToAlarm: rule.minutes,
    threshold: rule.threshold,
    comparisonOperator: "GreaterThanThreshold",
    // No data is no traffic (both metrics are reported only while connections flow): nothing served badly.
    treatMissingData: "notBreaching",
    description: rule.description,
  };
}

/**
 * The slowest classic load balancer of a group of ports, its average Latency above `seconds` for `minutes`
 * minutes. Average, not p99: it is the statistic AWS documents for this metric. Undefined for network load
 * balancers, which report no latency.
 */
export function latencyAlarmSpec(
  sources: readonly PortMetricSource[],
  seconds: number,
  minutes: number,
): MathAlarmSpec | undefined {
  const metrics: PortQuery[] = [];
  for (const source of sources) {
    const metric = portLatencyMetric(source);
    if (metric === undefined) return undefined;
    metrics.push({ id: `l${source.port}`, metric, stat: "Average", period: 60 });
  }
  const range = portRangeText(sources.map((s) => s.port));
  return highestOfGroup(metrics, "latency", `highest average latency, ${range}`, {
    threshold: seconds,
    minutes,
    description:
      `A load balancer of ${range} has taken more than ${seconds} s on average to reach an instance for ${minutes} ` +
      "minutes: instances that pass their checks but do not keep up (a full accept backlog, a stalled network). An " +
      "instance refresh watching it stops, and a deploy baking the region stops its rollout.",
  });
}

/**
 * The port of a group with the most backend errors a minute, above `perMinute` for `minutes` minutes:
 * connections a classic load balancer could not open to an instance, or resets instances sent through a
 * network one (metrics.ts, portBackendErrorMetric).
 */
export function backendErrorAlarmSpec(
  sources: readonly PortMetricSource[],
  perMinute: number,
  minutes: number,
): MathAlarmSpec {
  const range = portRangeText(sources.map((s) => s.port));
  const what =
    sources[0]?.kind === "network"
      ? "resets from instances (TCP_Target_Reset_Count)"
      : "failed connections to instances (BackendConnectionErrors)";
  const metrics = sources.map(
    (source): PortQuery => ({ id: `e${source.port}`, metric: portBackendErrorMetric(source), stat: "Sum", period: 60 }),
  );
  return highestOfGroup(metrics, "errors", `most backend errors a minute, ${range}`, {
    threshold: perMinute,
    minutes,
    description:
      `A load balancer of ${range} has counted more than ${perMinute} ${what} a minute for ${minutes} minutes: ` +
      "processes refusing or dropping connections while their checks pass, typically a bad release. An instance " +
      "refresh watching it stops, and a deploy baking the region stops its rollout.",
  });
}

/** An instance refresh watches at most ten alarms (AWS's AlarmSpecification). */
export const REFRESH_MAX_ALARMS = 10;

/**
 * The alarms an instance refresh stops on, most important first, at most REFRESH_MAX_ALARMS: what is
 * left over is still watched by the deploy's bake. Each list is kept whole or cut at its end, so a port
 * added to a large fleet never pushes out an earlier kind of alarm.
 */
export function refreshAlarmNames(byPriority: readonly (readonly string[])[]): string[] {
  return byPriority.flat().slice(0, REFRESH_MAX_ALARMS);
}
