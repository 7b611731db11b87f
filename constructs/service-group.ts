import type { ITerraformDependable } from "cdktf";
import { AutoscalingGroup } from "@cdktf/provider-aws/lib/autoscaling-group";
import { AutoscalingLifecycleHook } from "@cdktf/provider-aws/lib/autoscaling-lifecycle-hook";
import { DataAwsAmi } from "@cdktf/provider-aws/lib/data-aws-ami";
import { LaunchTemplate } from "@cdktf/provider-aws/lib/launch-template";
import type { Precondition } from "cdktf";
import { Construct } from "constructs";
import type { Capacity } from "../fleet/schema";
import { DEFAULTS } from "../fleet/defaults";
import type { AmiShape } from "../fleet/shape/ami";
import { encodeUserData } from "../instance/user-data";
import type { Checkpoint } from "../rollout/checkpoint";

export interface ServiceGroupProps {
  /** Name of the Auto Scaling group; also prefixes the launch template. */
  readonly name: string;
  readonly instanceType: string;
  /** An explicit image id, or an owner + name pattern to look the newest one up. */
  readonly ami: AmiShape;
  /** The `#cloud-config` document, as text; encoded to base64 here, at synth time. */
  readonly userData: string;
  readonly securityGroupIds: string[];
  /** A public IPv4 address on each instance, whatever the subnet's default. @default false */
  readonly publicIp?: boolean;
  readonly subnetIds: string[];
  /** Processes per instance, for the launch template's description. */
  readonly processes: number;
  /** The instance profile every instance runs with. @default none */
  readonly instanceProfileArn?: string;
  /**
   * Permissions its instances need at boot (reading the release): a new launch template version is made only
   * once they are in place, so no instance boots without them (and a targeted stage 1 applies them too).
   * @default none
   */
  readonly bootNeeds?: readonly ITerraformDependable[];
  /** @default {min: 2, desired: 2, max: 4} */
  readonly capacity?: Capacity;
  /** Seconds before load balancer health checks count against a new instance. @default 300 */
  readonly healthCheckGracePeriod?: number;
  /**
   * Replace the instances when the launch template changes (see {@link refreshPreferences}), stopping when
   * any of `alarmNames` goes to ALARM; false: only instances launched later use the new template.
   * @default {alarmNames: []}
   */
  readonly instanceRefresh?:
    | false
    | {
        readonly alarmNames: readonly string[];
        /** Where the refresh stops once one instance is new (rollout/checkpoint.ts). @default none */
        readonly checkpoint?: Checkpoint;
      };
  /** Encrypted gp3 root volume size, GiB. @default 16 */
  readonly rootVolumeSize?: number;
  /** Tags the group copies onto the instances it launches. @default {} */
  readonly instanceTags?: Readonly<Record<string, string>>;
  /** Group metrics the Auto Scaling group publishes each minute (for the dashboard). @default none */
  readonly groupMetrics?: readonly string[];
  /**
   * A scaling policy owns the desired capacity: Terraform sets `capacity.desired` when it creates the group
   * and leaves it to the policy afterwards (otherwise every apply would undo its work). @default false
   */
  readonly scaledByPolicy?: boolean;
  /**
   * Plan-time checks on the subnets the group and its load balancers share (one per zone; see
   * FleetNetwork): a failed check stops the whole plan, so one resource carries them. @default none
   */
  readonly subnetChecks?: readonly Precondition[];
  /**
   * The launch lifecycle hook a new instance's boot completes (CONTINUE once every port answers, ABANDON
   * otherwise); an instance that never completes it is abandoned after `timeoutSeconds`.
   * @default none: an instance is in service once it runs
   */
  readonly bootHook?: { readonly name: string; readonly timeoutSeconds: number };
}

/**
 * The instances: a launch template (IMDSv2 only, encrypted root volume, the runit user data) and an
 * Auto Scaling group that every per-port load balancer sends to (attached by PortAttachments),
 * replacing instances on template changes.
 */
export class ServiceGroup extends Construct {
  readonly image: DataAwsAmi;
  readonly launchTemplate: LaunchTemplate;
  readonly group: AutoscalingGroup;
  readonly bootHook?: AutoscalingLifecycleHook;

