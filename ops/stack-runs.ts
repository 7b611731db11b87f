import type { TerraformPlanJson } from "../lib/plan-report";
import type { StackNode } from "../lib/stack-selection";
import { applySavedPlan, applyStack, runInWaves, type FleetContext, type StackOutcome } from "./fleet-ops";
import { deployRegion, regionOf, rollOut } from "./rollout";
import { deployStateStack, destroyStateStack } from "./state-stack";

/**
 * Deploys stacks wave by wave: the state bucket, the hosted zone, then the regions as the rollout's waves
 * say, each region judged before the next wave starts (ops/rollout.ts). A failed stack fails alone: the
 * rest of its wave still deploys, and only stacks that depend on it are not started. The state stack
 * bootstraps its bucket when it does not exist yet.
 */
export function deployStacks(ctx: FleetContext, stacks: readonly StackNode[]): Promise<StackOutcome[]> {
  return rollOut(ctx, stacks, (name) => {
    if (name === ctx.plan.state.stackName) return deployStateStack(ctx);
    const region = regionOf(ctx, name);
    return region === undefined ? applyStack(ctx, "deploy", name) : deployRegion(ctx, region);
  });
}

/**
 * Destroys stacks in reverse waves: regions first (in parallel), the state bucket last, and only once
 * no stack keeps its state there.
 */
export function destroyStacks(ctx: FleetContext, stacks: readonly StackNode[]): Promise<StackOutcome[]> {
  return runInWaves(stacks, "destroy", (name) =>
    name === ctx.plan.state.stackName ? destroyStateStack(ctx) : applyStack(ctx, "destroy", name),
  );
}

/**
 * Applies each stack's saved plan wave by wave, after they were compared with the reviewed ones; a stack
 * whose plan changes nothing is not touched. Regions roll out as in {@link deployStacks}, every stage of
 * theirs within the reviewed plan.
 */
export function applySavedPlans(
  ctx: FleetContext,
  stacks: readonly StackNode[],
  plans: {
    readonly fresh: ReadonlyMap<string, TerraformPlanJson>;
    readonly reviewed: readonly ReadonlyMap<string, TerraformPlanJson>[];
  },
  changing: ReadonlySet<string>,
): Promise<StackOutcome[]> {
  return rollOut(ctx, stacks, (name) => {
    if (!changing.has(name)) {
      return Promise.resolve({ stack: name, ok: true, summary: "no changes, as reviewed", log: "", seconds: 0 });
    }
    const region = regionOf(ctx, name);
    const planned = plans.fresh.get(name);
    const reviewed = plans.reviewed.flatMap((set) => set.get(name) ?? []);
    return region === undefined || planned === undefined
      ? applySavedPlan(ctx, name)
      : deployRegion(ctx, region, { planned, reviewed });
  });
}
