import { renderReport, topologyOf, type TerraformResourceChange } from "../../lib/plan-report";
import { legacyWeightedRecords, replaceFlags } from "../../lib/legacy-records";

/** A weighted member of us-east-1's set, in the CNAME form of the first releases or as an alias A record. */
const member = (port: number, form: "CNAME" | "alias A" | null) =>
  form === null
    ? null
    : {
        name: "cloudrim.us-east-1.example.com",
        type: form === "CNAME" ? "CNAME" : "A",
        set_identifier: `us-east-1-port-${port}`,
        weighted_routing_policy: [{ weight: 1 }],
        alias: form === "CNAME" ? [] : [{ name: `lb-${port}.elb.amazonaws.com`, evaluate_target_health: true }],
        records: form === "CNAME" ? [`cloudrim${port - 9000}.prod.us-east-1.example.com`] : null,
      };
const change = (address: string, actions: string[], before: unknown, after: unknown): TerraformResourceChange => ({
  address,
  mode: "managed",
  type: "aws_route53_record",
  change: { actions, before, after },
});

describe("the plan report of the upgrade from CNAME members", () => {
  const plan = {
    resource_changes: [
      ...[9000, 9001, 9002].map((port) =>
        change(
          `aws_route53_record.dns_weighted-${port}_X`,
          ["delete", "create"],
          member(port, "CNAME"),
          member(port, "alias A"),
        ),
      ),
      change("aws_route53_record.dns_global_X", ["create"], null, {
        name: "cloudrim.example.com",
        type: "A",
        set_identifier: "us-east-1",
        latency_routing_policy: [{ region: "us-east-1" }],
        alias: [{ name: "cloudrim.us-east-1.example.com", evaluate_target_health: true }],
      }),
    ],
  };

  it("shows the members' kind and the global name, before and after", () => {
    expect(topologyOf(plan, "before")).toMatchObject({ memberKinds: ["CNAME"], globalNames: [] });
    expect(topologyOf(plan, "after")).toMatchObject({
      memberKinds: ["alias A"],
      globalNames: ["cloudrim.example.com (latency, us-east-1)"],
    });
    const report = renderReport([{ stack: "cloudrim-prod-us-east-1", status: "planned", plan }]);
    expect(report).toContain("| weighted records | 3 (CNAME) | 3 (alias A) | yes |");
    expect(report).toContain("| global name | none | cloudrim.example.com (latency, us-east-1) | yes |");
  });

  it("lists every replaced member among the dangerous changes", () => {
    const report = renderReport([{ stack: "cloudrim-prod-us-east-1", status: "planned", plan }]);
    expect(report).toContain("> **3 dangerous changes**");
    expect(report).toContain(
      "> - `cloudrim-prod-us-east-1`: `aws_route53_record.dns_weighted-9001_X` (cloudrim.us-east-1.example.com) replaces a DNS record",
    );
  });
});

describe("finding the first releases' CNAME members in a stack's state", () => {
  const state = (type: string, weighted: boolean) => ({
    resources: [
      {
        mode: "managed",
        type: "aws_route53_record",
        name: `dns_weighted-9000_${type}`,
        instances: [{ attributes: { type, weighted_routing_policy: weighted ? [{ weight: 1 }] : [] } }],
      },
      { mode: "managed", type: "aws_elb", name: "balancers_port-9000_Y", instances: [{ attributes: { name: "x" } }] },
    ],
  });

  it("asks Terraform to replace weighted CNAME records, and nothing else", () => {
    expect(legacyWeightedRecords(state("CNAME", true))).toEqual(["aws_route53_record.dns_weighted-9000_CNAME"]);
    expect(legacyWeightedRecords(state("A", true))).toEqual([]);
    expect(legacyWeightedRecords(state("CNAME", false))).toEqual([]);
    expect(legacyWeightedRecords({})).toEqual([]);
    expect(replaceFlags(["aws_route53_record.a"])).toEqual(["-replace=aws_route53_record.a"]);
  });
});
