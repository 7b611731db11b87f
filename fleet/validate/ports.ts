/*
 * The checks of a region's ports and the load balancers they need: a known process count, ports a user
 * may bind and that fit below 65536, a listener port clear of the instance ports, one weight per port, and
 * no more load balancers than the quota and the group take. Also deletion protection, which only network
 * load balancers have.
 */
import { ASG_MAX_ATTACHMENTS, INSTANCE_TYPES } from "../aws-facts";
import type { ResolvedSettings } from "../region-settings";
import type { ParsedFleetConfig } from "../schema";
import type { FleetShape, RegionShape } from "../shape";
import { defaultProcesses } from "../shape/ports";
import { regionProblems, type Problem, type RegionProblem } from "./problems";

export function checkPorts(
  config: ParsedFleetConfig,
  region: RegionShape,
  settings: ResolvedSettings,
): RegionProblem[] {
  const { problems, add, addRegional } = regionProblems(region.region);
  const { instanceType, processes, weights } = settings;
  const type = region.instance.type;
  if (processes.value === undefined && INSTANCE_TYPES[type] === undefined) {
    add(
      instanceType.value === undefined ? "instanceType" : instanceType.path,
      type,
      `is not in the table of known instance types (fleet/aws-facts.ts), so its vCPU count is unknown; set "processes" (vCPUs + 1) or use a known type such as m5.large`,
    );
  }

  const count = region.ports.length;
  if (config.basePort < 1024) {
    add(
      "basePort",
      config.basePort,
      "must be at least 1024: the service runs as an unprivileged user, which cannot bind ports below 1024",
    );
  }
  if (region.portRange.to > 65535) {
    addRegional(
      processes.value === undefined ? "basePort" : processes.path,
      processes.value ?? config.basePort,
      `${count} processes from port ${config.basePort} need ports up to ${region.portRange.to}, past 65535; lower basePort or processes`,
    );
  }
  if (config.listenerPort > region.portRange.from && config.listenerPort <= region.portRange.to) {
    addRegional(
      "listenerPort",
      config.listenerPort,
      `lies inside the instance port range ${region.portRange.from}-${region.portRange.to} but is not its first port; use basePort (${config.basePort}) as in the original design, or a port outside the range`,
    );
  }

  if (weights.value !== undefined && processes.value !== undefined && weights.value.length !== processes.value) {
    addRegional(
      weights.path,
      weights.value,
      `has ${weights.value.length} weights but there are ${processes.value} processes (ports ${region.portRange.from}-${region.portRange.to}); give one weight per port, or leave weights out for equal weights`,
    );
  } else if (
    weights.value !== undefined &&
    processes.value === undefined &&
    defaultProcesses(type) !== undefined &&
    weights.value.length !== defaultProcesses(type)
  ) {
    addRegional(
      weights.path,
      weights.value,
      `has ${weights.value.length} weights but ${type} runs ${defaultProcesses(type)} processes (vCPUs + 1); give one weight per port, or set "processes" to ${weights.value.length}`,
    );
  }
  if (weights.value !== undefined && weights.value.length > 0 && weights.value.every((w) => w === 0)) {
    add(
      weights.path,
      weights.value,
      "are all zero, so Route 53 would spread traffic evenly and ignore them; give at least one port a positive weight",
    );
  }

  const kind = region.loadBalancerType;
  if (count > region.loadBalancerQuota) {
    addRegional(
      processes.value === undefined ? instanceType.path : processes.path,
      processes.value ?? type,
      `needs ${count} ${kind} load balancers (one per process) but the quota is ${region.loadBalancerQuota}; lower processes, pick a smaller instance type, ${kind === "classic" ? 'use loadBalancerType "network" (quota 50), ' : ""}or raise loadBalancerQuota after AWS raises the account's quota`,
    );
  }
  if (count > ASG_MAX_ATTACHMENTS) {
    addRegional(
      processes.value === undefined ? instanceType.path : processes.path,
      processes.value ?? type,
      `needs ${count} load balancers attached to one Auto Scaling group, which takes at most ${ASG_MAX_ATTACHMENTS}; lower processes`,
    );
  }
  return problems;
}

export function checkDeletionProtection(config: ParsedFleetConfig, shape: FleetShape): Problem[] {
  const classic = shape.regions.filter((r) => r.loadBalancerType === "classic").map((r) => r.region);
  if (!config.deletionProtection || classic.length === 0) return [];
  return [
    {
      path: "deletionProtection",
      value: true,
      message: `protects network load balancers only, and ${classic.join(", ")} use${classic.length === 1 ? "s" : ""} classic ones, which have none; set loadBalancerType: "network" there, or leave deletionProtection out`,
    },
  ];
}
