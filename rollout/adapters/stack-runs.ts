import type { TerraformPlanJson } from "../../terraform/plan-json";
import type { StackNode } from "../../terraform/stack-selection";
import type { StackOutcome } from "../../terraform/outcome";
import { importOrphans } from "../../adoption/adapters/lifecycle";
import { applySavedPlan, applyStack } from "../../terraform/adapters/runner";
import type { FleetContext } from "../../terraform/adapters/context";
import { deployStateStack, destroyStateStack } from "../../state/adapters/bootstrap";
import { runInWaves } from "./waves";
import { deployRegion, regionOf, rollOut } from "./region";

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

/**
 * Applies each stack's saved plan wave by wave, after they were compared with the reviewed ones (or shown and
 * agreed to); a stack whose plan changes nothing is not touched (its outcome says `unchanged`). Regions roll
 * out as in {@link deployStacks}, every stage of theirs within the reviewed plan.
 */
export function applySavedPlans(
  ctx: FleetContext,
  stacks: readonly StackNode[],
  plans: {
    readonly fresh: ReadonlyMap<string, TerraformPlanJson>;
    readonly reviewed: readonly ReadonlyMap<string, TerraformPlanJson>[];
  },
  changing: ReadonlySet<string>,
  unchanged = "no changes, as reviewed",
): Promise<StackOutcome[]> {
  return rollOut(ctx, stacks, (name) => {
    if (!changing.has(name)) {
      return Promise.resolve({ stack: name, status: "succeeded", summary: unchanged, log: "", seconds: 0 });
    }
    const region = regionOf(ctx, name);
    const planned = plans.fresh.get(name);
    const reviewed = plans.reviewed.flatMap((set) => set.get(name) ?? []);
    return region === undefined || planned === undefined
      ? applySavedPlan(ctx, name)
      : deployRegion(ctx, region, { planned, reviewed });
  });
}
