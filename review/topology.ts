/*
 * Pure: what the fleet looks like on each side of a stack's plan (ports, load balancers, weighted records,
 * scaling, alarms, dashboards), read from the planned resources, and the before/after table of it.
 */
import { changesOf, first, record, type Change, type TerraformPlanJson } from "../terraform/plan-json";

export interface Topology {
  readonly instancePorts: readonly number[];
  readonly loadBalancers: readonly string[];
  /** Set identifier → weight. */
  readonly weights: Readonly<Record<string, number>>;
  /** What the weighted members are: `alias A`, or `CNAME` (the first releases). */
  readonly memberKinds: readonly string[];
  /** `cloudrim.example.com (latency, us-east-1)`: this region's record in the name that spans regions. */
  readonly globalNames: readonly string[];
  /** `classic` and/or `network`: the kind of the per-port load balancers. */
  readonly loadBalancerTypes: readonly string[];
  /** `CPU 60%`: the group's target-tracking policies. */
  readonly scaling: readonly string[];
  /** Per-port and per-region alarms, the guards a rollout stops on, and the alarms on the group and its hosts. */
  readonly alarms: {
    readonly ports: number;
    readonly regions: number;
    readonly guards: number;
    readonly hosts: number;
  };
  readonly dashboards: readonly string[];
}

export interface StackSummary {
  readonly stack: string;
  readonly changes: readonly Change[];
  readonly before: Topology;
  readonly after: Topology;
}

/** What the fleet looks like on one side of the plan, read from the load balancers and weighted records. */
export function topologyOf(plan: TerraformPlanJson, side: "before" | "after"): Topology {
  const ports: number[] = [];
  const loadBalancers: string[] = [];
  const weights: Record<string, number> = {};
  const memberKinds = new Set<string>();
  const globalNames: string[] = [];
  const types = new Set<string>();
  const scaling: string[] = [];
  const alarms = { ports: 0, regions: 0, guards: 0, hosts: 0 };
  const dashboards: string[] = [];
  for (const rc of plan.resource_changes ?? []) {
    if (rc.mode !== "managed") continue;
    const state = record(rc.change[side]);
    if (state === undefined) continue;
    if (rc.type === "aws_elb") {
      const port = first(state.listener)?.instance_port;
      if (typeof port === "number") ports.push(port);
      if (typeof state.name === "string") loadBalancers.push(state.name);
      types.add("classic");
    }
    if (rc.type === "aws_lb") {
      if (typeof state.name === "string") loadBalancers.push(state.name);
      types.add(typeof state.load_balancer_type === "string" ? state.load_balancer_type : "network");
    }
    if (rc.type === "aws_lb_target_group" && typeof state.port === "number") ports.push(state.port);
    if (rc.type === "aws_autoscaling_policy") {
      const target = first(state.target_tracking_configuration)?.target_value;
      scaling.push(typeof target === "number" ? `CPU ${target}%` : String(state.policy_type));
    }
    if (rc.type === "aws_cloudwatch_metric_alarm") {
      if (/\.alarms_guard-\d+/.test(rc.address)) alarms.guards += 1;
      else if (/^aws_cloudwatch_metric_alarm\.host-alarms_/.test(rc.address)) alarms.hosts += 1;
      else alarms.ports += 1;
    }
    if (rc.type === "aws_cloudwatch_composite_alarm") alarms.regions += 1;
    if (rc.type === "aws_cloudwatch_dashboard" && typeof state.dashboard_name === "string") {
      dashboards.push(state.dashboard_name);
    }
    if (rc.type === "aws_route53_record" && typeof state.set_identifier === "string") {
      const weight = first(state.weighted_routing_policy)?.weight;
      if (typeof weight === "number") {
        weights[state.set_identifier] = weight;
        memberKinds.add(first(state.alias) === undefined ? String(state.type) : `alias ${String(state.type)}`);
      }
      const latency = first(state.latency_routing_policy)?.region;
      if (typeof latency === "string") globalNames.push(`${String(state.name)} (latency, ${latency})`);
    }
  }
  return {
    instancePorts: ports.sort((a, b) => a - b),
    loadBalancers: loadBalancers.sort(),
    weights,
    memberKinds: [...memberKinds].sort(),
    globalNames: globalNames.sort(),
    loadBalancerTypes: [...types].sort(),
    scaling: scaling.sort(),
    alarms,
    dashboards: dashboards.sort(),
  };
}