  constructor(scope: Construct, id: string, props: ServiceGroupProps) {
    super(scope, id);
    this.image = new DataAwsAmi(this, "image", amiLookup(props.ami));
    this.launchTemplate = new LaunchTemplate(this, "launch-template", {
      namePrefix: `${props.name}-`,
      description: `${props.name}: ${props.processes} runit-supervised processes per instance`,
      imageId: this.image.id,
      instanceType: props.instanceType,
      userData: encodeUserData(props.userData),
      // The interface says it, not the subnet's "auto-assign public IP" default (on in every default VPC).
      networkInterfaces: [
        {
          deviceIndex: 0,
          associatePublicIpAddress: String(props.publicIp ?? false),
          securityGroups: props.securityGroupIds,
          deleteOnTermination: "true",
        },
      ],
      ...(props.instanceProfileArn === undefined ? {} : { iamInstanceProfile: { arn: props.instanceProfileArn } }),
      updateDefaultVersion: true,
      // One-minute EC2 metrics: target tracking and the dashboard see a change in a minute, not five.
      monitoring: { enabled: true },
      metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 },
      blockDeviceMappings: [
        {
          deviceName: this.image.rootDeviceName,
          ebs: {
            volumeSize: props.rootVolumeSize ?? DEFAULTS.rootVolumeSize,
            volumeType: "gp3",
            encrypted: "true",
            deleteOnTermination: "true",
          },
        },
      ],
      // Instance tags come from the group (propagate_at_launch), so the template declares none; ignoring
      // the attribute also tolerates emulators that echo the template's own tags into it.
      lifecycle: { ignoreChanges: ["tag_specifications"] },
      ...(props.bootNeeds === undefined || props.bootNeeds.length === 0 ? {} : { dependsOn: [...props.bootNeeds] }),
    });
    const capacity = props.capacity ?? DEFAULTS.capacity;
    const refresh = props.instanceRefresh ?? { alarmNames: [] };
    this.group = new AutoscalingGroup(this, "group", {
      name: props.name,
      minSize: capacity.min,
      desiredCapacity: capacity.desired,
      maxSize: capacity.max,
      vpcZoneIdentifier: props.subnetIds,
      // EC2, not ELB: a load balancer's check is readiness (it stops sending to that port), and one port
      // failing it must not replace the instance and its healthy processes, nor saturation (checks timing
      // out everywhere) replace instances under load. Liveness is judged on the host: the watchdog restarts
      // a wedged process and hands the instance over (SetInstanceHealth) only when restarts do not help
      // (docs/architecture.md, "Liveness and readiness").
      healthCheckType: "EC2",
      healthCheckGracePeriod: props.healthCheckGracePeriod ?? DEFAULTS.healthCheckGracePeriod,
      launchTemplate: { id: this.launchTemplate.id, version: this.launchTemplate.latestVersion.toString() },
      ...(refresh === false
        ? {}
        : {
            instanceRefresh: {
              strategy: "Rolling",
              preferences: refreshPreferences(
                props.healthCheckGracePeriod ?? DEFAULTS.healthCheckGracePeriod,
                [...refresh.alarmNames],
                refresh.checkpoint,
              ),
            },
          }),
      // Replacing an unhealthy instance launches its successor first, as a refresh does.
      instanceMaintenancePolicy: { minHealthyPercentage: 100, maxHealthyPercentage: 200 },
      // The hook must exist before the group's first instances launch; the separate hook below keeps it on
      // groups created before it existed, and carries later changes.
      ...(props.bootHook === undefined ? {} : { initialLifecycleHook: [bootHookSettings(props.bootHook)] }),
      ...((props.groupMetrics ?? []).length > 0
        ? { enabledMetrics: [...(props.groupMetrics ?? [])], metricsGranularity: "1Minute" }
        : {}),
      tag: [
        { key: "Name", value: props.name, propagateAtLaunch: true },
        ...Object.entries(props.instanceTags ?? {}).map(([key, value]) => ({ key, value, propagateAtLaunch: true })),
      ],
      lifecycle: {
        // Each port's load balancer is attached by its own aws_autoscaling_attachment (PortAttachments).
        ignoreChanges: [
          "load_balancers",
          "target_group_arns",
          "initial_lifecycle_hook",
          ...((props.scaledByPolicy ?? false) ? ["desired_capacity"] : []),
        ],
        ...((props.subnetChecks ?? []).length > 0 ? { precondition: [...(props.subnetChecks ?? [])] } : {}),
      },
    });
    if (props.bootHook !== undefined) {
      this.bootHook = new AutoscalingLifecycleHook(this, "boot-hook", {
        ...bootHookSettings(props.bootHook),
        autoscalingGroupName: this.group.name,
      });
    }
  }
}

/** A launch hook that abandons by default: an instance enters service only when its boot says so. */
export function bootHookSettings(hook: { readonly name: string; readonly timeoutSeconds: number }) {
  return {
    name: hook.name,
    lifecycleTransition: "autoscaling:EC2_INSTANCE_LAUNCHING",
    heartbeatTimeout: hook.timeoutSeconds,
    defaultResult: "ABANDON",
  };
}

/**
 * An instance refresh that cannot take a region down:
 * - launch before terminate: 100% of the desired capacity stays in service while up to 200% runs, so a
 *   group of one is refreshed by launching its successor first;
 * - each new instance warms up for the health-check grace period before it counts;
 * - instances already on the new template are skipped (a retried deploy replaces only what is left);
 * - with a checkpoint, it stops once one instance is new, for the deploy to judge and bake it first;
 * - any of `alarmNames` in ALARM fails the refresh at once.
 * Not `auto_rollback`: the AWS provider moves the group to the new launch template version before it
 * starts the refresh, so AWS would "roll back" to the new version (hashicorp/terraform-provider-aws#34189);
 * the deploy rolls back to the version it recorded before the apply instead (rollout/verdicts.ts).
 */
export function refreshPreferences(warmupSeconds: number, alarmNames: readonly string[], checkpoint?: Checkpoint) {
  return {
    minHealthyPercentage: 100,
    maxHealthyPercentage: 200,
    instanceWarmup: String(warmupSeconds),
    skipMatching: true,
    autoRollback: false,
    ...(alarmNames.length === 0 ? {} : { alarmSpecification: { alarms: [...alarmNames] } }),
    // One instance first: the refresh waits there while the deploy judges and bakes it, then replaces the rest.
    ...(checkpoint === undefined
      ? {}
      : { checkpointPercentages: [checkpoint.percentage, 100], checkpointDelay: String(checkpoint.delaySeconds) }),
  };
}

/** The data source arguments for an AMI: pinned by id, or the newest image matching owner and name. */
export function amiLookup(ami: AmiShape): {
  mostRecent: boolean;
  owners?: string[];
  filter: { name: string; values: string[] }[];
} {
  // Filtering on the architecture turns an image that cannot boot this instance type into a plan error.
  const architecture = { name: "architecture", values: [ami.architecture] };
  if (ami.id !== undefined) {
    return { mostRecent: false, filter: [{ name: "image-id", values: [ami.id] }, architecture] };
  }
  return {
    mostRecent: true,
    owners: [...ami.owners],
    filter: [
      { name: "name", values: [ami.namePattern ?? "*"] },
      { name: "state", values: ["available"] },
      architecture,
    ],
  };
}
