import { AutoscalingPolicy } from "@cdktf/provider-aws/lib/autoscaling-policy";
import { Construct } from "constructs";
import { DEFAULTS } from "../fleet/defaults";

export interface CpuScalingProps {
  /** The Auto Scaling group to scale. */
  readonly groupName: string;
  readonly policyName: string;
  /** Average CPU percent the group keeps to. @default 60 */
  readonly cpuTarget?: number;
  /** Seconds before a new instance's CPU counts toward the average. @default 300 (the health-check grace period) */
  readonly warmup?: number;
}

/**
 * Target tracking on the group's average CPU: AWS adds instances while the average is above the target
 * and removes them while it is well below, within the group's min and max. Every instance runs one busy
 * process per vCPU plus one, so CPU is what saturates first.
 */
export class CpuScaling extends Construct {
  readonly policy: AutoscalingPolicy;

  constructor(scope: Construct, id: string, props: CpuScalingProps) {
    super(scope, id);
    this.policy = new AutoscalingPolicy(this, "policy", {
      name: props.policyName,
      autoscalingGroupName: props.groupName,
      policyType: "TargetTrackingScaling",
      estimatedInstanceWarmup: props.warmup ?? DEFAULTS.healthCheckGracePeriod,
      targetTrackingConfiguration: {
        predefinedMetricSpecification: { predefinedMetricType: "ASGAverageCPUUtilization" },
        targetValue: props.cpuTarget ?? DEFAULTS.scaling.cpuTarget,
      },
    });
  }
}
