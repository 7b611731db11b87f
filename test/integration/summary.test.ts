import { regionAlarmNames } from "../../fleet/shape";
import { shapeOrThrow } from "../../fleet/validate";
import { formatRegion, type ObservedRegion } from "../../inspect/adapters/readback";
import { baseFleet, DEFAULT_APP } from "../fixtures";

describe("the demo's read-back of a region", () => {
  const plan = shapeOrThrow(baseFleet({ processes: 2 }), DEFAULT_APP).regions[0];
  if (plan === undefined) throw new Error("no region");
  const observed = (monitoring: ObservedRegion["monitoring"]): ObservedRegion => ({
    region: plan.region,
    records: [],
    loadBalancers: [],
    monitoring,
    state: { location: "s3://b/k", exists: true },
  });

  it("names the scaling target, counts the alarms against the plan and the dashboard's widgets", () => {
    const text = formatRegion(
      plan,
      observed({
        policies: [{ name: "cloudrim-prod-us-east-1-cpu", type: "TargetTrackingScaling", cpuTarget: 60, warmup: 300 }],
        alarms: regionAlarmNames(plan).map((name) => ({ name, state: "OK", actions: [] })),
        dashboard: { name: "cloudrim-prod-us-east-1", widgets: Array(10).fill({ title: "", dimensions: [] }) },
      }),
    );
    expect(text).toContain("  scaling: target tracking, average CPU 60%, warm-up 300s");
    expect(text).toContain(
      "  alarms: 14 of 14 (6 per port, cloudrim-prod-us-east-1-all-ports-down, 1 rollout guard, 2 on ports serving badly, 4 on the group and hosts), no topic; dashboard cloudrim-prod-us-east-1, 10 widgets",
    );
  });

  it("says what is missing", () => {
    const text = formatRegion(plan, observed({ policies: [], alarms: [] }));
    expect(text).toContain("  scaling: cloudrim-prod-us-east-1-cpu missing!");
    expect(text).toContain("alarms: 0 of 14");
    expect(text).toContain("dashboard cloudrim-prod-us-east-1 missing!");
  });
});
