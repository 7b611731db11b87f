/*
 * Pure: how a deploy judges each region, as functions of what AWS answered: which refresh an apply started
 * and whether it passed, whether the new instances and the bake did, what to roll back. The region's rollout
 * (rollout/machine.ts) takes its decisions from here; rollout/adapters/ asks AWS and acts.
 *
 * The shape follows AWS's own practice: waves of regions (one region first), each region's instance
 * refresh watched to its end, the new instances judged on their own health, a bake that watches the
 * region's alarms, and a stop that leaves later waves untouched and rolls the failed region back.
 */

// ---------------------------------------------------------------------------------------------------
// The instance refresh

/** Every status DescribeInstanceRefreshes reports. */
export type RefreshStatus =
  | "Pending"
  | "InProgress"
  | "Successful"
  | "Failed"
  | "Cancelling"
  | "Cancelled"
  | "RollbackInProgress"
  | "RollbackFailed"
  | "RollbackSuccessful"
  | "Baking";

/** One refresh as DescribeInstanceRefreshes answers it (the fields the rollout reads). */
export interface RefreshObservation {
  readonly id: string;
  readonly status: RefreshStatus;
  readonly statusReason?: string;
  readonly percentageComplete?: number;
  readonly instancesToUpdate?: number;
  readonly startTime?: Date;
  readonly endTime?: Date;
}

/**
 * A DescribeInstanceRefreshes answer, the fields the rollout reads: the SDK's output, or the same answer
 * recorded as JSON (times as strings).
 */
export interface InstanceRefreshesAnswer {
  readonly InstanceRefreshes?: readonly {
    readonly InstanceRefreshId?: string | undefined;
    readonly Status?: string | undefined;
    readonly StatusReason?: string | undefined;
    readonly PercentageComplete?: number | undefined;
    readonly InstancesToUpdate?: number | undefined;
    readonly StartTime?: Date | string | undefined;
    readonly EndTime?: Date | string | undefined;
  }[];
}

/** A DescribeInstanceRefreshes answer in the shape the verdicts judge. */
export function refreshesFromAnswer(answer: InstanceRefreshesAnswer): RefreshObservation[] {
  return (answer.InstanceRefreshes ?? []).map((r) => ({
    id: r.InstanceRefreshId ?? "",
    status: (r.Status ?? "Pending") as RefreshStatus,
    ...(r.StatusReason === undefined ? {} : { statusReason: r.StatusReason }),
    ...(r.PercentageComplete === undefined ? {} : { percentageComplete: r.PercentageComplete }),
    ...(r.InstancesToUpdate === undefined ? {} : { instancesToUpdate: r.InstancesToUpdate }),
    ...(r.StartTime === undefined ? {} : { startTime: new Date(r.StartTime) }),
    ...(r.EndTime === undefined ? {} : { endTime: new Date(r.EndTime) }),
  }));
}

/**
 * The refresh an apply started: one that is newest now, was not there before the apply, and started
 * after the apply did (minus a minute of clock skew). None when the apply changed nothing that refreshes.
 */
export function startedRefresh(
  before: readonly RefreshObservation[],
  after: readonly RefreshObservation[],
  applyStartedAt: Date,
): RefreshObservation | undefined {
  const known = new Set(before.map((r) => r.id));
  const skew = 60_000;
  return after
    .filter((r) => !known.has(r.id))
    .filter((r) => r.startTime === undefined || r.startTime.getTime() >= applyStartedAt.getTime() - skew)
    .sort((a, b) => (b.startTime?.getTime() ?? 0) - (a.startTime?.getTime() ?? 0))[0];
}

export type RefreshVerdict =
  | { readonly kind: "running" }
  | { readonly kind: "succeeded" }
  | { readonly kind: "failed"; readonly why: string };

const RUNNING: readonly RefreshStatus[] = ["Pending", "InProgress", "Cancelling", "RollbackInProgress", "Baking"];

/**
 * Whether the rollout may go on: only a Successful refresh passes. A refresh AWS rolled back passed
 * nothing (it says the new configuration was bad), and neither did a cancelled one.
 */
export function judgeRefresh(refresh: RefreshObservation): RefreshVerdict {
  if (RUNNING.includes(refresh.status)) return { kind: "running" };
  if (refresh.status === "Successful") return { kind: "succeeded" };
  const reason = refresh.statusReason === undefined || refresh.statusReason === "" ? "" : `: ${refresh.statusReason}`;
  return { kind: "failed", why: `instance refresh ${shortId(refresh.id)} ended ${refresh.status}${reason}` };
}

