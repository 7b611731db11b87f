import { shapeOrThrow } from "../../../fleet/validate";
import type { TargetStatus } from "../../../live/health";
import { balancersNotServing, type LiveStatus } from "../../../live/status";
import { baseFleet, DEFAULT_APP } from "../../fixtures";

const regions = shapeOrThrow(baseFleet({ processes: 2 }), DEFAULT_APP).regions;
const [east, west] = regions.map((r) => r.ports.map((p) => p.loadBalancerName));

/** A status where each region's balancers have these targets. */
const status = (balancers: Record<string, Record<string, TargetStatus>>[]): LiveStatus => ({
  updated: "2026-12-07T00:00:00Z",
  regions: Object.fromEntries(regions.map((r, i) => [r.region, { instances: {}, balancers: balancers[i] ?? {} }])),
});

describe("which load balancers are not serving yet", () => {
  const both = (first: TargetStatus, second: TargetStatus) => ({ "i-1": first, "i-2": second });

  it("is every one before the runner published anything", () => {
    expect(balancersNotServing(undefined, regions)).toHaveLength(4);
  });

  it("is those without a healthy instance, named by region and load balancer", () => {
    const got = status([
      { [east?.[0] ?? ""]: both("healthy", "checking"), [east?.[1] ?? ""]: both("checking", "registering") },
      { [west?.[0] ?? ""]: both("unhealthy", "healthy"), [west?.[1] ?? ""]: {} },
    ]);
    expect(balancersNotServing(got, regions)).toEqual([`us-east-1/${east?.[1]}`, `us-west-2/${west?.[1]}`]);
  });

  it("with `every`, is also those with a registered instance not yet healthy", () => {
    const got = status([
      { [east?.[0] ?? ""]: both("healthy", "checking"), [east?.[1] ?? ""]: both("healthy", "healthy") },
      { [west?.[0] ?? ""]: both("healthy", "healthy"), [west?.[1] ?? ""]: both("healthy", "healthy") },
    ]);
    expect(balancersNotServing(got, regions, true)).toEqual([`us-east-1/${east?.[0]}`]);
    expect(balancersNotServing(got, regions)).toEqual([]);
  });
});
