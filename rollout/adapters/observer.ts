/*
 * What the rollout asks AWS about one region and does to it: its group, its refreshes, its load balancers'
 * view of its instances, its alarms; cancelling and starting a refresh. And the clock it waits by. What to
 * ask and when is the region's state machine's (rollout/machine.ts).
 */
import { throwIfInterrupted } from "../../cli/interrupt";
import {
  CancelInstanceRefreshCommand,
  DescribeAutoScalingGroupsCommand,
  DescribeInstanceRefreshesCommand,
  StartInstanceRefreshCommand,
} from "@aws-sdk/client-auto-scaling";
import { DescribeAlarmsCommand } from "@aws-sdk/client-cloudwatch";
import { DescribeInstanceHealthCommand } from "@aws-sdk/client-elastic-load-balancing";
import { DescribeTargetGroupsCommand, DescribeTargetHealthCommand } from "@aws-sdk/client-elastic-load-balancing-v2";
import { bakeAlarmNames, type RegionShape } from "../../fleet/shape";
import type { CancelOutcome } from "../refresh-watch";
import {
  judgeInstances,
  judgeRefresh,
  refreshesFromAnswer,
  type AlarmObservation,
  type InstanceObservation,
  type InstancesVerdict,
  type PortHealthObservation,
  type RefreshObservation,
} from "../verdicts";
import type { Target } from "../../fleet/target";
import { regionClients, type RegionClients } from "../../fleet/adapters/aws-clients";

/** How often to look, and how to wait: real time in commands, injectable in tests. */
export interface Clock {
  readonly pollMs: number;
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
}

export function realClock(pollSeconds: number): Clock {
  return {
    pollMs: pollSeconds * 1000,
    now: () => Date.now(),
    sleep: async (ms) => {
      // In steps of at most a second: an interruption ends a rollout's wait within one.
      const end = Date.now() + ms;
      throwIfInterrupted();
      while (Date.now() < end) {
        await new Promise((resolve) => setTimeout(resolve, Math.min(1000, end - Date.now())));
        throwIfInterrupted();
      }
    },
  };
}

export interface GroupObservation {
  readonly exists: boolean;
  readonly templateId?: string;
  /** The launch template version the group launches from. */
  readonly version?: string;
  readonly instances: readonly InstanceObservation[];
  readonly desiredCapacity?: number;
  /** The classic load balancers and target groups attached to it: the judges of its instances. */
  readonly attached: ReadonlySet<string>;
}

/** One region's group, refreshes, load balancers and alarms, as the SDK answers. */
export class RegionObserver {
  private readonly clients: RegionClients;
  private targetGroupArns?: ReadonlyMap<number, string>;

  constructor(
    target: Target,
    readonly region: RegionShape,
  ) {
    this.clients = regionClients(target, region.region);
  }

  get groupName(): string {
    return this.region.autoScaling.name;
  }

