import {
  changesOf,
  first,
  record,
  type Change,
  type TerraformPlanJson,
  type TerraformResourceChange,
} from "../terraform/plan-json";

/*
 * Pure: when one apply of a region must become two. A load balancer judges every instance attached to its
 * group, and with health checks of type ELB the group replaces an instance any of them calls unhealthy. So
 * a change that both replaces the instances (a new launch template version) and brings a new judge (a
 * new port's load balancer attached, a health check that now asks for an HTTP path) must let the instance
 * refresh bring the new processes first: instances that predate the change never face a check they cannot
 * pass. Stage 1 applies the group (with its launch template) and the instances' network rules; the deploy
 * waits for the refresh; stage 2 applies the rest.
 */

export interface Staging {
  /** `-target` addresses of stage 1: the group (Terraform adds its launch template and what they reference) and the network rules. */
  readonly first: readonly string[];
  /** What waits for stage 2 because it judges the instances, for the progress line. */
  readonly judges: readonly Change[];
}

const RULE_TYPES = new Set(["aws_vpc_security_group_ingress_rule", "aws_vpc_security_group_egress_rule"]);

/**
 * The group is updated (not created) and moves to another launch template version: a new one (the template
 * changes), or one it was rolled back from. Either starts an instance refresh that replaces instances.
 */
function replacesInstances(plan: TerraformPlanJson): boolean {
  const managed = (type: string) =>
    (plan.resource_changes ?? []).find((rc) => rc.mode === "managed" && rc.type === type);
  const group = managed("aws_autoscaling_group");
  const template = managed("aws_launch_template");
  if (group === undefined || group.change.before === null || group.change.before === undefined) return false;
  if (template?.change.actions.includes("update") === true) return true;
  const version = (side: unknown) => JSON.stringify(first(record(side)?.launch_template)?.version);
  return group.change.actions.includes("update") && version(group.change.before) !== version(group.change.after);
}

/** A load balancer or target group whose health check changes: instances must answer the new one. */
function healthCheckChanges(rc: TerraformResourceChange): boolean {
  if (rc.type !== "aws_elb" && rc.type !== "aws_lb_target_group") return false;
  if (!rc.change.actions.includes("update")) return false;
  const before = record(rc.change.before);
  const after = record(rc.change.after);
  return JSON.stringify(before?.health_check) !== JSON.stringify(after?.health_check);
}

/** The judges a plan adds: new attachments to the group, and changed health checks. */
export function newJudges(plan: TerraformPlanJson): Change[] {
  const judging = new Set(
    (plan.resource_changes ?? [])
      .filter(
        (rc) =>
          rc.mode === "managed" &&
          ((rc.type === "aws_autoscaling_attachment" && rc.change.actions.includes("create")) ||
            healthCheckChanges(rc)),
      )
      .map((rc) => rc.address),
  );
  return changesOf(plan).filter((c) => judging.has(c.address));
}

/** Two stages when the plan replaces the instances and brings new judges; one (undefined) otherwise. */
export function stagingOf(plan: TerraformPlanJson): Staging | undefined {
  const judges = newJudges(plan);
  if (judges.length === 0 || !replacesInstances(plan)) return undefined;
  const changes = changesOf(plan);
  const group = changes.filter((c) => c.type === "aws_autoscaling_group").map((c) => c.address);
  const rules = changes.filter((c) => RULE_TYPES.has(c.type)).map((c) => c.address);
  return { first: [...group, ...rules], judges };
}

/** `-target=…` flags for a stage-1 plan. */
export function targetFlags(staging: Staging): string[] {
  return staging.first.map((address) => `-target=${address}`);
}

/** The port a per-port resource's address names (`…attach_port-9003_…`, `…balancers_targets-9001_…`). */
function portOf(address: string): string | undefined {
  return /_(?:port|targets)-(\d+)_/.exec(address)?.[1];
}

/** `port 9003's new load balancer attachment, port 9000's new health check`: what waits for stage 2, in words. */
export function describeJudges(judges: readonly Change[]): string {
  return judges
    .map((change) => {
      const port = portOf(change.address);
      const what = change.type === "aws_autoscaling_attachment" ? "load balancer" : "health check";
      return port === undefined ? change.address : `port ${port}'s new ${what}`;
    })
    .join(", ");
}
