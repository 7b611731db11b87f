/*
 * What runs on a region's instances and how they come up: the image, the user data (runit services, the
 * runtime, the app and its variables), the role, the boot through the launch hook, where logs go, and the
 * liveness watchdog. The user data is rendered here, from the same port list as everything else.
 */
import { architectureOf, type CpuArchitecture } from "../aws-facts";
import { DEFAULTS } from "../defaults";
import { fleetMetricsNamespace } from "../names";
import type { AmiSelector, ParsedFleetConfig } from "../schema";
import { planSecrets, type SecretSource } from "../../instance/app-environment";
import { BOOT_HOOK_NAME } from "../../instance/instance-api";
import { eventLogGroupName, logGroupName } from "../../instance/log-shipping";
import { PINNED_NODE, releaseReadArn, type ReleaseLocation } from "../../instance/release";
import { readySeconds, renderUserData, type AppFiles } from "../../instance/user-data";
import type { WatchdogSpec } from "../../instance/watchdog";
import { amiShape, type AmiShape } from "./ami";

export interface InstanceShape {
  readonly type: string;
  readonly arch: CpuArchitecture;
  readonly ami: AmiShape;
  readonly userData: string;
  readonly user: string;
  readonly command: string;
  /** The release the instances fetch and run; none for the bundled demo app (or code on the image). */
  readonly release?: ReleaseLocation;
  /** Plain variables every process gets (`app.environment`). */
  readonly environment: Readonly<Record<string, string>>;
  /** Variables every process gets from SSM or Secrets Manager, `{region}` replaced by this region (`app.secrets`). */
  readonly secrets: readonly SecretSource[];
  readonly role: InstanceRoleShape;
}

/** The role every instance of a region runs with: S3 only for its release's folder, SSM when asked. */
export interface InstanceRoleShape {
  /** IAM names are account-wide: the region stack's name (service, deployment, region). */
  readonly name: string;
  /** The releases the role may read (s3:GetObject; instance/release.ts, releaseReadArn); none without a release. */
  readonly releaseReadArn?: string;
  /** Session Manager (instead of SSH): its messages only, sessions logged to the region's log group. */
  readonly ssm: boolean;
  /** The parameters and secrets the role may read (and decrypt through their service), exactly; none: no statement. */
  readonly secrets: readonly SecretSource[];
  /** Managed policies attached to the role, for what the app itself calls (`app.policyArns`). */
  readonly policyArns: readonly string[];
}

export interface BootShape {
  /** The launch lifecycle hook's name. */
  readonly hookName: string;
  /** Seconds from launch before an instance that did not complete the hook is abandoned. */
  readonly timeoutSeconds: number;
  /** Seconds the boot script waits for every port to answer before it abandons the launch itself. */
  readonly readySeconds: number;
}

export interface LogsShape {
  /** The region's log group: every instance's logs, and Session Manager's sessions. */
  readonly group: string;
  /** The group that keeps the Auto Scaling group's events (EventBridge writes only under /aws/events/). */
  readonly eventGroup: string;
  readonly retentionDays: number;
  /** The namespace of the metrics the log filters count (restarts, hand-overs, abandoned boots, failed refreshes). */
  readonly metricsNamespace: string;
}

/** The watchdog's settings; the service and its ports come from the region. */
export type WatchdogShape = Omit<WatchdogSpec, "service" | "ports">;

/** What the user data of a region needs besides the config: where the instances run and what they report to. */
export interface InstanceContext {
  readonly region: string;
  readonly type: string;
  readonly ami: AmiSelector | undefined;
  readonly ports: readonly number[];
  readonly groupName: string;
  /** The region stack's name: the role's, too (IAM names are account-wide). */
  readonly stackName: string;
  readonly logs: LogsShape;
  readonly boot: BootShape;
  readonly watchdog: WatchdogShape | undefined;
}

/**
 * The instances of one region. `defaultApp` is what they run when the fleet names neither a release nor a
 * command: an input, so computing the shape reads nothing.
 */
export function instanceShape(
  config: ParsedFleetConfig,
  context: InstanceContext,
  defaultApp: AppFiles,
): InstanceShape {
  const { region, stackName, watchdog } = context;
  const arch = architectureOf(context.type);
  const user = config.app.user ?? DEFAULTS.app.user;
  const command = config.app.command ?? DEFAULTS.app.command;
  const release = releaseLocation(config);
  const environment = { ...config.app.environment };
  const secrets = planSecrets(config.app.secrets ?? {}, region);
  const userData = renderUserData({
    service: config.service,
    user,
    command,
    ports: context.ports,
    ...(config.healthCheck.path === undefined ? {} : { healthPath: config.healthCheck.path }),
    region,
    groupName: context.groupName,
    logGroup: context.logs.group,
    readySeconds: context.boot.readySeconds,
    ...(watchdog === undefined ? {} : { watchdog }),
    runtime:
      release === undefined
        ? { kind: "pinned", version: PINNED_NODE.version, sha256: PINNED_NODE.sha256 }
        : { kind: "release", release },
    ...(release === undefined && config.app.command === undefined ? { appFiles: defaultApp } : {}),
    environment,
    secrets,
  });
  return {
    type: context.type,
    arch,
    ami: amiShape(context.ami, arch),
    userData,
    user,
    command,
    ...(release === undefined ? {} : { release }),
    environment,
    secrets,
    role: {
      name: stackName,
      ...(release === undefined ? {} : { releaseReadArn: releaseReadArn(release) }),
      ssm: config.ssm,
      secrets,
      policyArns: [...(config.app.policyArns ?? [])],
    },
  };
}

/** A new instance enters service only once its boot completes the launch hook, within the fleet's boot timeout. */
export function bootShape(bootTimeoutSeconds: number): BootShape {
  return {
    hookName: BOOT_HOOK_NAME,
    timeoutSeconds: bootTimeoutSeconds,
    readySeconds: readySeconds(bootTimeoutSeconds),
  };
}

/** The region's log groups are named after its stack; the metrics their filters count, after the fleet. */
export function logsShape(config: ParsedFleetConfig, regionStack: string): LogsShape {
  return {
    group: logGroupName(regionStack),
    eventGroup: eventLogGroupName(regionStack),
    retentionDays: config.logs.retentionDays,
    metricsNamespace: fleetMetricsNamespace(config),
  };
}

/**
 * The watchdog's settings, with the path it probes (the liveness path, else the health path, else "/") and
 * the group's grace period, inside which a hand-over may be ignored.
 */
export function watchdogShape(config: ParsedFleetConfig): WatchdogShape | undefined {
  if (config.watchdog === false) return undefined;
  const { livenessPath, path } = config.healthCheck;
  return {
    probePath: livenessPath ?? path ?? "/",
    requireSuccess: livenessPath !== undefined,
    gracePeriodSeconds: config.healthCheckGracePeriod,
    ...config.watchdog,
  };
}

/** The release in `app.release`, its region filled in (the state bucket's by default). */
export function releaseLocation(config: ParsedFleetConfig): ReleaseLocation | undefined {
  const release = config.app.release;
  return release === undefined ? undefined : { ...release, region: release.region ?? config.state.region };
}
