/*
 * The checks of health: each load balancer type's own ranges, a check that ends before the next and a grace
 * period a good new instance can pass in, and a watchdog that restarts only after several failed probes.
 */
import { HEALTH_CHECK_RANGES, type HealthCheckNumber, type LoadBalancerType } from "../aws-facts";
import type { ParsedFleetConfig } from "../schema";
import type { FleetShape } from "../shape";
import type { Problem } from "./problems";

/**
 * The schema takes what either load balancer type takes; each type's regions are held to that type's own
 * ranges (fleet/aws-facts.ts), one problem per type naming its regions.
 */
export function checkHealthCheckRanges(config: ParsedFleetConfig, shape: FleetShape): Problem[] {
  const types = Object.keys(HEALTH_CHECK_RANGES) as LoadBalancerType[];
  const fields = Object.keys(HEALTH_CHECK_RANGES.classic) as HealthCheckNumber[];
  const within = (value: number, [min, max]: readonly [number, number]) => value >= min && value <= max;
  return fields.flatMap((field) => {
    const value = config.healthCheck[field];
    const unit = field === "timeout" || field === "interval" ? "seconds" : "checks";
    return types.flatMap((type): Problem[] => {
      const range = HEALTH_CHECK_RANGES[type][field];
      const regions = shape.regions.filter((r) => r.loadBalancerType === type).map((r) => r.region);
      if (regions.length === 0 || within(value, range)) return [];
      const [min, max] = range;
      const fix = value > max ? `lower it to ${max} or less` : `raise it to ${min} or more`;
      const otherTypes = types
        .filter((other) => other !== type && within(value, HEALTH_CHECK_RANGES[other][field]))
        .map((other) => `, or set loadBalancerType "${other}" there (${HEALTH_CHECK_RANGES[other][field].join("-")})`);
      return [
        {
          path: `healthCheck.${field}`,
          value,
          message: `is outside the ${min}-${max} ${unit} that ${type} load balancers take (AWS refuses it at apply), and ${regions.join(", ")} use${regions.length === 1 ? "s" : ""} ${type} ones; ${fix}${otherTypes.join("")}`,
        },
      ];
    });
  });
}

/**
 * AWS's rules for a check, which its schema's minimums alone do not enforce: a check ends before the next
 * starts; and a good new instance passes its checks within the grace period, which is also the refresh's
 * warm-up and the moment the rollout judges new instances, so a shorter one counts healthy instances as failing.
 */
export function checkHealthCheckTiming(config: ParsedFleetConfig): Problem[] {
  const { timeout, interval, healthyThreshold } = config.healthCheck;
  const problems: Problem[] = [];
  if (timeout >= interval) {
    problems.push({
      path: "healthCheck.timeout",
      value: timeout,
      message: `must be less than healthCheck.interval (${interval} s): a check must end before the next one starts, and AWS refuses it at apply in every region; lower timeout or raise interval`,
    });
  }
  const passing = healthyThreshold * interval;
  if (config.healthCheckGracePeriod < passing) {
    problems.push({
      path: "healthCheckGracePeriod",
      value: config.healthCheckGracePeriod,
      message: `is shorter than the ${passing} s a new instance needs to pass its checks (healthCheck.healthyThreshold ${healthyThreshold} × interval ${interval} s): the instance refresh's warm-up and the rollout's judgement would count healthy new instances as failing; raise it to at least ${passing}, or check more often`,
    });
  }
  return problems;
}

/**
 * The watchdog sees at least three probes fail before it restarts a process, and hands a wedged instance
 * over no sooner than it would restart one process.
 */
export function checkWatchdog(config: ParsedFleetConfig): Problem[] {
  const { watchdog } = config;
  if (watchdog === false) return [];
  const problems: Problem[] = [];
  if (watchdog.failAfterSeconds < 3 * watchdog.probeTimeoutSeconds) {
    problems.push({
      path: "watchdog.failAfterSeconds",
      value: watchdog.failAfterSeconds,
      message: `must be at least 3 × watchdog.probeTimeoutSeconds (${3 * watchdog.probeTimeoutSeconds}), so a restart follows three failed probes, never one slow answer; raise it or lower probeTimeoutSeconds`,
    });
  }
  if (watchdog.handOverAfterSeconds < watchdog.failAfterSeconds) {
    problems.push({
      path: "watchdog.handOverAfterSeconds",
      value: watchdog.handOverAfterSeconds,
      message: `must be at least watchdog.failAfterSeconds (${watchdog.failAfterSeconds}): a whole instance is handed over no sooner than one silent process is restarted; raise it or lower failAfterSeconds`,
    });
  }
  return problems;
}
