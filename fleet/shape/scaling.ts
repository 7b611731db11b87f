/*
 * The region's Auto Scaling group and how it scales: target tracking on average CPU, or a fixed size.
 */
import { DEFAULTS } from "../defaults";
import { scalingPolicyName } from "../names";
import type { Capacity, ScalingConfig } from "../schema";
import type { Checkpoint } from "../../rollout/checkpoint";

export interface AutoScalingShape {
  readonly name: string;
  readonly capacity: Capacity;
  readonly healthCheckGracePeriod: number;
  readonly instanceRefresh: boolean;
  /** Where the refresh stops once one instance is new, to judge and bake it first (rollout/checkpoint.ts). */
  readonly checkpoint?: Checkpoint;
}

export interface ScalingShape {
  readonly policyName: string;
  /** Average CPU percent the group keeps to. */
  readonly cpuTarget: number;
  /** Seconds before a new instance's CPU counts toward the average: the health-check grace period. */
  readonly warmup: number;
}

/** Target tracking unless `scaling` is false; new instances warm up for the health-check grace period. */
export function scalingShape(
  scaling: ScalingConfig,
  regionStack: string,
  healthCheckGracePeriod: number,
): { scaling?: ScalingShape } {
  if (scaling === false) return {};
  return {
    scaling: {
      policyName: scalingPolicyName(regionStack),
      cpuTarget: scaling?.cpuTarget ?? DEFAULTS.scaling.cpuTarget,
      warmup: healthCheckGracePeriod,
    },
  };
}
