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
