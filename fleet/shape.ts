import { exceptionFromPattern, type BaselineException } from "../baseline/engine";
import {
  DEBIAN_AMI_OWNER,
  INSTANCE_TYPES,
  LOAD_BALANCER_QUOTA,
  architectureOf,
  type CpuArchitecture,
  type LoadBalancerType,
} from "./aws-facts";
import type {
  AlarmsConfig,
  AmiSelector,
  Capacity,
  HealthCheck,
  OverridableKey,
  ParsedFleetConfig,
  ScalingConfig,
} from "./schema";
import { DEFAULTS } from "./defaults";
import {
  aliasRecordName,
  autoScalingGroupName,
  loadBalancerName,
  regionalRecordName,
  dnsStackName,
  globalRecordName,
  portAlarmName,
  portShareAlarmName,
  portUnhealthyAlarmName,
  hostAlarmNames,
  fleetMetricsNamespace,
  regionAlarmName,
  scalingPolicyName,
  unhealthyHostsAlarmName,
  type FleetIdentity,
  regionStackName,
  runitServiceName,
  setIdentifier,
  stateKey,
  stateStackName,
} from "./names";
import { planSecrets, type SecretSource } from "../instance/app-environment";
import { BOOT_HOOK_NAME } from "../instance/instance-api";
import { eventLogGroupName, logGroupName } from "../instance/log-shipping";
import { belowDesiredMinutes, guardGroups, guardMinutes, shareGroup } from "../monitoring/alarms";
import { PINNED_NODE, releaseObjectArn, type ReleaseLocation } from "../instance/release";
import { defaultWaves, type RolloutShape } from "../rollout/waves";
import { readySeconds, renderUserData, type AppFiles } from "../instance/user-data";
import type { WatchdogSpec } from "../instance/watchdog";

/*
 * The plan: everything the constructs create, computed up front as plain data from the parsed config.
 * Ports, load balancers, alias records, weighted records, ASG attachments, the security group range and
 * the runit services are all projections of one list, `RegionShape.ports`, so they cannot disagree.
 */

/** One service process and everything that exists because of it. */
export interface PortShape {
  /** 0-based position; names the alias record (`cloudrim{index}`). */
  readonly index: number;
  /** Instance port the process listens on (basePort + index). */
  readonly port: number;
  readonly loadBalancerName: string;
  readonly aliasName: string;
  readonly setIdentifier: string;
  readonly weight: number;
  readonly runitService: string;
  /** The CloudWatch alarm that fires when this port's load balancer has no healthy instance. */
  readonly alarmName: string;
  /** The alarm that fires when an instance has failed this port's check for a while. */
  readonly unhealthyAlarmName: string;
}

export interface ListenerShape {
  readonly tls?: { readonly certificateArn: string; readonly policy: string };
  readonly proxyProtocol: boolean;
}

export interface AccessLogsShape {
  readonly bucket: string;
  readonly prefix: string;
  /** The region stack creates the bucket (with the load balancers' delivery policy), or it is the user's. */
  readonly create: boolean;
  /** The created bucket denies requests without TLS (off only where the target cannot evaluate it). */
  readonly tlsOnly: boolean;
  /** Days a log is kept in the created bucket: the fleet's log retention. */
  readonly expireAfterDays: number;
  readonly noncurrentVersionDays: number;
}

/** One egress rule of the instances: a destination and one port; `id` keys its construct. */
export interface EgressRule {
  readonly id: string;
  readonly port: number;
  readonly cidr?: string;
  readonly prefixList?: string;
}

export interface PortRange {
  readonly from: number;
  readonly to: number;
}

export interface AmiShape {
  /** Explicit image id, or undefined to look one up. */
  readonly id?: string;
  readonly owners: readonly string[];
  /** Name pattern with `{arch}` already replaced. */
  readonly namePattern?: string;
  /** EC2's name for the instance type's architecture; the image must match it. */
  readonly architecture: CpuArchitecture;
  /** The image lock's answer to the lookup (`owners` and `namePattern`), which `id` then holds: its name, and the lock file. */
  readonly locked?: { readonly name: string; readonly lockFile: string };
}