/** `refresh 1a2b3c4d: InProgress, 50% complete, 1 instance to update`. */
export function refreshLine(refresh: RefreshObservation): string {
  const parts = [`refresh ${shortId(refresh.id)}: ${refresh.status}`];
  if (refresh.percentageComplete !== undefined) parts.push(`${refresh.percentageComplete}% complete`);
  if (refresh.instancesToUpdate !== undefined) {
    parts.push(`${refresh.instancesToUpdate} instance${refresh.instancesToUpdate === 1 ? "" : "s"} to update`);
  }
  return parts.join(", ");
}

export function shortId(id: string): string {
  return id.slice(0, 8);
}

// ---------------------------------------------------------------------------------------------------
// The new instances' own health

/** An instance of the group, as DescribeAutoScalingGroups answers. */
export interface InstanceObservation {
  readonly id: string;
  /** `InService`, `Pending`, `Terminating`, … */
  readonly lifecycleState: string;
  /** `Healthy` or `Unhealthy`: the group's own view (SetInstanceHealth, or its health checks). */
  readonly healthStatus: string;
  /** The launch template version it was launched from. */
  readonly launchTemplateVersion?: string;
}

/** One port's load balancer's view of one instance: `InService`/`OutOfService` (classic), `healthy`/… (network). */
export interface PortHealthObservation {
  readonly port: number;
  readonly instanceId: string;
  readonly state: string;
  readonly reason?: string;
}

const HEALTHY_LB_STATES = new Set(["InService", "healthy"]);
/**
 * States that are not a verdict yet: a target starting or leaving (network), a classic load balancer that
 * cannot tell yet (`Unknown`, e.g. while an instance is being registered).
 */
const TRANSIENT_LB_STATES = new Set(["initial", "draining", "unused", "Unknown"]);
/**
 * A classic load balancer's OutOfService while it registers an instance and runs its first checks, in AWS's
 * words: not a verdict yet either ("has failed at least the UnhealthyThreshold …" is one).
 */
const REGISTERING_REASONS = [/registration is still in progress/i, /has not passed the configured HealthyThreshold/i];

export type InstancesVerdict =
  | { readonly kind: "healthy"; readonly instances: number; readonly ports: number }
  | { readonly kind: "unhealthy"; readonly why: string }
  | { readonly kind: "waiting"; readonly why: string };

/**
 * The instances that run `version`, judged on their own: in service, healthy for the group, and in
 * service on the load balancer of every port in `ports` (those attached to the group). A fleet-wide alarm ("no healthy instance at all") stays OK
 * while any old instance is healthy; this looks at the new ones. With `version` undefined, every
 * in-service instance is judged.
 */
export function judgeInstances(
  version: string | undefined,
  instances: readonly InstanceObservation[],
  health: readonly PortHealthObservation[],
  ports: readonly number[],
  desiredCapacity?: number,
): InstancesVerdict {
  const judged = instances.filter(
    (i) => (version === undefined || i.launchTemplateVersion === version) && i.lifecycleState !== "Terminated",
  );
  // A group scaled to zero has nothing to judge, and will launch the new version when it scales out.
  if (desiredCapacity === 0 && judged.length === 0) return { kind: "healthy", instances: 0, ports: ports.length };
  const sick = judged.filter((i) => i.healthStatus !== "Healthy");
  if (sick.length > 0) {
    return {
      kind: "unhealthy",
      why: `instance ${sick.map((i) => i.id).join(", ")}${describeVersion(version)} is Unhealthy for its Auto Scaling group`,
    };
  }
  const inService = judged.filter((i) => i.lifecycleState === "InService");
  if (inService.length === 0) {
    return { kind: "waiting", why: `no instance${describeVersion(version)} is in service yet` };
  }
  for (const instance of inService) {
    for (const port of ports) {
      const seen = health.find((h) => h.port === port && h.instanceId === instance.id);
      if (seen === undefined || TRANSIENT_LB_STATES.has(seen.state)) {
        return { kind: "waiting", why: `port ${port}'s load balancer has no verdict on ${instance.id} yet` };
      }
      if (seen.state === "OutOfService" && REGISTERING_REASONS.some((reason) => reason.test(seen.reason ?? ""))) {
        return {
          kind: "waiting",
          why: `port ${port}'s load balancer is still registering ${instance.id} (${seen.reason ?? ""})`,
        };
      }
      if (!HEALTHY_LB_STATES.has(seen.state)) {
        const reason = seen.reason === undefined || seen.reason === "" ? "" : ` (${seen.reason})`;
        return {
          kind: "unhealthy",
          why: `instance ${instance.id}${describeVersion(version)} is ${seen.state} on port ${port}'s load balancer${reason}`,
        };
      }
    }
  }
  return { kind: "healthy", instances: inService.length, ports: ports.length };
}

