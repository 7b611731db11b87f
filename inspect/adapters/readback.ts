/*
 * What really exists in each region, read back from AWS (or the local AWS) with the SDK, and printed
 * for a human: the regional name and its weighted records, each per-port name → load balancer →
 * instance port, the health checks, the Auto Scaling group and its instances, and where the state lives.
 */
import { DescribeAutoScalingGroupsCommand, DescribePoliciesCommand } from "@aws-sdk/client-auto-scaling";
import {
  DescribeAlarmsCommand,
  GetDashboardCommand,
  type CompositeAlarm,
  type MetricAlarm,
} from "@aws-sdk/client-cloudwatch";
import { DescribeLoadBalancersCommand } from "@aws-sdk/client-elastic-load-balancing";
import { ListHostedZonesByNameCommand, ListResourceRecordSetsCommand } from "@aws-sdk/client-route-53";
import { HeadObjectCommand } from "@aws-sdk/client-s3";
import { metricLineDimensions } from "../../monitoring/dashboard";
import { healthCheckTarget } from "../../fleet/shape/load-balancers";
import { regionAlarmNames, type RegionShape } from "../../fleet/shape";
import type { Target } from "../../fleet/target";
import {
  DescribeListenersCommand,
  DescribeLoadBalancersCommand as DescribeLoadBalancersV2Command,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { regionClients, type RegionClients } from "../../fleet/adapters/aws-clients";

export interface ObservedRecord {
  readonly name: string;
  readonly type: string;
  readonly setIdentifier?: string;
  readonly weight?: number;
  /** The region of a latency record. */
  readonly latencyRegion?: string;
  readonly evaluateTargetHealth?: boolean;
  readonly ttl?: number;
  readonly values: readonly string[];
  readonly aliasTarget?: string;
}

export interface ObservedLoadBalancer {
  readonly name: string;
  readonly dnsName: string;
  readonly listeners: readonly { readonly lbPort: number; readonly instancePort: number; readonly protocol: string }[];
  readonly healthCheck: { readonly target: string; readonly interval: number; readonly timeout: number };
  /** Registered instances (classic) or targets (network), with their health where the API reports it. */
  readonly instances: readonly string[];
  readonly health?: readonly { readonly id: string; readonly state: string }[];
  /** The network load balancer's target group. */
  readonly targetGroupArn?: string;
}

export interface ObservedRegion {
  readonly region: string;
  readonly zoneId?: string;
  readonly records: readonly ObservedRecord[];
  readonly loadBalancers: readonly ObservedLoadBalancer[];
  readonly group?: {
    readonly name: string;
    readonly loadBalancerNames: readonly string[];
    readonly targetGroupArns: readonly string[];
    readonly instances: readonly { readonly id: string; readonly state: string }[];
  };
  readonly monitoring: ObservedMonitoring;
  readonly state: { readonly location: string; readonly exists: boolean };
}

export interface ObservedMonitoring {
  /** The group's scaling policies. */
  readonly policies: readonly {
    readonly name: string;
    readonly type: string;
    readonly cpuTarget?: number;
    readonly warmup?: number;
  }[];
  /** The region's alarms (the plan's names), in port order then the region's. */
  readonly alarms: readonly {
    readonly name: string;
    readonly state: string;
    readonly metric?: string;
    readonly dimensions?: Readonly<Record<string, string>>;
    readonly minutes?: number;
    readonly rule?: string;
    readonly actions: readonly string[];
  }[];
  /** The dashboard's widgets, by title; none when it does not exist. */
  readonly dashboard?: {
    readonly name: string;
    readonly widgets: readonly { readonly title: string; readonly dimensions: readonly string[] }[];
  };
}

const trimDot = (name: string) => name.replace(/\.$/, "");

export async function observeRegion(target: Target, plan: RegionShape): Promise<ObservedRegion> {
  const clients = regionClients(target, plan.region);
  const zones = await clients.route53.send(new ListHostedZonesByNameCommand({ DNSName: plan.dns.domain }));
  const zone = (zones.HostedZones ?? []).find((z) => trimDot(z.Name ?? "") === plan.dns.domain);
  const zoneId = zone?.Id?.replace("/hostedzone/", "");
  const records: ObservedRecord[] = [];
  if (zoneId !== undefined) {
    const names = new Set([
      plan.regionalName,
      ...plan.ports.map((p) => p.aliasName),
      ...(plan.dns.globalName === undefined ? [] : [plan.dns.globalName]),
    ]);
    const sets = await clients.route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId }));
    for (const set of sets.ResourceRecordSets ?? []) {
      if (!names.has(trimDot(set.Name ?? ""))) continue;
      // The global name holds one latency record per region: only this region's is this region's.
      if (trimDot(set.Name ?? "") === plan.dns.globalName && set.SetIdentifier !== plan.region) continue;
      records.push({
        name: trimDot(set.Name ?? ""),
        type: set.Type ?? "",
        ...(set.SetIdentifier === undefined ? {} : { setIdentifier: set.SetIdentifier }),
        ...(set.Weight === undefined ? {} : { weight: set.Weight }),
        ...(set.Region === undefined ? {} : { latencyRegion: set.Region }),
        ...(set.AliasTarget?.EvaluateTargetHealth === undefined
          ? {}
          : { evaluateTargetHealth: set.AliasTarget.EvaluateTargetHealth }),
        ...(set.TTL === undefined ? {} : { ttl: set.TTL }),
        values: (set.ResourceRecords ?? []).map((r) => trimDot(r.Value ?? "")),
        ...(set.AliasTarget?.DNSName === undefined ? {} : { aliasTarget: trimDot(set.AliasTarget.DNSName) }),
      });
    }
  }
  const loadBalancers =
    plan.loadBalancerType === "network" ? await observeNetwork(clients, plan) : await observeClassic(clients, plan);
  const groups = await clients.autoScaling.send(
    new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [plan.autoScaling.name] }),
  );
  const group = groups.AutoScalingGroups?.[0];
  const monitoring = await observeMonitoring(clients, plan);
  const stateExists = await regionClients(target, plan.state.region)
    .s3.send(new HeadObjectCommand({ Bucket: plan.state.bucket, Key: plan.state.key }))
    .then(
      () => true,
      () => false,
    );
  return {
    region: plan.region,
    ...(zoneId === undefined ? {} : { zoneId }),
    records: records.sort((a, b) =>
      `${a.name}${a.setIdentifier ?? ""}`.localeCompare(`${b.name}${b.setIdentifier ?? ""}`, "en", { numeric: true }),
    ),
    loadBalancers: loadBalancers.sort((a, b) => a.name.localeCompare(b.name, "en", { numeric: true })),
    ...(group === undefined
      ? {}
      : {
          group: {
            name: group.AutoScalingGroupName ?? "",
            loadBalancerNames: [...(group.LoadBalancerNames ?? [])].sort(),
            targetGroupArns: [...(group.TargetGroupARNs ?? [])].sort(),
            instances: (group.Instances ?? []).map((i) => ({ id: i.InstanceId ?? "", state: i.LifecycleState ?? "" })),
          },
        }),
    monitoring,
    state: { location: `s3://${plan.state.bucket}/${plan.state.key}`, exists: stateExists },
  };
}

