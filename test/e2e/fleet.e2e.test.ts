import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import {
  DescribeAutoScalingGroupsCommand,
  DescribeLifecycleHooksCommand,
  DescribePoliciesCommand,
  SetDesiredCapacityCommand,
} from "@aws-sdk/client-auto-scaling";
import { DescribeAlarmsCommand, ListDashboardsCommand, SetAlarmStateCommand } from "@aws-sdk/client-cloudwatch";
import {
  GetInstanceProfileCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
} from "@aws-sdk/client-iam";
import { DescribeLogGroupsCommand, DescribeMetricFiltersCommand } from "@aws-sdk/client-cloudwatch-logs";
import { GetDocumentCommand } from "@aws-sdk/client-ssm";
import {
  CreateSubnetCommand,
  DescribeLaunchTemplatesCommand,
  DescribeLaunchTemplateVersionsCommand,
  CreateTagsCommand,
  CreateVpcCommand,
  DeleteSecurityGroupCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
} from "@aws-sdk/client-ec2";
import {
  CreateLoadBalancerCommand,
  DeleteLoadBalancerCommand,
  DescribeLoadBalancersCommand,
} from "@aws-sdk/client-elastic-load-balancing";
import {
  DescribeLoadBalancersCommand as DescribeLoadBalancersV2Command,
  DescribeTargetGroupsCommand,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import {
  ListHostedZonesByNameCommand,
  ListResourceRecordSetsCommand,
  type ResourceRecordSet,
} from "@aws-sdk/client-route-53";
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  PutObjectCommand,
} from "@aws-sdk/client-s3";
import { App } from "cdktf";
import { addFleet } from "../../constructs/fleet";
import type { FleetConfig } from "../../lib/config";
import { LOG_COUNTS } from "../../lib/log-counts";
import { allPortsDownRule } from "../../lib/monitoring";
import type { FleetPlan, RegionPlan } from "../../lib/plan";
import { defaultReleaseKey, PINNED_NODE } from "../../lib/release";
import type { StackNode } from "../../lib/stack-selection";
import { changesOf, renderReport, type StackPlan, type TerraformPlanJson } from "../../lib/plan-report";
import type { Target } from "../../lib/target";
import { planOrThrow } from "../../lib/validate";
import { regionClients } from "../../ops/aws-clients";
import { checkBeforeDeploy, deployFleet } from "../../ops/deploy";
import { outcomeReport, PROJECT, type StackOutcome } from "../../ops/fleet-ops";
import { packRelease } from "../../ops/release";
import { planStack, planStacks } from "../../ops/plan-stacks";
import { findRetiredRegions } from "../../ops/retired";
import { run } from "../../ops/run";
import { deployStacks, destroyStacks } from "../../ops/stack-runs";
import { observeRegion } from "../../ops/summary";
import { LocalFleet } from "./local-fleet";

// Real terraform apply against a private moto_server: Route 53 changes alone wait ~15 s each.
jest.setTimeout(10 * 60_000);

/**
 * A production fleet file as a user writes it from the README, unlike regions/local.ts: its own
 * service and deployment names, three regions, a c5-class instance type, weights, no image and the
 * default instance refresh. The local target rehearses it unchanged.
 */
const fleetConfig = (overrides: Partial<FleetConfig> = {}): FleetConfig => ({
  service: "shop",
  deployment: "e2e",
  domain: "shop.test",
  instanceType: "c5.large",
  capacity: { min: 1, desired: 1, max: 2 },
  allowedCidrs: ["10.0.0.0/8"],
  state: { bucket: "shop-e2e-state", region: "us-east-1" },
  releaseBucket: RELEASES,
  // The operator's settings: scale at 50% CPU; a port with no healthy instance for 2 minutes alarms.
  scaling: { cpuTarget: 50 },
  alarms: { minutes: 2 },
  // Checks every 5 s, healthy after 2, so a new instance counts 10 s after launch (its refresh warm-up, no
  // shorter than its checks take), and a wave bakes 3 s: the rollout runs in
  // seconds on the emulator, which has no boot to wait for. One wave until the rollout's own tests (the
  // reviewed change and the bad release) use the default two: the suite's first deploys run in parallel.
  healthCheck: { interval: 5, healthyThreshold: 2 },
  healthCheckGracePeriod: 10,
  rollout: { waves: [["us-east-1", "eu-west-1", "ap-southeast-2"]], bakeSeconds: 3 },
  app: { release: { bucket: RELEASES, key: defaultReleaseKey("shop", releaseSha256), sha256: releaseSha256 } },
  regions: [
    { region: "us-east-1", weights: [2, 1, 1] },
    { region: "eu-west-1" },
    // Network load balancers, and five ports: the reviewed change below takes it down to three.
    { region: "ap-southeast-2", processes: 5, loadBalancerType: "network" },
  ],
  ...overrides,
});

/** The shop's release: the fixture app with the pinned Node.js, packed before the fleet file is written. */
const RELEASES = "shop-e2e-releases";
const RELEASE_APP = join(PROJECT, "test", "host", "fixtures", "release-app");
let releaseSha256 = "";

const STATE = "shop-e2e-state";
/** The account moto answers for. */
const ACCOUNT = "123456789012";
const REGIONS = ["shop-e2e-ap-southeast-2", "shop-e2e-eu-west-1", "shop-e2e-us-east-1"];
const stateKey = (stack: string) => `cloudrim/shop/e2e/${stack}.tfstate`;
/**
 * The release after the rollout below: the same code started with another command line, so every region's
 * launch template gets new user data and its instances are replaced.
 */
const rolledOut = (): Partial<FleetConfig> => ({
  app: {
    command: "node server.js --rollout",
    release: { bucket: RELEASES, key: defaultReleaseKey("shop", releaseSha256), sha256: releaseSha256 },
  },
});

/** The three regions without per-region settings, for fleet-wide changes. */
const PLAIN_REGIONS: FleetConfig["regions"] = [
  { region: "us-east-1" },
  { region: "eu-west-1" },
  { region: "ap-southeast-2", loadBalancerType: "network" },
];
/** The regions as the reviewed change leaves them: us-east-1 grows to five ports with its first one weighted 3. */
const REVIEWED_REGIONS: FleetConfig["regions"] = [
  { region: "us-east-1", processes: 5, weights: [3, 1, 1, 1, 1] },
  { region: "eu-west-1" },
  { region: "ap-southeast-2", loadBalancerType: "network" },
];

function region(plan: FleetPlan, name: string): RegionPlan {
  const found = plan.regions.find((r) => r.region === name);
  if (found === undefined) throw new Error(`no region ${name} in the plan`);
  return found;
}

/** Each failed stack's report line and the end of its log, so a red run says why and not only which. */
function failures(outcomes: readonly StackOutcome[]): string[][] {
  return outcomes
    .filter((o) => !o.ok)
    .map((o) => [outcomeReport(o), o.log === "" ? "" : readFileSync(o.log, "utf8").split("\n").slice(-60).join("\n")]);
}

/** `aws_elb.balancers_port-9003_ABCD1234` → `aws_elb.balancers_port-9003`, for readable expectations. */
const stable = (address: string) => address.replace(/_[0-9A-F]{8}$/, "");

/**
 * A region stack's Terraform as the first releases wrote its DNS: at the same addresses, the weighted set
 * as CNAME records (TTL 60) over the per-port names, no record waiting for anything, no global name.
 */
