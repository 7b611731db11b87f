import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DescribeAutoScalingGroupsCommand, SetDesiredCapacityCommand } from "@aws-sdk/client-auto-scaling";
import { DescribeLoadBalancersCommand } from "@aws-sdk/client-elastic-load-balancing";
import { DescribeLoadBalancersCommand as DescribeLoadBalancersV2Command } from "@aws-sdk/client-elastic-load-balancing-v2";
import type { FleetConfig } from "../../fleet/schema";
import { changesOf, type TerraformPlanJson } from "../../terraform/plan-json";
import type { Target } from "../../fleet/target";
import { regionClients } from "../../fleet/adapters/aws-clients";
import { planStacks } from "../../review/adapters/plan-stacks";
import { LocalFleet } from "./local-fleet";
import { oneWave, REGION_STACKS, shopFleet, stable } from "./shop-fleet";

/*
 * Review → merge → apply on real plans, in order: a pull request's plans saved, a drifted and a stale review
 * refused, the reviewed change applied wave by wave (us-east-1's new ports in two stages, ap-southeast-2's
 * removed ports detached first). Two regions, in two waves: the change grows one and shrinks the other.
 */
jest.setTimeout(10 * 60_000);

const SYDNEY = { region: "ap-southeast-2", processes: 4, loadBalancerType: "network" } as const;

/** What Terraform's `Apply complete!` line says for a stack's reviewed plan: replacements add and destroy. */
function countsOf(plan: TerraformPlanJson): { added: number; changed: number; destroyed: number } {
  const actions = changesOf(plan).map((c) => c.action);
  const count = (...of: string[]) => actions.filter((a) => of.includes(a)).length;
  return { added: count("create", "replace"), changed: count("update"), destroyed: count("delete", "replace") };
}