/** The group's policies, the plan's alarms and the region's dashboard, as CloudWatch and Auto Scaling describe them. */
async function observeMonitoring(clients: RegionClients, plan: RegionShape): Promise<ObservedMonitoring> {
  const policies = await clients.autoScaling.send(
    new DescribePoliciesCommand({ AutoScalingGroupName: plan.autoScaling.name }),
  );
  const names = regionAlarmNames(plan);
  // DescribeAlarms takes at most 100 names.
  const described = { MetricAlarms: [] as MetricAlarm[], CompositeAlarms: [] as CompositeAlarm[] };
  for (let i = 0; i < names.length; i += 100) {
    const page = await clients.cloudWatch.send(
      new DescribeAlarmsCommand({ AlarmNames: names.slice(i, i + 100), AlarmTypes: ["MetricAlarm", "CompositeAlarm"] }),
    );
    described.MetricAlarms.push(...(page.MetricAlarms ?? []));
    described.CompositeAlarms.push(...(page.CompositeAlarms ?? []));
  }
  const alarms = [
    ...described.MetricAlarms.map((a) => ({
      name: a.AlarmName ?? "",
      state: a.StateValue ?? "",
      metric: `${a.Namespace ?? ""} ${a.MetricName ?? ""}`,
      dimensions: Object.fromEntries((a.Dimensions ?? []).map((d) => [d.Name ?? "", d.Value ?? ""])),
      minutes: ((a.Period ?? 0) * (a.EvaluationPeriods ?? 0)) / 60,
      actions: [...(a.AlarmActions ?? [])],
    })),
    ...described.CompositeAlarms.map((a) => ({
      name: a.AlarmName ?? "",
      state: a.StateValue ?? "",
      rule: a.AlarmRule ?? "",
      actions: [...(a.AlarmActions ?? [])],
    })),
  ].sort((a, b) => names.indexOf(a.name) - names.indexOf(b.name));
  const dashboard = await clients.cloudWatch
    .send(new GetDashboardCommand({ DashboardName: plan.monitoring.dashboardName }))
    .then(
      (d) => d,
      (error: unknown) => {
        const name = (error as { name?: string }).name ?? "";
        if (["ResourceNotFound", "DashboardNotFoundError"].includes(name)) return undefined;
        throw error;
      },
    );
  return {
    policies: (policies.ScalingPolicies ?? []).map((p) => ({
      name: p.PolicyName ?? "",
      type: p.PolicyType ?? "",
      ...(p.TargetTrackingConfiguration?.TargetValue === undefined
        ? {}
        : { cpuTarget: p.TargetTrackingConfiguration.TargetValue }),
      ...(p.EstimatedInstanceWarmup === undefined ? {} : { warmup: p.EstimatedInstanceWarmup }),
    })),
    alarms,
    ...(dashboard?.DashboardBody === undefined
      ? {}
      : { dashboard: { name: dashboard.DashboardName ?? "", widgets: dashboardWidgets(dashboard.DashboardBody) } }),
  };
}

