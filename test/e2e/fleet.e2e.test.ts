import { spawn } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DescribeAutoScalingGroupsCommand } from "@aws-sdk/client-auto-scaling";
import { DescribeSecurityGroupRulesCommand, DescribeSecurityGroupsCommand } from "@aws-sdk/client-ec2";
import { DescribeLoadBalancersCommand } from "@aws-sdk/client-elastic-load-balancing";
import { ListHostedZonesByNameCommand } from "@aws-sdk/client-route-53";
import { GetObjectCommand, HeadObjectCommand, ListBucketsCommand } from "@aws-sdk/client-s3";
import type { FleetConfig } from "../../lib/config";
import type { FleetPlan, RegionPlan } from "../../lib/plan";
import { changesOf, exitCodeOf, type StackPlan } from "../../lib/plan-report";
import type { Target } from "../../lib/target";
import { localFleet } from "../../regions/local";
import { regionClients } from "../../scripts/aws-clients";
import { deployFleet } from "../../scripts/deploy";
import { deployStacks, destroyStacks, outcomeReport, PROJECT, type StackOutcome } from "../../scripts/fleet-ops";
import { planStack, planStacks } from "../../scripts/plan-stacks";
import { run } from "../../scripts/run";
import { observeRegion } from "../../scripts/summary";
import { destroyFleet } from "../../scripts/teardown";
import { LocalFleet } from "./local-fleet";

// Real terraform apply against a private moto_server: Route 53 changes alone wait ~15 s each.
jest.setTimeout(10 * 60_000);

/** The local fleet the demo deploys (its image, instance type, zone), under its own names. */
const fleetConfig = (overrides: Partial<FleetConfig> = {}): FleetConfig => ({
  ...localFleet,
  deployment: "e2e",
  domain: "e2e.test",
  capacity: { min: 1, desired: 1, max: 1 },
  state: { bucket: "cloudrim-e2e-state", region: "us-east-1" },
  regions: [{ region: "us-east-1" }, { region: "eu-west-1" }],
  ...overrides,
});

const REGIONS = ["cloudrim-e2e-eu-west-1", "cloudrim-e2e-us-east-1"];

function region(plan: FleetPlan, name: string): RegionPlan {
  const found = plan.regions.find((r) => r.region === name);
  if (found === undefined) throw new Error(`no region ${name} in the plan`);
  return found;
}

function planned(plans: StackPlan[], stack: string) {
  const found = plans.find((p) => p.stack === stack);
  if (found?.status !== "planned") throw new Error(`${stack} did not plan: ${JSON.stringify(found)}`);
  return found.plan;
}

/** Each failed stack's report line and the end of its log, so a red run says why and not only which. */
function failures(outcomes: readonly StackOutcome[]): string[][] {
  return outcomes
    .filter((o) => !o.ok)
    .map((o) => [outcomeReport(o), o.log === "" ? "" : readFileSync(o.log, "utf8").split("\n").slice(-60).join("\n")]);
}

/** `aws_elb.balancers_port-9003_ABCD1234` → `aws_elb.balancers_port-9003`, for readable expectations. */
const stable = (address: string) => address.replace(/_[0-9A-F]{8}$/, "");

