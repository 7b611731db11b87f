import { DescribeAutoScalingGroupsCommand } from "@aws-sdk/client-auto-scaling";
import { DescribeInstanceAttributeCommand } from "@aws-sdk/client-ec2";
import { DescribeLoadBalancersCommand } from "@aws-sdk/client-elastic-load-balancing";
import { DescribeTargetGroupsCommand, DescribeTargetHealthCommand } from "@aws-sdk/client-elastic-load-balancing-v2";
import type { RegionClients } from "../../fleet/adapters/aws-clients";
import type { RegionShape } from "../../fleet/shape";
import { decodeUserData } from "../../instance/user-data";
import type { PortMetricSource } from "../../monitoring/metrics";
import { arnSuffix } from "../metrics";

/** What the local AWS says of one region now: the group's instances, and what each load balancer has registered. */
export interface RegionView {
  /** The group's instances that are not leaving it (Terminating and later are left out), with their state. */
  readonly instances: ReadonlyMap<string, string>;
  /** By load balancer name (a network load balancer's target group has its name): its registered instances. */
  readonly registered: ReadonlyMap<string, ReadonlySet<string>>;
}

const LEAVING = /^(Terminat|Detach|Standby|Warmed)/;

/** The group's instances that are not leaving it, with their lifecycle state, and its desired capacity. */
export async function observeGroup(
  clients: RegionClients,
  region: RegionShape,
): Promise<{ instances: RegionView["instances"]; desired: number }> {
  const groups = await clients.autoScaling.send(
    new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [region.autoScaling.name] }),
  );
  const group = groups.AutoScalingGroups?.[0];
  return {
    instances: new Map(
      (group?.Instances ?? [])
        .filter((i) => i.InstanceId !== undefined && !LEAVING.test(i.LifecycleState ?? ""))
        .map((i) => [i.InstanceId ?? "", i.LifecycleState ?? ""]),
    ),
    desired: group?.DesiredCapacity ?? 0,
  };
}

/**
 * Where each port's load balancer reports its metrics, by port: a classic one by name; a network one by its and its
 * target group's ARN suffixes, read from the local AWS (a port whose target group does not exist yet is left out).
 */
export async function observeMetricSources(
  clients: RegionClients,
  region: RegionShape,
): Promise<Map<number, PortMetricSource>> {
  if (region.loadBalancerType === "classic") {
    return new Map(
      region.ports.map((p) => [p.port, { kind: "classic", port: p.port, loadBalancerName: p.loadBalancerName }]),
    );
  }
  const described = await clients.elbv2.send(new DescribeTargetGroupsCommand({}));
  const byName = new Map((described.TargetGroups ?? []).map((g) => [g.TargetGroupName ?? "", g]));
  return new Map(
    region.ports.flatMap((p): [number, PortMetricSource][] => {
      const group = byName.get(p.loadBalancerName);
      const balancer = group?.LoadBalancerArns?.[0];
      if (group?.TargetGroupArn === undefined || balancer === undefined) return [];
      return [
        [
          p.port,
          {
            kind: "network",
            port: p.port,
            loadBalancer: arnSuffix(balancer),
            targetGroup: arnSuffix(group.TargetGroupArn),
          },
        ],
      ];
    }),
  );
}

/** What each of the region's load balancers has registered. */
export async function observeRegistrations(
  clients: RegionClients,
  region: RegionShape,
): Promise<RegionView["registered"]> {
  const names = new Set(region.ports.map((p) => p.loadBalancerName));
  const registered = new Map<string, Set<string>>();
  if (region.loadBalancerType === "classic") {
    const described = await clients.elb.send(new DescribeLoadBalancersCommand({}));
    for (const balancer of described.LoadBalancerDescriptions ?? []) {
      const name = balancer.LoadBalancerName ?? "";
      if (!names.has(name)) continue;
      registered.set(name, new Set((balancer.Instances ?? []).map((i) => i.InstanceId ?? "")));
    }
  } else {
    const described = await clients.elbv2.send(new DescribeTargetGroupsCommand({}));
    for (const group of described.TargetGroups ?? []) {
      const name = group.TargetGroupName ?? "";
      if (!names.has(name)) continue;
      const health = await clients.elbv2.send(
        new DescribeTargetHealthCommand({ TargetGroupArn: group.TargetGroupArn }),
      );
      registered.set(
        name,
        new Set(
          (health.TargetHealthDescriptions ?? [])
            .filter((t) => t.TargetHealth?.State !== "draining")
            .map((t) => t.Target?.Id ?? ""),
        ),
      );
    }
  }
  return registered;
}

/** The #cloud-config an instance was launched with. */
export async function launchedUserData(clients: RegionClients, instanceId: string): Promise<string> {
  const answer = await clients.ec2.send(
    new DescribeInstanceAttributeCommand({ InstanceId: instanceId, Attribute: "userData" }),
  );
  let text = decodeUserData(answer.UserData?.Value ?? "");
  // The launch template's user data is itself base64 (of gzip): EC2 keeps it as given.
  if (!text.startsWith("#cloud-config")) text = decodeUserData(text);
  return text;
}