describe("a reviewed change", () => {
  let local: LocalFleet;
  let target: Target;

  beforeAll(async () => {
    local = await LocalFleet.start();
    const deployed = shopFleet({ regions: [{ region: "us-east-1", weights: [2, 1, 1] }, SYDNEY] });
    ({ target } = await local.configure(oneWave(deployed)));
    await local.deployRegions();
  });
  afterAll(async () => {
    await local.stop();
  });

  describe("review, merge, apply: the reviewed plans are what gets applied", () => {
    const review = () => join(local.dir, "review");
    const reviewedCounts = (stack: string) =>
      countsOf(JSON.parse(readFileSync(join(review(), stack, "plan.json"), "utf8")) as TerraformPlanJson);
    /**
     * The change under review, rolled out in the default waves: two more processes and a new weight in
     * us-east-1, two fewer in ap-southeast-2.
     */
    const change = (overrides: Partial<FleetConfig> = {}) =>
      shopFleet({
        regions: [
          { region: "us-east-1", processes: 5, weights: [3, 1, 1, 1, 1] },
          { ...SYDNEY, processes: 2 },
        ],
        ...overrides,
      });

    async function planCommand(config: FleetConfig, extra: readonly string[], globs: readonly string[]) {
      writeFileSync(local.configFile, JSON.stringify(config));
      const result = await local.command("plan", ["--outdir", join(local.dir, "review.out"), ...extra, ...globs]);
      return { code: result.code, report: result.stdout, stderr: result.stderr };
    }

    /** Sets us-east-1's desired capacity through the API, as its scaling policy would, and waits for the group. */
    async function scaleEast(desired: number) {
      const { autoScaling } = regionClients(target, "us-east-1");
      await autoScaling.send(
        new SetDesiredCapacityCommand({ AutoScalingGroupName: "shop-e2e-us-east-1", DesiredCapacity: desired }),
      );
      const { AutoScalingGroups: [group] = [] } = await autoScaling.send(
        new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ["shop-e2e-us-east-1"] }),
      );
      expect((group?.Instances ?? []).filter((i) => i.LifecycleState === "InService")).toHaveLength(desired);
    }

    it("saves the plans of a pull request as a plan set, each stack's exact changes in it", async () => {
      const { code, report } = await planCommand(change(), ["--save", review()], [REGION_STACKS]);
      expect(code).toBe(2);
      expect(JSON.parse(readFileSync(join(review(), "manifest.json"), "utf8"))).toEqual({
        version: 1,
        stacks: ["shop-e2e-ap-southeast-2", "shop-e2e-us-east-1"],
        // When the plans were made: a review newer than a rollback may bring its change back.
        created: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/) as unknown,
      });
      expect(readFileSync(join(review(), "report.md"), "utf8")).toBe(report);
      const east = JSON.parse(
        readFileSync(join(review(), "shop-e2e-us-east-1", "plan.json"), "utf8"),
      ) as TerraformPlanJson;
      expect(changesOf(east).map((c) => [c.action, stable(c.address)])).toEqual([
        ["create", "aws_autoscaling_attachment.attach_port-9003"],
        ["create", "aws_autoscaling_attachment.attach_port-9004"],
        ["update", "aws_autoscaling_group.service_group"],
        ["update", "aws_cloudwatch_composite_alarm.alarms_all-ports"],
        ["update", "aws_cloudwatch_dashboard.monitoring_dashboard"],
        ["update", "aws_cloudwatch_metric_alarm.alarms_guard-9000"],
        ["create", "aws_cloudwatch_metric_alarm.alarms_port-9003"],
        ["create", "aws_cloudwatch_metric_alarm.alarms_port-9004"],
        // Every port's share of the traffic moves with the new weights.
        ["update", "aws_cloudwatch_metric_alarm.alarms_share-9000"],
        ["update", "aws_cloudwatch_metric_alarm.alarms_share-9001"],
        ["update", "aws_cloudwatch_metric_alarm.alarms_share-9002"],
        ["create", "aws_cloudwatch_metric_alarm.alarms_share-9003"],
        ["create", "aws_cloudwatch_metric_alarm.alarms_share-9004"],
        ["create", "aws_cloudwatch_metric_alarm.alarms_unhealthy-9003"],
        ["create", "aws_cloudwatch_metric_alarm.alarms_unhealthy-9004"],
        // The serving alarms of ports 9000-9009 watch the new ports too.
        ["update", "aws_cloudwatch_metric_alarm.serving_errors-9000"],
        ["update", "aws_cloudwatch_metric_alarm.serving_latency-9000"],
        ["create", "aws_elb.balancers_port-9003"],
        ["create", "aws_elb.balancers_port-9004"],
        ["update", "aws_launch_template.service_launch-template"],
        ["create", "aws_route53_record.dns_alias-9003"],
        ["create", "aws_route53_record.dns_alias-9004"],
        ["update", "aws_route53_record.dns_weighted-9000"],
        ["create", "aws_route53_record.dns_weighted-9003"],
        ["create", "aws_route53_record.dns_weighted-9004"],
        ["update", "aws_vpc_security_group_egress_rule.security_to-instances-egress"],
        ["update", "aws_vpc_security_group_ingress_rule.security_to-instances-ingress"],
      ]);
      expect(existsSync(join(review(), "shop-e2e-ap-southeast-2", "plan.tfplan"))).toBe(true);
    });

    it("names the stacks that drifted since the review, and those nobody reviewed, and how (exit 3)", async () => {
      const drifted = change({
        regions: [
          { region: "us-east-1", processes: 5, weights: [3, 1, 1, 1, 1] },
          { ...SYDNEY, processes: 2, weights: [1, 2] },
          { region: "us-west-2", processes: 2 },
        ],
      });
      const { code, report } = await planCommand(drifted, ["--expect", review()], ["shop-e2e-ap-*", "shop-e2e-us-*"]);
      expect(code).toBe(3);
      expect(report).toMatch(/^## Reviewed plans: 2 of 3 stacks differ; nothing was applied\n/);
      expect(report).toContain("| shop-e2e-us-east-1 | identical |");
      expect(report).toMatch(
        // The shrink changes both ports' shares as reviewed; the drifted weights change them otherwise, and the
        // weighted record of port 9001 as well.
        /### shop-e2e-ap-southeast-2: differs\n\n(- `aws_cloudwatch_metric_alarm\.alarms_share-900[01]_[0-9A-F]{8}`: update with other values than reviewed \([^)\n]+\)\n){2}- `aws_route53_record\.dns_weighted-9001_[0-9A-F]{8}`: update, not in the reviewed plan\n/,
      );
      expect(report).toContain("| shop-e2e-us-west-2 | not reviewed |");
      expect(report).toMatch(
        /### shop-e2e-us-west-2: not reviewed\n\n- `aws_autoscaling_attachment\.attach_port-9000_/,
      );
    });

    it("refuses to deploy a stale review and applies nothing", async () => {
      writeFileSync(
        local.configFile,
        JSON.stringify(
          // Three processes everywhere: in us-east-1, neither the reviewed ports nor the reviewed weights. The
          // deploy is of us-east-1 alone: how each stack differs is the plan command's report, above; here
          // the refusal is what counts, and every other region would only cost its plan.
          change({
            processes: 3,
            regions: [{ region: "us-east-1" }, { region: "ap-southeast-2", loadBalancerType: "network" }],
          }),
        ),
      );
      const reportFile = join(local.dir, "deploy-report.md");
      const result = await local.command("deploy", [
        "--outdir",
        local.outdir,
        "--reviewed",
        review(),
        "--report",
        reportFile,
        "shop-e2e-us-east-1",
      ]);
      expect({ code: result.code, stderr: result.stderr.split("\n").slice(-15) }).toMatchObject({ code: 3 });
      expect(result.stderr).toContain("deploy: the fresh plans are not the reviewed ones; nothing was applied");
      expect(readFileSync(reportFile, "utf8")).toMatch(/^## Reviewed plans: 1 of 1 stacks differ; nothing was applied/);
      const { LoadBalancerDescriptions: lbs = [] } = await regionClients(target, "us-east-1").elb.send(
        new DescribeLoadBalancersCommand({}),
      );
      expect(lbs).toHaveLength(3);
    });

    it("applies the reviewed change wave by wave when every fresh plan matches it, after the group scaled out since the review", async () => {
      // An ordinary day between review and merge: the scaling policy adds an instance to us-east-1.
      await scaleEast(2);
      writeFileSync(local.configFile, JSON.stringify(change()));
      const reportFile = join(local.dir, "deploy-report.md");
      const result = await local.command("deploy", [
        "--outdir",
        local.outdir,
        "--reviewed",
        review(),
        "--report",
        reportFile,
        REGION_STACKS,
      ]);
      expect({ code: result.code, stderr: result.stderr.split("\n").slice(-15) }).toMatchObject({ code: 0 });
      // us-east-1 in two stages (its new ports' load balancers wait for the refresh), adding up to the reviewed change.
      const east =
        /shop-e2e-us-east-1: stage 1: Apply complete! Resources: (\d+) added, (\d+) changed, 0 destroyed\. stage 2: Apply complete! Resources: (\d+) added, (\d+) changed, 0 destroyed\./.exec(
          result.stdout,
        );
      const [added1, changed1, added2, changed2] = (east ?? []).slice(1).map(Number);
      expect(reviewedCounts("shop-e2e-us-east-1")).toEqual({ added: 14, changed: 13, destroyed: 0 });
      expect({
        added: (added1 ?? 0) + (added2 ?? 0),
        changed: (changed1 ?? 0) + (changed2 ?? 0),
        destroyed: 0,
      }).toEqual(reviewedCounts("shop-e2e-us-east-1"));
      const sydney = reviewedCounts("shop-e2e-ap-southeast-2");
      expect(sydney.destroyed).toBe(18);
      expect(result.stdout).toContain(
        `shop-e2e-ap-southeast-2: Apply complete! Resources: 0 added, ${sydney.changed} changed, ${sydney.destroyed} destroyed.`,
      );
      expect(result.stdout).toMatch(
        /shop-e2e-us-east-1: .*\n {4}rollout: refresh \w+ Successful; 2 instances on launch template version \d+ in service on all 3 ports; 2 instances on launch template version \d+ in service on all 5 ports; baked 3 s, no alarm/,
      );
      // The same plans give the same report: no timestamps, no machine paths.
      const [comparison, planReport] = readFileSync(reportFile, "utf8").split("\n## Terraform plan:");
      expect(comparison).toMatch(/^## Reviewed plans: all 2 stacks match\n/);
      expect(`## Terraform plan:${planReport ?? ""}`).toBe(readFileSync(join(review(), "report.md"), "utf8"));
      expect(planReport).not.toContain(local.dir);
      expect(planReport).not.toMatch(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/);
      expect(planReport).toContain("| 1 | us-east-1 | us-east-1 | us-east-1 (in two stages: us-east-1) | 3 s |");

      // The order, from the progress lines: the refresh brings ports 9003 and 9004 to every instance; only then
      // do their load balancers judge the instances; the first wave bakes before the second starts.
      const lines = result.stderr.split("\n");
      const at = (pattern: RegExp) => lines.findIndex((line) => pattern.test(line));
      const order = [
        at(/shop-e2e-us-east-1: two stages: .*port 9003's new load balancer, port 9004's new load balancer will check/),
        at(/shop-e2e-us-east-1: refresh \w+: Successful/),
        at(/shop-e2e-us-east-1: 2 instances on launch template version \d+ in service on all 3 ports/),
        at(/shop-e2e-us-east-1: 2 instances on launch template version \d+ in service on all 5 ports/),
        at(/shop-e2e-us-east-1: baked 3 s/),
        at(/wave 2 of 2: ap-southeast-2/),
        at(/shop-e2e-ap-southeast-2: deploying/),
      ];
      expect(order[0]).toBeGreaterThan(0);
      expect([...order].sort((a, b) => a - b)).toEqual(order);
      // In the log: the first stage's apply attaches nothing; the second attaches both new ports.
      const log = local.latestCommandLog("shop-e2e-us-east-1.deploy.log");
      const stage1 = log.slice(log.indexOf("stage1.tfplan\n"), log.indexOf("-out=stage2.tfplan"));
      expect(stage1).toContain("Apply complete!");
      expect(stage1).not.toMatch(/aws_autoscaling_attachment/);
      const stage2 = log.slice(log.lastIndexOf("stage2.tfplan\n"));
      for (const port of [9003, 9004]) {
        expect(stage2).toMatch(new RegExp(`attach_port-${port}_[0-9A-F]{8}: Creation complete`));
      }
      await scaleEast(1);
    });

    it("applied fewer ports (4 → 2) in ap-southeast-2: each port detached before its target group went, nothing left to plan", async () => {
      const log = local.latestCommandLog("shop-e2e-ap-southeast-2.deploy.log");
      for (const port of [9002, 9003]) {
        const detached = log.search(
          new RegExp(`aws_autoscaling_attachment\\.attach_port-${port}_[0-9A-F]{8}: Destruction complete`),
        );
        const destroying = log.search(
          new RegExp(`aws_lb_target_group\\.balancers_targets-${port}_[0-9A-F]{8}: Destroying`),
        );
        expect(detached).toBeGreaterThan(0);
        expect(destroying).toBeGreaterThan(detached);
      }
      const after = await planStacks(local.context(), ["shop-e2e-us-east-1", "shop-e2e-ap-southeast-2"], 2);
      expect(after.map((p) => (p.status === "planned" ? changesOf(p.plan) : p.error))).toEqual([[], []]);
      const { AutoScalingGroups: groups = [] } = await regionClients(target, "ap-southeast-2").autoScaling.send(
        new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ["shop-e2e-ap-southeast-2"] }),
      );
      expect(groups[0]?.TargetGroupARNs).toHaveLength(2);
      const { LoadBalancers: nlbs = [] } = await regionClients(target, "ap-southeast-2").elbv2.send(
        new DescribeLoadBalancersV2Command({}),
      );
      expect(nlbs.map((lb) => lb.LoadBalancerName).sort()).toEqual(["shop-e2e-9000", "shop-e2e-9001"]);
    });
  });
});
