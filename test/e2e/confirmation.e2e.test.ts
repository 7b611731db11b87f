import { DescribeLoadBalancersCommand } from "@aws-sdk/client-elastic-load-balancing";
import { ListBucketsCommand } from "@aws-sdk/client-s3";
import type { FleetConfig } from "../../fleet/schema";
import { changesOf } from "../../terraform/plan-json";
import { regionClients } from "../../fleet/adapters/aws-clients";
import type { Answer, Ask } from "../../cli/confirm";
import { deployAsking } from "../../rollout/adapters/deploy";
import type { StackOutcome } from "../../terraform/outcome";
import { planStack } from "../../review/adapters/plan-stacks";
import { retireRegion } from "../../state/adapters/retire";
import { LocalFleet } from "./local-fleet";
import { smallFleet } from "./shop-fleet";

/*
 * The question a deploy and a retire ask at a terminal on AWS (the local AWS never asks, so the operations are
 * driven here with the answer given): what it shows is what it applies, and no changes nothing. One small
 * region on its own local AWS, beside the fleet suite.
 */
jest.setTimeout(10 * 60_000);

const REGION = "us-west-2";
const STACK = "ask-e2e-us-west-2";

const fleetConfig = (overrides: Partial<FleetConfig> = {}): FleetConfig =>
  smallFleet("ask", overrides.regions ?? [{ region: REGION, processes: 2 }], overrides);

/** `us-west-2: 7 to create, 13 to change, 2 to replace (…)` → the counts. */
function shownCounts(line: string) {
  const count = (what: string) => Number(new RegExp(`(\\d+) to ${what}`).exec(line)?.[1] ?? 0);
  return { create: count("create"), change: count("change"), replace: count("replace"), destroy: count("destroy") };
}

/** Terraform's `Apply complete! Resources: 9 added, 13 changed, 2 destroyed.`, summed over a region's stages. */
function appliedCounts(outcome: StackOutcome | undefined) {
  const lines = [
    ...(outcome?.summary ?? "").matchAll(/Resources: (?:\d+ imported, )?(\d+) added, (\d+) changed, (\d+) destroyed/g),
  ];
  const sum = (i: number) => lines.reduce((total, m) => total + Number(m[i]), 0);
  return { added: sum(1), changed: sum(2), destroyed: sum(3) };
}

