/*
 * What is valid but will not do what it suggests: printed before a command starts, never fatal.
 */
import { LOCAL_DEPLOYMENT } from "../defaults";
import { resolveSettings } from "../region-settings";
import type { ParsedFleetConfig } from "../schema";
import { regionAlarmNames, type FleetShape } from "../shape";
import type { RegionProblem } from "./problems";

/** What is valid but cannot work as written: a fixed group asked to scale, a region one failure away from an outage. */
export function warningsOf(config: ParsedFleetConfig, shape: FleetShape): RegionProblem[] {
  return shape.regions.flatMap((region, index): RegionProblem[] => {
    const { min, max } = region.autoScaling.capacity;
    const { capacity } = resolveSettings(config, index);
    const warnings: RegionProblem[] = [];
    if (region.accessLogs !== undefined && region.loadBalancerType === "network" && region.listener.tls === undefined) {
      const { accessLogs } = resolveSettings(config, index);
      warnings.push({
        path: accessLogs.path,
        value: accessLogs.value,
        message:
          "logs nothing on network load balancers with a plain TCP listener: AWS writes their access logs for TLS listeners only; set tls (a certificate) to get them",
        region: region.region,
      });
    }
    if (min < 2) {
      warnings.push({
        path: capacity.path,
        value: capacity.value ?? region.autoScaling.capacity,
        message:
          (min === 0
            ? "has min = 0: the group may scale in to no instance, and then the region serves nothing at all"
            : "has min = 1: when the group runs one instance, that instance failing (or its zone) is an outage of the region") +
          ` until a replacement boots and passes its checks (grace period ${region.autoScaling.healthCheckGracePeriod} s and more); set min to 2 or more, one instance per zone`,
        region: region.region,
      });
    }
    if (
      region.monitoring.topicArn === undefined &&
      !region.monitoring.silenced &&
      config.deployment !== LOCAL_DEPLOYMENT
    ) {
      const { alarms } = resolveSettings(config, index);
      warnings.push({
        path: alarms.path === "alarms" ? "alarms.topicArn" : `regions[${index}].alarms.topicArn`,
        value: undefined,
        message:
          `tells nobody: the region's ${regionAlarmNames(region).length} alarms (ports without a healthy instance, instances failing checks, ` +
          "ports slow or failing connections, boots abandoned, instances handed over, a failed refresh) only change color in the console; set alarms.topicArn to an SNS topic " +
          "in the region that pages you, or to false to run without one on purpose",
        region: region.region,
      });
    }
    const latencySeconds = config.regions[index]?.alarms?.latencySeconds;
    const latencyPath =
      latencySeconds === undefined ? "alarms.latencySeconds" : `regions[${index}].alarms.latencySeconds`;
    const latencyValue = latencySeconds ?? config.alarms?.latencySeconds;
    if (region.loadBalancerType === "network" && latencyValue !== undefined) {
      warnings.push({
        path: latencyPath,
        value: latencyValue,
        message:
          "watches nothing behind network load balancers: they report no latency for TCP, so the region alarms on backend resets (alarms.backendErrors) and health only; remove it, or use classic load balancers",
        region: region.region,
      });
    }
    if (region.scaling !== undefined && min === max) {
      warnings.push({
        path: capacity.path,
        value: capacity.value ?? region.autoScaling.capacity,
        message: `has min = max = ${min}, so target tracking (CPU ${region.scaling.cpuTarget}%) cannot add or remove instances; raise capacity.max to let it scale, or set scaling: false for a fixed size`,
        region: region.region,
      });
    }
    return warnings;
  });
}