export function summarize(stack: string, plan: TerraformPlanJson): StackSummary {
  return { stack, changes: changesOf(plan), before: topologyOf(plan, "before"), after: topologyOf(plan, "after") };
}

/** `[9000, 9001, 9002, 9005]` → `9000-9002, 9005`. */
export function formatPorts(ports: readonly number[]): string {
  if (ports.length === 0) return "none";
  const ranges: string[] = [];
  let start = ports[0] ?? 0;
  let previous = start;
  for (const port of [...ports.slice(1), Number.NaN]) {
    if (port === previous + 1) {
      previous = port;
      continue;
    }
    ranges.push(start === previous ? `${start}` : `${start}-${previous}`);
    start = port;
    previous = port;
  }
  return ranges.join(", ");
}

function formatWeights(weights: Readonly<Record<string, number>>): string {
  const entries = Object.entries(weights).sort(([a], [b]) => a.localeCompare(b, "en", { numeric: true }));
  return entries.length === 0 ? "none" : entries.map(([id, weight]) => `${id}=${weight}`).join(", ");
}

export function topologyTable(summary: StackSummary): string[] {
  const { before, after } = summary;
  const empty = (t: Topology) =>
    t.loadBalancers.length === 0 &&
    Object.keys(t.weights).length === 0 &&
    t.globalNames.length === 0 &&
    t.scaling.length === 0 &&
    t.alarms.ports + t.alarms.regions + t.alarms.guards + t.alarms.hosts === 0 &&
    t.dashboards.length === 0;
  if (empty(before) && empty(after)) return [];
  const row = (what: string, b: string, a: string) => `| ${what} | ${b} | ${a} | ${b === a ? "" : "yes"} |`;
  return [
    "| topology | before | after | changed |",
    "| --- | --- | --- | --- |",
    row("load balancer type", list(before.loadBalancerTypes), list(after.loadBalancerTypes)),
    row("instance ports", formatPorts(before.instancePorts), formatPorts(after.instancePorts)),
    row("load balancers", `${before.loadBalancers.length}`, `${after.loadBalancers.length}`),
    row("weighted records", members(before), members(after)),
    row("weights", formatWeights(before.weights), formatWeights(after.weights)),
    row("global name", list(before.globalNames), list(after.globalNames)),
    row("scaling", list(before.scaling), list(after.scaling)),
    row("alarms", alarmCount(before), alarmCount(after)),
    row("dashboard", list(before.dashboards), list(after.dashboards)),
    "",
  ];
}

/** `20 (15 per port, 1 all-ports, 1 guard, 4 on the group and hosts)`. */
function alarmCount(topology: Topology): string {
  const { ports, regions, guards, hosts } = topology.alarms;
  const total = ports + regions + guards + hosts;
  return total === 0
    ? "none"
    : `${total} (${ports} per port, ${regions} all-ports${guards === 0 ? "" : `, ${guards} guard${guards === 1 ? "" : "s"}`}` +
        `${hosts === 0 ? "" : `, ${hosts} on the group and hosts`})`;
}

/** `3`, or `3 (CNAME)` / `3 (alias A)` once the kind of member is known. */
function members(topology: Topology): string {
  const count = Object.keys(topology.weights).length;
  return topology.memberKinds.length === 0 ? `${count}` : `${count} (${topology.memberKinds.join(", ")})`;
}

function list(items: readonly string[]): string {
  return items.length === 0 ? "none" : items.join(", ");
}
