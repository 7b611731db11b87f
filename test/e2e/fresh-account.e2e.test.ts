import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DeleteSecurityGroupCommand, DescribeSecurityGroupsCommand } from "@aws-sdk/client-ec2";
import { CreateLoadBalancerCommand, DeleteLoadBalancerCommand } from "@aws-sdk/client-elastic-load-balancing";
import { HeadObjectCommand, ListBucketsCommand } from "@aws-sdk/client-s3";
import type { FleetShape, RegionShape } from "../../fleet/shape";
import { renderReport } from "../../review/report";
import type { StackNode } from "../../terraform/stack-selection";
import type { Target } from "../../fleet/target";
import { regionClients } from "../../fleet/adapters/aws-clients";
import { checkBeforeDeploy, deployFleet } from "../../rollout/adapters/deploy";
import { PROJECT } from "../../terraform/adapters/context";
import type { StackOutcome } from "../../terraform/outcome";
import { planStacks } from "../../review/adapters/plan-stacks";
import { run } from "../../cli/run";
import { deployStacks } from "../../rollout/adapters/stack-runs";
import { observeRegion } from "../../inspect/adapters/readback";
import { LocalFleet } from "./local-fleet";
import { regionPlan, shopFleet, STATE, stateKey, zoneRecords } from "./shop-fleet";

/*
 * A fresh account, deployed the ways users deploy: refused before the state bucket exists, bootstrapped with
 * npm run deploy's code path (one region failing alone), a region of the first releases upgraded, then
 * `cdktf deploy '*'` from a fresh clone, and `npm run deploy` there of the region it left unjudged. Two classic
 * regions of two ports, one wave.
 */
jest.setTimeout(10 * 60_000);

const REGIONS = ["us-east-1", "eu-west-1"];
const config = shopFleet({
  processes: 2,
  regions: REGIONS.map((region) => ({ region })),
  rollout: { waves: [REGIONS], bakeSeconds: 3 },
});

/**
 * A region stack's Terraform as the first releases wrote its DNS: at the same addresses, the weighted set
 * as CNAME records (TTL 60) over the per-port names, no record waiting for anything, no global name.
 */
function firstReleaseRecords(stackJson: string, r: RegionShape): string {
  const json = JSON.parse(stackJson) as { resource: { aws_route53_record: Record<string, Record<string, unknown>> } };
  const records = Object.entries(json.resource.aws_route53_record)
    .filter(([name]) => !name.startsWith("dns_global"))
    .map(([name, { depends_on: _waits, ...record }]): [string, Record<string, unknown>] => {
      const port = /^dns_weighted-(\d+)_/.exec(name)?.[1];
      if (port === undefined) return [name, record];
      const { alias: _alias, ...cname } = record;
      const target = r.ports.find((p) => p.port === Number(port))?.aliasName;
      return [name, { ...cname, type: "CNAME", ttl: 60, records: [target] }];
    });
  json.resource.aws_route53_record = Object.fromEntries(records);
  return JSON.stringify(json);
}

/**
 * cdktf's output, stack by stack: it names a stack when its lines start, and indents the lines that follow
 * until another stack's begin (so where a stack's name appears depends on how the stacks' lines interleave).
 */
function stackBlocks(output: string): Map<string, string> {
  const blocks = new Map<string, string>();
  let current: string | undefined;
  for (const line of output.split("\n")) {
    const named = /^(shop-e2e-[\w-]+) {2,}(.*)$/.exec(line);
    if (named !== null) current = named[1];
    if (current === undefined) continue;
    const text = named === null ? line.trim() : (named[2] ?? "");
    blocks.set(current, `${blocks.get(current) ?? ""}${text}\n`);
  }
  return blocks;
}

