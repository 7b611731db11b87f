/*
 * Pure: which stacks replace their instances and why (a new release, user data, image or setting in the
 * launch template, or a version rolled out again), and the rollout table: the waves a deploy would follow.
 */
import type { RolloutShape } from "../rollout/waves";
import { stagingOf } from "../rollout/stages";
import { altersResources, classify, first, record, type TerraformPlanJson } from "../terraform/plan-json";
import { decodeUserData } from "../instance/user-data";
import type { StackPlan } from "./stack-plans";

/** Why a stack's launch template changes: every instance of the region is replaced by the instance refresh. */
export interface Rollout {
  readonly stack: string;
  readonly causes: readonly string[];
  /** The group replaces its instances (instance refresh); otherwise only new instances use the template. */
  readonly refresh: boolean;
}

/** The release a boot script fetches (`want=<sha256>` in release mode), from base64 user data. */
function releaseDigest(userData: unknown): string | undefined {
  if (typeof userData !== "string") return undefined;
  return /\n *want=([0-9a-f]{64})\n/.exec(decodeUserData(userData))?.[1];
}

const short = (digest: string | undefined) => (digest === undefined ? "none" : digest.slice(0, 7));

/**
 * Every launch-template change, with its cause: a new release (old → new digest), new user data, a new
 * image from the AMI lookup (old → new id), or other settings. A new image published upstream must never
 * replace every instance without the reviewer seeing why. `imageLocked`: whether the stack's image comes from
 * the image lock (else from a lookup at plan time).
 */
export function rolloutsOf(stack: string, plan: TerraformPlanJson, imageLocked = true): Rollout[] {
  return (plan.resource_changes ?? [])
    .filter((rc) => rc.mode === "managed" && rc.type === "aws_launch_template")
    .flatMap((rc): Rollout[] => {
      const action = classify(rc.change.actions);
      const before = record(rc.change.before);
      const after = record(rc.change.after);
      if ((action !== "update" && action !== "replace") || before === undefined || after === undefined) return [];
      const causes: string[] = [];
      const [oldRelease, newRelease] = [releaseDigest(before.user_data), releaseDigest(after.user_data)];
      if (oldRelease !== newRelease) causes.push(`new release ${short(oldRelease)} → ${short(newRelease)}`);
      else if (before.user_data !== after.user_data) causes.push("new user data");
      if (before.image_id !== after.image_id) {
        // With the image lock, an image changes only when the lock file does; without it, when the lookup's newest does.
        const next = typeof after.image_id === "string" ? after.image_id : "(known after apply)";
        const why = imageLocked ? "the image lock changed" : "not locked: the lookup's newest image at plan time";
        causes.push(`new image ${String(before.image_id)} → ${next} (${why})`);
      }
      const others = Object.keys(after)
        .filter((key) => !["user_data", "image_id", "latest_version", "default_version", "tags_all"].includes(key))
        .filter((key) => JSON.stringify(before[key]) !== JSON.stringify(after[key]) && after[key] !== undefined)
        .sort();
      if (others.length > 0) causes.push(`other settings: ${others.join(", ")}`);
      return causes.length === 0 ? [] : [{ stack, causes, refresh: refreshes(plan) }];
    })
    .concat(rerolls(stack, plan));
}

/**
 * A group moving to a launch template version the template already has: the version a deploy rolled
 * back from (or a refresh that did not finish) is rolled out again.
 */
function rerolls(stack: string, plan: TerraformPlanJson): Rollout[] {
  const templateChanges = (plan.resource_changes ?? []).some(
    (rc) => rc.type === "aws_launch_template" && classify(rc.change.actions) !== undefined,
  );
  if (templateChanges) return [];
  return (plan.resource_changes ?? []).flatMap((rc): Rollout[] => {
    if (rc.type !== "aws_autoscaling_group" || classify(rc.change.actions) !== "update") return [];
    const [before, after] = [
      first(record(rc.change.before)?.launch_template),
      first(record(rc.change.after)?.launch_template),
    ];
    if (before === undefined || after === undefined || before.version === after.version) return [];
    return [
      {
        stack,
        causes: [
          `launch template version ${String(before.version)} → ${typeof after.version === "string" ? after.version : "(known after apply)"} again (the last rollout of it was rolled back, or did not finish)`,
        ],
        refresh: refreshes(plan),
      },
    ];
  });
}

/** Whether the stack's Auto Scaling group has an instance refresh configured after the plan. */
function refreshes(plan: TerraformPlanJson): boolean {
  return (plan.resource_changes ?? []).some(
    (rc) =>
      rc.type === "aws_autoscaling_group" &&
      Array.isArray(record(rc.change.after)?.instance_refresh) &&
      (record(rc.change.after)?.instance_refresh as unknown[]).length > 0,
  );
}

/**
 * The rollout as this plan would run it: each wave's regions, which of them change, which replace their
 * instances (and in two stages, when new judges wait for the refresh), and the bake each wave gets.
 */
export function rolloutTable(plans: readonly StackPlan[], rollout: RolloutShape): string[] {
  const byStack = new Map(plans.map((p) => [p.stack, p]));
  const rows = rollout.waves.map((wave) => {
    const status = (predicate: (plan: TerraformPlanJson) => boolean) => {
      const regions = wave.stacks.flatMap((stack, i) => {
        const p = byStack.get(stack);
        return p?.status === "planned" && predicate(p.plan) ? [wave.regions[i] ?? stack] : [];
      });
      return regions.length === 0 ? "none" : regions.join(", ");
    };
    const unplanned = wave.stacks.filter((stack) => !byStack.has(stack)).length;
    const changing = status(altersResources);
    const replacing = status((plan) => rolloutsOf("", plan).some((r) => r.refresh));
    const staged = status((plan) => stagingOf(plan) !== undefined);
    return (
      `| ${wave.number} | ${wave.regions.join(", ")}${unplanned > 0 ? ` (${unplanned} not planned here)` : ""} | ${changing} | ` +
      `${replacing}${staged === "none" ? "" : ` (in two stages: ${staged})`} | ${rollout.bakeSeconds} s |`
    );
  });
  return [
    "### Rollout",
    "",
    "| wave | regions | changes | instances replaced | bake |",
    "| ---: | --- | --- | --- | ---: |",
    ...rows,
    "",
    "A wave starts once every region of the wave before has a successful instance refresh, new instances in service " +
      "on every port, and a bake with no alarm in ALARM; a region that fails stops the rollout and goes back to its " +
      "previous launch template version.",
    "",
  ];
}
