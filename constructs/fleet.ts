import type { Construct } from "constructs";
import type { FleetPlan } from "../lib/plan";
import { RegionStack } from "./region-stack";
import { StateBucketStack } from "./state-bucket-stack";

export interface FleetStacks {
  readonly state: StateBucketStack;
  readonly regions: readonly RegionStack[];
}

/**
 * The whole fleet: the state bucket stack, then one stack per region, each depending on the bucket so
 * `cdktf deploy '*'` creates it first.
 */
export function addFleet(scope: Construct, plan: FleetPlan): FleetStacks {
  const state = new StateBucketStack(scope, {
    stackName: plan.state.stackName,
    bucket: plan.state.bucket,
    region: plan.state.region,
    tags: plan.tags,
  });
  const regions = plan.regions.map((regionPlan) => {
    const stack = new RegionStack(scope, regionPlan);
    stack.addDependency(state);
    return stack;
  });
  return { state, regions };
}