  async group(): Promise<GroupObservation> {
    const answer = await this.clients.autoScaling.send(
      new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [this.groupName] }),
    );
    const group = answer.AutoScalingGroups?.[0];
    if (group === undefined) return { exists: false, instances: [], attached: new Set() };
    return {
      exists: true,
      ...(group.DesiredCapacity === undefined ? {} : { desiredCapacity: group.DesiredCapacity }),
      attached: new Set([...(group.LoadBalancerNames ?? []), ...(group.TargetGroupARNs ?? [])]),
      ...(group.LaunchTemplate?.LaunchTemplateId === undefined
        ? {}
        : { templateId: group.LaunchTemplate.LaunchTemplateId }),
      ...(group.LaunchTemplate?.Version === undefined ? {} : { version: group.LaunchTemplate.Version }),
      instances: (group.Instances ?? []).map((i) => ({
        id: i.InstanceId ?? "",
        lifecycleState: i.LifecycleState ?? "",
        healthStatus: i.HealthStatus ?? "",
        ...(i.LaunchTemplate?.Version === undefined ? {} : { launchTemplateVersion: i.LaunchTemplate.Version }),
      })),
    };
  }

  /** The group's refreshes, newest first; none for a group that does not exist. */
  async refreshes(): Promise<RefreshObservation[]> {
    const answer = await this.clients.autoScaling
      .send(new DescribeInstanceRefreshesCommand({ AutoScalingGroupName: this.groupName }))
      .catch((error: unknown) => {
        if ((error as { name?: string }).name === "ValidationError") return { InstanceRefreshes: [] };
        throw error;
      });
    return refreshesFromAnswer(answer);
  }

  async refresh(id: string): Promise<RefreshObservation | undefined> {
    return (await this.refreshes()).find((r) => r.id === id);
  }

  /** Each port's load balancer's view of each of these instances. */
  async portHealth(instanceIds: readonly string[]): Promise<PortHealthObservation[]> {
    if (instanceIds.length === 0) return [];
    const seen: PortHealthObservation[] = [];
    for (const port of this.region.ports) {
      if (this.region.loadBalancerType === "classic") {
        const answer = await this.clients.elb.send(
          new DescribeInstanceHealthCommand({
            LoadBalancerName: port.loadBalancerName,
            Instances: instanceIds.map((InstanceId) => ({ InstanceId })),
          }),
        );
        for (const state of answer.InstanceStates ?? []) {
          seen.push({
            port: port.port,
            instanceId: state.InstanceId ?? "",
            state: state.State ?? "",
            ...(state.Description === undefined ? {} : { reason: state.Description }),
          });
        }
      } else {
        const arn = (await this.targetGroups()).get(port.port);
        if (arn === undefined) continue;
        const answer = await this.clients.elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn }));
        for (const target of answer.TargetHealthDescriptions ?? []) {
          const id = target.Target?.Id ?? "";
          if (!instanceIds.includes(id)) continue;
          seen.push({
            port: port.port,
            instanceId: id,
            state: target.TargetHealth?.State ?? "",
            ...(target.TargetHealth?.Description === undefined ? {} : { reason: target.TargetHealth.Description }),
          });
        }
      }
    }
    return seen;
  }

  /**
   * Each port's target group, by port. One a later stage creates does not exist yet: it is not an error
   * (DescribeTargetGroups by name refuses the whole call for one missing name, so each is asked alone), and
   * what is missing is asked again next time.
   */
  private async targetGroups(): Promise<ReadonlyMap<number, string>> {
    const known = new Map(this.targetGroupArns ?? []);
    for (const port of this.region.ports) {
      if (known.has(port.port)) continue;
      const answer = await this.clients.elbv2
        .send(new DescribeTargetGroupsCommand({ Names: [port.loadBalancerName] }))
        .catch((error: unknown) => {
          if ((error as { name?: string }).name === "TargetGroupNotFoundException") return { TargetGroups: [] };
          throw error;
        });
      const arn = answer.TargetGroups?.[0]?.TargetGroupArn;
      if (arn !== undefined) known.set(port.port, arn);
    }
    this.targetGroupArns = known;
    return known;
  }

  /** The alarms a bake watches (all of the region's but the traffic shares), in the state CloudWatch holds them. */
  async alarms(): Promise<AlarmObservation[]> {
    const names = bakeAlarmNames(this.region);
    const found: AlarmObservation[] = [];
    for (let i = 0; i < names.length; i += 100) {
      const answer = await this.clients.cloudWatch.send(
        new DescribeAlarmsCommand({
          AlarmNames: names.slice(i, i + 100),
          AlarmTypes: ["MetricAlarm", "CompositeAlarm"],
        }),
      );
      for (const alarm of [...(answer.MetricAlarms ?? []), ...(answer.CompositeAlarms ?? [])]) {
        found.push({
          name: alarm.AlarmName ?? "",
          state: alarm.StateValue ?? "",
          ...(alarm.StateReason === undefined ? {} : { reason: alarm.StateReason }),
        });
      }
    }
    return found;
  }

  /**
   * Judges the instances on `version` (all in service when undefined) on their own health, on the load
   * balancer of every port attached to the group (a port whose attachment waits for a later stage does
   * not judge them yet).
   */
  async judge(version: string | undefined): Promise<InstancesVerdict> {
    const group = await this.group();
    const judged = group.instances.filter((i) => version === undefined || i.launchTemplateVersion === version);
    const health = await this.portHealth(judged.filter((i) => i.lifecycleState === "InService").map((i) => i.id));
    return judgeInstances(version, group.instances, health, await this.attachedPorts(group), group.desiredCapacity);
  }

  /** The ports whose load balancer (classic) or target group (network) is attached to the group. */
  private async attachedPorts(group: GroupObservation): Promise<number[]> {
    if (this.region.loadBalancerType === "classic") {
      return this.region.ports.filter((p) => group.attached.has(p.loadBalancerName)).map((p) => p.port);
    }
    const arns = await this.targetGroups();
    return this.region.ports.filter((p) => group.attached.has(arns.get(p.port) ?? "")).map((p) => p.port);
  }

  /**
   * Cancels refresh `id`, and no other: AWS cancels whichever refresh is the group's active one, so the
   * active one is read first and left alone when it is another's. Errors other than "none active" are thrown.
   */
  async cancelRefresh(id: string): Promise<CancelOutcome> {
    const active = (await this.refreshes()).find((r) => judgeRefresh(r).kind === "running");
    if (active === undefined) return { kind: "ended" };
    if (active.id !== id) return { kind: "another-active", activeId: active.id };
    try {
      await this.clients.autoScaling.send(new CancelInstanceRefreshCommand({ AutoScalingGroupName: this.groupName }));
    } catch (error) {
      if ((error as { name?: string }).name === "ActiveInstanceRefreshNotFound") return { kind: "ended" };
      throw error;
    }
    return { kind: "cancelled" };
  }

  /**
   * A refresh to a given launch template version: launch before terminate, skipping instances already on it.
   * With a desired configuration AWS moves the group to that version when the refresh succeeds.
   */
  async startRefreshTo(templateId: string, version: string): Promise<string> {
    const answer = await this.clients.autoScaling.send(
      new StartInstanceRefreshCommand({
        AutoScalingGroupName: this.groupName,
        Strategy: "Rolling",
        DesiredConfiguration: { LaunchTemplate: { LaunchTemplateId: templateId, Version: version } },
        Preferences: {
          MinHealthyPercentage: 100,
          MaxHealthyPercentage: 200,
          InstanceWarmup: this.region.autoScaling.healthCheckGracePeriod,
          SkipMatching: true,
        },
      }),
    );
    return answer.InstanceRefreshId ?? "";
  }
}