/** Where a region runs: the default VPC when `vpcId` is unset; subnets given, or picked by tags (one per zone). */
export interface NetworkShape {
  readonly vpcId?: string;
  readonly subnetIds?: readonly string[];
  /** With `vpcId` and no `subnetIds`: use the VPC's subnets carrying all of these tags. */
  readonly subnetTags?: Readonly<Record<string, string>>;
}

export interface RegionShape {
  readonly region: string;
  /** The fleet's service name (`cloudrim`): runit services, log and app directories carry it. */
  readonly service: string;
  readonly stackName: string;
  readonly regionalName: string;
  readonly listenerPort: number;
  readonly portRange: PortRange;
  readonly ports: readonly PortShape[];
  readonly network: NetworkShape;
  readonly allowedCidrs: readonly string[];
  readonly internal: boolean;
  /** What the listener speaks: TLS with a certificate, or plain TCP; proxy protocol to the instances. */
  readonly listener: ListenerShape;
  /** The load balancers' access logs; none when off. */
  readonly accessLogs?: AccessLogsShape;
  /** Network load balancers refuse to be deleted until this is turned off. */
  readonly deletionProtection: boolean;
  /** Where instances may connect out, one rule per destination and port. */
  readonly instanceEgress: readonly EgressRule[];
  /** Whether instances get a public IPv4 address. */
  readonly publicIp: boolean;
  readonly healthCheck: HealthCheck;
  /** Classic load balancers, or network load balancers with a target group each. */
  readonly loadBalancerType: LoadBalancerType;
  readonly loadBalancerQuota: number;
  readonly dns: {
    readonly domain: string;
    readonly privateZone: boolean;
    /** The latency record this region adds to the name that spans regions; none when `globalName` is false. */
    readonly globalName?: string;
  };
  readonly instance: {
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
  };
  readonly autoScaling: {
    readonly name: string;
    readonly capacity: Capacity;
    readonly healthCheckGracePeriod: number;
    readonly instanceRefresh: boolean;
  };
  /** Target tracking on the group's average CPU; none for a fixed-size group (`scaling: false`). */
  readonly scaling?: ScalingShape;
  readonly monitoring: MonitoringShape;
  /** How a new instance enters service: only once its boot completes the launch lifecycle hook. */
  readonly boot: BootShape;
  /** Where the instances' logs go. */
  readonly logs: LogsShape;
  /** The liveness watchdog on each instance; none with `watchdog: false`. */
  readonly watchdog?: Omit<WatchdogSpec, "service" | "ports">;
  readonly state: { readonly bucket: string; readonly region: string; readonly key: string };
  readonly tags: Readonly<Record<string, string>>;
  /** The only account the region's provider accepts credentials of; none: any. */
  readonly accountId?: string;
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

export interface ScalingShape {
  readonly policyName: string;
  /** Average CPU percent the group keeps to. */
  readonly cpuTarget: number;
  /** Seconds before a new instance's CPU counts toward the average: the health-check grace period. */
  readonly warmup: number;
}

/**
 * The region's alarms (one per port, named in `ports`, one for all of them, and the guards a rollout
 * watches) and its dashboard.
 */
export interface MonitoringShape {
  /** Minutes a port may have no healthy instance before its alarm fires. */
  readonly minutes: number;
  /** The SNS topic that receives ALARM and OK; none: the alarms only show in the console. */
  readonly topicArn?: string;
  /** `alarms.topicArn: false`: no topic, on purpose (no warning). */
  readonly silenced: boolean;
  readonly regionAlarmName: string;
  /** One per weighted port with at least one other weighted port to compare with. */
  readonly shareAlarms: readonly { readonly name: string; readonly port: number }[];
  /** The region's alarms on its group and its hosts. */
  readonly host: ReturnType<typeof hostAlarmNames>;
  /** Minutes the group may have fewer instances in service than desired: longer than a boot. */
  readonly belowDesiredMinutes: number;
  /** Unhealthy instances on any port of a group of ten: what an instance refresh and a bake stop on. */
  readonly guardAlarms: readonly { readonly name: string; readonly ports: readonly number[] }[];
  /** Minutes of unhealthy instances before a guard alarm fires: longer than a good new instance takes to pass. */
  readonly guardMinutes: number;
  /** The region stack's name. */
  readonly dashboardName: string;
}

/** The role every instance of a region runs with: S3 only for its one release object, SSM when asked. */
export interface InstanceRoleShape {
  /** IAM names are account-wide: the region stack's name (service, deployment, region). */
  readonly name: string;
  /** The one object the role may read (s3:GetObject); none without a release. */
  readonly releaseObjectArn?: string;
  /** Session Manager (instead of SSH): its messages only, sessions logged to the region's log group. */
  readonly ssm: boolean;
  /** The parameters and secrets the role may read (and decrypt through their service), exactly; none: no statement. */
  readonly secrets: readonly SecretSource[];
  /** Managed policies attached to the role, for what the app itself calls (`app.policyArns`). */
  readonly policyArns: readonly string[];
}

/** The stack that creates the hosted zone, when `createHostedZone` is set. */
export interface HostedZoneShape {
  readonly stackName: string;
  readonly domain: string;
  /** Route 53 is global; the provider still needs a region, and the stack keeps its state next to the others. */
  readonly region: string;
  readonly state: { readonly bucket: string; readonly region: string; readonly key: string };
}

/** The bootstrap stack: the bucket every other stack keeps its state in, and its own state there too. */
export interface StateShape {
  readonly bucket: string;
  readonly region: string;
  readonly stackName: string;
  /** Every stack's state key starts with it: `{keyPrefix}/{service}/{deployment}/`. */
  readonly keyPrefix: string;
  /** Where the state stack keeps its own state once the bucket exists. */
  readonly key: string;
  /** A bucket policy that denies every request without TLS. */
  readonly tlsOnlyPolicy: boolean;
  /** Terraform refuses any plan that would destroy the bucket (`prevent_destroy`). */
  readonly preventDestroy: boolean;
  /** A bucket for releases the state stack creates and hardens the same way (`releaseBucket`). */
  readonly releaseBucket?: string;
  /** Days replaced object versions are kept (every state lock leaves some). */
  readonly noncurrentVersionDays: number;
}

export interface FleetShape {
  readonly service: string;
  /** The only account the stacks may deploy to; none: any. */
  readonly accountId?: string;
  /** How a deploy rolls a change across the regions: waves, bake, parallelism. */
  readonly rollout: RolloutShape;
  readonly deployment: string;
  readonly domain: string;
  readonly state: StateShape;
  readonly hostedZone?: HostedZoneShape;
  readonly tags: Readonly<Record<string, string>>;
  readonly regions: readonly RegionShape[];
  /** Findings of the security baseline this fleet accepts (the project's own are in baseline/exceptions.ts). */
  readonly baselineExceptions: readonly BaselineException[];
}

/** A setting as it applies to one region, with the config path that decided it (for error messages). */
export interface Sourced<T> {
  readonly value: T;
  readonly path: string;
}

export type ResolvedSettings = { readonly [K in OverridableKey]-?: Sourced<ParsedFleetConfig[K]> };

/** Region entry wins over the fleet-wide value. */
export function resolveSettings(config: ParsedFleetConfig, regionIndex: number): ResolvedSettings {
  const entry = config.regions[regionIndex];
  if (entry === undefined) throw new RangeError(`no region at index ${regionIndex}`);
  const pick = <K extends OverridableKey>(key: K): Sourced<ParsedFleetConfig[K]> => {
    // Region entries and the fleet share the overridable fields' schema, so their types agree.
    const override = entry[key] as ParsedFleetConfig[K];
    return override !== undefined
      ? { value: override, path: `regions[${regionIndex}].${key}` }
      : { value: config[key], path: key };
  };
  return {
    instanceType: pick("instanceType"),
    processes: pick("processes"),
    weights: pick("weights"),
    capacity: pick("capacity"),
    allowedCidrs: pick("allowedCidrs"),
    ttl: pick("ttl"),
    ami: pick("ami"),
    loadBalancerQuota: pick("loadBalancerQuota"),
    loadBalancerType: pick("loadBalancerType"),
    subnetTags: pick("subnetTags"),
    scaling: pick("scaling"),
    alarms: pick("alarms"),
    tls: pick("tls"),
    accessLogs: pick("accessLogs"),
    instanceEgress: pick("instanceEgress"),
  };
}

/** n+1: one process per vCPU plus one, so a core never idles while another process waits on I/O. */
export function defaultProcesses(instanceType: string): number | undefined {
  const facts = INSTANCE_TYPES[instanceType];
  return facts === undefined ? undefined : facts.vcpus + 1;
}

/** Instance ports basePort, basePort+1, ... — the one list everything else derives from. */
export function portList(basePort: number, processes: number): number[] {
  return Array.from({ length: processes }, (_, index) => basePort + index);
}

/** `TCP:9001`, or `HTTP:9001/healthz` when the processes answer a health path: a classic load balancer's check. */
export function healthCheckTarget(port: number, path: string | undefined): string {
  return path === undefined ? `TCP:${port}` : `HTTP:${port}${path}`;
}

export function equalWeights(processes: number): number[] {
  return Array.from({ length: processes }, () => DEFAULTS.weight);
}

export function amiShape(selector: AmiSelector | undefined, arch: CpuArchitecture): AmiShape {
  if (typeof selector === "string") return { id: selector, owners: [], architecture: arch };
  const lookup = selector ?? { owners: [DEBIAN_AMI_OWNER], name: "debian-12-{arch}-*" };
  // Debian names its images amd64/arm64, while EC2 calls the architectures x86_64/arm64.
  const debianArch = arch === "x86_64" ? "amd64" : "arm64";
  return {
    owners: [...lookup.owners],
    namePattern: lookup.name.replaceAll("{arch}", debianArch),
    architecture: arch,
  };
}

export function portShapes(
  identity: FleetIdentity,
  region: string,
  domain: string,
  basePort: number,
  processes: number,
  weights: readonly number[],
): PortShape[] {
  const stack = regionStackName(identity, region);
  return portList(basePort, processes).map((port, index) => ({
    index,
    port,
    loadBalancerName: loadBalancerName(identity, port),
    aliasName: aliasRecordName(identity, index, region, domain),
    setIdentifier: setIdentifier(region, port),
    weight: weights[index] ?? DEFAULTS.weight,
    runitService: runitServiceName(identity.service, port),
    alarmName: portAlarmName(stack, port),
    unhealthyAlarmName: portUnhealthyAlarmName(stack, port),
  }));
}

/**
 * Projects a parsed config onto one region. Assumes the config passed validation: an unknown instance
 * type without `processes` falls back to one process here, and validation reports it.
 */
export function regionShape(config: ParsedFleetConfig, regionIndex: number, defaultApp: AppFiles): RegionShape {
  const entry = config.regions[regionIndex];
  if (entry === undefined) throw new RangeError(`no region at index ${regionIndex}`);
  const settings = resolveSettings(config, regionIndex);
  const instanceType = settings.instanceType.value ?? DEFAULTS.instanceType;
  const arch = architectureOf(instanceType);
  const processes = settings.processes.value ?? defaultProcesses(instanceType) ?? 1;
  const weights = settings.weights.value ?? equalWeights(processes);
  const ports = portShapes(config, entry.region, config.domain, config.basePort, processes, weights);
  const user = config.app.user ?? DEFAULTS.app.user;
  const command = config.app.command ?? DEFAULTS.app.command;
  const globalName =
    config.globalName === false ? undefined : (config.globalName ?? globalRecordName(config.service, config.domain));
  const release = releaseLocation(config);
  const loadBalancerType = settings.loadBalancerType.value ?? DEFAULTS.loadBalancerType;
  const stackName = regionStackName(config, entry.region);
  const groupName = autoScalingGroupName(config, entry.region);
  const logs: LogsShape = {
    group: logGroupName(stackName),
    eventGroup: eventLogGroupName(stackName),
    retentionDays: config.logs.retentionDays,
    metricsNamespace: fleetMetricsNamespace(config),
  };
  const boot: BootShape = {
    hookName: BOOT_HOOK_NAME,
    timeoutSeconds: config.bootTimeoutSeconds,
    readySeconds: readySeconds(config.bootTimeoutSeconds),
  };
  const watchdog = watchdogShape(config);
  const environment = { ...config.app.environment };
  const secrets = planSecrets(config.app.secrets ?? {}, entry.region);
  const userData = renderUserData({
    service: config.service,
    user,
    command,
    ports: ports.map((p) => p.port),
    ...(config.healthCheck.path === undefined ? {} : { healthPath: config.healthCheck.path }),
    region: entry.region,
    groupName,
    logGroup: logs.group,
    readySeconds: boot.readySeconds,
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
    region: entry.region,
    service: config.service,
    stackName,
    regionalName: regionalRecordName(config.service, entry.region, config.domain),
    listenerPort: config.listenerPort,
    portRange: { from: config.basePort, to: config.basePort + Math.max(ports.length, 1) - 1 },
    ports,
    network: networkShape(entry, settings.subnetTags.value),
    allowedCidrs: settings.allowedCidrs.value ?? [],
    internal: config.internal,
    listener: planListener(settings.tls.value, loadBalancerType, config.proxyProtocol),
    ...planAccessLogs(settings.accessLogs.value, stackName, config),
    deletionProtection: config.deletionProtection,
    instanceEgress: egressRules(settings.instanceEgress.value),
    publicIp: config.publicIp,
    healthCheck: config.healthCheck,
    loadBalancerType,
    loadBalancerQuota: settings.loadBalancerQuota.value ?? LOAD_BALANCER_QUOTA[loadBalancerType],
    dns: {
      domain: config.domain,
      privateZone: config.privateZone,
      ...(globalName === undefined ? {} : { globalName }),
    },
    instance: {
      type: instanceType,
      arch,
      ami: amiShape(settings.ami.value, arch),
      userData,
      user,
      command,
      ...(release === undefined ? {} : { release }),
      environment,
      secrets,
      role: {
        name: stackName,
        ...(release === undefined ? {} : { releaseObjectArn: releaseObjectArn(release) }),
        ssm: config.ssm,
        secrets,
        policyArns: [...(config.app.policyArns ?? [])],
      },
    },
    autoScaling: {
      name: groupName,
      capacity: settings.capacity.value ?? { ...DEFAULTS.capacity },
      healthCheckGracePeriod: config.healthCheckGracePeriod,
      instanceRefresh: config.instanceRefresh,
    },
    ...scalingShape(settings.scaling.value, stackName, config.healthCheckGracePeriod),
    monitoring: monitoringShape(config.alarms, entry.alarms, stackName, ports, {
      gracePeriod: config.healthCheckGracePeriod,
      healthCheck: config.healthCheck,
      bootTimeoutSeconds: config.bootTimeoutSeconds,
    }),
    boot,
    logs,
    ...(watchdog === undefined ? {} : { watchdog }),
    state: {
      bucket: config.state.bucket,
      region: config.state.region,
      key: stateKey(config.state.keyPrefix, config, entry.region),
    },
    tags: { Service: config.service, Deployment: config.deployment, ...config.tags },
    ...(config.accountId === undefined ? {} : { accountId: config.accountId }),
  };
}

/** AWS's current policies: TLS 1.2 and up on classic load balancers, TLS 1.3 with 1.2 on network ones. */
export const DEFAULT_TLS_POLICY: Readonly<Record<LoadBalancerType, string>> = {
  classic: "ELBSecurityPolicy-TLS-1-2-2017-01",
  network: "ELBSecurityPolicy-TLS13-1-2-2021-06",
};

function planListener(tls: ParsedFleetConfig["tls"], type: LoadBalancerType, proxyProtocol: boolean): ListenerShape {
  return {
    ...(tls === undefined
      ? {}
      : { tls: { certificateArn: tls.certificateArn, policy: tls.policy ?? DEFAULT_TLS_POLICY[type] } }),
    proxyProtocol,
  };
}

/** `{stack}-lb-logs`: the bucket a region creates for its access logs. */
export function accessLogBucketName(regionStack: string): string {
  return `${regionStack}-lb-logs`;
}

function planAccessLogs(
  accessLogs: ParsedFleetConfig["accessLogs"],
  stackName: string,
  config: ParsedFleetConfig,
): { accessLogs?: AccessLogsShape } {
  if (accessLogs === undefined || accessLogs === false) return {};
  const kept = {
    tlsOnly: true,
    expireAfterDays: config.logs.retentionDays,
    noncurrentVersionDays: config.state.noncurrentVersionDays,
  };
  return {
    accessLogs:
      accessLogs === true
        ? { bucket: accessLogBucketName(stackName), prefix: stackName, create: true, ...kept }
        : { bucket: accessLogs.bucket, prefix: accessLogs.prefix ?? stackName, create: false, ...kept },
  };
}

/** HTTPS and HTTP to anywhere: a booting instance reaches AWS's APIs and package servers at addresses that are not fixed. */
export const DEFAULT_INSTANCE_EGRESS: readonly InstanceEgress[] = [{ cidr: "0.0.0.0/0", ports: [80, 443] }];

type InstanceEgress = NonNullable<ParsedFleetConfig["instanceEgress"]>[number];

/**
 * One rule per destination and port, keyed by both: `instances-out-443` for anywhere (the addresses the
 * default had from the start), `instances-out-443-to-10-0-0-0_16` or `instances-out-443-to-pl-…` otherwise,
 * so adding a destination never re-addresses another.
 */
export function egressRules(egress: ParsedFleetConfig["instanceEgress"]): EgressRule[] {
  return (egress ?? DEFAULT_INSTANCE_EGRESS).flatMap((rule) =>
    rule.ports.map((port): EgressRule => {
      const destination = rule.cidr ?? rule.prefixList ?? "";
      const id =
        rule.cidr === "0.0.0.0/0" ? `instances-out-${port}` : `instances-out-${port}-to-${cidrId(destination)}`;
      return {
        id,
        port,
        ...(rule.cidr === undefined ? {} : { cidr: rule.cidr }),
        ...(rule.prefixList === undefined ? {} : { prefixList: rule.prefixList }),
      };
    }),
  );
}

/** Construct ids may not contain `/`; `10.0.0.0/8` becomes `10-0-0-0_8` (cdktf drops dots from ids). */
export function cidrId(cidr: string): string {
  return cidr.replace(/\//g, "_").replace(/[.:]/g, "-");
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

/**
 * The fleet's alarm settings with the region's entry laid over them, field by field; the guard alarms
 * wait as long as a new instance may take to settle (grace period, then its healthy checks).
 */
export function monitoringShape(
  fleet: AlarmsConfig,
  region: AlarmsConfig,
  regionStack: string,
  ports: readonly Pick<PortShape, "port" | "weight">[],
  settling: { readonly gracePeriod: number; readonly healthCheck: HealthCheck; readonly bootTimeoutSeconds: number },
): MonitoringShape {
  const topicArn = region?.topicArn ?? fleet?.topicArn;
  const minutes = region?.minutes ?? fleet?.minutes ?? DEFAULTS.alarms.minutes;
  const weights = new Map(ports.map((p) => [p.port, p.weight]));
  return {
    minutes,
    ...(topicArn === undefined || topicArn === false ? {} : { topicArn }),
    silenced: topicArn === false,
    regionAlarmName: regionAlarmName(regionStack),
    guardAlarms: guardGroups(ports.map((p) => p.port)).map((group) => ({
      name: unhealthyHostsAlarmName(regionStack, group[0] ?? 0),
      ports: group,
    })),
    guardMinutes: guardMinutes(settling.gracePeriod, settling.healthCheck, minutes),
    shareAlarms: ports
      .filter((p) => p.weight > 0 && shareGroup(p.port, weights).length > 1)
      .map((p) => ({ name: portShareAlarmName(regionStack, p.port), port: p.port })),
    host: hostAlarmNames(regionStack),
    belowDesiredMinutes: belowDesiredMinutes(settling.bootTimeoutSeconds, minutes),
    dashboardName: regionStack,
  };
}

/** The watchdog's settings, with the path it probes: the liveness path, else the health path, else "/". */
export function watchdogShape(config: ParsedFleetConfig): Omit<WatchdogSpec, "service" | "ports"> | undefined {
  if (config.watchdog === false) return undefined;
  const { livenessPath, path } = config.healthCheck;
  return {
    probePath: livenessPath ?? path ?? "/",
    requireSuccess: livenessPath !== undefined,
    ...config.watchdog,
  };
}

/** Every alarm of a region, by name. */
export function regionAlarmNames(region: RegionShape): string[] {
  const { monitoring } = region;
  return [
    ...region.ports.flatMap((p) => [p.alarmName, p.unhealthyAlarmName]),
    ...monitoring.shareAlarms.map((a) => a.name),
    monitoring.regionAlarmName,
    ...monitoring.guardAlarms.map((a) => a.name),
    ...Object.values(monitoring.host),
  ];
}

/**
 * The alarms a rollout's bake watches: all but the traffic shares, which follow clients' resolvers, not
 * the change.
 */
export function bakeAlarmNames(region: RegionShape): string[] {
  const shares = new Set(region.monitoring.shareAlarms.map((a) => a.name));
  return regionAlarmNames(region).filter((name) => !shares.has(name));
}

/** The waves as configured, or AWS's practice (the first region alone, then the others), with their stacks. */
export function rolloutShape(config: ParsedFleetConfig): RolloutShape {
  const waves = config.rollout.waves ?? defaultWaves(config.regions.map((r) => r.region));
  return {
    waves: waves.map((regions, index) => ({
      number: index + 1,
      regions: [...regions],
      stacks: regions.map((r) => regionStackName(config, r)),
    })),
    bakeSeconds: config.rollout.bakeSeconds,
    ...(config.rollout.maxParallel === undefined ? {} : { maxParallel: config.rollout.maxParallel }),
  };
}

/** The release in `app.release`, its region filled in (the state bucket's by default). */
export function releaseLocation(config: ParsedFleetConfig): ReleaseLocation | undefined {
  const release = config.app.release;
  return release === undefined ? undefined : { ...release, region: release.region ?? config.state.region };
}

export function networkShape(
  entry: { readonly vpcId?: string; readonly subnetIds?: readonly string[] },
  subnetTags: Readonly<Record<string, string>> | undefined,
): NetworkShape {
  return {
    ...(entry.vpcId === undefined ? {} : { vpcId: entry.vpcId }),
    ...(entry.subnetIds === undefined ? {} : { subnetIds: [...entry.subnetIds] }),
    ...(subnetTags === undefined ? {} : { subnetTags: { ...subnetTags } }),
  };
}

/** The zone's own stack; it keeps its state next to the regions'. */
export function hostedZoneShape(identity: FleetIdentity, domain: string, state: StateShape): HostedZoneShape {
  return {
    stackName: dnsStackName(identity),
    domain,
    region: state.region,
    state: { bucket: state.bucket, region: state.region, key: stateKey(state.keyPrefix, identity, "dns") },
  };
}

/**
 * The whole fleet's shape from a parsed config. `defaultApp` is what instances run when the fleet names
 * neither a release nor a command: an input, so computing the shape reads nothing.
 */
export function fleetShape(config: ParsedFleetConfig, defaultApp: AppFiles): FleetShape {
  const state: StateShape = {
    bucket: config.state.bucket,
    region: config.state.region,
    stackName: stateStackName(config),
    keyPrefix: config.state.keyPrefix,
    key: stateKey(config.state.keyPrefix, config, "state"),
    tlsOnlyPolicy: true,
    preventDestroy: true,
    noncurrentVersionDays: config.state.noncurrentVersionDays,
    ...(config.releaseBucket === undefined ? {} : { releaseBucket: config.releaseBucket }),
  };
  return {
    service: config.service,
    deployment: config.deployment,
    domain: config.domain,
    rollout: rolloutShape(config),
    ...(config.accountId === undefined ? {} : { accountId: config.accountId }),
    state,
    ...(config.createHostedZone ? { hostedZone: hostedZoneShape(config, config.domain, state) } : {}),
    tags: { Service: config.service, Deployment: config.deployment, ...config.tags },
    regions: config.regions.map((_, index) => regionShape(config, index, defaultApp)),
    baselineExceptions: config.baselineExceptions.map((e) => exceptionFromPattern(e.rule, e.resources, e.reason)),
  };
}
