/*
 * Pure: the region's CloudWatch dashboard, a projection of the port list: the alarms' status, the group,
 * then a row per port. Its graphs take each port's metrics from metrics.ts, as the alarms do.
 */
import { healthMetric, portBackendErrorMetric, type MetricRef, type PortMetricSource } from "./metrics";

/** A CloudWatch dashboard metric line: namespace, name, dimension pairs, then rendering options. */
type MetricLine = (string | Readonly<Record<string, string>>)[];

/** The dimension values a metric line names (`[ns, metric, name1, value1, …, options]` → `[value1, …]`). */
export function metricLineDimensions(line: readonly unknown[]): string[] {
  return line.slice(2).filter((item, i): item is string => typeof item === "string" && i % 2 === 1);
}

export interface DashboardWidget {
  readonly type: "metric" | "alarm";
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly properties: Readonly<Record<string, unknown>>;
}

export interface DashboardBody {
  readonly widgets: readonly DashboardWidget[];
}

export interface DashboardInput {
  readonly region: string;
  readonly groupName: string;
  /** Drawn as a line on the CPU graph; none for a fixed-size group. */
  readonly cpuTarget?: number;
  readonly ports: readonly PortMetricSource[];
  /** Every alarm of the region, shown as a status strip on top: the ports' then the region's. */
  readonly alarmArns: readonly string[];
}

const GRID_WIDTH = 24;
const ROW_HEIGHT = 6;
const ALARM_STRIP_HEIGHT = 3;

function line(metric: MetricRef, options: Readonly<Record<string, string>>): MetricLine {
  return [metric.namespace, metric.metricName, ...Object.entries(metric.dimensions).flat(), options];
}

function graph(
  region: string,
  title: string,
  metrics: readonly MetricLine[],
  extra: Readonly<Record<string, unknown>> = {},
): Omit<DashboardWidget, "x" | "y" | "width"> {
  return {
    type: "metric",
    height: ROW_HEIGHT,
    properties: { title, region, view: "timeSeries", stacked: false, period: 60, metrics, ...extra },
  };
}

/** One row of widgets sharing the grid's width equally. */
function row(y: number, widgets: readonly Omit<DashboardWidget, "x" | "y" | "width">[]): DashboardWidget[] {
  const width = GRID_WIDTH / widgets.length;
  return widgets.map((widget, i) => ({ ...widget, x: i * width, y, width }));
}

/**
 * The widgets of one port: traffic with the backend errors its serving alarm counts, health, and latency where
 * the load balancer reports it (classic only).
 */
function portRow(region: string, source: PortMetricSource, y: number): DashboardWidget[] {
  const healthy = line(healthMetric(source, "HealthyHostCount"), { stat: "Minimum", label: "healthy (min)" });
  const unhealthy = line(healthMetric(source, "UnHealthyHostCount"), { stat: "Maximum", label: "unhealthy (max)" });
  const health = graph(region, `port ${source.port} · healthy instances`, [healthy, unhealthy]);
  if (source.kind === "classic") {
    const lb = { LoadBalancerName: source.loadBalancerName };
    const metric = (metricName: string): MetricRef => ({ namespace: "AWS/ELB", metricName, dimensions: lb });
    return row(y, [
      graph(region, `port ${source.port} · requests`, [
        line(metric("RequestCount"), { stat: "Sum", label: "requests" }),
        line(portBackendErrorMetric(source), { stat: "Sum", label: "backend errors" }),
      ]),
      health,
      graph(region, `port ${source.port} · latency (s)`, [
        line(metric("Latency"), { stat: "Average", label: "average" }),
        line(metric("Latency"), { stat: "p99", label: "p99" }),
      ]),
    ]);
  }
  const nlb = { LoadBalancer: source.loadBalancer };
  const metric = (metricName: string): MetricRef => ({ namespace: "AWS/NetworkELB", metricName, dimensions: nlb });
  return row(y, [
    graph(region, `port ${source.port} · flows`, [
      line(metric("ActiveFlowCount"), { stat: "Average", label: "active" }),
      line(metric("NewFlowCount"), { stat: "Sum", label: "new" }),
      line(portBackendErrorMetric(source), { stat: "Sum", label: "target resets" }),
    ]),
    health,
  ]);
}

/**
 * The region's dashboard, top to bottom: the alarms' status; the group (CPU against the scaling target,
 * in-service instances, desired capacity); then one row per port, in port order.
 */
export function dashboardBody(input: DashboardInput): DashboardBody {
  const group = (metricName: string): MetricRef => ({
    namespace: "AWS/AutoScaling",
    metricName,
    dimensions: { AutoScalingGroupName: input.groupName },
  });
  const cpu: MetricRef = {
    namespace: "AWS/EC2",
    metricName: "CPUUtilization",
    dimensions: { AutoScalingGroupName: input.groupName },
  };
  const alarms: DashboardWidget = {
    type: "alarm",
    x: 0,
    y: 0,
    width: GRID_WIDTH,
    height: ALARM_STRIP_HEIGHT,
    properties: { title: "alarms", alarms: [...input.alarmArns] },
  };
  const groupRow = row(ALARM_STRIP_HEIGHT, [
    graph(
      input.region,
      "group · CPU (%)",
      [line(cpu, { stat: "Average", label: "average CPU" })],
      input.cpuTarget === undefined
        ? { yAxis: { left: { min: 0, max: 100 } } }
        : {
            yAxis: { left: { min: 0, max: 100 } },
            annotations: { horizontal: [{ label: "scaling target", value: input.cpuTarget }] },
          },
    ),
    graph(input.region, "group · in-service instances", [
      line(group("GroupInServiceInstances"), { stat: "Average", label: "in service" }),
    ]),
    graph(input.region, "group · desired capacity", [
      line(group("GroupDesiredCapacity"), { stat: "Average", label: "desired" }),
      line(group("GroupMaxSize"), { stat: "Average", label: "max" }),
    ]),
  ]);
  const firstPortRow = ALARM_STRIP_HEIGHT + ROW_HEIGHT;
  return {
    widgets: [
      alarms,
      ...groupRow,
      ...input.ports.flatMap((source, i) => portRow(input.region, source, firstPortRow + i * ROW_HEIGHT)),
    ],
  };
}

/** The group metrics the dashboard draws; the Auto Scaling group publishes them only when asked. */
export const GROUP_METRICS = ["GroupDesiredCapacity", "GroupInServiceInstances", "GroupMaxSize"] as const;

/** The console page of a dashboard, for the stack's outputs. */
export function dashboardUrl(region: string, name: string): string {
  return `https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}#dashboards/dashboard/${encodeURIComponent(name)}`;
}
