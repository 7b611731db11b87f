import type { RegionShape } from "../fleet/shape";
import type { TargetStatus } from "./health";

/* Pure: what the live fleet's runner publishes each second (status.json), and what readers make of it. */

/** What the runner publishes each second (status.json): enough for `endpoints`, the demo and the tests. */
export interface LiveStatus {
  readonly updated: string;
  readonly regions: Record<
    string,
    {
      readonly instances: Record<
        string,
        { readonly address: string; readonly boot: "running" | "succeeded" | "failed" }
      >;
      readonly balancers: Record<string, Record<string, TargetStatus>>;
    }
  >;
}

/**
 * The load balancers of these regions not yet serving, by name (`region/name`): with no healthy instance, or
 * (`every`) with a registered instance not yet healthy.
 */
export function balancersNotServing(
  status: LiveStatus | undefined,
  regions: readonly RegionShape[],
  every = false,
): string[] {
  return regions.flatMap((region) =>
    region.ports
      .filter((port) => {
        const states = Object.values(status?.regions[region.region]?.balancers[port.loadBalancerName] ?? {});
        const healthy = states.filter((s) => s === "healthy").length;
        return healthy === 0 || (every && healthy < states.length);
      })
      .map((port) => `${region.region}/${port.loadBalancerName}`),
  );
}
