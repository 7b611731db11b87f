/*
 * Pure: one instance first. A region's instance refresh stops at a checkpoint once one instance of the
 * group's desired capacity is new; the deploy sees it there, judges that instance on every port and bakes it
 * (rollout/machine.ts), and the refresh goes on by itself when the checkpoint's delay ends. A bad change then
 * costs one instance, not the region. AWS has no call to resume a refresh early: the delay is the time the
 * deploy needs, and a deploy that is gone lets the refresh go on as AWS would.
 */
import type { HealthCheck } from "../fleet/schema";

/** A group of at least this many instances (capacity.desired) replaces one first unless the fleet file says no. */
export const FIRST_INSTANCE_GROUP = 3;

/** Seconds the checkpoint waits beyond the judgement and the bake: two of the deploy's looks at AWS (15 s each). */
export const CHECKPOINT_MARGIN_SECONDS = 30;

/** Where the refresh stops, and for how long. */
export interface Checkpoint {
  /** The share of the group (percent) that is new at the checkpoint: one instance of the desired capacity. */
  readonly percentage: number;
  /** How long the refresh stays there: the new instance's checks on every port, the bake, and a margin. */
  readonly delaySeconds: number;
}

/** What a region's group is, for its checkpoint. */
export interface CheckpointInput {
  /** `rollout.firstInstance`: asked for, refused, or left to the group's size. */
  readonly asked: boolean | undefined;
  readonly desiredCapacity: number;
  readonly instanceRefresh: boolean;
  readonly healthCheck: Pick<HealthCheck, "healthyThreshold" | "interval">;
  readonly bakeSeconds: number;
}

/**
 * The checkpoint of a group that replaces one instance first (asked for, or a refreshing group of 3 or more),
 * none otherwise. One instance of `desired` is at least floor(100 / desired) percent, and none is 0: the
 * refresh stops after exactly one at that size (a group scaled out since stops after the same share). AWS
 * takes whole percentages from 1: a group of more than 100 stops after one in a hundred.
 */
export function firstInstanceCheckpoint(group: CheckpointInput): Checkpoint | undefined {
  const desired = group.desiredCapacity;
  const on = group.instanceRefresh && desired >= 2 && (group.asked ?? desired >= FIRST_INSTANCE_GROUP);
  if (!on) return undefined;
  return { percentage: Math.max(1, Math.floor(100 / desired)), delaySeconds: checkpointDelaySeconds(group) };
}

/** How long the refresh waits at the checkpoint: the new instance's checks on every port, the bake, a margin. */
export function checkpointDelaySeconds(group: Pick<CheckpointInput, "healthCheck" | "bakeSeconds">): number {
  return inServiceSeconds(group.healthCheck) + group.bakeSeconds + CHECKPOINT_MARGIN_SECONDS;
}

/**
 * Seconds a warm new instance takes to pass its load balancers' checks on every port: the healthy threshold's
 * checks, and two more intervals for registration.
 */
export function inServiceSeconds(healthCheck: Pick<HealthCheck, "healthyThreshold" | "interval">): number {
  return (healthCheck.healthyThreshold + 2) * healthCheck.interval;
}

/** Seconds a good new instance may take to be in service on every port once the refresh counts it warm. */
export function settleSeconds(region: {
  readonly healthCheck: Pick<HealthCheck, "healthyThreshold" | "interval">;
  readonly autoScaling: { readonly healthCheckGracePeriod: number };
}): number {
  return region.autoScaling.healthCheckGracePeriod + inServiceSeconds(region.healthCheck);
}

/** Whether a refresh reading shows it stopped at (or past) the checkpoint and not yet done. */
export function atCheckpoint(checkpoint: Checkpoint, refresh: { readonly percentageComplete?: number }): boolean {
  const done = refresh.percentageComplete ?? 0;
  return done >= checkpoint.percentage && done < 100;
}