function describeVersion(version: string | undefined): string {
  return version === undefined ? "" : ` (launch template version ${version})`;
}

// ---------------------------------------------------------------------------------------------------
// The bake

/** An alarm of the region as DescribeAlarms answers. */
export interface AlarmObservation {
  readonly name: string;
  readonly state: string;
  readonly reason?: string;
}

export type BakeVerdict =
  | { readonly kind: "clean" }
  | { readonly kind: "failed"; readonly why: string; readonly alarm?: string };

/**
 * One look during the bake: any of the region's alarms in ALARM, or the new instances unhealthy, fails it.
 * Alarms `excused` do not: those in ALARM before the deploy changed anything (a hotfix during an incident must
 * not be rolled back for the incident), and those the operator named (`--ignore-alarm`).
 */
export function judgeBakeSample(
  alarms: readonly AlarmObservation[],
  instances: InstancesVerdict,
  excused: ReadonlySet<string> = new Set(),
): BakeVerdict {
  const firing = alarms
    .filter((a) => a.state === "ALARM" && !excused.has(a.name))
    .sort((a, b) => a.name.localeCompare(b.name));
  const [first] = firing;
  if (first !== undefined) {
    const reason = first.reason === undefined || first.reason === "" ? "" : ` (${first.reason})`;
    const others = firing.length > 1 ? ` and ${firing.length - 1} more` : "";
    return { kind: "failed", why: `alarm ${first.name} is in ALARM${reason}${others}`, alarm: first.name };
  }
  if (instances.kind === "unhealthy") return { kind: "failed", why: instances.why };
  return { kind: "clean" };
}

/** `baking: 540 s left, 8 alarms OK, instances healthy`. */
export function bakeLine(
  secondsLeft: number,
  alarms: readonly AlarmObservation[],
  instances: InstancesVerdict,
): string {
  const ok = alarms.filter((a) => a.state !== "ALARM").length;
  const health = instances.kind === "healthy" ? "new instances healthy" : instances.why;
  return `baking: ${Math.max(0, Math.round(secondsLeft))} s left, ${ok} of ${alarms.length} alarms not in ALARM, ${health}`;
}

// ---------------------------------------------------------------------------------------------------
// Stopping and rolling back

/** A launch template version of the group: the template's id, and the version's number. */
export interface TemplateVersion {
  readonly templateId: string;
  readonly version: string;
}

/** What a stopped region can go back to, and what its group runs now. */
export interface RollbackChoice {
  /** The last version that passed its bake in the region (rollout/record.ts). */
  readonly baked?: TemplateVersion;
  /** What the group ran before this deploy applied anything. */
  readonly before?: TemplateVersion;
  /** What the group launches now. */
  readonly now?: TemplateVersion;
}

export type RollbackAction =
  | { readonly kind: "refresh"; readonly to: TemplateVersion; readonly why: string }
  | { readonly kind: "none"; readonly why: string };

/**
 * What to undo when a region fails its judgement. Instances go back to the last version that passed its bake
 * there, or, when none is recorded for the group's template, to the version the group ran before the apply;
 * each version with its own template's id. Other changes (alarms, records) stay until the fleet file is
 * reverted, because the Terraform state describes them. AWS's own auto rollback cannot do this under
 * Terraform: the provider updates the group to the new version before it starts the refresh, so "the
 * configuration before the refresh" is the new one (hashicorp/terraform-provider-aws#34189).
 */
export function rollbackAction(choice: RollbackChoice): RollbackAction {
  const { baked, before, now } = choice;
  const bakedFits = baked !== undefined && (now === undefined || baked.templateId === now.templateId);
  const to = bakedFits ? baked : before;
  if (to === undefined) {
    return {
      kind: "none",
      why:
        before === undefined && baked === undefined
          ? "no earlier version of the group passed its bake or ran before this deploy (the group is new)"
          : "the group's launch template was replaced, and no version of the new one passed its bake",
    };
  }
  if (now !== undefined && to.templateId === now.templateId && to.version === now.version) {
    return {
      kind: "none",
      why: `the group still launches version ${to.version}, the ${bakedFits ? "last baked" : "one before this deploy"}: this change replaced no instance`,
    };
  }
  return {
    kind: "refresh",
    to,
    why: bakedFits ? "the last version that passed its bake here" : "the version before this deploy (no bake recorded)",
  };
}
