import { exceptionFromPattern, type BaselineException } from "../baseline/engine";
import { LOAD_BALANCER_QUOTA, type LoadBalancerType } from "./aws-facts";
import { DEFAULTS } from "./defaults";
import { autoScalingGroupName, regionalRecordName, regionStackName, stateKey, stateStackName } from "./names";
import { resolveSettings } from "./region-settings";
import type { HealthCheck, ParsedFleetConfig } from "./schema";
import { dnsShape, hostedZoneShape, type DnsShape, type HostedZoneShape } from "./shape/dns";
import {
  bootShape,
  instanceShape,
  logsShape,
  watchdogShape,
  type BootShape,
  type InstanceShape,
  type LogsShape,
  type WatchdogShape,
} from "./shape/instance";
import { accessLogsShape, listenerShape, type AccessLogsShape, type ListenerShape } from "./shape/load-balancers";
import { monitoringShape, type MonitoringShape } from "./shape/monitoring";
import { egressRules, networkShape, type EgressRule, type NetworkShape } from "./shape/network";
import { defaultProcesses, equalWeights, portRange, portShapes, type PortRange, type PortShape } from "./shape/ports";
import { scalingShape, type AutoScalingShape, type ScalingShape } from "./shape/scaling";
import { defaultWaves, type RolloutShape } from "../rollout/waves";
import { firstInstanceCheckpoint } from "../rollout/checkpoint";
import type { AppFiles } from "../instance/user-data";

/*
 * The fleet's shape: everything the constructs create, computed up front as plain data from the parsed config.
 * Ports, load balancers, alias records, weighted records, ASG attachments, the security group range and
 * the runit services are all projections of one list, `RegionShape.ports`, so they cannot disagree. Each
 * part of a region's shape is computed in fleet/shape/, one file per topic; this file puts them together.
 */

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
  readonly dns: DnsShape;
  readonly instance: InstanceShape;
  readonly autoScaling: AutoScalingShape;
  /** Target tracking on the group's average CPU; none for a fixed-size group (`scaling: false`). */
  readonly scaling?: ScalingShape;
  readonly monitoring: MonitoringShape;
  /** How a new instance enters service: only once its boot completes the launch lifecycle hook. */
  readonly boot: BootShape;
  /** Where the instances' logs go. */
  readonly logs: LogsShape;
  /** The liveness watchdog on each instance; none with `watchdog: false`. */
  readonly watchdog?: WatchdogShape;
  readonly state: { readonly bucket: string; readonly region: string; readonly key: string };
  readonly tags: Readonly<Record<string, string>>;
  /** The only account the region's provider accepts credentials of; none: any. */
  readonly accountId?: string;
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

/**
 * Projects a parsed config onto one region. Assumes the config passed validation: an unknown instance
 * type without `processes` falls back to one process here, and validation reports it.
 */
export function regionShape(config: ParsedFleetConfig, regionIndex: number, defaultApp: AppFiles): RegionShape {
  const entry = config.regions[regionIndex];
  if (entry === undefined) throw new RangeError(`no region at index ${regionIndex}`);
  const settings = resolveSettings(config, regionIndex);
  const instanceType = settings.instanceType.value ?? DEFAULTS.instanceType;
  const processes = settings.processes.value ?? defaultProcesses(instanceType) ?? 1;
  const weights = settings.weights.value ?? equalWeights(processes);
  const ports = portShapes(config, entry.region, config.domain, config.basePort, processes, weights);
  const loadBalancerType = settings.loadBalancerType.value ?? DEFAULTS.loadBalancerType;
  const stackName = regionStackName(config, entry.region);
  const groupName = autoScalingGroupName(config, entry.region);
  const capacity = settings.capacity.value ?? { ...DEFAULTS.capacity };
  const checkpoint = firstInstanceCheckpoint({
    asked: config.rollout.firstInstance,
    desiredCapacity: capacity.desired,
    instanceRefresh: config.instanceRefresh,
    healthCheck: config.healthCheck,
    bakeSeconds: config.rollout.bakeSeconds,
  });
  const logs = logsShape(config, stackName);
  const boot = bootShape(config.bootTimeoutSeconds);
  const watchdog = watchdogShape(config);
  const instance = instanceShape(
    config,
    {
      region: entry.region,
      type: instanceType,
      ami: settings.ami.value,
      ports: ports.map((p) => p.port),
      groupName,
      stackName,
      logs,
      boot,
      watchdog,
    },
    defaultApp,
  );
  return {
    region: entry.region,
    service: config.service,
    stackName,
    regionalName: regionalRecordName(config.service, entry.region, config.domain),
    listenerPort: config.listenerPort,
    portRange: portRange(config.basePort, ports),
    ports,
    network: networkShape(entry, settings.subnetTags.value),
    allowedCidrs: settings.allowedCidrs.value ?? [],
    internal: config.internal,
    listener: listenerShape(settings.tls.value, loadBalancerType, config.proxyProtocol),
    ...accessLogsShape(settings.accessLogs.value, stackName, config),
    deletionProtection: config.deletionProtection,
    instanceEgress: egressRules(settings.instanceEgress.value),
    publicIp: config.publicIp,
    healthCheck: config.healthCheck,
    loadBalancerType,
    loadBalancerQuota: settings.loadBalancerQuota.value ?? LOAD_BALANCER_QUOTA[loadBalancerType],
    dns: dnsShape(config),
    instance,
    autoScaling: {
      name: groupName,
      capacity,
      healthCheckGracePeriod: config.healthCheckGracePeriod,
      instanceRefresh: config.instanceRefresh,
      ...(checkpoint === undefined ? {} : { checkpoint }),
    },
    ...scalingShape(settings.scaling.value, stackName, config.healthCheckGracePeriod),
    monitoring: monitoringShape(config.alarms, entry.alarms, stackName, ports, loadBalancerType, {
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

/** Every alarm of a region, by name. */
export function regionAlarmNames(region: RegionShape): string[] {
  const { monitoring } = region;
  return [
    ...region.ports.flatMap((p) => [p.alarmName, p.unhealthyAlarmName]),
    ...monitoring.shareAlarms.map((a) => a.name),
    monitoring.regionAlarmName,
    ...monitoring.guardAlarms.map((a) => a.name),
    ...monitoring.backendErrorAlarms.map((a) => a.name),
    ...monitoring.latencyAlarms.map((a) => a.name),
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