/** Each widget's title and the dimension values its metrics name (load balancers, the group). */
function dashboardWidgets(body: string): { title: string; dimensions: string[] }[] {
  const parsed = JSON.parse(body) as { widgets?: { properties?: { title?: string; metrics?: unknown[][] } }[] };
  return (parsed.widgets ?? []).map((w) => ({
    title: w.properties?.title ?? "",
    dimensions: (w.properties?.metrics ?? []).flatMap(metricLineDimensions),
  }));
}

function notFound(error: unknown): boolean {
  const name = (error as { name?: string }).name ?? "";
  return ["LoadBalancerNotFound", "AccessPointNotFoundException", "TargetGroupNotFound"].includes(name);
}

async function observeClassic(clients: RegionClients, plan: RegionShape): Promise<ObservedLoadBalancer[]> {
  const names = plan.ports.map((p) => p.loadBalancerName);
  const described = await clients.elb
    .send(new DescribeLoadBalancersCommand({ LoadBalancerNames: names }))
    .catch((error: unknown) => {
      if (notFound(error)) return { LoadBalancerDescriptions: [] };
      throw error;
    });
  return (described.LoadBalancerDescriptions ?? []).map((lb) => ({
    name: lb.LoadBalancerName ?? "",
    dnsName: lb.DNSName ?? "",
    listeners: (lb.ListenerDescriptions ?? []).map((l) => ({
      lbPort: l.Listener?.LoadBalancerPort ?? 0,
      instancePort: l.Listener?.InstancePort ?? 0,
      protocol: l.Listener?.Protocol ?? "",
    })),
    healthCheck: {
      target: lb.HealthCheck?.Target ?? "",
      interval: lb.HealthCheck?.Interval ?? 0,
      timeout: lb.HealthCheck?.Timeout ?? 0,
    },
    instances: (lb.Instances ?? []).map((i) => i.InstanceId ?? ""),
  }));
}

/** Each port's NLB with its listener, target group (port and health check) and its targets' health. */
async function observeNetwork(clients: RegionClients, plan: RegionShape): Promise<ObservedLoadBalancer[]> {
  const names = plan.ports.map((p) => p.loadBalancerName);
  const lbs = await clients.elbv2.send(new DescribeLoadBalancersV2Command({ Names: names })).catch((error: unknown) => {
    if (notFound(error)) return { LoadBalancers: [] };
    throw error;
  });
  const groups = await clients.elbv2.send(new DescribeTargetGroupsCommand({ Names: names })).catch((error: unknown) => {
    if (notFound(error)) return { TargetGroups: [] };
    throw error;
  });
  return Promise.all(
    (lbs.LoadBalancers ?? []).map(async (lb) => {
      const group = (groups.TargetGroups ?? []).find((g) => g.TargetGroupName === lb.LoadBalancerName);
      const listeners = await clients.elbv2.send(new DescribeListenersCommand({ LoadBalancerArn: lb.LoadBalancerArn }));
      const health =
        group === undefined
          ? { TargetHealthDescriptions: [] }
          : await clients.elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: group.TargetGroupArn }));
      // In the classic load balancers' notation, so both kinds read (and compare) alike.
      const checked = healthCheckTarget(
        group?.Port ?? 0,
        group?.HealthCheckProtocol === "HTTP" ? (group.HealthCheckPath ?? "/") : undefined,
      );
      return {
        name: lb.LoadBalancerName ?? "",
        dnsName: lb.DNSName ?? "",
        listeners: (listeners.Listeners ?? []).map((l) => ({
          lbPort: l.Port ?? 0,
          instancePort: group?.Port ?? 0,
          protocol: l.Protocol ?? "",
        })),
        healthCheck: {
          target: checked,
          interval: group?.HealthCheckIntervalSeconds ?? 0,
          timeout: group?.HealthCheckTimeoutSeconds ?? 0,
        },
        instances: (health.TargetHealthDescriptions ?? []).map((t) => t.Target?.Id ?? ""),
        health: (health.TargetHealthDescriptions ?? []).map((t) => ({
          id: t.Target?.Id ?? "",
          state: t.TargetHealth?.State ?? "",
        })),
        ...(group?.TargetGroupArn === undefined ? {} : { targetGroupArn: group.TargetGroupArn }),
      };
    }),
  );
}

