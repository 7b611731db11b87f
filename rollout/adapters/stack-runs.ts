import type { TerraformPlanJson } from "../../terraform/plan-json";
import type { StackNode } from "../../terraform/stack-selection";
import { unchangedAs, type StackOutcome } from "../../terraform/outcome";
import { importOrphans } from "../../adoption/adapters/lifecycle";
import { applySavedPlan, applyStack } from "../../terraform/adapters/runner";
import type { FleetContext } from "../../terraform/adapters/context";
import { deployStateStack, destroyStateStack } from "../../state/adapters/bootstrap";
import { runInWaves } from "./waves";
import { deployRegion, regionOf, rollOut } from "./region";
import { reviewedAtOf } from "../record";

/**
 * Deploys stacks wave by wave: the state bucket, the hosted zone, then the regions as the rollout's waves
 * say, each region judged before the next wave starts (rollout/adapters/region.ts). A failed stack fails alone
 * among those already running; nothing after it starts (rollout/waves.ts). The state stack bootstraps its
 * bucket when it does not exist yet.
 */
export function deployStacks(ctx: FleetContext, stacks: readonly StackNode[]): Promise<StackOutcome[]> {
  return rollOut(ctx, stacks, (name) => {
    if (name === ctx.shape.state.stackName) return deployStateStack(ctx);
    const region = regionOf(ctx, name);
    return region === undefined ? applyStack(ctx, "deploy", name) : deployRegion(ctx, region);
  });
}

/**
 * Destroys stacks in reverse waves: regions first (in parallel), the state bucket last, and only once
 * no stack keeps its state there.
 */
export function destroyStacks(ctx: FleetContext, stacks: readonly StackNode[]): Promise<StackOutcome[]> {
  return runInWaves(stacks, "destroy", (name) => {
    if (name === ctx.shape.state.stackName) return destroyStateStack(ctx);
    const region = regionOf(ctx, name);
    return region === undefined
      ? applyStack(ctx, "destroy", name)
      : applyStack(ctx, "destroy", name, (log) => importOrphans(ctx, region, log));
  });
}

/** One review's plans (a plan set, or the plans shown at the question), and when they were made. */
export interface ReviewedPlans {
  readonly plans: ReadonlyMap<string, TerraformPlanJson>;
  /** Unknown for plans only shown at a terminal: a yes there does not bring back a rolled-back change. */
  readonly created?: Date;
}

/**
 * Applies each stack's saved plan wave by wave, after they were compared with the reviewed ones (or shown and
 * agreed to). Regions roll out as in {@link deployStacks}, every stage of theirs within the reviewed plan; a
 * region whose plan changes nothing is still checked (its group on the last baked version, or judged now),
 * and its outcome says `unchanged`; another stack that changes nothing is not touched.
 */
export function applySavedPlans(
  ctx: FleetContext,
  stacks: readonly StackNode[],
  plans: {
    readonly fresh: ReadonlyMap<string, TerraformPlanJson>;
    readonly reviewed: readonly ReviewedPlans[];
  },
  changing: ReadonlySet<string>,
  unchanged = "no changes, as reviewed",
): Promise<StackOutcome[]> {
  return rollOut(ctx, stacks, async (name) => {
    const region = regionOf(ctx, name);
    const planned = plans.fresh.get(name);
    if (region === undefined || planned === undefined) {
      if (!changing.has(name)) return { stack: name, status: "succeeded", summary: unchanged, log: "", seconds: 0 };
      return applySavedPlan(ctx, name);
    }
    const reviewed = plans.reviewed.flatMap((review) => review.plans.get(name) ?? []);
    const reviewedAt = reviewedAtOf(
      planned,
      plans.reviewed.map((review) => ({
        ...(review.plans.get(name) === undefined ? {} : { plan: review.plans.get(name) }),
        ...(review.created === undefined ? {} : { created: review.created }),
      })),
    );
    const outcome = await deployRegion(ctx, region, {
      planned,
      reviewed,
      ...(reviewedAt === undefined ? {} : { reviewedAt }),
    });
    return unchangedAs(outcome, changing.has(name), unchanged);
  });
}
