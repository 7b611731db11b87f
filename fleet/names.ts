/**
 * Pure naming rules. Everything that names an AWS object or a Terraform stack is computed here,
 * so validation checks exactly the names that the constructs will use.
 */

export interface FleetIdentity {
  readonly service: string;
  readonly deployment: string;
}

/** `cloudrim-prod-us-east-1`: one Terraform stack per region. */
export function regionStackName(fleet: FleetIdentity, region: string): string {
  return `${fleet.service}-${fleet.deployment}-${region}`;
}

/** `cloudrim-prod-state`: the bootstrap stack that owns the state bucket. */
export function stateStackName(fleet: FleetIdentity): string {
  return `${fleet.service}-${fleet.deployment}-state`;
}

/** `cloudrim-prod-dns`: the stack that owns the hosted zone, when the fleet creates it. */
export function dnsStackName(fleet: FleetIdentity): string {
  return `${fleet.service}-${fleet.deployment}-dns`;
}

/**
 * `cloudrim/api/prod/us-east-1.tfstate` (`…/dns.tfstate` for the zone's stack, `…/state.tfstate` for the
 * state bucket's own). The service is part of the key, so two services sharing a bucket and a key prefix
 * never share a state file.
 */
export function stateKey(keyPrefix: string, fleet: FleetIdentity, stack: string): string {
  return `${keyPrefix}/${fleet.service}/${fleet.deployment}/${stack}.tfstate`;
}

/** `cloudrim-prod-9001`: unique in its region because one stack per deployment lives there. */
export function loadBalancerName(fleet: FleetIdentity, port: number): string {
  return `${fleet.service}-${fleet.deployment}-${port}`;
}

/** `cloudrim1.prod.us-east-1.example.com`: the alias record of the load balancer for process `index`. */
export function aliasRecordName(fleet: FleetIdentity, index: number, region: string, domain: string): string {
  return `${fleet.service}${index}.${fleet.deployment}.${region}.${domain}`;
}

/** `cloudrim.us-east-1.example.com`: the regional weighted set clients resolve. */
export function regionalRecordName(service: string, region: string, domain: string): string {
  return `${service}.${region}.${domain}`;
}

/** `cloudrim.example.com`: the name that spans regions (a latency set over the regional names). */
export function globalRecordName(service: string, domain: string): string {
  return `${service}.${domain}`;
}

/**
 * `us-east-1-port-9001`: one weighted-set member per port. Every region's set lives in the same hosted
 * zone, so the region is part of the id: it reads unambiguously in the console and in change history,
 * and moto (the local AWS) deletes weighted records by set id alone, whatever their name.
 */
export function setIdentifier(region: string, port: number): string {
  return `${region}-port-${port}`;
}

/** `cloudrim-9001`: the runit service directory name under /etc/sv. */
export function runitServiceName(service: string, port: number | string): string {
  return `${service}-${port}`;
}

/** `cloudrim-prod-us-east-1`: the Auto Scaling group, unique per region like the stack. */
export function autoScalingGroupName(fleet: FleetIdentity, region: string): string {
  return regionStackName(fleet, region);
}

/** `cloudrim-prod-us-east-1-9001-no-healthy-instances`: the alarm of one port's load balancer. */
export function portAlarmName(regionStack: string, port: number): string {
  return `${regionStack}-${port}-no-healthy-instances`;
}

/** `cloudrim-prod-us-east-1-all-ports-down`: the region's alarm, when no port has a healthy instance. */
export function regionAlarmName(regionStack: string): string {
  return `${regionStack}-all-ports-down`;
}

/**
 * `cloudrim-prod-us-east-1-unhealthy-hosts-9000`: the alarm that watches ports 9000-9009 for unhealthy
 * instances while a change rolls out. Named by the first port of its group of ten, which never moves when
 * ports are added.
 */
export function unhealthyHostsAlarmName(regionStack: string, firstPort: number): string {
  return `${regionStack}-unhealthy-hosts-${firstPort}`;
}

/** `cloudrim-prod-us-east-1-9001-unhealthy-instances`: an instance has failed port 9001's check for a while. */
export function portUnhealthyAlarmName(regionStack: string, port: number): string {
  return `${regionStack}-${port}-unhealthy-instances`;
}

/** `cloudrim-prod-us-east-1-9001-traffic-share`: port 9001 gets far more, or less, than its weight's share. */
export function portShareAlarmName(regionStack: string, port: number): string {
  return `${regionStack}-${port}-traffic-share`;
}

/** `cloudrim-prod-us-east-1-latency-9000`: ports 9000-9009's load balancers are slow to reach an instance. */
export function latencyAlarmName(regionStack: string, firstPort: number): string {
  return `${regionStack}-latency-${firstPort}`;
}

/** `cloudrim-prod-us-east-1-backend-errors-9000`: ports 9000-9009's instances refuse or drop connections. */
export function backendErrorsAlarmName(regionStack: string, firstPort: number): string {
  return `${regionStack}-backend-errors-${firstPort}`;
}

/** The region's alarms on its group and its instances' hosts, by role. */
export function hostAlarmNames(regionStack: string) {
  return {
    belowDesired: `${regionStack}-in-service-below-desired`,
    refreshFailed: `${regionStack}-instance-refresh-failed`,
    bootAbandoned: `${regionStack}-boot-abandoned`,
    handedOver: `${regionStack}-instance-handed-over`,
  } as const;
}

/** `api/prod`: the namespace of the metrics the fleet's log filters count. */
export function fleetMetricsNamespace(fleet: FleetIdentity): string {
  return `${fleet.service}/${fleet.deployment}`;
}

/** `cloudrim-prod-us-east-1-cpu`: the group's target tracking policy (the target can change in place). */
export function scalingPolicyName(regionStack: string): string {
  return `${regionStack}-cpu`;
}