/** Pure: the human-readable summary of one region. */
export function formatRegion(plan: RegionShape, observed: ObservedRegion): string {
  const lines = [`${plan.region}  (stack ${plan.stackName})`];
  const target = (r: ObservedRecord) =>
    r.aliasTarget === undefined
      ? r.values.join(", ")
      : `alias ${r.aliasTarget}${r.evaluateTargetHealth === true ? " (if healthy)" : ""}`;
  const global = observed.records.find((r) => r.name === plan.dns.globalName && r.latencyRegion === plan.region);
  if (global !== undefined) {
    lines.push(`  ${global.name}  latency record for ${plan.region}  → ${target(global)}`);
  }
  const weighted = observed.records.filter((r) => r.name === plan.regionalName && r.setIdentifier !== undefined);
  lines.push(`  ${plan.regionalName}  weighted set, ${weighted.length} ${weighted[0]?.type ?? ""} records`);
  for (const record of weighted) {
    lines.push(`    ${record.setIdentifier ?? ""}  weight ${record.weight ?? "?"}  → ${target(record)}`);
  }
  lines.push("  per port:");
  for (const port of plan.ports) {
    const lb = observed.loadBalancers.find((l) => l.name === port.loadBalancerName);
    const alias = observed.records.find((r) => r.name === port.aliasName && r.type === "A");
    const listener = lb?.listeners[0];
    lines.push(
      `    ${port.aliasName} → ${lb === undefined ? `${port.loadBalancerName} (missing!)` : `${plan.loadBalancerType === "network" ? "NLB " : ""}${lb.name}`}` +
        (listener === undefined
          ? ""
          : ` → ${listener.protocol} ${listener.lbPort} → instance port ${listener.instancePort}`) +
        (lb === undefined ? "" : `, health ${lb.healthCheck.target} every ${lb.healthCheck.interval}s`) +
        (alias === undefined ? "  [alias record missing]" : ""),
    );
  }
  const group = observed.group;
  if (group === undefined) {
    lines.push(`  Auto Scaling group ${plan.autoScaling.name}: missing`);
  } else {
    const instances = group.instances.map((i) => `${i.id} ${i.state}`).join(", ");
    lines.push(
      `  Auto Scaling group ${group.name}: ${group.instances.length} instance(s) [${instances}], attached to ${plan.loadBalancerType === "network" ? `${group.targetGroupArns.length} target groups` : `${group.loadBalancerNames.length} load balancers`}`,
    );
  }
  const { policies, alarms, dashboard } = observed.monitoring;
  const scaling = policies.find((p) => p.name === plan.scaling?.policyName);
  lines.push(
    `  scaling: ${plan.scaling === undefined ? "none (fixed size)" : scaling === undefined ? `${plan.scaling.policyName} missing!` : `target tracking, average CPU ${scaling.cpuTarget ?? "?"}%, warm-up ${scaling.warmup ?? "?"}s`}`,
  );
  const expected = regionAlarmNames(plan).length;
  const guards = plan.monitoring.guardAlarms.length;
  const serving = plan.monitoring.latencyAlarms.length + plan.monitoring.backendErrorAlarms.length;
  lines.push(
    `  alarms: ${alarms.length} of ${expected} (${plan.ports.length * 2 + plan.monitoring.shareAlarms.length} per port, ${plan.monitoring.regionAlarmName}, ${guards} rollout guard${guards === 1 ? "" : "s"}, ${serving} on ports serving badly, ${Object.keys(plan.monitoring.host).length} on the group and hosts)` +
      (plan.monitoring.topicArn === undefined ? ", no topic" : `, to ${plan.monitoring.topicArn}`) +
      `; dashboard ${dashboard === undefined ? `${plan.monitoring.dashboardName} missing!` : `${dashboard.name}, ${dashboard.widgets.length} widgets`}`,
  );
  lines.push(`  state: ${observed.state.location}${observed.state.exists ? "" : " (missing!)"}`);
  return lines.join("\n");
}
