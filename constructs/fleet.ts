import { TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import { checkBaseline, type BaselineResult } from "../baseline/engine";
import type { StackJson } from "../baseline/terraform-json";
import { PROJECT_EXCEPTIONS } from "../baseline/exceptions";
import type { FleetShape } from "../fleet/shape";
import type { Target } from "../fleet/target";
import { HostedZoneStack } from "./hosted-zone-stack";
import { RegionStack } from "./region-stack";
import { StateBucketStack } from "./state-bucket-stack";

export interface FleetStacks {
  readonly state: StateBucketStack;
  readonly hostedZone?: HostedZoneStack;
  readonly regions: readonly RegionStack[];
}

/**
 * The whole fleet: the state bucket stack, the hosted zone's stack when the fleet creates the zone,
 * then one stack per region. The dependencies give the deploy order (bucket, zone, then the regions wave
 * by wave, a wave's regions in parallel);
 * `npm run deploy` follows them one stack at a time, because cdktf initialises every selected stack
 * before it deploys any, and a region's S3 backend cannot initialise before the bucket exists.
 */
export function addFleet(scope: Construct, shape: FleetShape, target: Target = { kind: "aws" }): FleetStacks {
  const state = new StateBucketStack(scope, {
    state: shape.state,
    tags: shape.tags,
    target,
    ...(shape.accountId === undefined ? {} : { accountId: shape.accountId }),
  });
  const hostedZone =
    shape.hostedZone === undefined
      ? undefined
      : new HostedZoneStack(scope, shape.hostedZone, shape.tags, target, shape.accountId);
  hostedZone?.addDependency(state);
  const regions = shape.regions.map((regionPlan) => {
    const stack = new RegionStack(scope, regionPlan, target);
    stack.addDependency(state);
    if (hostedZone !== undefined) stack.addDependency(hostedZone);
    return stack;
  });
  // A wave's regions depend on every region of the wave before, so any deploy (even plain
  // `cdktf deploy '*'`) changes them only after the earlier wave is done.
  const byName = new Map(regions.map((stack) => [stack.node.id, stack]));
  shape.rollout.waves.forEach((wave, index) => {
    const earlier = shape.rollout.waves[index - 1]?.stacks ?? [];
    for (const name of wave.stacks) {
      for (const dependency of earlier) {
        const [stack, before] = [byName.get(name), byName.get(dependency)];
        if (stack !== undefined && before !== undefined) stack.addDependency(before);
      }
    }
  });
  return { state, regions, ...(hostedZone === undefined ? {} : { hostedZone }) };
}

/**
 * The security baseline over every stack under `scope`, as it will be written (baseline/engine.ts), with the
 * project's exceptions and the fleet's. Run before `app.synth()`: a fleet that breaks a rule writes nothing.
 */
export function fleetBaseline(scope: Construct, shape: FleetShape): BaselineResult {
  const stacks = scope.node.children
    .filter((child): child is TerraformStack => TerraformStack.isStack(child))
    .map((stack) => ({ name: stack.node.id, json: stack.toTerraform() as StackJson }));
  return checkBaseline(stacks, [...PROJECT_EXCEPTIONS, ...shape.baselineExceptions]);
}
