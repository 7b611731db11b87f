/*
 * Pure: the metrics the live fleet puts to the local CloudWatch each local minute, as AWS's load balancers and Auto
 * Scaling publish them, so that the alarms the fleet creates (monitoring/alarms.ts, monitoring/serving.ts) are judged
 * by the local AWS (local-aws/fixes/alarm_evaluation.py) on what really happened. The metrics' names and dimensions
 * come from monitoring/metrics.ts, where the alarms take theirs: they cannot disagree.
 */

import {
  healthMetric,
  portBackendErrorMetric,
  portLatencyMetric,
  portTrafficMetric,
  type MetricRef,
  type PortMetricSource,
} from "../monitoring/metrics";
import { LOCAL_MINUTE_SECONDS } from "../fleet/rehearsal";

/** The local AWS's setting that turns its alarm evaluation on, at this minute (local-aws/fixes/alarm_evaluation.py). */
export const ALARM_MINUTE_SETTING = "CLOUDRIM_LOCAL_AWS_ALARM_MINUTE";

export interface MetricDatum {
  readonly metric: MetricRef;
  readonly value: number;
}

/** One backend's counters as haproxy's `show stat` gives them: totals since its worker started. */
export interface BackendCounters {
  /** Connections it sent to an instance (stot). */
  readonly sessions: number;
  /** Connections to an instance that failed (econ). */
  readonly connectErrors: number;
  /** Connections an instance aborted (srv_abrt). */
  readonly serverAborts: number;
  /** Average milliseconds to connect to an instance, over its last 1024 connections (ctime). */
  readonly connectMs: number;
}

/**
 * The BACKEND rows of `show stat`, by proxy name. A field haproxy leaves empty is 0.
 * @throws RangeError when the header lacks a field used here (another haproxy's format)
 */
export function parseStats(csv: string): Map<string, BackendCounters> {
  const [header, ...rows] = csv.split("\n").filter((line) => line.trim() !== "");
  const names = (header ?? "").replace(/^#\s*/, "").split(",");
  const column = (name: string) => {
    const index = names.indexOf(name);
    if (index < 0) throw new RangeError(`haproxy's show stat has no ${name} column: ${header ?? "(empty)"}`);
    return index;
  };
  const at = {
    proxy: column("pxname"),
    server: column("svname"),
    sessions: column("stot"),
    connectErrors: column("econ"),
    serverAborts: column("srv_abrt"),
    connectMs: column("ctime"),
  };
  const backends = new Map<string, BackendCounters>();
  for (const row of rows) {
    const fields = row.split(",");
    if (fields[at.server] !== "BACKEND") continue;
    // haproxy leaves a counter empty when it does not apply: 0.
    const number = (index: number) => {
      const value = Number(fields[index] ?? "");
      return Number.isFinite(value) ? value : 0;
    };
    backends.set(fields[at.proxy] ?? "", {
      sessions: number(at.sessions),
      connectErrors: number(at.connectErrors),
      serverAborts: number(at.serverAborts),
      connectMs: number(at.connectMs),
    });
  }
  return backends;
}

/**
 * What a backend counted since `before`. A reload starts a worker whose counters start at 0: a total below the one
 * before is counted from 0 (the old worker's last connections are not counted).
 */
export function countedSince(before: BackendCounters | undefined, now: BackendCounters): BackendCounters {
  const since = (key: "sessions" | "connectErrors" | "serverAborts") => {
    const previous = before?.[key] ?? 0;
    return now[key] >= previous ? now[key] - previous : now[key];
  };
  return {
    sessions: since("sessions"),
    connectErrors: since("connectErrors"),
    serverAborts: since("serverAborts"),
    connectMs: now.connectMs,
  };
}

export interface BalancerMinute {
  readonly source: PortMetricSource;
  /** Registered instances whose checks pass. */
  readonly healthy: number;
  /** Registered instances whose checks do not pass (yet): failing, or still being checked. */
  readonly unhealthy: number;
  /** What the proxy counted for this load balancer in the minute. */
  readonly counted: BackendCounters;
}

/**
 * A load balancer's datapoints for one minute: healthy and unhealthy hosts; the requests (classic) or new flows
 * (network); the backend errors (connections that failed, or resets); a classic one's latency only when it took a
 * request, as AWS reports none without.
 */
export function balancerDatums(minute: BalancerMinute): MetricDatum[] {
  const { source, counted } = minute;
  const datums: MetricDatum[] = [
    { metric: healthMetric(source, "HealthyHostCount"), value: minute.healthy },
    { metric: healthMetric(source, "UnHealthyHostCount"), value: minute.unhealthy },
    { metric: portTrafficMetric(source), value: counted.sessions },
    {
      metric: portBackendErrorMetric(source),
      value: source.kind === "classic" ? counted.connectErrors : counted.serverAborts,
    },
  ];
  const latency = portLatencyMetric(source);
  if (latency !== undefined && counted.sessions > 0) datums.push({ metric: latency, value: counted.connectMs / 1000 });
  return datums;
}

/** The group's capacity metrics, as Auto Scaling publishes them each minute for a group with metrics enabled. */
export function groupDatums(groupName: string, desired: number, inService: number): MetricDatum[] {
  const dimensions = { AutoScalingGroupName: groupName };
  return [
    { metric: { namespace: "AWS/AutoScaling", metricName: "GroupDesiredCapacity", dimensions }, value: desired },
    { metric: { namespace: "AWS/AutoScaling", metricName: "GroupInServiceInstances", dimensions }, value: inService },
  ];
}

/** A network load balancer's or target group's ARN suffix, as `arn_suffix` gives it (`net/…`, `targetgroup/…`). */
export function arnSuffix(arn: string): string {
  const resource = arn.split(":").slice(5).join(":");
  return resource.replace(/^loadbalancer\//, "");
}

/** PutMetricData's requests: one per namespace, at most `perRequest` datums each (AWS takes 1000). */
export function metricRequests(
  datums: readonly MetricDatum[],
  perRequest = 1000,
): {
  namespace: string;
  data: { MetricName: string; Dimensions: { Name: string; Value: string }[]; Value: number }[];
}[] {
  const byNamespace = new Map<string, MetricDatum[]>();
  for (const datum of datums) {
    byNamespace.set(datum.metric.namespace, [...(byNamespace.get(datum.metric.namespace) ?? []), datum]);
  }
  return [...byNamespace].flatMap(([namespace, all]) => {
    const requests = [];
    for (let i = 0; i < all.length; i += perRequest) {
      requests.push({
        namespace,
        data: all.slice(i, i + perRequest).map((d) => ({
          MetricName: d.metric.metricName,
          Dimensions: Object.entries(d.metric.dimensions).map(([Name, Value]) => ({ Name, Value })),
          Value: d.value,
        })),
      });
    }
    return requests;
  });
}

/** Milliseconds from `nowMs` to the middle of the next local minute: where the datapoints are put, so that jitter of
 * less than half a minute never moves one into the minute before or after. */
export function untilMidMinute(nowMs: number, minuteSeconds = LOCAL_MINUTE_SECONDS): number {
  const minuteMs = minuteSeconds * 1000;
  const mid = Math.floor(nowMs / minuteMs) * minuteMs + minuteMs / 2;
  return mid > nowMs ? mid - nowMs : mid + minuteMs - nowMs;
}
