import { compareSets, compareStack, matchesReview, renderComparison } from "../../lib/plan-compare";
import type { TerraformPlanJson, TerraformResourceChange } from "../../lib/plan-report";

/** A resource change in `terraform show -json`'s shape. */
const change = (
  address: string,
  actions: string[],
  after: unknown,
  before: unknown = null,
): TerraformResourceChange => ({
  address,
  mode: "managed",
  type: address.split(".")[0] ?? "",
  change: { actions, before, after, after_unknown: {} },
});
const plan = (...changes: TerraformResourceChange[]): TerraformPlanJson => ({ resource_changes: changes });

const weight = (w: number) => ({ name: "cloudrim.us-east-1.example.com", weighted_routing_policy: [{ weight: w }] });
const reviewed = plan(
  change("aws_route53_record.dns_weighted-9000_A", ["update"], weight(3), weight(1)),
  change("aws_elb.balancers_port-9003_B", ["create"], { name: "cloudrim-prod-9003" }),
  change("aws_launch_template.t", ["no-op"], {}, {}),
);

describe("comparing a fresh plan with the reviewed one", () => {
  it("finds the same changes identical, whatever the order of keys and resources", () => {
    const fresh = plan(
      change("aws_elb.balancers_port-9003_B", ["create"], { name: "cloudrim-prod-9003" }),
      change(
        "aws_route53_record.dns_weighted-9000_A",
        ["update"],
        { weighted_routing_policy: [{ weight: 3 }], name: "cloudrim.us-east-1.example.com" },
        weight(1),
      ),
    );
    expect(compareStack("s", reviewed, fresh)).toEqual({ stack: "s", verdict: "identical", differences: [] });
  });

  it("names a change nobody reviewed, a reviewed one that is gone, and one with other values", () => {
    const fresh = plan(
      change("aws_route53_record.dns_weighted-9000_A", ["update"], weight(5), weight(1)),
      change("aws_elb.balancers_port-9004_C", ["create"], { name: "cloudrim-prod-9004" }),
    );
    expect(compareStack("s", reviewed, fresh)).toEqual({
      stack: "s",
      verdict: "differs",
      differences: [
        "`aws_elb.balancers_port-9004_C`: create, not in the reviewed plan",
        "`aws_route53_record.dns_weighted-9000_A`: update with other values than reviewed (weighted_routing_policy)",
        "`aws_elb.balancers_port-9003_B`: reviewed as create, no longer planned",
      ],
    });
  });

  it("names a change whose action is no longer the reviewed one", () => {
    const fresh = plan(
      change("aws_route53_record.dns_weighted-9000_A", ["delete", "create"], weight(3), weight(1)),
      change("aws_elb.balancers_port-9003_B", ["create"], { name: "cloudrim-prod-9003" }),
    );
    expect(compareStack("s", reviewed, fresh).differences).toEqual([
      "`aws_route53_record.dns_weighted-9000_A`: reviewed as update, now replace",
    ]);
  });

  it("treats a stack planned now but never reviewed as unreviewed, unless it has nothing to change", () => {
    expect(compareStack("new", undefined, reviewed)).toMatchObject({ verdict: "not reviewed" });
    expect(compareStack("quiet", undefined, plan())).toMatchObject({ verdict: "identical" });
    expect(compareStack("gone", reviewed, undefined)).toMatchObject({ verdict: "no longer planned" });
  });

  it("matches a set only when every stack is identical, and reports each differing stack", () => {
    const comparisons = compareSets(
      new Map([
        ["a", reviewed],
        ["b", reviewed],
      ]),
      new Map([
        ["a", reviewed],
        ["b", plan()],
        ["c", reviewed],
      ]),
    );
    expect(comparisons.map((c) => [c.stack, c.verdict])).toEqual([
      ["a", "identical"],
      ["b", "differs"],
      ["c", "not reviewed"],
    ]);
    expect(matchesReview(comparisons)).toBe(false);
    const report = renderComparison(comparisons, "the reviewed commit 1234567");
    expect(report).toMatch(/^## Reviewed plans: 2 of 3 stacks differ; nothing was applied\n/);
    expect(report).toContain("| b | differs |");
    expect(report).toContain("### c: not reviewed\n\n- `aws_elb.balancers_port-9003_B`: create, in no reviewed plan");
    expect(matchesReview(comparisons.slice(0, 1))).toBe(true);
    expect(renderComparison(comparisons.slice(0, 1), "x")).toMatch(/^## Reviewed plans: all 1 stacks match/);
  });
});
