/*
 * The port list and everything per port: its load balancer, alias record, weighted set member, runit
 * service and alarms. Every one of them is a projection of `portList`, so their counts cannot disagree.
 */
import { INSTANCE_TYPES } from "../aws-facts";
import { DEFAULTS } from "../defaults";
import {
  aliasRecordName,
  loadBalancerName,
  portAlarmName,
  portUnhealthyAlarmName,
  regionStackName,
  runitServiceName,
  setIdentifier,
  type FleetIdentity,
} from "../names";

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

export interface PortRange {
  readonly from: number;
  readonly to: number;
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

/** From the first port to the last; a region with no port still has the first. */
export function portRange(basePort: number, ports: readonly PortShape[]): PortRange {
  return { from: basePort, to: basePort + Math.max(ports.length, 1) - 1 };
}

export function equalWeights(processes: number): number[] {
  return Array.from({ length: processes }, () => DEFAULTS.weight);
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
