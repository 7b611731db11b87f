import type { StackNode } from "../lib/stack-selection";
import { applySavedPlan, applyStack, runInWaves, type FleetContext, type StackOutcome } from "./fleet-ops";
import { deployStateStack, destroyStateStack } from "./state-stack";

/**
 * Deploys stacks wave by wave (state bucket, hosted zone, then all regions at once). A failed stack
 * fails alone: the rest of its wave still deploys, and only stacks that depend on it are skipped. The
 * state stack bootstraps its bucket when it does not exist yet.
 */
export function deployStacks(ctx: FleetContext, stacks: readonly StackNode[]): Promise<StackOutcome[]> {
  return runInWaves(stacks, "deploy", (name) =>
    name === ctx.plan.state.stackName ? deployStateStack(ctx) : applyStack(ctx, "deploy", name),
  );
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
 * Applies each stack's saved plan, wave by wave, after they were compared with the reviewed ones; a
 * stack whose plan changes nothing is not touched.
 */
export function applySavedPlans(
  ctx: FleetContext,
  stacks: readonly StackNode[],
  changing: ReadonlySet<string>,
): Promise<StackOutcome[]> {
  return runInWaves(stacks, "deploy", (name) =>
    changing.has(name)
      ? applySavedPlan(ctx, name)
      : Promise.resolve({ stack: name, ok: true, summary: "no changes, as reviewed", log: "", seconds: 0 }),
  );
}