function firstReleaseRecords(stackJson: string, r: RegionPlan): string {
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

/** Every Terraform state file a working copy could hold: the stack directories' and the project's. */
function localStateFiles(dir: string): string[] {
  const found: string[] = [];
  const walk = (path: string) => {
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      if (entry.name === ".terraform" || entry.name === "logs") continue;
      const full = join(path, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (/\.tfstate(\.backup)?$/.test(entry.name)) found.push(full);
    }
  };
  walk(dir);
  return found;
}

describe("a production fleet file rehearsed on a local AWS", () => {
  let local: LocalFleet;
  let plan: FleetPlan;
  let target: Target;
  /** The stacks as first synthesized, which the bootstrap deploys (npm run deploy's code path after synth). */
  let synthesized0: StackNode[] = [];
  const progress: string[] = [];

  beforeAll(async () => {
    local = await LocalFleet.start();
    releaseSha256 = packRelease(RELEASE_APP, ["x64"], PINNED_NODE.version, join(local.dir, "release.tgz"));
    ({ plan, target, stacks: synthesized0 } = await local.configure(fleetConfig()));
  });
  afterAll(async () => {
    await local.stop();
  });

  /** Every record in the fleet's zone, as Route 53 (the local one) lists it. */
  async function zoneRecords(): Promise<ResourceRecordSet[]> {
    const route53 = regionClients(target, "us-east-1").route53;
    const zones = await route53.send(new ListHostedZonesByNameCommand({ DNSName: "shop.test" }));
    const zoneId = zones.HostedZones?.find((z) => z.Name === "shop.test.")?.Id;
    if (zoneId === undefined) return [];
    const sets = await route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId }));
    return (sets.ResourceRecordSets ?? []).filter((r) => r.Type !== "NS" && r.Type !== "SOA");
  }

  /** The log a command run as a subprocess wrote last under this name. */
  function latestCommandLog(name: string): string {
    const logs = join(local.dir, "command-logs");
    const runs = readdirSync(logs).filter((d) => existsSync(join(logs, d, name)));
    return readFileSync(join(logs, runs.sort().at(-1) ?? "", name), "utf8");
  }

  /** `npm run deploy`, as a user runs it, in the working copy. */
  const deployCommand = (...globs: string[]) =>
    run(
      join(PROJECT, "node_modules", ".bin", "tsx"),
      [join(PROJECT, "scripts", "deploy.ts"), "--outdir", local.outdir, ...globs],
      { cwd: local.dir, env: local.env },
    );

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
    const synthesized = readFileSync(usEast, "utf8");
    writeFileSync(usEast, firstReleaseRecords(synthesized, region(plan, "us-east-1")));
    let outcomes: StackOutcome[];
    try {
      const ctx = local.context((line) => progress.push(line));
      await checkBeforeDeploy(
        ctx,
        synthesized0.map((st) => st.name),
      );
      outcomes = await deployStacks(ctx, synthesized0);
    } finally {
      writeFileSync(usEast, synthesized);
    }
    // A stack that failed shows its summary, so an unexpected failure says why.
    expect(
      Object.fromEntries(
        outcomes.map((o) => [
          o.stack,
          o.ok ||
            [o.summary, o.hint ?? "no hint", ...progress.filter((l) => l.startsWith(o.stack)).slice(-6)].join(" | "),
        ]),
      ),
    ).toEqual({
      "shop-e2e-state": true,
      "shop-e2e-dns": true,
      "shop-e2e-us-east-1": true,
      "shop-e2e-eu-west-1": expect.stringMatching(/^failed: creating ELB Classic Load Balancer \(shop-e2e-9001\)/),
      "shop-e2e-ap-southeast-2": true,
    });
    // Its wave-mates were judged and baked all the same.
    expect(progress.filter((l) => l.startsWith("wave "))).toEqual([
      expect.stringMatching(/^wave 1 of 1: us-east-1, eu-west-1, ap-southeast-2 \(bake 3 s\), at most \d+ at once$/),
    ]);
    expect(progress.some((l) => l.startsWith("shop-e2e-ap-southeast-2: baked 3 s: no alarm in ALARM"))).toBe(true);
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
    const west = region(plan, "eu-west-1");
    const observed = await observeRegion(target, west);
    expect(observed.loadBalancers.map((lb) => lb.name)).toEqual(west.ports.map((p) => p.loadBalancerName));
    expect(observed.records).toEqual([]);
    expect((await zoneRecords()).filter((r) => r.SetIdentifier === "eu-west-1")).toEqual([]);
  });

  it("upgrades a region deployed with the first releases' CNAME records, in one deploy that deletes them before it creates", async () => {
    const east = region(plan, "us-east-1");
    const before = await observeRegion(target, east);
    expect(before.records.filter((r) => r.setIdentifier !== undefined).map((r) => r.type)).toEqual([
      "CNAME",
      "CNAME",
      "CNAME",
    ]);

    const [reviewed] = await planStacks(local.context(), ["shop-e2e-us-east-1"], 1);
    const report = renderReport(reviewed === undefined ? [] : [reviewed]);
    expect(report).toContain("| weighted records | 3 (CNAME) | 3 (alias A) | yes |");
    expect(report).toContain("| global name | none | shop.shop.test (latency, us-east-1) | yes |");
    for (const port of [9000, 9001, 9002]) {
      expect(report).toMatch(
        new RegExp(
          `\`aws_route53_record\\.dns_weighted-${port}_[0-9A-F]{8}\` \\(shop\\.us-east-1\\.shop\\.test\\) replaces a DNS record`,
        ),
      );
    }

    const [upgraded] = await deployFleet(local.context(), ["shop-e2e-us-east-1"]);
    expect(upgraded?.summary).toBe("Apply complete! Resources: 4 added, 0 changed, 3 destroyed.");
    const log = readFileSync(upgraded?.log ?? "", "utf8");
    const thisRun = log.slice(log.lastIndexOf("$ terraform apply"));
    const lastDeleted = Math.max(
      ...[9000, 9001, 9002].map((p) =>
        thisRun.search(new RegExp(`dns_weighted-${p}_[0-9A-F]{8}: Destruction complete`)),
      ),
    );
    const firstCreating = Math.min(
      ...[9000, 9001, 9002].map((p) => thisRun.search(new RegExp(`dns_weighted-${p}_[0-9A-F]{8}: Creating`))),
    );
    expect(lastDeleted).toBeGreaterThan(0);
    expect(firstCreating).toBeGreaterThan(lastDeleted);
    const after = await observeRegion(target, east);
    expect(after.records.filter((r) => r.name === east.regionalName).map((r) => r.type)).toEqual(["A", "A", "A"]);
  });

  it("keeps the state stack's own state in its bucket, and none in the working copy", async () => {
    const s3 = regionClients(target, "us-east-1").s3;
    for (const stack of ["state", "dns", "us-east-1", "ap-southeast-2"]) {
      await expect(s3.send(new HeadObjectCommand({ Bucket: STATE, Key: stateKey(stack) }))).resolves.toBeDefined();
    }
    expect(localStateFiles(local.dir)).toEqual([]);
  });

  it("packs the shop's release reproducibly with npm run release, uploads it once, and reads it back", async () => {
    const release = () =>
      run(
        join(PROJECT, "node_modules", ".bin", "tsx"),
        [join(PROJECT, "scripts", "release.ts"), RELEASE_APP, "--node", PINNED_NODE.version],
        { cwd: local.dir, env: local.env },
      );
    const key = defaultReleaseKey("shop", releaseSha256);
    const first = await release();
    expect({ code: first.code, stderr: first.stderr }).toMatchObject({ code: 0 });
    expect(first.stderr).toContain(`release: uploaded to s3://${RELEASES}/${key}`);
    const second = await release();
    expect(second.stderr).toContain(`release: already in s3://${RELEASES}/${key}`);
    expect(second.stdout).toBe(first.stdout);
    expect(JSON.parse(first.stdout.slice(first.stdout.indexOf("{")))).toEqual({
      bucket: RELEASES,
      key,
      sha256: releaseSha256,
    });
    const object = await regionClients(target, "us-east-1").s3.send(
      new GetObjectCommand({ Bucket: RELEASES, Key: key }),
    );
    const body = Buffer.from(await (object.Body?.transformToByteArray() ?? Promise.resolve(new Uint8Array())));
    expect(createHash("sha256").update(body).digest("hex")).toBe(releaseSha256);
  });

  it("locks each region's image with npm run images, printing the old and new image, and changes it only when told", async () => {
    // A lookup the local AWS can answer (it has no Debian images): Amazon Linux 2022, as the rehearsal uses.
    const dir = join(local.dir, "images");
    mkdirSync(dir);
    const file = join(dir, "fleet.json");
    writeFileSync(
      file,
      JSON.stringify(fleetConfig({ ami: { owners: ["137112412989"], name: "al2022-ami-2022.0.*" } })),
    );
    const images = (...args: string[]) =>
      run(join(PROJECT, "node_modules", ".bin", "tsx"), [join(PROJECT, "scripts", "images.ts"), ...args], {
        cwd: dir,
        env: { ...local.env, CLOUDRIM_CONFIG: file },
      });
    const regions = ["us-east-1", "eu-west-1", "ap-southeast-2"];
    expect((await images()).stdout).toBe(
      regions.map((r) => `${r}: not locked; lookup newest "al2022-ami-2022.0.*" of 137112412989\n`).join(""),
    );
    const first = await images("--update");
    expect({ code: first.code, stderr: first.stderr }).toMatchObject({ code: 0 });
    expect(first.stderr).toContain("images: wrote fleet.lock.json; commit it with the change that needs it");
    const locked = first.stdout.trimEnd().split("\n");
    regions.forEach((r, i) => {
      expect(locked[i]).toMatch(new RegExp(`^${r}: locked ami-[0-9a-f]+ \\(al2022-ami-2022\\.0\\.`));
    });
    const lock = JSON.parse(readFileSync(join(dir, "fleet.lock.json"), "utf8")) as {
      images: Record<string, { id: string; architecture: string }>;
    };
    expect(Object.keys(lock.images)).toEqual([...regions].sort());
    expect(Object.values(lock.images).every((image) => image.architecture === "x86_64")).toBe(true);
    // Asked again for one region, it looks again and says nothing changed; the others keep their entries.
    const again = await images("--update", "eu-west-1");
    expect(again.stdout).toBe(
      `eu-west-1: unchanged ${lock.images["eu-west-1"]?.id ?? "?"} (${/\(([^)]+)\)/.exec(first.stdout.split("\n")[1] ?? "")?.[1] ?? "?"})\n`,
    );
    expect(JSON.parse(readFileSync(join(dir, "fleet.lock.json"), "utf8"))).toEqual(lock);
    expect((await images("mars-1")).stderr).toContain("images: no region mars-1 in the fleet");
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
    expect(output.match(/^local target: ami \(us-east-1, eu-west-1, ap-southeast-2\): /gm)).toHaveLength(1);
    expect(output.match(/^local target: createHostedZone: false → true /gm)).toHaveLength(1);
    expect(output).toMatch(/shop-e2e-eu-west-1\s+Apply complete! Resources: \d+ added, 0 changed, 0 destroyed/);
    for (const stack of ["shop-e2e-state", "shop-e2e-dns", "shop-e2e-us-east-1", "shop-e2e-ap-southeast-2"]) {
      expect(output).toMatch(new RegExp(`${stack}\\s+No changes\\.`));
    }
  });

  it("deploys again from another fresh clone with npm run deploy: no changes, no error", async () => {
    rmSync(local.outdir, { recursive: true, force: true });
    const result = await deployCommand();
    expect({ code: result.code, stderr: result.stderr.split("\n").slice(-20) }).toMatchObject({ code: 0 });
    expect(result.stdout.trimEnd().split("\n").sort()).toEqual(
      [
        ...["shop-e2e-state", "shop-e2e-dns"].map(
          (stack) => `  ${stack}: Apply complete! Resources: 0 added, 0 changed, 0 destroyed.`,
        ),
        // A region whose plan changes nothing is not applied: no refresh to wait for, nothing to judge or bake.
        ...REGIONS.map((stack) => `  ${stack}: No changes.`),
      ].sort(),
    );
    // Substitutions are printed once per command, at its start; no Node.js support warning in between.
    expect(result.stderr.match(/deploy: local target: createHostedZone: false → true/g)).toHaveLength(1);
    // The fleet keeps one instance per region: the warning names the outage that allows.
    expect(
      result.stderr.match(/deploy: warning: capacity: got .*has min = 1: .* is an outage of the region/g),
    ).toHaveLength(1);
    expect(result.stderr).not.toMatch(/NodeVersionSupportWarning/);
    expect(localStateFiles(local.dir)).toEqual([]);
  });

  describe.each(["us-east-1", "eu-west-1", "ap-southeast-2"])("in %s", (regionName) => {
    it("has one load balancer of the region's type per port, with the right listener and health check", async () => {
      const r = region(plan, regionName);
      const observed = await observeRegion(target, r);
      expect(observed.loadBalancers.map((lb) => lb.name)).toEqual(r.ports.map((p) => p.loadBalancerName));
      for (const port of r.ports) {
        const lb = observed.loadBalancers.find((l) => l.name === port.loadBalancerName);
        expect(lb?.listeners).toEqual([{ lbPort: 9000, instancePort: port.port, protocol: "TCP" }]);
        expect(lb?.healthCheck).toEqual({ target: `TCP:${port.port}`, interval: 5, timeout: 2 });
      }
      if (r.loadBalancerType === "classic") {
        const { LoadBalancerDescriptions: lbs = [] } = await regionClients(target, regionName).elb.send(
          new DescribeLoadBalancersCommand({ LoadBalancerNames: r.ports.map((p) => p.loadBalancerName) }),
        );
        for (const lb of lbs) {
          expect(lb.HealthCheck).toMatchObject({ HealthyThreshold: 2, UnhealthyThreshold: 5 });
          expect(lb.Scheme).toBe("internal");
        }
      } else {
        // Each port's NLB forwards to a target group of its own port, registered by the group, and healthy.
        const elbv2 = regionClients(target, regionName).elbv2;
        const { LoadBalancers: nlbs = [] } = await elbv2.send(
          new DescribeLoadBalancersV2Command({ Names: r.ports.map((p) => p.loadBalancerName) }),
        );
        for (const nlb of nlbs) expect(nlb).toMatchObject({ Type: "network", Scheme: "internal" });
        expect(nlbs.every((nlb) => (nlb.SecurityGroups ?? []).length === 1)).toBe(true);
        const { AutoScalingGroups: groups = [] } = await regionClients(target, regionName).autoScaling.send(
          new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [r.autoScaling.name] }),
        );
        const instanceIds = (groups[0]?.Instances ?? []).map((i) => i.InstanceId);
        expect([...(groups[0]?.TargetGroupARNs ?? [])].sort()).toEqual(
          observed.loadBalancers.map((lb) => lb.targetGroupArn).sort(),
        );
        for (const lb of observed.loadBalancers) {
          expect(lb.health).toEqual(instanceIds.map((id) => ({ id, state: "healthy" })));
        }
      }
    });

    it("attaches the Auto Scaling group to all of them, with a running instance", async () => {
      const r = region(plan, regionName);
      const { AutoScalingGroups: groups = [] } = await regionClients(target, regionName).autoScaling.send(
        new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [r.autoScaling.name] }),
      );
      expect(groups).toHaveLength(1);
      if (r.loadBalancerType === "classic") {
        expect([...(groups[0]?.LoadBalancerNames ?? [])].sort()).toEqual(r.ports.map((p) => p.loadBalancerName).sort());
      } else {
        expect(groups[0]?.TargetGroupARNs).toHaveLength(r.ports.length);
      }
      // The load balancers judge readiness and take an instance out; only EC2 status or the instance itself
      // (its watchdog) replaces one (docs/architecture.md, "Liveness and readiness").
      expect(groups[0]?.HealthCheckType).toBe("EC2");
      expect(groups[0]?.Instances?.length).toBe(1);
      // A launch enters service only once its boot completes this hook; one that never does is abandoned.
      const { LifecycleHooks: hooks = [] } = await regionClients(target, regionName).autoScaling.send(
        new DescribeLifecycleHooksCommand({ AutoScalingGroupName: r.autoScaling.name }),
      );
      expect(hooks).toEqual([
        expect.objectContaining({
          LifecycleHookName: "boot",
          LifecycleTransition: "autoscaling:EC2_INSTANCE_LAUNCHING",
          DefaultResult: "ABANDON",
          HeartbeatTimeout: r.boot.timeoutSeconds,
        }),
      ]);
      // An unhealthy instance's successor is launched before it goes, as in a refresh.
      expect(groups[0]?.InstanceMaintenancePolicy).toEqual({ MinHealthyPercentage: 100, MaxHealthyPercentage: 200 });
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
      expect(describe(lbGroup, true)).toEqual([[r.portRange.from, r.portRange.to, instanceGroup]]);
      expect(describe(instanceGroup, false)).toEqual([[r.portRange.from, r.portRange.to, lbGroup]]);
      expect(describe(instanceGroup, true)).toEqual([
        [443, 443, "0.0.0.0/0"],
        [80, 80, "0.0.0.0/0"],
      ]);
    });

    it("runs its instances with a role that reads the release object, writes its log group, reports on its own group, and reaches Session Manager", async () => {
      const r = region(plan, regionName);
      const { iam, ec2 } = regionClients(target, regionName);
      const policy = async (name: string) =>
        JSON.parse(
          decodeURIComponent(
            String(
              (await iam.send(new GetRolePolicyCommand({ RoleName: r.instance.role.name, PolicyName: name })))
                .PolicyDocument,
            ),
          ),
        ) as { Statement: { Action: string | string[]; Resource: string | string[] }[] };
      const { PolicyNames: names = [] } = await iam.send(
        new ListRolePoliciesCommand({ RoleName: r.instance.role.name }),
      );
      expect([...names].sort()).toEqual(["own-group", "read-release", "session-manager", "ship-logs"]);
      const logGroupArn = `arn:aws:logs:${regionName}:${ACCOUNT}:log-group:${r.logs.group}`;
      expect((await policy("ship-logs")).Statement).toEqual([
        expect.objectContaining({
          Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
          Resource: [logGroupArn, `${logGroupArn}:*`],
        }),
      ]);
      expect((await policy("own-group")).Statement).toEqual([
        expect.objectContaining({
          Action: ["autoscaling:CompleteLifecycleAction", "autoscaling:SetInstanceHealth"],
          Resource: `arn:aws:autoscaling:${regionName}:${ACCOUNT}:autoScalingGroup:*:autoScalingGroupName/${r.autoScaling.name}`,
        }),
      ]);
      // Session Manager's channels only: nothing of Parameter Store.
      const sessionActions = [(await policy("session-manager")).Statement[0]?.Action ?? []].flat();
      expect(sessionActions.filter((a) => !/^(ssmmessages|ec2messages):/.test(a))).toEqual([
        "ssm:UpdateInstanceInformation",
        "logs:DescribeLogGroups",
      ]);
      const role = await iam.send(new GetRoleCommand({ RoleName: r.instance.role.name }));
      expect(decodeURIComponent(String(role.Role?.AssumeRolePolicyDocument))).toContain("ec2.amazonaws.com");
      const inline = await iam.send(
        new GetRolePolicyCommand({ RoleName: r.instance.role.name, PolicyName: "read-release" }),
      );
      expect(JSON.parse(decodeURIComponent(String(inline.PolicyDocument)))).toEqual({
        Version: "2012-10-17",
        Statement: [
          {
            Sid: "ReadTheRelease",
            Effect: "Allow",
            Action: "s3:GetObject",
            Resource: `arn:aws:s3:::${RELEASES}/${defaultReleaseKey("shop", releaseSha256)}`,
          },
        ],
      });
      const attached = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: r.instance.role.name }));
      expect(attached.AttachedPolicies).toEqual([]);
      const profile = await iam.send(new GetInstanceProfileCommand({ InstanceProfileName: r.instance.role.name }));
      expect(profile.InstanceProfile?.Roles?.map((x) => x.RoleName)).toEqual([r.instance.role.name]);
      const { LaunchTemplates: all = [] } = await ec2.send(new DescribeLaunchTemplatesCommand({}));
      const template = all.find((t) => t.LaunchTemplateName?.startsWith(`${r.stackName}-`) === true);
      const templates = await ec2.send(
        new DescribeLaunchTemplateVersionsCommand({
          LaunchTemplateId: template?.LaunchTemplateId,
          Versions: ["$Latest"],
        }),
      );
      const data = templates.LaunchTemplateVersions?.[0]?.LaunchTemplateData;
      expect(data?.IamInstanceProfile?.Arn).toBe(profile.InstanceProfile?.Arn);
      // One-minute instance metrics: target tracking reacts in minutes, not in five.
      expect(data?.Monitoring?.Enabled).toBe(true);
    });

    it("ships its instances' logs to one group with the fleet's retention, counts what must not be missed, and logs sessions there", async () => {
      const r = region(plan, regionName);
      const { logs, ssm } = regionClients(target, regionName);
      const groups = async (prefix: string) =>
        ((await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: prefix }))).logGroups ?? []).map((g) => [
          g.logGroupName,
          g.retentionInDays,
        ]);
      expect(await groups(r.logs.group)).toEqual([[r.logs.group, 30]]);
      expect(await groups(r.logs.eventGroup)).toEqual([[r.logs.eventGroup, 30]]);
      const filters = async (group: string) =>
        ((await logs.send(new DescribeMetricFiltersCommand({ logGroupName: group }))).metricFilters ?? []).map((f) => [
          f.filterPattern,
          f.metricTransformations?.[0]?.metricName,
          f.metricTransformations?.[0]?.metricNamespace,
        ]);
      const counted = (source: string) =>
        LOG_COUNTS.filter((c) => c.source === source).map((c) => [c.pattern, c.metricName, r.logs.metricsNamespace]);
      // DescribeMetricFilters lists them by name.
      const sorted = (rows: (string | undefined)[][]) =>
        [...rows].sort((a, b) => String(a[1]).localeCompare(String(b[1])));
      expect(sorted(await filters(r.logs.group))).toEqual(sorted(counted("instances")));
      expect(sorted(await filters(r.logs.eventGroup))).toEqual(sorted(counted("events")));
      const session = await ssm.send(new GetDocumentCommand({ Name: `${r.stackName}-session` }));
      expect(session.DocumentType).toBe("Session");
      expect(JSON.parse(session.Content ?? "{}")).toMatchObject({
        sessionType: "Standard_Stream",
        inputs: { cloudWatchLogGroupName: r.logs.group, cloudWatchStreamingEnabled: true },
      });
    });

    it("scales on average CPU, alarms for every port and for all of them, and draws each port on its dashboard", async () => {
      const r = region(plan, regionName);
      const { monitoring } = await observeRegion(target, r);
      expect(monitoring.policies).toEqual([
        { name: `${r.stackName}-cpu`, type: "TargetTrackingScaling", cpuTarget: 50, warmup: 10 },
      ]);
      // Per port: none healthy, one unhealthy, traffic far from its weight; then the region's; then the group's and hosts'.
      expect(monitoring.alarms.map((a) => a.name)).toEqual([
        ...r.ports.flatMap((p) => [
          `${r.stackName}-${p.port}-no-healthy-instances`,
          `${r.stackName}-${p.port}-unhealthy-instances`,
        ]),
        ...r.ports.map((p) => `${r.stackName}-${p.port}-traffic-share`),
        `${r.stackName}-all-ports-down`,
        `${r.stackName}-unhealthy-hosts-9000`,
        `${r.stackName}-in-service-below-desired`,
        `${r.stackName}-instance-refresh-failed`,
        `${r.stackName}-boot-abandoned`,
        `${r.stackName}-instance-handed-over`,
      ]);
      const described = async (name: string) =>
        (await regionClients(target, regionName).cloudWatch.send(new DescribeAlarmsCommand({ AlarmNames: [name] })))
          .MetricAlarms?.[0];
      // A port's share is its requests (flows) over its ports' sum, judged against its weight's share.
      const weights = r.ports.map((p) => p.weight);
      const total = weights.reduce((a, b) => a + b, 0);
      for (const port of r.ports) {
        const share = await described(`${r.stackName}-${port.port}-traffic-share`);
        expect(share?.Metrics?.find((m) => m.Id === "drift")?.Expression).toContain(
          `ABS(r${port.port} / SUM([${r.ports.map((p) => `r${p.port}`).join(", ")}]) - ${(port.weight / total).toFixed(4)})`,
        );
      }
      // The counts from the logs alarm in the metrics namespace the filters write.
      const handedOver = await described(`${r.stackName}-instance-handed-over`);
      expect(handedOver).toMatchObject({ Namespace: r.logs.metricsNamespace, MetricName: "InstancesHandedOver" });
      // The guard watches the highest count of unhealthy instances among the ports, one metric each.
      const { MetricAlarms: [guard] = [] } = await regionClients(target, regionName).cloudWatch.send(
        new DescribeAlarmsCommand({ AlarmNames: [`${r.stackName}-unhealthy-hosts-9000`] }),
      );
      const queries = guard?.Metrics ?? [];
      expect(queries.find((q) => q.Id === "unhealthy")?.Expression).toBe(
        `MAX([${r.ports.map((p) => `p${p.port}`).join(", ")}])`,
      );
      for (const port of r.ports) {
        expect(queries.find((q) => q.Id === `p${port.port}`)?.MetricStat).toMatchObject({
          Metric: { MetricName: "UnHealthyHostCount" },
          Stat: "Maximum",
          Period: 60,
        });
      }
      r.ports.forEach((port) => {
        const alarm = monitoring.alarms.find((a) => a.name === port.alarmName);
        expect(alarm).toMatchObject({ minutes: 2, actions: [] });
        if (r.loadBalancerType === "classic") {
          expect(alarm).toMatchObject({
            metric: "AWS/ELB HealthyHostCount",
            dimensions: { LoadBalancerName: port.loadBalancerName },
          });
        } else {
          // The emulator's NLB ARNs say app/ where AWS's say net/ (docs/local-aws-internals.md).
          expect(alarm?.metric).toBe("AWS/NetworkELB HealthyHostCount");
          expect(alarm?.dimensions?.TargetGroup).toMatch(
            new RegExp(`^targetgroup/${port.loadBalancerName}/[0-9a-f]+$`),
          );
          expect(alarm?.dimensions?.LoadBalancer).toMatch(new RegExp(`^(net|app)/${port.loadBalancerName}/[0-9a-f]+$`));
        }
      });
      expect(monitoring.alarms.find((a) => a.name === r.monitoring.regionAlarmName)?.rule).toBe(
        allPortsDownRule(r.ports.map((p) => p.alarmName)),
      );
      const perPort =
        r.loadBalancerType === "classic"
          ? ["requests", "healthy instances", "latency (s)"]
          : ["flows", "healthy instances"];
      expect(monitoring.dashboard?.name).toBe(r.stackName);
      expect(monitoring.dashboard?.widgets.map((w) => w.title)).toEqual([
        "alarms",
        "group · CPU (%)",
        "group · in-service instances",
        "group · desired capacity",
        ...r.ports.flatMap((p) => perPort.map((what) => `port ${p.port} · ${what}`)),
      ]);
      for (const widget of monitoring.dashboard?.widgets ?? []) {
        const port = /^port (\d+) ·/.exec(widget.title)?.[1];
        const lb = port === undefined ? r.autoScaling.name : `shop-e2e-${port}`;
        for (const dimension of widget.dimensions)
          expect(dimension.replace(/^(net|app|targetgroup)\/([^/]+)\/.*$/, "$2")).toBe(lb);
      }
    });

    it("publishes the three levels of names as alias records that evaluate health, and keeps state in S3", async () => {
      const r = region(plan, regionName);
      const observed = await observeRegion(target, r);
      const dnsNameOf = (p: { loadBalancerName: string }) =>
        observed.loadBalancers.find((lb) => lb.name === p.loadBalancerName)?.dnsName;
      const aliases = observed.records.filter((rec) => rec.setIdentifier === undefined);
      expect(aliases.map((a) => [a.name, a.type, a.aliasTarget, a.evaluateTargetHealth])).toEqual(
        r.ports.map((p) => [p.aliasName, "A", dnsNameOf(p), true]),
      );
      const weighted = observed.records.filter((rec) => rec.name === r.regionalName);
      expect(weighted.map((w) => [w.type, w.setIdentifier, w.weight, w.aliasTarget, w.evaluateTargetHealth])).toEqual(
        r.ports.map((p) => ["A", p.setIdentifier, p.weight, dnsNameOf(p), true]),
      );
      const global = observed.records.filter((rec) => rec.name === "shop.shop.test");
      expect(
        global.map((g) => [g.type, g.setIdentifier, g.latencyRegion, g.aliasTarget, g.evaluateTargetHealth]),
      ).toEqual([["A", regionName, regionName, r.regionalName, true]]);
      expect(observed.state).toEqual({ location: `s3://${STATE}/${stateKey(regionName)}`, exists: true });
    });
  });

  it("has one latency record per region in the global name, each aliasing its region's weighted set", async () => {
    const latency = (await zoneRecords()).filter((r) => r.Name === "shop.shop.test.");
    expect(latency.map((r) => [r.SetIdentifier, r.Region, r.AliasTarget?.DNSName?.replace(/\.$/, "")]).sort()).toEqual([
      ["ap-southeast-2", "ap-southeast-2", "shop.ap-southeast-2.shop.test"],
      ["eu-west-1", "eu-west-1", "shop.eu-west-1.shop.test"],
      ["us-east-1", "us-east-1", "shop.us-east-1.shop.test"],
    ]);
  });

  describe("a region in a VPC of its own, with a public and a private subnet in each zone", () => {
    let vpcId: string;
    /** The region stack as it would deploy on AWS: the network as written, no rehearsal substitution. */
    async function planOnAws(subnetTags?: Record<string, string>): Promise<StackPlan> {
      const config = fleetConfig({
        deployment: "vpc",
        regions: [{ region: "eu-west-1", vpcId, ...(subnetTags === undefined ? {} : { subnetTags }) }],
        rollout: { bakeSeconds: 3 },
        instanceRefresh: false,
        ami: { owners: ["137112412989"], name: "al2022-ami-2022.0.*-kernel-5.15-*" },
      });
      const outdir = join(local.dir, `vpc-${subnetTags === undefined ? "untagged" : "tagged"}`);
      const app = new App({ outdir });
      // The domain's zone exists (the fleet above created it); state goes to the same bucket, its own key.
      addFleet(app, { ...planOrThrow(config), domain: "shop.test" }, target);
      app.synth();
      return planStack(
        local.context(() => undefined, { outdir }),
        "shop-vpc-eu-west-1",
      );
    }

    beforeAll(async () => {
      const ec2 = regionClients(target, "eu-west-1").ec2;
      vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: "10.20.0.0/16" }))).Vpc?.VpcId ?? "";
      let i = 0;
      for (const zone of ["eu-west-1a", "eu-west-1b"]) {
        for (const tier of ["public", "private"]) {
          const subnet = await ec2.send(
            new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: `10.20.${i++}.0/24`, AvailabilityZone: zone }),
          );
          await ec2.send(
            new CreateTagsCommand({ Resources: [subnet.Subnet?.SubnetId ?? ""], Tags: [{ Key: "Tier", Value: tier }] }),
          );
        }
      }
    });

    it("is refused at plan time, naming the zones with two subnets and the fix, when nothing picks one per zone", async () => {
      const result = await planOnAws();
      expect(result.status).toBe("failed");
      const error = result.status === "failed" ? result.error.replace(/\s+/g, " ") : "";
      expect(error).toMatch(
        /^terraform plan failed: Error: Resource precondition failed .* In VPC vpc-\w+, every subnet of the VPC \(no subnetTags\) put several subnets in one availability zone: .* set subnetTags to pick one per zone/,
      );
      expect(error.match(/subnet-\w+ \(eu-west-1a\)/g)).toHaveLength(2);
      expect(error.match(/subnet-\w+ \(eu-west-1b\)/g)).toHaveLength(2);
    });

    it("uses one subnet per zone when subnetTags picks the private ones", async () => {
      const result = await planOnAws({ Tier: "private" });
      const changes = result.status === "planned" ? (result.plan.resource_changes ?? []) : [];
      expect(result.status === "failed" ? result.error : "planned").toBe("planned");
      const elb = changes.find((c) => c.type === "aws_elb")?.change.after as { subnets: string[] };
      expect(elb.subnets).toHaveLength(2);
      const { Subnets: subnets = [] } = await regionClients(target, "eu-west-1").ec2.send(
        new DescribeSubnetsCommand({ SubnetIds: elb.subnets }),
      );
      expect(subnets.map((s) => [s.AvailabilityZone, s.Tags?.find((t) => t.Key === "Tier")?.Value]).sort()).toEqual([
        ["eu-west-1a", "private"],
        ["eu-west-1b", "private"],
      ]);
    });
  });

  it("refuses, at plan time, credentials of another account than the fleet's accountId, naming the field", async () => {
    // No rehearsal: the emulator answers as account 123456789012, so a fleet bound to another account is refused.
    const config = fleetConfig({
      deployment: "account",
      accountId: "111111111111",
      regions: [{ region: "eu-west-1" }],
      rollout: { bakeSeconds: 3 },
    });
    const bound = { ...planOrThrow(config), domain: "shop.test" };
    const outdir = join(local.dir, "other-account");
    const app = new App({ outdir });
    addFleet(app, bound, target);
    app.synth();
    const result = await planStack(
      local.context(() => undefined, { outdir, plan: bound }),
      "shop-account-eu-west-1",
    );
    expect(result.status === "failed" ? [result.error, result.hint] : "planned").toEqual([
      expect.stringMatching(/^terraform plan failed:\s+Error: AWS account ID not allowed: 123456789012\n/),
      "accountId: these credentials belong to account 123456789012, not the fleet's 111111111111; " +
        "use credentials (a profile or role) for the fleet's account, or correct accountId if the fleet moved",
    ]);
  });

  describe("the plan command (npm run plan)", () => {
    const REGION_STACKS = "shop-e2e-??-*";

    async function planCommand(
      config: FleetConfig,
      extra: readonly string[] = [],
      globs: readonly string[] = [REGION_STACKS],
      locking: readonly string[] = ["--lock-timeout", "1"],
    ): Promise<{ code: number; report: string; stderr: string }> {
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
          ...locking,
          ...extra,
          ...globs,
        ],
        { cwd: local.dir, env: local.env },
      );
      return {
        code: result.code,
        report: existsSync(reportFile) ? readFileSync(reportFile, "utf8") : "",
        stderr: result.stderr,
      };
    }

    /** Five processes behind public load balancers, still plain TCP: accepted on purpose, as a team would record it. */
    const publicFleet = () =>
      fleetConfig({
        processes: 5,
        internal: false,
        regions: PLAIN_REGIONS,
        baselineExceptions: [
          {
            rule: "listener-tls",
            resources: "shop-e2e-*/aws_*.balancers_port-*",
            reason: "the shop's clients speak TLS end to end to the service itself",
          },
        ],
      });

    /** `npm run unlock`, as a user runs it, in the working copy. */
    const unlockCommand = (...args: string[]) =>
      run(join(PROJECT, "node_modules", ".bin", "tsx"), [join(PROJECT, "scripts", "unlock.ts"), ...args], {
        cwd: local.dir,
        env: local.env,
      });

    it("reports counts, topology and dangerous replacements, and with a stack it cannot plan exits 1 and says what to fix; --no-lock plans it; npm run unlock names the lock's holder and releases it with --force", async () => {
      // A stack whose state another run has locked (a lock object left behind) cannot be planned.
      const s3 = regionClients(target, "us-east-1").s3;
      const lockKey = `${stateKey("us-east-1")}.tflock`;
      const lock = {
        ID: "5f1c2d3e-e2e0-4000-8000-000000000001",
        Operation: "OperationTypeApply",
        Who: "someone@elsewhere",
        Version: "1.11.4",
        Created: "2026-11-25T00:00:00Z",
        Path: `${STATE}/${stateKey("us-east-1")}`,
      };
      await s3.send(new PutObjectCommand({ Bucket: STATE, Key: lockKey, Body: JSON.stringify(lock) }));
      let result: { code: number; report: string };
      let unlocked: { code: number; report: string };
      try {
        result = await planCommand(publicFleet());
        // A pull request's plan is never applied: it takes no lock, so it plans the locked stack and leaves the lock be.
        unlocked = await planCommand(publicFleet(), [], ["shop-e2e-us-east-1"], ["--no-lock"]);
        const held = await s3.send(new GetObjectCommand({ Bucket: STATE, Key: lockKey }));
        expect(JSON.parse(await (held.Body?.transformToString() ?? "{}"))).toEqual(lock);
        // npm run unlock names the holder and breaks nothing by default (it ran on another machine)…
        const shown = await unlockCommand("shop-e2e-us-east-1");
        expect(shown.code).toBe(1);
        expect(shown.stdout).toMatch(
          /^shop-e2e-us-east-1: its state is locked by someone@elsewhere \(apply, Terraform 1\.11\.4\) since 2026-11-25T00:00:00\.000Z, \d+ d \d+ h ago; lock 5f1c2d3e-e2e0-4000-8000-000000000001\nrelease it once that run is gone: npm run unlock -- shop-e2e-us-east-1 --force/,
        );
        // … and releases it when told.
        const released = await unlockCommand("shop-e2e-us-east-1", "--force");
        expect({ code: released.code, stdout: released.stdout }).toMatchObject({
          code: 0,
          stdout: expect.stringContaining(
            "shop-e2e-us-east-1: released lock 5f1c2d3e-e2e0-4000-8000-000000000001 (--force)",
          ) as string,
        });
        expect((await unlockCommand("shop-e2e-us-east-1")).stdout).toMatch(/^shop-e2e-us-east-1: not locked /);
      } finally {
        await s3.send(new DeleteObjectCommand({ Bucket: STATE, Key: lockKey }));
      }
      expect({ code: unlocked.code, report: unlocked.report.split("\n").slice(0, 8) }).toMatchObject({ code: 2 });
      expect(unlocked.report).toContain("| instance ports | 9000-9002 | 9000-9004 | yes |");
      expect(unlocked.report).not.toContain("failed");
      const { code, report } = result;
      expect(code).toBe(1);
      expect(report).toContain("## Terraform plan: 2 of 3 stacks change, 1 failed");
      expect(report).toContain("> Failed to plan: `shop-e2e-us-east-1`");
      expect(report).toContain("| shop-e2e-us-east-1 | failed | | | |");
      expect(report).toMatch(
        /### shop-e2e-us-east-1: failed\n\n\*\*Fix:\*\* another run holds this stack's state lock/,
      );
      expect(report).toMatch(/Error acquiring the state lock/);
      // The others are planned and reported in full. 3 → 5 processes: two more load balancers and records.
      expect(report).toContain("| instance ports | 9000-9002 | 9000-9004 | yes |");
      expect(report).toContain("| load balancers | 3 | 5 | yes |");
      expect(report).toContain("| weighted records | 3 (alias A) | 5 (alias A) | yes |");
      expect(report).toContain(
        "| weights | eu-west-1-port-9000=1, eu-west-1-port-9001=1, eu-west-1-port-9002=1 | eu-west-1-port-9000=1, eu-west-1-port-9001=1, eu-west-1-port-9002=1, eu-west-1-port-9003=1, eu-west-1-port-9004=1 | yes |",
      );
      // Generated names (the launch template's name_prefix) carry a timestamp: no label.
      expect(report).toMatch(/`aws_launch_template\.service_launch-template_[0-9A-F]{8}`: update/);
      // internal → public forces every existing load balancer to be replaced (ap-southeast-2 has five, and each
      // network load balancer's listener goes with it): first.
      expect(report).toMatch(/^> \[!CAUTION\]\n> \*\*13 dangerous changes\*\*/m);
      for (const port of [9000, 9001, 9002, 9003, 9004]) {
        expect(report).toMatch(
          new RegExp(
            `> - \`shop-e2e-ap-southeast-2\`: \`aws_lb_listener\\.balancers_listener-${port}_[0-9A-F]{8}\` replaces a listener \\(forced by load_balancer_arn\\)`,
          ),
        );
      }
      for (const [regionName, type, ports] of [
        ["eu-west-1", "aws_elb", [9000, 9001, 9002]],
        ["ap-southeast-2", "aws_lb", [9000, 9001, 9002, 9003, 9004]],
      ] as const) {
        for (const port of ports) {
          expect(report).toMatch(
            new RegExp(
              `> - \`shop-e2e-${regionName}\`: \`${type}\\.balancers_port-${port}_[0-9A-F]{8}\` \\(shop-e2e-${port}\\) replaces a load balancer \\(forced by internal\\)`,
            ),
          );
        }
      }
      expect(report).toContain("| aws_elb | 2 | 0 | 3 | 0 |");
      expect(report).toContain("| aws_lb | 0 | 0 | 5 | 0 |");
      expect(report).toContain("| load balancer type | network | network |  |");
      // The exception is listed with its reason, for the reviewer to see.
      expect(report).toMatch(
        /\| listener-tls \(CKV_AWS_127, CKV_AWS_2, AWS-0054\) \| `shop-e2e-ap-southeast-2` `aws_lb\.balancers_port-9000_[0-9A-F]{8}`<br>.* \| the shop's clients speak TLS end to end to the service itself \|/,
      );
    });
  });

  describe("review, merge, apply: the reviewed plans are what gets applied", () => {
    const REGION_STACKS = "shop-e2e-??-*";
    const review = () => join(local.dir, "review");
    /** The change under review: two more processes and a new weight in us-east-1, rolled out in the default waves. */
    const change = (overrides: Partial<FleetConfig> = {}) =>
      fleetConfig({
        regions: REVIEWED_REGIONS,
        rollout: { bakeSeconds: 3 },
        ...overrides,
      });

    async function planCommand(config: FleetConfig, extra: readonly string[], globs: readonly string[]) {
      writeFileSync(local.configFile, JSON.stringify(config));
      const result = await run(
        join(PROJECT, "node_modules", ".bin", "tsx"),
        [join(PROJECT, "scripts", "plan.ts"), "--outdir", join(local.dir, "review.out"), ...extra, ...globs],
        { cwd: local.dir, env: local.env },
      );
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
        stacks: REGIONS,
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
      for (const stack of ["shop-e2e-eu-west-1", "shop-e2e-ap-southeast-2"]) {
        expect(existsSync(join(review(), stack, "plan.tfplan"))).toBe(true);
      }
    });

    it("names the stacks that drifted since the review, and those nobody reviewed, and how (exit 3)", async () => {
      const drifted = change({
        regions: [
          { region: "us-east-1", processes: 5, weights: [3, 1, 1, 1, 1] },
          { region: "eu-west-1", weights: [1, 2, 1] },
          { region: "ap-southeast-2", loadBalancerType: "network" },
          { region: "us-west-2" },
        ],
      });
      const { code, report } = await planCommand(drifted, ["--expect", review()], ["shop-e2e-eu-*", "shop-e2e-us-*"]);
      expect(code).toBe(3);
      expect(report).toMatch(/^## Reviewed plans: 2 of 3 stacks differ; nothing was applied\n/);
      expect(report).toContain("| shop-e2e-us-east-1 | identical |");
      expect(report).toMatch(
        // The new weights move every port's expected share of the traffic, and the weighted record.
        /### shop-e2e-eu-west-1: differs\n\n(- `aws_cloudwatch_metric_alarm\.alarms_share-900[0-2]_[0-9A-F]{8}`: update, not in the reviewed plan\n){3}- `aws_route53_record\.dns_weighted-9001_[0-9A-F]{8}`: update, not in the reviewed plan\n/,
      );
      expect(report).toContain("| shop-e2e-us-west-2 | not reviewed |");
      expect(report).toMatch(
        /### shop-e2e-us-west-2: not reviewed\n\n- `aws_autoscaling_attachment\.attach_port-9000_/,
      );
    });

    it("refuses to deploy a stale review and applies nothing", async () => {
      writeFileSync(local.configFile, JSON.stringify(change({ processes: 4, regions: PLAIN_REGIONS })));
      const reportFile = join(local.dir, "deploy-report.md");
      const result = await deployCommand("--reviewed", review(), "--report", reportFile, REGION_STACKS);
      expect({ code: result.code, stderr: result.stderr.split("\n").slice(-15) }).toMatchObject({ code: 3 });
      expect(result.stderr).toContain("deploy: the fresh plans are not the reviewed ones; nothing was applied");
      expect(readFileSync(reportFile, "utf8")).toMatch(/^## Reviewed plans: 3 of 3 stacks differ; nothing was applied/);
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
      const result = await deployCommand("--reviewed", review(), "--report", reportFile, REGION_STACKS);
      expect({ code: result.code, stderr: result.stderr.split("\n").slice(-15) }).toMatchObject({ code: 0 });
      // us-east-1 in two stages (its new ports' load balancers wait for the refresh), adding up to the reviewed change.
      const east =
        /shop-e2e-us-east-1: stage 1: Apply complete! Resources: (\d+) added, (\d+) changed, 0 destroyed\. stage 2: Apply complete! Resources: (\d+) added, (\d+) changed, 0 destroyed\./.exec(
          result.stdout,
        );
      const [added1, changed1, added2, changed2] = (east ?? []).slice(1).map(Number);
      expect([(added1 ?? 0) + (added2 ?? 0), (changed1 ?? 0) + (changed2 ?? 0)]).toEqual([14, 11]);
      expect(result.stdout).toContain(
        "shop-e2e-ap-southeast-2: Apply complete! Resources: 0 added, 10 changed, 18 destroyed.",
      );
      expect(result.stdout).toContain("shop-e2e-eu-west-1: no changes, as reviewed");
      expect(result.stdout).toMatch(
        /shop-e2e-us-east-1: .*\n {4}rollout: refresh \w+ Successful; 2 instances on launch template version \d+ in service on all 3 ports; 2 instances on launch template version \d+ in service on all 5 ports; baked 3 s, no alarm/,
      );
      // The same plans give the same report: no timestamps, no machine paths.
      const [comparison, planReport] = readFileSync(reportFile, "utf8").split("\n## Terraform plan:");
      expect(comparison).toMatch(/^## Reviewed plans: all 3 stacks match\n/);
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
        at(/wave 2 of 2: eu-west-1, ap-southeast-2/),
        at(/shop-e2e-ap-southeast-2: deploying/),
      ];
      expect(order[0]).toBeGreaterThan(0);
      expect([...order].sort((a, b) => a - b)).toEqual(order);
      // In the log: the first stage's apply attaches nothing; the second attaches both new ports.
      const log = latestCommandLog("shop-e2e-us-east-1.deploy.log");
      const stage1 = log.slice(log.indexOf("stage1.tfplan\n"), log.indexOf("-out=stage2.tfplan"));
      expect(stage1).toContain("Apply complete!");
      expect(stage1).not.toMatch(/aws_autoscaling_attachment/);
      const stage2 = log.slice(log.lastIndexOf("stage2.tfplan\n"));
      for (const port of [9003, 9004]) {
        expect(stage2).toMatch(new RegExp(`attach_port-${port}_[0-9A-F]{8}: Creation complete`));
      }
      await scaleEast(1);
    });

    it("applied fewer ports (5 → 3) in ap-southeast-2: each port detached before its target group went, nothing left to plan", async () => {
      const log = latestCommandLog("shop-e2e-ap-southeast-2.deploy.log");
      for (const port of [9003, 9004]) {
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
      expect(groups[0]?.TargetGroupARNs).toHaveLength(3);
      const { LoadBalancers: nlbs = [] } = await regionClients(target, "ap-southeast-2").elbv2.send(
        new DescribeLoadBalancersV2Command({}),
      );
      expect(nlbs.map((lb) => lb.LoadBalancerName).sort()).toEqual(["shop-e2e-9000", "shop-e2e-9001", "shop-e2e-9002"]);
    });
  });

  describe("a bad release, stopped in the first wave by an alarm during its bake", () => {
    const REGION_STACKS = "shop-e2e-??-*";
    const config = (bakeSeconds: number) =>
      fleetConfig({ regions: REVIEWED_REGIONS, ...rolledOut(), rollout: { bakeSeconds } });
    const ALARM = "shop-e2e-us-east-1-9000-no-healthy-instances";
    const alarmState = (StateValue: "ALARM" | "OK") =>
      regionClients(target, "us-east-1").cloudWatch.send(
        new SetAlarmStateCommand({
          AlarmName: ALARM,
          StateValue,
          StateReason:
            StateValue === "ALARM" ? "Threshold Crossed: 2 datapoints were less than the threshold (1.0)." : "cleared",
        }),
      );

    /** What a region runs: its group's launch template version and instances, its template's newest version. */
    async function running(regionName: string) {
      const { autoScaling, ec2 } = regionClients(target, regionName);
      const { AutoScalingGroups: [group] = [] } = await autoScaling.send(
        new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [`shop-e2e-${regionName}`] }),
      );
      const { LaunchTemplates: [template] = [] } = await ec2.send(
        new DescribeLaunchTemplatesCommand({ LaunchTemplateIds: [group?.LaunchTemplate?.LaunchTemplateId ?? ""] }),
      );
      return {
        groupVersion: group?.LaunchTemplate?.Version,
        instances: (group?.Instances ?? []).map((i) => [i.InstanceId, i.LaunchTemplate?.Version]).sort(),
        latestVersion: template?.LatestVersionNumber,
      };
    }

    /** `npm run deploy` as a subprocess, calling `onLine` with each progress line as it is printed. */
    function deployWatching(onLine: (line: string) => void, ...args: string[]) {
      return new Promise<{ code: number; stdout: string; stderr: string }>((resolve, reject) => {
        const child = spawn(
          join(PROJECT, "node_modules", ".bin", "tsx"),
          [join(PROJECT, "scripts", "deploy.ts"), "--outdir", local.outdir, ...args],
          { cwd: local.dir, env: local.env, stdio: ["ignore", "pipe", "pipe"] },
        );
        let [stdout, stderr, partial] = ["", "", ""];
        child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
        child.stderr.on("data", (chunk: Buffer) => {
          stderr += chunk.toString();
          const lines = (partial + chunk.toString()).split("\n");
          partial = lines.pop() ?? "";
          lines.forEach(onLine);
        });
        child.on("error", reject);
        child.on("close", (code) => {
          resolve({ code: code ?? 1, stdout, stderr });
        });
      });
    }

    it("stops the rollout in us-east-1, names the region and the alarm, rolls it back, and leaves the second wave untouched", async () => {
      const before = {
        east: await running("us-east-1"),
        west: await running("eu-west-1"),
        sydney: await running("ap-southeast-2"),
      };
      writeFileSync(local.configFile, JSON.stringify(config(30)));
      let alarmed: Promise<unknown> = Promise.resolve();
      const result = await deployWatching((line) => {
        if (/shop-e2e-us-east-1: baking 30 s/.test(line)) alarmed = alarmState("ALARM");
      }, REGION_STACKS);
      await alarmed;
      expect({ code: result.code, stderr: result.stderr.split("\n").slice(-6) }).toMatchObject({ code: 4 });
      expect(result.stderr).toContain(
        "deploy: the rollout stopped at shop-e2e-us-east-1; not started: shop-e2e-ap-southeast-2, shop-e2e-eu-west-1. " +
          'What to do: docs/runbook.md, "A rollout stopped"',
      );
      expect(result.stdout).toMatch(
        new RegExp(
          `shop-e2e-us-east-1: stopped: alarm ${ALARM} is in ALARM \\(Threshold Crossed: 2 datapoints were less than the threshold \\(1\\.0\\)\\.\\), \\d+ s into the bake; ` +
            `rolled back: instances back on launch template version ${before.east.groupVersion ?? "?"} \\(refresh \\w+ Successful\\)`,
        ),
      );
      expect(result.stdout).toContain("shop-e2e-eu-west-1: not started: the rollout stopped at shop-e2e-us-east-1");
      // us-east-1 runs what it ran before (its template keeps the new version, for the next try); wave 2 is as it was.
      const after = await running("us-east-1");
      expect(after.groupVersion).toBe(before.east.groupVersion);
      expect(after.instances.map(([, version]) => version)).toEqual(
        before.east.instances.map(([, version]) => version),
      );
      expect(after.latestVersion).toBe((before.east.latestVersion ?? 0) + 1);
      expect(await running("eu-west-1")).toEqual(before.west);
      expect(await running("ap-southeast-2")).toEqual(before.sydney);
    });

    it("finishes the rollout, wave by wave, once the alarm has cleared", async () => {
      await alarmState("OK");
      writeFileSync(local.configFile, JSON.stringify(config(3)));
      const lines: string[] = [];
      const result = await deployWatching((line) => lines.push(line), REGION_STACKS);
      expect({ code: result.code, stderr: result.stderr.split("\n").slice(-10) }).toMatchObject({ code: 0 });
      for (const regionName of ["us-east-1", "eu-west-1", "ap-southeast-2"]) {
        const now = await running(regionName);
        expect(now.groupVersion).toBe(String(now.latestVersion));
        expect(now.instances.every(([, version]) => version === String(now.latestVersion))).toBe(true);
        expect(result.stdout).toMatch(
          new RegExp(`shop-e2e-${regionName}: .*\\n {4}rollout: refresh \\w+ Successful; .*; baked 3 s, no alarm`),
        );
      }
      const bakedEast = lines.findIndex((l) => /shop-e2e-us-east-1: baked 3 s/.test(l));
      const wave2 = lines.findIndex((l) => /wave 2 of 2/.test(l));
      expect(bakedEast).toBeGreaterThan(0);
      expect(wave2).toBeGreaterThan(bakedEast);
    });
  });

  describe("a changed state key", () => {
    const moved = () => fleetConfig({ state: { bucket: STATE, region: "us-east-1", keyPrefix: "moved" } });

    it("stops plan and deploy in a working copy that knows the old backend, with the migration (reconfigure off)", async () => {
      await local.configure(moved());
      const guarded = local.context(() => undefined, { reconfigure: false });
      const [planned] = await planStacks(guarded, ["shop-e2e-us-east-1"], 1);
      expect(planned?.status === "failed" ? planned.error : "planned").toBe(
        "shop-e2e-us-east-1: its state backend changed from s3://shop-e2e-state/cloudrim/shop/e2e/us-east-1.tfstate (us-east-1) " +
          "to s3://shop-e2e-state/moved/shop/e2e/us-east-1.tfstate (us-east-1); nothing was planned or applied. Move the state with " +
          `\`terraform -chdir=${relative(process.cwd(), local.stackDir("shop-e2e-us-east-1"))} init -migrate-state\`, then run again (docs/state-and-locks.md, "Moving state")`,
      );
      const [deployed] = await deployStacks(guarded, [{ name: "shop-e2e-us-east-1", dependencies: [] }]);
      expect(deployed?.summary).toMatch(
        /^failed: its state backend changed from .* to .*moved\/shop\/e2e\/us-east-1\.tfstate/,
      );
    });

    it("stops a fresh clone too, which has no old backend to remember, naming where the state is", async () => {
      await local.configure(moved());
      const fresh = join(local.dir, "fresh-clone.out");
      const app = new App({ outdir: fresh });
      addFleet(app, local.context().plan, target);
      app.synth();
      const [planned] = await planStacks(
        local.context(() => undefined, { outdir: fresh }),
        ["shop-e2e-eu-west-1"],
        1,
      );
      expect(planned?.status === "failed" ? planned.error : "planned").toMatch(
        /^shop-e2e-eu-west-1: its state is not at s3:\/\/shop-e2e-state\/moved\/shop\/e2e\/eu-west-1\.tfstate but at s3:\/\/shop-e2e-state\/cloudrim\/shop\/e2e\/eu-west-1\.tfstate .* `aws s3 mv /,
      );
      const s3 = regionClients(target, "us-east-1").s3;
      for (const region of ["us-east-1", "eu-west-1"]) {
        await expect(
          s3.send(new HeadObjectCommand({ Bucket: STATE, Key: `moved/shop/e2e/${region}.tfstate` })),
        ).rejects.toThrow();
      }
    });
  });

  it("names a region removed from the fleet file in plan and report; npm run retire destroys it, its records and state, and no other region's", async () => {
    // The fleet as deployed (the bad release's rollout, finished), without ap-southeast-2.
    const remaining = REVIEWED_REGIONS.filter((r) => r.region !== "ap-southeast-2");
    const { plan: deployed } = await local.configure(
      fleetConfig({
        regions: remaining,
        ...rolledOut(),
        rollout: { waves: [["us-east-1", "eu-west-1"]], bakeSeconds: 3 },
      }),
    );
    const tsx = join(PROJECT, "node_modules", ".bin", "tsx");
    const reportFile = join(local.dir, "retired-report.md");
    const planArgs = [
      join(PROJECT, "scripts", "plan.ts"),
      "--report",
      reportFile,
      "--outdir",
      join(local.dir, "retire-plan.out"),
    ];
    const planned = await run(tsx, [...planArgs, "shop-e2e-??-*"], { cwd: local.dir, env: local.env });
    expect({ code: planned.code, stderr: planned.stderr.split("\n").slice(-10) }).toMatchObject({ code: 0 });
    const warning =
      /shop-e2e-ap-southeast-2: its region is no longer in the fleet file, but its state \(s3:\/\/shop-e2e-state\/cloudrim\/shop\/e2e\/ap-southeast-2\.tfstate\) still holds \d+ resources, which keep running .*; destroy them with `npm run retire -- ap-southeast-2`/;
    expect(planned.stderr).toMatch(new RegExp(`plan: warning: ${warning.source}`));
    const report = readFileSync(reportFile, "utf8");
    expect(report).toMatch(/^> \[!CAUTION\]\n> \*\*1 dangerous change\*\*/m);
    expect(report).toMatch(new RegExp(`> - \`shop-e2e-ap-southeast-2\`: its region is no longer in the fleet file`));

    // A region still in the fleet file is not retired.
    const listed = await run(tsx, [join(PROJECT, "scripts", "retire.ts"), "us-east-1"], {
      cwd: local.dir,
      env: local.env,
    });
    expect(listed.code).toBe(1);
    expect(listed.stderr).toContain("us-east-1 is in the fleet file");

    const retired = await run(
      tsx,
      [join(PROJECT, "scripts", "retire.ts"), "ap-southeast-2", "--outdir", join(local.dir, "retire.out")],
      {
        cwd: local.dir,
        env: local.env,
      },
    );
    expect({ code: retired.code, stdout: retired.stdout, stderr: retired.stderr.split("\n").slice(-10) }).toMatchObject(
      {
        code: 0,
      },
    );
    expect(retired.stdout).toMatch(
      /shop-e2e-ap-southeast-2: Apply complete! Resources: 0 added, 0 changed, \d+ destroyed\./,
    );
    const sydney = regionClients(target, "ap-southeast-2");
    expect((await sydney.elbv2.send(new DescribeLoadBalancersV2Command({}))).LoadBalancers ?? []).toEqual([]);
    expect((await sydney.autoScaling.send(new DescribeAutoScalingGroupsCommand({}))).AutoScalingGroups ?? []).toEqual(
      [],
    );
    await expect(
      regionClients(target, "us-east-1").s3.send(
        new HeadObjectCommand({ Bucket: STATE, Key: stateKey("ap-southeast-2") }),
      ),
    ).rejects.toThrow();
    for (const name of ["us-east-1", "eu-west-1"]) {
      const r = region(deployed, name);
      const observed = await observeRegion(target, r);
      expect(observed.records.filter((rec) => rec.name === r.regionalName).map((w) => w.setIdentifier)).toEqual(
        r.ports.map((p) => p.setIdentifier),
      );
    }
    const records = await zoneRecords();
    expect(
      records
        .filter((r) => r.Name === "shop.shop.test.")
        .map((r) => r.SetIdentifier)
        .sort(),
    ).toEqual(["eu-west-1", "us-east-1"]);
    expect(records.filter((r) => r.Name?.includes("ap-southeast-2") === true)).toEqual([]);
    // Nothing is left for a plan or a deploy to mention.
    expect(await findRetiredRegions(target, deployed)).toEqual([]);
  });

  it("refuses a second apply while the state lock is held, and loses nothing", async () => {
    // Change only a weight: a Route 53 update that holds the lock for ~15 s (and the ports' traffic shares).
    await local.configure(
      fleetConfig({
        regions: [
          { region: "us-east-1", processes: 5, weights: [4, 1, 1, 1, 1] },
          { region: "eu-west-1" },
          { region: "ap-southeast-2", loadBalancerType: "network" },
        ],
        ...rolledOut(),
      }),
    );
    const dir = local.stackDir("shop-e2e-us-east-1");
    const synthesized = Object.values(
      (JSON.parse(readFileSync(join(dir, "cdk.tf.json"), "utf8")) as { resource: Record<string, object> }).resource,
    ).reduce((sum, byName) => sum + Object.keys(byName).length, 0);
    const s3 = regionClients(target, "us-east-1").s3;
    const lockKey = `${stateKey("us-east-1")}.tflock`;
    const first = spawn("terraform", ["apply", "-auto-approve", "-input=false", "-no-color"], {
      cwd: dir,
      env: local.env,
      stdio: ["ignore", "pipe", "pipe"],
      // Bounded: a provider retrying an unimplemented emulator call would otherwise hang the suite.
      timeout: 180_000,
    });
    let firstOutput = "";
    let firstErrors = "";
    first.stdout.on("data", (chunk: Buffer) => {
      firstOutput += chunk.toString();
    });
    first.stderr.on("data", (chunk: Buffer) => {
      firstErrors += chunk.toString();
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
        locked = await s3.send(new HeadObjectCommand({ Bucket: STATE, Key: lockKey })).then(
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
      // With its output, so a failure of the apply that holds the lock says why.
      const code = await firstDone;
      expect({ code, errors: firstErrors, output: firstOutput.split("\n").slice(-20) }).toMatchObject({ code: 0 });
    }
    expect(firstOutput).toMatch(/Apply complete! Resources: 0 added, 6 changed, 0 destroyed/);
    const state = await s3.send(new GetObjectCommand({ Bucket: STATE, Key: stateKey("us-east-1") }));
    const resources = (
      JSON.parse(await (state.Body?.transformToString() ?? "{}")) as { resources: { mode: string }[] }
    ).resources.filter((res) => res.mode === "managed");
    // Every resource of the stack is still in its state: nothing was lost to the refused apply.
    expect(resources).toHaveLength(synthesized);
    const after = await planStack(local.context(), "shop-e2e-us-east-1");
    expect(after.status === "planned" ? changesOf(after.plan) : after.error).toEqual([]);
  });

  it("destroys everything, the state bucket last, leaving no resource and no state behind", async () => {
    const { stacks } = await local.configure(fleetConfig());
    const outcomes = await destroyStacks(local.context(), stacks);
    expect(failures(outcomes)).toEqual([]);
    for (const regionName of ["us-east-1", "eu-west-1", "ap-southeast-2"]) {
      const clients = regionClients(target, regionName);
      const lbs = await clients.elb.send(new DescribeLoadBalancersCommand({}));
      expect(lbs.LoadBalancerDescriptions ?? []).toEqual([]);
      const nlbs = await clients.elbv2.send(new DescribeLoadBalancersV2Command({}));
      expect(nlbs.LoadBalancers ?? []).toEqual([]);
      const targets = await clients.elbv2.send(new DescribeTargetGroupsCommand({}));
      expect(targets.TargetGroups ?? []).toEqual([]);
      const groups = await clients.autoScaling.send(new DescribeAutoScalingGroupsCommand({}));
      expect(groups.AutoScalingGroups ?? []).toEqual([]);
      const alarms = await clients.cloudWatch.send(
        new DescribeAlarmsCommand({ AlarmTypes: ["MetricAlarm", "CompositeAlarm"] }),
      );
      expect([...(alarms.MetricAlarms ?? []), ...(alarms.CompositeAlarms ?? [])]).toEqual([]);
      const dashboards = await clients.cloudWatch.send(new ListDashboardsCommand({}));
      expect(dashboards.DashboardEntries ?? []).toEqual([]);
      const policies = await clients.autoScaling.send(new DescribePoliciesCommand({}));
      expect(policies.ScalingPolicies ?? []).toEqual([]);
      const sgs = await clients.ec2.send(new DescribeSecurityGroupsCommand({}));
      expect((sgs.SecurityGroups ?? []).map((g) => g.GroupName).filter((n) => n !== "default")).toEqual([]);
      const logGroups = await clients.logs.send(new DescribeLogGroupsCommand({}));
      expect(logGroups.logGroups ?? []).toEqual([]);
      await expect(
        clients.ssm.send(new GetDocumentCommand({ Name: `shop-e2e-${regionName}-session` })),
      ).rejects.toThrow(/InvalidDocument|does not exist/);
    }
    const zones = await regionClients(target, "us-east-1").route53.send(new ListHostedZonesByNameCommand({}));
    expect(zones.HostedZones ?? []).toEqual([]);
    const buckets = await regionClients(target, "us-east-1").s3.send(new ListBucketsCommand({}));
    expect(buckets.Buckets ?? []).toEqual([]);
    expect(localStateFiles(local.dir)).toEqual([]);
    expect(existsSync(join(local.stackDir("shop-e2e-state"), "cloudrim_local_backend_override.tf.json"))).toBe(false);
  });
});
