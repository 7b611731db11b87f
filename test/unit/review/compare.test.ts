import { readFileSync } from "node:fs";
import { join } from "node:path";
import { compareSets, compareStack, comparableChanges, matchesReview, renderComparison } from "../../../review/compare";
import type { TerraformPlanJson, TerraformResourceChange } from "../../../terraform/plan-json";

/** A plan recorded against the local AWS (test/plan-pairs: what each one is says its `about`). */
const recorded = (name: string): TerraformPlanJson =>
  JSON.parse(readFileSync(join(__dirname, "..", "..", "plan-pairs", `${name}.json`), "utf8")) as TerraformPlanJson;

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
    expect(compareStack("s", [reviewed], fresh)).toEqual({
      stack: "s",
      verdict: "identical",
      differences: [],
      done: [],
    });
  });

  it("names a change nobody reviewed and one with other values, and lists what is no longer planned", () => {
    const fresh = plan(
      change("aws_route53_record.dns_weighted-9000_A", ["update"], weight(5), weight(1)),
      change("aws_elb.balancers_port-9004_C", ["create"], { name: "cloudrim-prod-9004" }),
    );
    expect(compareStack("s", [reviewed], fresh)).toEqual({
      stack: "s",
      verdict: "differs",
      differences: [
        "`aws_elb.balancers_port-9004_C`: create, not in the reviewed plan",
        "`aws_route53_record.dns_weighted-9000_A`: update with other values than reviewed (weighted_routing_policy)",
      ],
      done: [
        "`aws_elb.balancers_port-9003_B`: reviewed as create, no longer planned (already applied, or no longer needed)",
      ],
    });
  });

  it("names a change whose action is no longer the reviewed one", () => {
    const fresh = plan(
      change("aws_route53_record.dns_weighted-9000_A", ["delete", "create"], weight(3), weight(1)),
      change("aws_elb.balancers_port-9003_B", ["create"], { name: "cloudrim-prod-9003" }),
    );
    expect(compareStack("s", [reviewed], fresh).differences).toEqual([
      "`aws_route53_record.dns_weighted-9000_A`: reviewed as update, now replace",
    ]);
  });

  it("treats a stack planned now but never reviewed as unreviewed, unless it has nothing to change", () => {
    expect(compareStack("new", [], reviewed)).toMatchObject({ verdict: "not reviewed" });
    expect(compareStack("quiet", [], plan())).toMatchObject({ verdict: "identical" });
    expect(compareStack("gone", [reviewed], undefined)).toMatchObject({ verdict: "no longer planned" });
  });

  it("matches a set only when every stack is identical, and reports each differing stack", () => {
    const comparisons = compareSets(
      [
        new Map([
          ["a", reviewed],
          ["b", reviewed],
        ]),
      ],
      new Map([
        ["a", reviewed],
        ["b", plan()],
        ["c", reviewed],
      ]),
    );
    expect(comparisons.map((c) => [c.stack, c.verdict])).toEqual([
      ["a", "identical"],
      ["b", "within the review"],
      ["c", "not reviewed"],
    ]);
    expect(matchesReview(comparisons)).toBe(false);
    const report = renderComparison(comparisons, "the reviewed commit 1234567");
    expect(report).toMatch(/^## Reviewed plans: 1 of 3 stacks differ; nothing was applied\n/);
    expect(report).toContain("| b | within the review |");
    expect(report).toContain("### c: not reviewed\n\n- `aws_elb.balancers_port-9003_B`: create, in no reviewed plan");
    expect(matchesReview(comparisons.slice(0, 1))).toBe(true);
    expect(renderComparison(comparisons.slice(0, 1), "x")).toMatch(/^## Reviewed plans: all 1 stacks match/);
  });
});