describe("the fleet on a local AWS", () => {
  let local: LocalFleet;
  let plan: FleetPlan;
  let target: Target;
  const log: string[] = [];

  beforeAll(async () => {
    local = await LocalFleet.start();
  });
  afterAll(async () => {
    await local.stop();
  });

  it("refuses to deploy a region before its state bucket exists, naming the stack to deploy first", async () => {
    const configured = await local.configure(fleetConfig());
    const deploying = deployFleet(local.context(), configured.plan, configured.target, ["cloudrim-e2e-us-*"]);
    await expect(deploying).rejects.toThrow(
      'state.bucket: "cloudrim-e2e-state" does not exist in us-east-1, and the selected stacks keep their state there; ' +
        "deploy the state stack first (npm run deploy -- cloudrim-e2e-state) or add it to the selection",
    );
    const { Buckets: buckets = [] } = await regionClients(configured.target, "us-east-1").s3.send(
      new ListBucketsCommand({}),
    );
    expect(buckets).toEqual([]);
  });

  it("deploys every region it can: a region whose network does not exist fails alone", async () => {
    const broken = fleetConfig({
      regions: [
        { region: "us-east-1" },
        { region: "eu-west-1", vpcId: "vpc-0000dead", subnetIds: ["subnet-0000dead"] },
      ],
    });
    const configured = await local.configure(broken);
    // npm run deploy with no globs: every stack, on a local AWS that has nothing yet.
    const outcomes = await deployFleet(
      local.context((l) => log.push(l)),
      configured.plan,
      configured.target,
      [],
    );
    const byStack = Object.fromEntries(outcomes.map((o) => [o.stack, o.ok]));
    expect(byStack).toEqual({
      "cloudrim-e2e-state": true,
      "cloudrim-e2e-dns": true,
      "cloudrim-e2e-us-east-1": true,
      "cloudrim-e2e-eu-west-1": false,
    });
    const s3 = regionClients({ kind: "local", endpoint: local.endpoint }, "us-east-1").s3;
    await expect(
      s3.send(new HeadObjectCommand({ Bucket: "cloudrim-e2e-state", Key: "cloudrim/e2e/us-east-1.tfstate" })),
    ).resolves.toBeDefined();
  });

  it("converges when the config is fixed and deployed again, leaving the healthy region untouched", async () => {
    const configured = await local.configure(fleetConfig());
    ({ plan, target } = configured);
    const outcomes = await deployStacks(
      local.context((l) => log.push(l)),
      configured.stacks,
    );
    expect(failures(outcomes)).toEqual([]);
    expect(outcomes.map((o) => o.stack)).toEqual(expect.arrayContaining(REGIONS));
    expect(outcomes.find((o) => o.stack === "cloudrim-e2e-us-east-1")?.summary).toMatch(
      /Resources: 0 added, 0 changed, 0 destroyed/,
    );
  });

  describe.each(["us-east-1", "eu-west-1"])("in %s", (regionName) => {
    it("has one classic load balancer per port with the right listener and health check", async () => {
      const r = region(plan, regionName);
      const { LoadBalancerDescriptions: lbs = [] } = await regionClients(target, regionName).elb.send(
        new DescribeLoadBalancersCommand({ LoadBalancerNames: r.ports.map((p) => p.loadBalancerName) }),
      );
      const byName = new Map(lbs.map((lb) => [lb.LoadBalancerName, lb]));
      for (const port of r.ports) {
        const lb = byName.get(port.loadBalancerName);
        expect(lb?.ListenerDescriptions?.map((l) => l.Listener)).toEqual([
          expect.objectContaining({ LoadBalancerPort: 9000, InstancePort: port.port, Protocol: "TCP" }),
        ]);
        expect(lb?.HealthCheck).toEqual({
          Target: `TCP:${port.port}`,
          Interval: 20,
          Timeout: 2,
          HealthyThreshold: 3,
          UnhealthyThreshold: 5,
        });
        expect(lb?.Scheme).toBe("internal");
      }
      expect(lbs).toHaveLength(3);
    });

    it("attaches the Auto Scaling group to all of them, with a running instance", async () => {
      const r = region(plan, regionName);
      const { AutoScalingGroups: groups = [] } = await regionClients(target, regionName).autoScaling.send(
        new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [r.autoScaling.name] }),
      );
      expect(groups).toHaveLength(1);
      expect([...(groups[0]?.LoadBalancerNames ?? [])].sort()).toEqual(r.ports.map((p) => p.loadBalancerName).sort());
      expect(groups[0]?.HealthCheckType).toBe("ELB");
      expect(groups[0]?.Instances?.length).toBe(1);
    });

    it("admits only the listener port to the load balancers and only the load balancers to the instances", async () => {
      const r = region(plan, regionName);
      const ec2 = regionClients(target, regionName).ec2;
      const { SecurityGroups: groups = [] } = await ec2.send(
        new DescribeSecurityGroupsCommand({
          Filters: [{ Name: "group-name", Values: [`${r.stackName}-lb`, `${r.stackName}-instances`] }],
        }),
      );
      const id = (name: string) => groups.find((g) => g.GroupName === name)?.GroupId ?? "missing";
      const lbGroup = id(`${r.stackName}-lb`);
      const instanceGroup = id(`${r.stackName}-instances`);
      const { SecurityGroupRules: rules = [] } = await ec2.send(
        new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: "group-id", Values: [lbGroup, instanceGroup] }] }),
      );
      const describe = (groupId: string, egress: boolean) =>
        rules
          .filter((rule) => rule.GroupId === groupId && rule.IsEgress === egress)
          .map((rule) => [rule.FromPort, rule.ToPort, rule.CidrIpv4 ?? rule.ReferencedGroupInfo?.GroupId])
          .sort();
      expect(describe(lbGroup, false)).toEqual([[9000, 9000, "10.0.0.0/8"]]);
      expect(describe(lbGroup, true)).toEqual([[9000, 9002, instanceGroup]]);
      expect(describe(instanceGroup, false)).toEqual([[9000, 9002, lbGroup]]);
      expect(describe(instanceGroup, true)).toEqual([
        [443, 443, "0.0.0.0/0"],
        [80, 80, "0.0.0.0/0"],
      ]);
    });

    it("publishes alias records to the load balancers and the weighted set over them, and keeps state in S3", async () => {
      const r = region(plan, regionName);
      const observed = await observeRegion(target, r);
      const aliases = observed.records.filter((rec) => rec.type === "A");
      expect(aliases.map((a) => [a.name, a.aliasTarget])).toEqual(
        r.ports.map((p) => [p.aliasName, observed.loadBalancers.find((lb) => lb.name === p.loadBalancerName)?.dnsName]),
      );
      const weighted = observed.records.filter((rec) => rec.setIdentifier !== undefined);
      expect(weighted.map((w) => [w.name, w.setIdentifier, w.weight, w.values, w.ttl])).toEqual(
        r.ports.map((p) => [r.regionalName, p.setIdentifier, 1, [p.aliasName], 60]),
      );
      expect(observed.state).toEqual({
        location: `s3://cloudrim-e2e-state/cloudrim/e2e/${regionName}.tfstate`,
        exists: true,
      });
    });
  });

  it("plans no changes the second time", async () => {
    const { stacks } = await local.configure(fleetConfig());
    const plans = await planStacks(
      stacks.map((s) => s.name),
      local.context().outdir,
      local.env,
      4,
      () => undefined,
    );
    expect(plans.map((p) => [p.stack, p.status === "planned" ? changesOf(p.plan).length : p.error])).toEqual(
      [...stacks.map((s) => s.name)].map((name) => [name, 0]),
    );
    expect(exitCodeOf(plans)).toBe(0);
  });

  it("plans exactly the expected changes for one more process and a new weight", async () => {
    await local.configure(
      fleetConfig({ regions: [{ region: "us-east-1", processes: 4, weights: [3, 1, 1, 1] }, { region: "eu-west-1" }] }),
    );
    const plans = await planStacks(REGIONS, local.context().outdir, local.env, 2, () => undefined);
    expect(changesOf(planned(plans, "cloudrim-e2e-eu-west-1"))).toEqual([]);
    const changes = changesOf(planned(plans, "cloudrim-e2e-us-east-1")).map((c) => [c.action, stable(c.address)]);
    expect(changes).toEqual([
      ["update", "aws_autoscaling_group.service_group"],
      ["create", "aws_elb.balancers_port-9003"],
      ["update", "aws_launch_template.service_launch-template"],
      ["create", "aws_route53_record.dns_alias-9003"],
      ["update", "aws_route53_record.dns_weighted-9000"],
      ["create", "aws_route53_record.dns_weighted-9003"],
      ["update", "aws_vpc_security_group_egress_rule.security_to-instances-egress"],
      ["update", "aws_vpc_security_group_ingress_rule.security_to-instances-ingress"],
    ]);
  });

  describe("the plan command (npm run plan)", () => {
    const REGION_STACKS = "cloudrim-e2e-??-*";

    async function planCommand(config: FleetConfig): Promise<{ code: number; report: string; stderr: string }> {
      writeFileSync(local.configFile, JSON.stringify(config));
      const reportFile = join(local.dir, "report.md");
      rmSync(reportFile, { force: true });
      const result = await run(
        join(PROJECT, "node_modules", ".bin", "tsx"),
        [
          join(PROJECT, "scripts", "plan.ts"),
          "--report",
          reportFile,
          "--outdir",
          join(local.dir, "plan.out"),
          REGION_STACKS,
        ],
        { cwd: local.dir, env: local.env },
      );
      return { code: result.code, report: readFileSync(reportFile, "utf8"), stderr: result.stderr };
    }

    it("exits 0 and says so when nothing changes", async () => {
      const { code, report } = await planCommand(fleetConfig());
      expect(code).toBe(0);
      expect(report).toContain("## Terraform plan: 0 of 2 stacks change");
      expect(report).toContain("| cloudrim-e2e-us-east-1 | 0 | 0 | 0 | 0 |");
    });

    it("exits 2 and reports counts, topology and the dangerous replacements of a change", async () => {
      const { code, report } = await planCommand(fleetConfig({ processes: 5, internal: false }));
      expect(code).toBe(2);
      expect(report).toContain("## Terraform plan: 2 of 2 stacks change");
      // 3 → 5 processes: two new load balancers and two new weighted records per region.
      expect(report).toContain("| instance ports | 9000-9002 | 9000-9004 | yes |");
      expect(report).toContain("| load balancers | 3 | 5 | yes |");
      expect(report).toContain("| weighted records | 3 | 5 | yes |");
      expect(report).toContain(
        "| weights | eu-west-1-port-9000=1, eu-west-1-port-9001=1, eu-west-1-port-9002=1 | eu-west-1-port-9000=1, eu-west-1-port-9001=1, eu-west-1-port-9002=1, eu-west-1-port-9003=1, eu-west-1-port-9004=1 | yes |",
      );
      // Generated names (the launch template's name_prefix) carry a timestamp: no label.
      expect(report).toMatch(/`aws_launch_template\.service_launch-template_[0-9A-F]{8}`: update/);
      // internal → public forces every existing load balancer to be replaced: called out first.
      expect(report).toMatch(/^> \[!CAUTION\]\n> \*\*6 dangerous changes\*\*/m);
      for (const regionName of ["us-east-1", "eu-west-1"]) {
        for (const port of [9000, 9001, 9002]) {
          expect(report).toMatch(
            new RegExp(
              `> - \`cloudrim-e2e-${regionName}\`: \`aws_elb\\.balancers_port-${port}_[0-9A-F]{8}\` \\(cloudrim-e2e-${port}\\) replaces a load balancer \\(forced by internal\\)`,
            ),
          );
        }
      }
      expect(report).toContain("| aws_elb | 2 | 0 | 3 | 0 |");
      // Two new aliases and weighted records; the three aliases of the replaced load balancers follow them.
      expect(report).toContain("| aws_route53_record | 4 | 3 | 0 | 0 |");
    });

    it("is stable: no timestamps and no machine paths, the same bytes for the same plans", async () => {
      const first = await planCommand(fleetConfig({ processes: 4 }));
      const second = await planCommand(fleetConfig({ processes: 4 }));
      expect(second.report).toBe(first.report);
      expect(first.report).not.toContain(local.dir);
      expect(first.report).not.toContain(PROJECT);
      expect(first.report).not.toMatch(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/);
    });

    it("exits 1 when a stack cannot be planned, and still reports the others", async () => {
      const { code, report } = await planCommand(
        fleetConfig({ regions: [{ region: "us-east-1", ami: "ami-0000000000000dead" }, { region: "eu-west-1" }] }),
      );
      expect(code).toBe(1);
      expect(report).toContain("> Failed to plan: `cloudrim-e2e-us-east-1`");
      expect(report).toContain("| cloudrim-e2e-us-east-1 | failed | | | |");
      expect(report).toContain("| cloudrim-e2e-eu-west-1 | 0 | 0 | 0 | 0 |");
      expect(report).toMatch(
        /### cloudrim-e2e-us-east-1: failed\n\n```\nterraform plan failed:[\s\S]*Your query returned no results/,
      );
    });
  });

  it("destroys one region without touching another's records in the shared zone", async () => {
    const { stacks } = await local.configure(fleetConfig());
    const euWest = stacks.filter((s) => s.name === "cloudrim-e2e-eu-west-1");
    expect(failures(await destroyStacks(local.context(), euWest))).toEqual([]);
    const east = region(plan, "us-east-1");
    const observed = await observeRegion(target, east);
    expect(observed.records.filter((rec) => rec.setIdentifier !== undefined).map((w) => w.setIdentifier)).toEqual(
      east.ports.map((p) => p.setIdentifier),
    );
    const after = await planStack("cloudrim-e2e-us-east-1", local.context().outdir, local.env);
    expect(after.status === "planned" ? changesOf(after.plan) : after.error).toEqual([]);
  });

  it("refuses a second apply while the state lock is held, and loses nothing", async () => {
    // Change only a weight: a Route 53 update that holds the lock for ~15 s.
    await local.configure(
      fleetConfig({ regions: [{ region: "us-east-1", weights: [2, 1, 1] }, { region: "eu-west-1" }] }),
    );
    const dir = local.stackDir("cloudrim-e2e-us-east-1");
    const s3 = regionClients(target, "us-east-1").s3;
    const lockKey = "cloudrim/e2e/us-east-1.tfstate.tflock";
    const first = spawn("terraform", ["apply", "-auto-approve", "-input=false", "-no-color"], {
      cwd: dir,
      env: local.env,
      stdio: ["ignore", "pipe", "pipe"],
      // Bounded: a provider retrying an unimplemented emulator call would otherwise hang the suite.
      timeout: 180_000,
    });
    let firstOutput = "";
    first.stdout.on("data", (chunk: Buffer) => {
      firstOutput += chunk.toString();
    });
    const firstDone = new Promise<number>((resolve) => {
      first.once("exit", (code) => {
        resolve(code ?? 1);
      });
    });
    try {
      const deadline = Date.now() + 60_000;
      let locked = false;
      while (!locked && Date.now() < deadline) {
        locked = await s3.send(new HeadObjectCommand({ Bucket: "cloudrim-e2e-state", Key: lockKey })).then(
          () => true,
          () => false,
        );
        if (!locked) await new Promise((resolve) => setTimeout(resolve, 250));
      }
      expect(locked).toBe(true);
      const second = await run(
        "terraform",
        ["apply", "-auto-approve", "-input=false", "-no-color", "-lock-timeout=0s"],
        {
          cwd: dir,
          env: local.env,
        },
      );
      expect(second.code).toBe(1);
      expect(second.stderr).toMatch(/Error acquiring the state lock/);
    } finally {
      expect(await firstDone).toBe(0);
    }
    expect(firstOutput).toMatch(/Apply complete! Resources: 0 added, 1 changed, 0 destroyed/);
    const state = await s3.send(
      new GetObjectCommand({ Bucket: "cloudrim-e2e-state", Key: "cloudrim/e2e/us-east-1.tfstate" }),
    );
    const resources = (
      JSON.parse(await (state.Body?.transformToString() ?? "{}")) as { resources: { mode: string }[] }
    ).resources.filter((res) => res.mode === "managed");
    expect(resources).toHaveLength(18);
    const after = await planStack("cloudrim-e2e-us-east-1", local.context().outdir, local.env);
    expect(after.status === "planned" ? changesOf(after.plan) : after.error).toEqual([]);
  });

  it("destroys everything, leaving no resource behind", async () => {
    const { stacks } = await local.configure(fleetConfig());
    const outcomes = await destroyFleet(local.context(), plan, target, stacks);
    expect(failures(outcomes)).toEqual([]);
    for (const regionName of ["us-east-1", "eu-west-1"]) {
      const clients = regionClients(target, regionName);
      const lbs = await clients.elb.send(new DescribeLoadBalancersCommand({}));
      expect(lbs.LoadBalancerDescriptions ?? []).toEqual([]);
      const groups = await clients.autoScaling.send(new DescribeAutoScalingGroupsCommand({}));
      expect(groups.AutoScalingGroups ?? []).toEqual([]);
      const sgs = await clients.ec2.send(new DescribeSecurityGroupsCommand({}));
      expect((sgs.SecurityGroups ?? []).map((g) => g.GroupName).filter((n) => n !== "default")).toEqual([]);
    }
    const zones = await regionClients(target, "us-east-1").route53.send(new ListHostedZonesByNameCommand({}));
    expect(zones.HostedZones ?? []).toEqual([]);
    const buckets = await regionClients(target, "us-east-1").s3.send(new ListBucketsCommand({}));
    expect(buckets.Buckets ?? []).toEqual([]);
  });
});
