/*
 * Pure: a load balancer's view of one registered instance, as AWS keeps it. A new registration is first "in
 * progress", then needs `healthyThreshold` passing checks in a row to serve, or is unhealthy after
 * `unhealthyThreshold` failing ones; a serving instance needs `unhealthyThreshold` failing checks in a row to
 * stop, and a stopped one `healthyThreshold` passes to serve again. The answers are AWS's own words, for
 * DescribeInstanceHealth (classic) and DescribeTargetHealth (network), which the local AWS relays
 * (local-aws/fixes/live_health.py).
 */

import type { LoadBalancerType } from "../fleet/aws-facts";

export type TargetStatus = "registering" | "checking" | "healthy" | "unhealthy";

export interface TargetHealth {
  readonly status: TargetStatus;
  /** Consecutive checks with the same result as the last one. */
  readonly streak: number;
  readonly lastPassed?: boolean;
}

export interface Thresholds {
  readonly healthyThreshold: number;
  readonly unhealthyThreshold: number;
}

export const REGISTERED: TargetHealth = { status: "registering", streak: 0 };

/** The view after one more check. */
export function afterCheck(health: TargetHealth, passed: boolean, thresholds: Thresholds): TargetHealth {
  const streak = health.lastPassed === passed ? health.streak + 1 : 1;
  const next = (status: TargetStatus): TargetHealth => ({ status, streak, lastPassed: passed });
  switch (health.status) {
    case "registering":
    case "checking":
      // A new instance whose checks keep failing gets AWS's verdict, not "still checking": the rollout reads it.
      if (passed) return next(streak >= thresholds.healthyThreshold ? "healthy" : "checking");
      return next(streak >= thresholds.unhealthyThreshold ? "unhealthy" : "checking");
    case "healthy":
      return next(!passed && streak >= thresholds.unhealthyThreshold ? "unhealthy" : "healthy");
    case "unhealthy":
      return next(passed && streak >= thresholds.healthyThreshold ? "healthy" : "unhealthy");
  }
}

/** DescribeInstanceHealth's InstanceState, without the id. */
export interface ClassicAnswer {
  readonly State: "InService" | "OutOfService";
  readonly ReasonCode: "N/A" | "ELB" | "Instance";
  readonly Description: string;
}

/** DescribeTargetHealth's TargetHealth. */
export interface NetworkAnswer {
  readonly State: "initial" | "healthy" | "unhealthy" | "draining";
  readonly Reason?: "Elb.RegistrationInProgress" | "Elb.InitialHealthChecking" | "Target.FailedHealthChecks";
  readonly Description?: string;
}

const CLASSIC: Record<TargetStatus, ClassicAnswer> = {
  registering: { State: "OutOfService", ReasonCode: "ELB", Description: "Instance registration is still in progress." },
  checking: {
    State: "OutOfService",
    ReasonCode: "Instance",
    Description: "Instance has not passed the configured HealthyThreshold number of health checks consecutively.",
  },
  healthy: { State: "InService", ReasonCode: "N/A", Description: "N/A" },
  unhealthy: {
    State: "OutOfService",
    ReasonCode: "Instance",
    Description: "Instance has failed at least the UnhealthyThreshold number of health checks consecutively.",
  },
};

const NETWORK: Record<TargetStatus, NetworkAnswer> = {
  registering: {
    State: "initial",
    Reason: "Elb.RegistrationInProgress",
    Description: "Target registration is in progress",
  },
  checking: { State: "initial", Reason: "Elb.InitialHealthChecking", Description: "Initial health checks in progress" },
  healthy: { State: "healthy" },
  unhealthy: { State: "unhealthy", Reason: "Target.FailedHealthChecks", Description: "Health checks failed" },
};

export function classicAnswer(health: TargetHealth): ClassicAnswer {
  return CLASSIC[health.status];
}

export function networkAnswer(health: TargetHealth): NetworkAnswer {
  return NETWORK[health.status];
}

/**
 * The instances a load balancer sends new connections to: the healthy ones. A network load balancer with no
 * healthy target "fails open" and sends to every registered one, as AWS's does; a classic one sends to none.
 */
export function servingTargets(
  kind: LoadBalancerType,
  targets: ReadonlyMap<string, TargetHealth>,
): ReadonlySet<string> {
  const healthy = [...targets].filter(([, health]) => health.status === "healthy").map(([id]) => id);
  if (healthy.length === 0 && kind === "network") return new Set(targets.keys());
  return new Set(healthy);
}