describe("a fresh account, deployed the ways users deploy", () => {
  let local: LocalFleet;
  let shape: FleetShape;
  let target: Target;
  /** The stacks as first synthesized, which the bootstrap deploys (npm run deploy's code path after synth). */
  let synthesized: StackNode[] = [];
  const progress: string[] = [];

  beforeAll(async () => {
    local = await LocalFleet.start();
    ({ shape, target, stacks: synthesized } = await local.configure(config));
  });
  afterAll(async () => {
    await local.stop();
  });

  it("refuses to deploy a region before its state bucket exists, naming the stack to deploy first", async () => {
    const deploying = deployFleet(local.context(), ["shop-e2e-us-*"]);
    await expect(deploying).rejects.toThrow(
      'state.bucket: "shop-e2e-state" does not exist in us-east-1, and the selected stacks keep their state there; ' +
        "deploy the state stack first (npm run deploy -- shop-e2e-state) or add it to the selection",
    );
    const { Buckets: buckets = [] } = await regionClients(target, "us-east-1").s3.send(new ListBucketsCommand({}));
    expect(buckets).toEqual([]);
  });

  it("bootstraps a fresh account with npm run deploy's code path; a region that cannot deploy fails alone, says why, and publishes no name", async () => {
    // A load balancer squatting on one of eu-west-1's names: that region fails at apply.
    await regionClients(target, "eu-west-1").elb.send(
      new CreateLoadBalancerCommand({
        LoadBalancerName: "shop-e2e-9001",
        Listeners: [{ Protocol: "TCP", LoadBalancerPort: 9000, InstancePort: 9001 }],
        AvailabilityZones: ["eu-west-1a"],
      }),
    );
    // us-east-1 goes out the way the first releases wrote its DNS (CNAME members): the upgrade test below.
    const usEast = join(local.stackDir("shop-e2e-us-east-1"), "cdk.tf.json");
    const current = readFileSync(usEast, "utf8");
    writeFileSync(usEast, firstReleaseRecords(current, regionPlan(shape, "us-east-1")));
    let outcomes: StackOutcome[];
    try {
      const ctx = local.context((line) => progress.push(line));
      await checkBeforeDeploy(
        ctx,
        synthesized.map((st) => st.name),
      );
      outcomes = await deployStacks(ctx, synthesized);
    } finally {
      writeFileSync(usEast, current);
    }
    // A stack that failed shows its summary, so an unexpected failure says why.
    expect(
      Object.fromEntries(
        outcomes.map((o) => [
          o.stack,
          o.status === "succeeded" ||
            [o.summary, o.hint ?? "no hint", ...progress.filter((l) => l.startsWith(o.stack)).slice(-6)].join(" | "),
        ]),
      ),
    ).toEqual({
      "shop-e2e-state": true,
      "shop-e2e-dns": true,
      "shop-e2e-us-east-1": true,
      "shop-e2e-eu-west-1": expect.stringMatching(/^failed: creating ELB Classic Load Balancer \(shop-e2e-9001\)/),
    });
    // Its wave-mate was judged and baked all the same.
    expect(progress.filter((l) => l.startsWith("wave "))).toEqual([
      expect.stringMatching(/^wave 1 of 1: us-east-1, eu-west-1 \(bake 3 s\), at most \d+ at once$/),
    ]);
    expect(progress.some((l) => l.startsWith("shop-e2e-us-east-1: baked 3 s: no alarm in ALARM"))).toBe(true);
    const broken = outcomes.find((o) => o.stack === "shop-e2e-eu-west-1");
    expect(broken?.summary).toMatch(
      /^failed: creating ELB Classic Load Balancer \(shop-e2e-9001\): HTTP 400: DuplicateLoadBalancerName: .* \(aws_elb\.balancers_port-9001_[0-9A-F]{8}\)$/,
    );
    expect(broken?.hint).toBe(
      "deployment: a load balancer named shop-e2e-9001 already exists in eu-west-1 outside this stack (a leftover, " +
        "or another fleet with the same service and deployment names); delete it, or change service or deployment",
    );
    // The squatter carries no tags of this fleet: named before the apply, never adopted.
    expect(progress).toContainEqual(
      expect.stringMatching(
        /^shop-e2e-eu-west-1: not adopting aws_elb\.balancers_port-9001_[0-9A-F]{8} \(shop-e2e-9001\): exists without Service and Deployment tags: it was made outside this fleet; delete it, or change service or deployment$/,
      ),
    );
    // The log was written as the run went, and holds Terraform's own error.
    expect(readFileSync(broken?.log ?? "", "utf8")).toMatch(/Error: creating ELB Classic Load Balancer/);
    expect(progress).toContain(
      "shop-e2e-state: bootstrapping: creating shop-e2e-state with local state, then moving the state into it",
    );
    // Its other load balancers and its group exist, but no name points anywhere: not the port aliases, not
    // the regional set, not its latency record in the global name.
    const west = regionPlan(shape, "eu-west-1");
    const observed = await observeRegion(target, west);
    expect(observed.loadBalancers.map((lb) => lb.name)).toEqual(west.ports.map((p) => p.loadBalancerName));
    expect(observed.records).toEqual([]);
    expect((await zoneRecords(target)).filter((r) => r.SetIdentifier === "eu-west-1")).toEqual([]);
  });

  it("keeps the state stack's own state in its bucket, and none in the working copy", async () => {
    const s3 = regionClients(target, "us-east-1").s3;
    for (const stack of ["state", "dns", "us-east-1"]) {
      await expect(s3.send(new HeadObjectCommand({ Bucket: STATE, Key: stateKey(stack) }))).resolves.toBeDefined();
    }
    expect(local.localStateFiles()).toEqual([]);
  });

  it("upgrades a region deployed with the first releases' CNAME records, in one deploy that deletes them before it creates", async () => {
    const east = regionPlan(shape, "us-east-1");
    const ports = east.ports.map((p) => p.port);
    const before = await observeRegion(target, east);
    expect(before.records.filter((r) => r.setIdentifier !== undefined).map((r) => r.type)).toEqual(
      ports.map(() => "CNAME"),
    );

    const [reviewed] = await planStacks(local.context(), ["shop-e2e-us-east-1"], 1);
    const report = renderReport(reviewed === undefined ? [] : [reviewed]);
    expect(report).toContain("| weighted records | 2 (CNAME) | 2 (alias A) | yes |");
    expect(report).toContain("| global name | none | shop.shop.test (latency, us-east-1) | yes |");
    for (const port of ports) {
      expect(report).toMatch(
        new RegExp(
          `\`aws_route53_record\\.dns_weighted-${port}_[0-9A-F]{8}\` \\(shop\\.us-east-1\\.shop\\.test\\) replaces a DNS record`,
        ),
      );
    }

    const [upgraded] = await deployFleet(local.context(), ["shop-e2e-us-east-1"]);
    // Each CNAME member goes and comes back as an alias A record; the global name is new.
    expect(upgraded?.summary).toBe("Apply complete! Resources: 3 added, 0 changed, 2 destroyed.");
    const log = readFileSync(upgraded?.log ?? "", "utf8");
    const thisRun = log.slice(log.lastIndexOf("$ terraform apply"));
    const lastDeleted = Math.max(
      ...ports.map((p) => thisRun.search(new RegExp(`dns_weighted-${p}_[0-9A-F]{8}: Destruction complete`))),
    );
    const firstCreating = Math.min(
      ...ports.map((p) => thisRun.search(new RegExp(`dns_weighted-${p}_[0-9A-F]{8}: Creating`))),
    );
    expect(lastDeleted).toBeGreaterThan(0);
    expect(firstCreating).toBeGreaterThan(lastDeleted);
    const after = await observeRegion(target, east);
    expect(after.records.filter((r) => r.name === east.regionalName).map((r) => r.type)).toEqual(["A", "A"]);
  });

  it("converges with plain `cdktf deploy '*'` from a fresh clone once the squatter is gone", async () => {
    const ireland = regionClients(target, "eu-west-1");
    await ireland.elb.send(new DeleteLoadBalancerCommand({ LoadBalancerName: "shop-e2e-9001" }));
    // moto gave the squatter (made without security groups) a default group of its own: remove it too.
    const { SecurityGroups: groups = [] } = await ireland.ec2.send(new DescribeSecurityGroupsCommand({}));
    for (const group of groups.filter((g) => g.GroupName?.startsWith("default_elb_") === true)) {
      await ireland.ec2.send(new DeleteSecurityGroupCommand({ GroupId: group.GroupId }));
    }
    rmSync(local.outdir, { recursive: true, force: true });
    const result = await run(
      join(PROJECT, "node_modules", ".bin", "cdktf"),
      ["deploy", "--auto-approve", "--skip-provider-lock", "--output", local.outdir, "*"],
      { cwd: PROJECT, env: { ...local.env, CI: "true", FORCE_COLOR: "0" } },
    );
    const output = `${result.stdout}\n${result.stderr}`;
    expect({ code: result.code, tail: output.split("\n").slice(-30) }).toMatchObject({ code: 0 });
    // Every substitution is printed once, as the app synthesizes.
    expect(output.match(/^local target: ami \(us-east-1, eu-west-1\): /gm)).toHaveLength(1);
    expect(output.match(/^local target: createHostedZone: false → true /gm)).toHaveLength(1);
    const blocks = stackBlocks(output);
    expect(blocks.get("shop-e2e-eu-west-1")).toMatch(/Apply complete! Resources: \d+ added, 0 changed, 0 destroyed/);
    for (const stack of ["shop-e2e-state", "shop-e2e-dns", "shop-e2e-us-east-1"]) {
      expect({ stack, block: blocks.get(stack) }).toEqual({ stack, block: expect.stringContaining("No changes.") });
    }
  });

  it("deploys eu-west-1 again with npm run deploy in that clone: no changes, and the bake plain cdktf skipped", async () => {
    // The clone cdktf deployed from, its stacks initialised by cdktf: every stack converged above.
    const result = await local.command("deploy", ["--outdir", local.outdir, "shop-e2e-eu-west-1"]);
    expect({ code: result.code, stderr: result.stderr.split("\n").slice(-20) }).toMatchObject({ code: 0 });
    const lines = result.stdout.trimEnd().split("\n");
    // A region whose plan changes nothing is not applied.
    expect(lines.filter((line) => !line.startsWith("    rollout: "))).toEqual(["  shop-e2e-eu-west-1: No changes."]);
    // eu-west-1 went out with plain `cdktf deploy`, which judges nothing: its group runs a version no bake passed,
    // so this deploy judges and bakes it.
    expect(result.stdout).toMatch(
      /^ {2}shop-e2e-eu-west-1: No changes\.\n {4}rollout: 1 instance on launch template version \d+ in service on all \d+ ports; baked \d+ s, no alarm$/m,
    );
    expect(lines.filter((line) => line.startsWith("    rollout: "))).toHaveLength(1);
    // Substitutions are printed once per command, at its start; no Node.js support warning in between.
    expect(result.stderr.match(/deploy: local target: createHostedZone: false → true/g)).toHaveLength(1);
    // The fleet keeps one instance per region: the warning names the outage that allows.
    expect(
      result.stderr.match(/deploy: warning: capacity: got .*has min = 1: .* is an outage of the region/g),
    ).toHaveLength(1);
    expect(result.stderr).not.toMatch(/NodeVersionSupportWarning/);
    expect(local.localStateFiles()).toEqual([]);
  });
});
