import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { adoptableAddresses, listedAddresses } from "../../adoption/decide";
import type { StackJson } from "../../baseline/engine";
import type { RegionShape } from "../../fleet/shape";
import type { TerraformPlanJson } from "../../review/report";
import type { StackNode } from "../../terraform/stack-selection";
import { clearAdoptions, planAdopting, writtenImports } from "../../adoption/adapters/adopt";
import { applySavedPlan, applyStack, terraform } from "../../terraform/adapters/runner";
import { lockTimeoutFlag, stackDir, type FleetContext } from "../../terraform/adapters/context";
import { runInWaves } from "./waves";
import type { StackOutcome } from "../../terraform/outcome";
import { deployRegion, regionOf, rollOut } from "./region";
import { planTo } from "../../terraform/adapters/runner";
import { deployStateStack, destroyStateStack } from "../../state/adapters/bootstrap";

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
 * Before a region's destroy: what an interrupted apply created but never recorded is imported into its
 * state, so the destroy removes it too (a destroy ignores import blocks); a region never applied has no
 * state, and is looked for as well. Costs one `terraform state list` when the state holds every resource
 * that could be orphaned. Returns the failed run, if one failed.
 */
export async function importOrphans(
  ctx: FleetContext,
  region: RegionShape,
  log: string,
): Promise<{ readonly code: number; readonly output: string } | undefined> {
  const stack = region.stackName;
  const dir = stackDir(ctx, stack);
  const listed = await terraform(ctx, stack, log, ["state", "list", "-no-color"]);
  const inState = listedAddresses(listed.code, listed.output);
  if (inState === undefined) return listed;
  const synthesized = JSON.parse(readFileSync(join(dir, "cdk.tf.json"), "utf8")) as StackJson;
  if (adoptableAddresses(synthesized).every((address) => inState.has(address))) return undefined;
  const say = (line: string) => {
    ctx.progress(`${stack}: ${line}`);
  };
  clearAdoptions(dir);
  try {
    const planned = await planAdopting(
      ctx.target,
      region,
      dir,
      say,
      () => planTo(ctx, stack, log, "adopt.tfplan", []),
      (result) => (result.ok ? result.plan : undefined),
    );
    if (!planned.ok) return planned;
    for (const { to, id } of writtenImports(dir)) {
      const imported = await terraform(ctx, stack, log, [
        "import",
        "-input=false",
        "-no-color",
        lockTimeoutFlag(ctx),
        to,
        id,
      ]);
      if (imported.code !== 0) return imported;
    }
    return undefined;
  } finally {
    clearAdoptions(dir);
    rmSync(join(dir, "adopt.tfplan"), { force: true });
  }
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
