/*
 * Pure: the CloudWatch metrics a port's load balancer reports, named once. Alarms (alarms.ts) and the
 * dashboard (dashboard.ts) both take a port's metrics from here, so the graph an operator opens from an
 * alarm is the metric that fired it.
 */

/** Where a port's load balancer reports: a classic one by name, a network one by its and its target group's ARN suffixes. */
export type PortMetricSource =
  | { readonly kind: "classic"; readonly port: number; readonly loadBalancerName: string }
  | {
      readonly kind: "network";
      readonly port: number;
      /** `net/{name}/{id}`: `aws_lb.arn_suffix`. */
      readonly loadBalancer: string;
      /** `targetgroup/{name}/{id}`: `aws_lb_target_group.arn_suffix`. */
      readonly targetGroup: string;
    };

export interface MetricRef {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
}

/** HealthyHostCount of the port's load balancer (classic) or target group (network): instances serving that port. */
export function portHealthMetric(source: PortMetricSource): MetricRef {
  return healthMetric(source, "HealthyHostCount");
}

/** HealthyHostCount or UnHealthyHostCount of the port's load balancer (classic) or target group (network). */
export function healthMetric(
  source: PortMetricSource,
  metricName: "HealthyHostCount" | "UnHealthyHostCount",
): MetricRef {
  return source.kind === "classic"
    ? { namespace: "AWS/ELB", metricName, dimensions: { LoadBalancerName: source.loadBalancerName } }
    : {
        namespace: "AWS/NetworkELB",
        metricName,
        dimensions: { TargetGroup: source.targetGroup, LoadBalancer: source.loadBalancer },
      };
}

/** Requests (classic) or new flows (network) a port's load balancer took each minute. */
export function portTrafficMetric(source: PortMetricSource): MetricRef {
  return source.kind === "classic"
    ? { namespace: "AWS/ELB", metricName: "RequestCount", dimensions: { LoadBalancerName: source.loadBalancerName } }
    : { namespace: "AWS/NetworkELB", metricName: "NewFlowCount", dimensions: { LoadBalancer: source.loadBalancer } };
}

/**
 * Latency of a port's classic load balancer, in seconds. Its listeners are TCP or SSL, so this is the time
 * to establish a connection to an instance (HTTP listeners would time the response instead): it rises when
 * an instance's accept backlog overflows or its network stalls. Network load balancers report no latency.
 */
export function portLatencyMetric(source: PortMetricSource): MetricRef | undefined {
  return source.kind === "classic"
    ? { namespace: "AWS/ELB", metricName: "Latency", dimensions: { LoadBalancerName: source.loadBalancerName } }
    : undefined;
}

/**
 * The backend's failures as a TCP load balancer sees them (HTTPCode_Backend_5XX exists for HTTP listeners
 * only, and these listeners are TCP or SSL): connections a classic load balancer could not establish with
 * an instance (BackendConnectionErrors, health checks included), or resets an instance sent through a
 * network load balancer (TCP_Target_Reset_Count): a process refusing connections or crashing with them open.
 */
export function portBackendErrorMetric(source: PortMetricSource): MetricRef {
  return source.kind === "classic"
    ? {
        namespace: "AWS/ELB",
        metricName: "BackendConnectionErrors",
        dimensions: { LoadBalancerName: source.loadBalancerName },
      }
    : {
        namespace: "AWS/NetworkELB",
        metricName: "TCP_Target_Reset_Count",
        dimensions: { LoadBalancer: source.loadBalancer },
      };
}