describe("a change to AWS asked about first", () => {
  let local: LocalFleet;
  const shown: (readonly string[])[] = [];
  /** Answers the question, after `before` looked at what exists while it is open. */
  const answering =
    (answer: Answer, before: () => Promise<void> = () => Promise.resolve()): Ask =>
    async (summary) => {
      shown.push(summary);
      await before();
      return answer;
    };
  const loadBalancers = async () =>
    (
      (await regionClients(local.context().target, REGION).elb.send(new DescribeLoadBalancersCommand({})))
        .LoadBalancerDescriptions ?? []
    )
      .map((b) => `${b.LoadBalancerName ?? ""} ${b.Scheme ?? ""}`)
      .sort();

  beforeAll(async () => {
    local = await LocalFleet.start();
    await local.configure(fleetConfig());
  });
  afterAll(async () => {
    await local.stop();
  });

  it("a first deploy shows what each new stack creates; no leaves the account empty, yes creates exactly that", async () => {
    const buckets = async () =>
      (await regionClients(local.context().target, "us-east-1").s3.send(new ListBucketsCommand({}))).Buckets ?? [];
    expect(await deployAsking(local.context(), [], answering("no"))).toEqual({ verdict: "declined" });
    expect(await buckets()).toEqual([]);

    const deployed = await deployAsking(local.context(), [], answering("yes"));
    if (deployed.verdict !== "applied") throw new Error(`not applied: ${deployed.verdict}`);
    expect(deployed.outcomes.filter((o) => o.status !== "succeeded")).toEqual([]);
    const summary = shown.at(-1) ?? [];
    expect(summary).toEqual(shown.at(-2));
    const lines = {
      "ask-e2e-state": summary.find((l) => l.startsWith("  us-east-1: ")) ?? "",
      "ask-e2e-dns": summary.find((l) => l.startsWith("  global: ")) ?? "",
      [STACK]: summary.find((l) => l.startsWith(`  ${REGION}: `)) ?? "",
    };
    for (const [stack, line] of Object.entries(lines)) {
      expect(line).toMatch(new RegExp(`^  \\S+: \\d+ to create \\(${stack}\\)$`));
      const outcome = deployed.outcomes.find((o) => o.stack === stack);
      expect({ stack, ...appliedCounts(outcome) }).toEqual({
        stack,
        added: shownCounts(line).create,
        changed: 0,
        destroyed: 0,
      });
    }
    expect(summary).toContainEqual(
      expect.stringMatching(new RegExp(`^      ${STACK}: new: no state yet, so it only creates`)),
    );
  });

  it("a change shows the saved plans per region; no changes nothing, yes applies exactly what was shown", async () => {
    const before = await loadBalancers();
    expect(before).toEqual(["ask-e2e-9000 internal", "ask-e2e-9001 internal"]);
    // A port more, behind public load balancers: creations, changes and replacements.
    await local.configure(
      fleetConfig({
        internal: false,
        regions: [{ region: REGION, processes: 3 }],
        baselineExceptions: [
          {
            rule: "listener-tls",
            resources: "ask-e2e-*/aws_*.balancers_port-*",
            reason: "plain TCP on purpose: the question's test needs a replacement",
          },
        ],
      }),
    );
    const unchanged = async () => {
      expect(await loadBalancers()).toEqual(before);
    };
    // Declined with the changing region alone selected: the stacks it leaves as they are would only cost plans.
    expect(await deployAsking(local.context(), [STACK], answering("no", unchanged))).toEqual({ verdict: "declined" });
    await unchanged();

    const deployed = await deployAsking(local.context(), [], answering("yes", unchanged));
    if (deployed.verdict !== "applied") throw new Error(`not applied: ${deployed.verdict}`);
    expect(deployed.outcomes.filter((o) => o.status !== "succeeded")).toEqual([]);
    const summary = shown.at(-1) ?? [];
    expect(summary).toEqual([
      "  us-east-1: no changes (ask-e2e-state)",
      "  global: no changes (ask-e2e-dns)",
      expect.stringMatching(new RegExp(`^  ${REGION}: \\d+ to create, \\d+ to change, 2 to replace \\(${STACK}\\)$`)),
      "      replace: 2 aws_elb (ask-e2e-9000, ask-e2e-9001)",
    ]);
    // A new port brings new judges of the instances, so the region goes in two stages (rollout/stages.ts), each
    // planned again and applied only if it stays within what was shown: all shown creations and destructions,
    // and the changes still to make (an update the first stage made moot is not applied again).
    const region = deployed.outcomes.find((o) => o.stack === STACK);
    expect(region?.summary).toMatch(/^stage 1: Apply complete! .* stage 2: Apply complete! /);
    const shownLine = shownCounts(summary[2] ?? "");
    const applied = appliedCounts(region);
    expect({ added: applied.added, destroyed: applied.destroyed }).toEqual({
      added: shownLine.create + shownLine.replace,
      destroyed: shownLine.replace + shownLine.destroy,
    });
    expect(applied.changed).toBeLessThanOrEqual(shownLine.change);
    expect(deployed.outcomes.filter((o) => o.stack !== STACK).map((o) => o.summary)).toEqual([
      "no changes, as shown",
      "no changes, as shown",
    ]);
    expect(await loadBalancers()).toEqual([
      "ask-e2e-9000 internet-facing",
      "ask-e2e-9001 internet-facing",
      "ask-e2e-9002 internet-facing",
    ]);
    const again = await planStack(local.context(), STACK);
    expect(again.status === "planned" ? changesOf(again.plan) : again.error).toEqual([]);
  });

  it("a retire shows what it destroys; no keeps the region running, yes destroys exactly that", async () => {
    await local.configure(fleetConfig({ regions: [{ region: "eu-west-1", processes: 2 }] }));
    const running = await loadBalancers();
    expect(running).toHaveLength(3);
    expect(await retireRegion(local.context(), REGION, answering("no"))).toBe("no");
    expect(await loadBalancers()).toEqual(running);

    const retired = await retireRegion(local.context(), REGION, answering("yes"));
    if (typeof retired === "string") throw new Error(`not retired: ${retired}`);
    expect(retired.status).toBe("succeeded");
    const [line, ...rest] = shown.at(-1) ?? [];
    expect(line).toMatch(new RegExp(`^  ${REGION}: \\d+ to destroy \\(${STACK}\\)$`));
    expect(rest).toEqual([expect.stringMatching(/^ {6}destroy: \d+ aws_cloudwatch_metric_alarm, /)]);
    expect(appliedCounts(retired)).toEqual({ added: 0, changed: 0, destroyed: shownCounts(line ?? "").destroy });
    expect(await loadBalancers()).toEqual([]);
  });
});
