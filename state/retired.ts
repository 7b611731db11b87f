import { regionStackName, stateKey } from "../fleet/names";
import type { FleetShape } from "../fleet/shape";

/*
 * Pure: region stacks the fleet file no longer lists, found by their state. A region removed from the fleet
 * file is not destroyed by anything: its stack is no longer synthesized, so no plan or deploy mentions it,
 * and its instances, load balancers and its latency record in the name that spans regions keep running.
 * Every region keeps its state at `{keyPrefix}/{service}/{deployment}/{region}.tfstate`: a key of that form,
 * holding resources, for a region the fleet no longer lists, is a retired region.
 */

export interface RetiredRegion {
  readonly region: string;
  readonly stack: string;
  /** Where its state is: `s3://bucket/key`. */
  readonly state: string;
  readonly resources: number;
}

/** The key prefix every stack of the fleet keeps its state under. */
export function fleetStatePrefix(shape: FleetShape): string {
  return stateKey(shape.state.keyPrefix, shape, "").replace(/\.tfstate$/, "");
}

/**
 * The regions whose state keys (with the number of resources each still holds) are in the bucket but
 * whose region is not in the fleet; the state and zone stacks' own keys are not regions.
 */
export function retiredRegions(shape: FleetShape, states: ReadonlyMap<string, number>): RetiredRegion[] {
  const prefix = fleetStatePrefix(shape);
  const listed = new Set(shape.regions.map((r) => r.region));
  return [...states.entries()]
    .flatMap(([key, resources]): RetiredRegion[] => {
      const region =
        key.startsWith(prefix) && key.endsWith(".tfstate") ? key.slice(prefix.length, -".tfstate".length) : "";
      if (region === "" || region.includes("/") || ["state", "dns", "ci"].includes(region)) return [];
      if (listed.has(region) || resources === 0) return [];
      return [{ region, stack: regionStackName(shape, region), state: `s3://${shape.state.bucket}/${key}`, resources }];
    })
    .sort((a, b) => a.region.localeCompare(b.region));
}

/** The one command that destroys what a retired region still runs. */
export function retireCommand(region: RetiredRegion): string {
  return `npm run retire -- ${region.region}`;
}

/** `api-prod-us-west-2: …`: a line for a plan's or a deploy's output, and the report's danger. */
export function retiredLine(region: RetiredRegion): string {
  return (
    `${region.stack}: its region is no longer in the fleet file, but its state (${region.state}) still holds ` +
    `${region.resources} resource${region.resources === 1 ? "" : "s"}, which keep running (instances, load ` +
    `balancers, its latency record in the global name); destroy them with \`${retireCommand(region)}\``
  );
}