describe("comparing what changes, on plans recorded against the local AWS", () => {
  const verdictOf = (reviewedNames: string[], freshName: string) =>
    compareStack("api-prod-us-east-1", reviewedNames.map(recorded), recorded(freshName));

  it("reads a change as the attribute paths it sets: an update of the group is its new launch template version", () => {
    const group = comparableChanges(recorded("review-command")).find((c) =>
      c.address.startsWith("aws_autoscaling_group."),
    );
    expect(group?.action).toBe("update");
    expect(group?.paths.map((p) => p.path)).toEqual(["launch_template[0].version"]);
  });

  it("keeps a review fresh when the scaling policy (here the API) moved the desired capacity in between", () => {
    // The recorded plans differ in desired_capacity (1 → 1 reviewed, 2 → 2 now): Terraform changes neither.
    expect(verdictOf(["review-command"], "fresh-scaled")).toEqual({
      stack: "api-prod-us-east-1",
      verdict: "identical",
      differences: [],
      done: [],
    });
  });

  it("applies what is left of the reviewed plan after a partial apply", () => {
    const retry = verdictOf(["review-weights"], "fresh-partial");
    expect(retry.verdict).toBe("within the review");
    expect(retry.done).toEqual([
      expect.stringMatching(
        /^`aws_route53_record\.dns_weighted-9000_[0-9A-F]{8}`: reviewed as update, no longer planned \(already applied, or no longer needed\)$/,
      ),
    ]);
    expect(matchesReview([retry])).toBe(true);
  });

  it("keeps a review fresh once a sibling change it did not include was deployed first", () => {
    expect(verdictOf(["review-command"], "fresh-after-sibling").verdict).toBe("identical");
  });

  it("accepts a deploy that includes two merges only with both reviews, and says what the other one changes", () => {
    expect(verdictOf(["review-weights", "review-command"], "fresh-both").verdict).toBe("identical");
    expect(verdictOf(["review-command"], "fresh-both")).toMatchObject({
      verdict: "differs",
      differences: [
        expect.stringMatching(
          /^`aws_route53_record\.dns_weighted-9000_[0-9A-F]{8}`: update, not in the reviewed plan$/,
        ),
        expect.stringMatching(
          /^`aws_route53_record\.dns_weighted-9001_[0-9A-F]{8}`: update, not in the reviewed plan$/,
        ),
      ],
    });
  });

  it("refuses a change to what is applied: another weight than reviewed", () => {
    expect(verdictOf(["review-weights"], "fresh-otherweights")).toMatchObject({
      verdict: "differs",
      differences: [
        expect.stringMatching(
          /^`aws_route53_record\.dns_weighted-9002_[0-9A-F]{8}`: update, not in the reviewed plan$/,
        ),
      ],
    });
  });
});

describe("the attribute paths of a change", () => {
  it("are the leaves that differ, a value known only after apply, and every leaf of a creation", () => {
    const [update] = comparableChanges(
      plan({
        address: "aws_launch_template.t",
        mode: "managed",
        type: "aws_launch_template",
        change: {
          actions: ["update"],
          before: { user_data: "a", latest_version: 3, tags: { a: "1" }, block: [{ x: 1, y: 2 }] },
          after: { user_data: "b", latest_version: null, tags: { a: "1" }, block: [{ x: 1, y: 3 }] },
          after_unknown: { latest_version: true },
        },
      }),
    );
    expect(update?.paths).toEqual([
      { path: "block[0].y", after: 3, unknown: false },
      { path: "latest_version", after: undefined, unknown: true },
      { path: "user_data", after: "b", unknown: false },
    ]);
    const [create] = comparableChanges(plan(change("aws_elb.e", ["create"], { name: "n", listener: [{ port: 1 }] })));
    expect(create?.paths.map((p) => p.path)).toEqual(["listener[0].port", "name"]);
  });

  it("match a value known only after apply to any value on the other side", () => {
    const unknown = (after_unknown: unknown, after: unknown): TerraformPlanJson =>
      plan({
        address: "aws_autoscaling_group.g",
        mode: "managed",
        type: "aws_autoscaling_group",
        change: { actions: ["update"], before: { v: "1" }, after, after_unknown },
      });
    expect(compareStack("s", [unknown({ v: true }, { v: null })], unknown({}, { v: "2" })).verdict).toBe("identical");
  });

  it("match a whole value known only after apply to every leaf it turns out to have, and only those inside it", () => {
    // A new port's alarm of a network load balancer fleet: its dimensions name a target group that did not exist
    // when the plan was reviewed, and do when stage 2 plans it again.
    const alarm = (after: unknown, after_unknown: unknown): TerraformPlanJson =>
      plan({
        address: "aws_cloudwatch_metric_alarm.alarms_unhealthy-9002_D",
        mode: "managed",
        type: "aws_cloudwatch_metric_alarm",
        change: { actions: ["create"], before: null, after, after_unknown },
      });
    const reviewedAlarm = alarm({ threshold: 1 }, { dimensions: true });
    const dimensions = { LoadBalancer: "net/shop-e2e-9002/abc", TargetGroup: "targetgroup/shop-e2e-9002/def" };
    expect(compareStack("s", [reviewedAlarm], alarm({ threshold: 1, dimensions }, {})).verdict).toBe("identical");
    // What was known in review still has to match.
    expect(compareStack("s", [reviewedAlarm], alarm({ threshold: 2, dimensions }, {})).differences).toEqual([
      "`aws_cloudwatch_metric_alarm.alarms_unhealthy-9002_D`: create with other values than reviewed (threshold)",
    ]);
    // And the other way round: unknown now, where the review knew the leaves.
    expect(compareStack("s", [alarm({ threshold: 1, dimensions }, {})], reviewedAlarm).verdict).toBe("identical");
  });
});
