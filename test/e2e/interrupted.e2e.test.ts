import type { ChildProcess } from "node:child_process";
import { existsSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import { DescribeAutoScalingGroupsCommand } from "@aws-sdk/client-auto-scaling";
import { DescribeLogGroupsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { DescribeLaunchTemplatesCommand, DescribeSecurityGroupsCommand } from "@aws-sdk/client-ec2";
import { DescribeLoadBalancersCommand } from "@aws-sdk/client-elastic-load-balancing";
import { ListRolesCommand } from "@aws-sdk/client-iam";
import { ListHostedZonesByNameCommand, ListResourceRecordSetsCommand } from "@aws-sdk/client-route-53";
import { GetObjectCommand, HeadObjectCommand } from "@aws-sdk/client-s3";
import type { FleetConfig } from "../../fleet/schema";
import { changesOf } from "../../terraform/plan-json";
import { regionClients } from "../../fleet/adapters/aws-clients";
import { planStack } from "../../review/adapters/plan-stacks";
import type { RunResult } from "../../cli/run";
import { destroyStacks } from "../../rollout/adapters/stack-runs";
import { readRolloutRecord } from "../../rollout/adapters/record";
import { pidRunning } from "../../state/adapters/unlock";
import { LocalFleet } from "./local-fleet";
import { regionPlan, smallFleet } from "./shop-fleet";

/*
 * A deploy interrupted the ways CI interrupts one: a runner that dies (SIGKILL to the deploy and its
 * Terraform, mid-apply) and a cancelled job (SIGINT). One small region on its own local AWS (its state bucket and
 * zone made with the AWS SDK), in order: killed during its first deploy and finished; cancelled while it grows;
 * killed during a bake, and judged and baked by the next deploy; killed again, then torn down.
 */
jest.setTimeout(10 * 60_000);

const REGION = "us-west-2";
const STACK = "cut-e2e-us-west-2";
const STATE = "cut-e2e-state";
const STATE_KEY = `cloudrim/cut/e2e/${REGION}.tfstate`;

const cutFleet = (processes: number, overrides: Partial<FleetConfig> = {}): FleetConfig =>
  smallFleet("cut", [{ region: REGION, processes }], overrides);

/** A change of launch template (another instance type) whose new instances are baked long enough to kill the deploy then. */
const BAKED: Partial<FleetConfig> = { instanceType: "t3.small", rollout: { bakeSeconds: 20 } };

function lockExists(local: LocalFleet): Promise<boolean> {
  return regionClients(local.context().target, "us-east-1")
    .s3.send(new HeadObjectCommand({ Bucket: STATE, Key: `${STATE_KEY}.tflock` }))
    .then(
      () => true,
      () => false,
    );
}

/** A deploy started and left running; see deployUntilCreated. */
interface RunningDeploy {
  readonly child: ChildProcess;
  readonly done: Promise<RunResult>;
  /** Resolves once the apply has created what was asked for; rejects if the deploy ends first. */
  readonly applying: Promise<void>;
}

/**
 * `npm run deploy -- <stack>`, started as CI runs it (a process group of its own: a cancelled job signals
 * the group); `applying` resolves once the addresses its apply has created so far satisfy `enough`.
 * Terraform saves a state snapshot every 20 s during an apply, so what a kill loses depends on the
 * machine's speed; with snapshots put off for the deploy's length, a kill loses all the apply created, as
 * it does within the first 20 s.
 */
function deployUntilCreated(
  local: LocalFleet,
  enough: (created: readonly string[]) => boolean,
  what: string,
): RunningDeploy {
  const logs = local.commandLogs;
  const earlier = new Set(existsSync(logs) ? readdirSync(logs) : []);
  const { child, done } = local.startCommand("deploy", ["--outdir", local.outdir, STACK], {
    env: { TF_STATE_PERSIST_INTERVAL: "3600" },
    detached: true,
  });
  const applying = (async () => {
    const deadline = Date.now() + 360_000;
    while (Date.now() < deadline) {
      const runs = existsSync(logs) ? readdirSync(logs).filter((d) => !earlier.has(d)) : [];
      const file = join(logs, runs.sort().at(-1) ?? "-", `${STACK}.deploy.log`);
      const text = existsSync(file) ? readFileSync(file, "utf8") : "";
      const apply = text.slice(text.lastIndexOf("$ terraform apply"));
      const completed = apply.split("\n").flatMap((line) => /^(\S+): Creation complete/.exec(line)?.[1] ?? []);
      if (enough(completed)) return;
      if (child.exitCode !== null || child.signalCode !== null)
        throw new Error(`the deploy ended before it created ${what}: ${(await done).stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error(`the deploy did not create ${what} in 360 s`);
  })();
  return { child, done, applying };
}

/** How many resources a stack's plan in a deploy's log adds, changes and destroys (Terraform's `Plan:` line). */
function plannedChanges(log: string): number {
  const counts = /^Plan: (\d+) to add, (\d+) to change, (\d+) to destroy\./m.exec(log);
  if (counts === null) throw new Error(`no plan in the deploy's log:\n${log.slice(-2000)}`);
  return counts.slice(1).reduce((sum, n) => sum + Number(n), 0);
}

/** The Terraforms working in a directory (what a dead runner leaves running is killed with it). */
function terraformsIn(dir: string): number[] {
  return readdirSync("/proc").flatMap((entry) => {
    if (!/^\d+$/.test(entry)) return [];
    try {
      const cwd = readlinkSync(`/proc/${entry}/cwd`);
      const command = readFileSync(`/proc/${entry}/comm`, "utf8").trim();
      return cwd === dir && command === "terraform" ? [Number(entry)] : [];
    } catch {
      return [];
    }
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A runner that dies: the deploy and every Terraform of the stack, SIGKILLed at once. Resolves once they are
 * gone (a SIGKILLed process exits a moment later, and a loaded machine makes that moment long), as a dead
 * runner is by the time anyone unlocks after it.
 */
async function killRunner(local: LocalFleet, child: ChildProcess): Promise<void> {
  const terraforms = terraformsIn(local.stackDir(STACK));
  process.kill(-(child.pid ?? 0), "SIGKILL");
  for (const pid of terraforms) process.kill(-pid, "SIGKILL");
  for (let i = 0; i < 300 && [child.pid ?? 0, ...terraforms].some(pidRunning); i++) await sleep(100);
}

/** The fleet's rollout lock a killed deploy left behind, released without --force: its holder is gone. */
async function expectRolloutUnlocked(local: LocalFleet): Promise<void> {
  const unlocked = await local.command("unlock", ["--outdir", local.outdir, "rollout"]);
  expect({ code: unlocked.code, stdout: unlocked.stdout }).toMatchObject({ code: 0 });
  expect(unlocked.stdout).toMatch(
    /^rollout: its state is locked by .* \(npm run deploy's rollout of the fleet\) since .*\nrollout: released lock [0-9a-f-]+ \(its holder, npm run deploy pid \d+ on this machine, is no longer running\)/,
  );
}

/** What of the fleet exists in the region, counted or named. */
async function fleetResources(local: LocalFleet) {
  const c = regionClients(local.context().target, REGION);
  const prefix = `${STACK}-`;
  const templates = (await c.ec2.send(new DescribeLaunchTemplatesCommand({}))).LaunchTemplates ?? [];
  const balancers = (await c.elb.send(new DescribeLoadBalancersCommand({}))).LoadBalancerDescriptions ?? [];
  const roles = (await c.iam.send(new ListRolesCommand({}))).Roles ?? [];
  const groups = (await c.ec2.send(new DescribeSecurityGroupsCommand({}))).SecurityGroups ?? [];
  const scaling = (await c.autoScaling.send(new DescribeAutoScalingGroupsCommand({}))).AutoScalingGroups ?? [];
  const logs = (await c.logs.send(new DescribeLogGroupsCommand({}))).logGroups ?? [];
  const zones = await c.route53.send(new ListHostedZonesByNameCommand({ DNSName: "cut.test" }));
  const zone = zones.HostedZones?.find((z) => z.Name === "cut.test.")?.Id;
  const records =
    zone === undefined
      ? []
      : ((await c.route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zone }))).ResourceRecordSets ?? [])
          .filter((r) => r.Type === "A")
          .map((r) => r.Name ?? "");
  return {
    launchTemplates: templates.filter((t) => t.LaunchTemplateName?.startsWith(prefix) === true).length,
    loadBalancers: balancers.map((b) => b.LoadBalancerName).sort(),
    roles: roles.filter((r) => r.RoleName === STACK).length,
    securityGroups: groups
      .map((g) => g.GroupName)
      .filter((n) => n !== "default")
      .sort(),
    autoScalingGroups: scaling.map((g) => g.AutoScalingGroupName),
    logGroups: logs.map((g) => g.logGroupName).sort(),
    records: records.sort(),
  };
}

/** The managed resources the stack's state holds; a state that cannot be read fails the test. */
async function stateAddresses(local: LocalFleet): Promise<string[]> {
  const state = await regionClients(local.context().target, "us-east-1").s3.send(
    new GetObjectCommand({ Bucket: STATE, Key: STATE_KEY }),
  );
  const body = await state.Body?.transformToString();
  if (body === undefined) throw new Error(`s3://${STATE}/${STATE_KEY} has no body`);
  return (JSON.parse(body) as { resources: { mode: string; type: string; name: string }[] }).resources
    .filter((r) => r.mode === "managed")
    .map((r) => `${r.type}.${r.name}`);
}

describe("a deploy interrupted halfway can be finished", () => {
  let local: LocalFleet;

  beforeAll(async () => {
    local = await LocalFleet.start();
    await local.configure(cutFleet(2));
    await local.stateBucketAndZone();
  });
  afterAll(async () => {
    await local.stop();
  });

  it("after a runner died mid-apply: the lock is released as abandoned, and the next deploy adopts every orphan, duplicates nothing, and leaves nothing to plan", async () => {
    // Killed once the instance role and a few more exist: orphans of every kind the next deploy adopts.
    const role = /^aws_iam_role\.instance_role_/;
    const killed = deployUntilCreated(
      local,
      (created) => created.length >= 8 && created.some((address) => role.test(address)),
      "the instance role and 7 more resources",
    );
    await killed.applying;
    await killRunner(local, killed.child);
    await killed.done;
    // What it created is in AWS, not in the state; its lock stays behind.
    expect(await lockExists(local)).toBe(true);
    const orphaned = await fleetResources(local);
    expect(orphaned.roles).toBe(1);

    // The holder was the Terraform the deploy recorded starting in the stack, on this machine, and it runs no
    // more: released without --force.
    const unlocked = await local.command("unlock", ["--outdir", local.outdir, STACK]);
    expect({ code: unlocked.code, stdout: unlocked.stdout }).toMatchObject({ code: 0 });
    expect(unlocked.stdout).toMatch(
      new RegExp(
        `^${STACK}: its state is locked by .* \\(apply, Terraform [\\d.]+\\) since .*\\n${STACK}: released lock [0-9a-f-]+ \\(its holder, Terraform pid \\d+ on this machine, is no longer running\\)`,
      ),
    );
    // The dead deploy held the fleet's rollout lock too, which keeps any other deploy out: released the same way.
    await expectRolloutUnlocked(local);

    const deployed = await local.command("deploy", ["--outdir", local.outdir, STACK]);
    expect({ code: deployed.code, stderr: deployed.stderr.split("\n").slice(-12) }).toMatchObject({ code: 0 });
    const adopted = deployed.stderr.match(/: adopting \S+ \(/g) ?? [];
    expect(adopted.length).toBeGreaterThanOrEqual(orphaned.roles + orphaned.loadBalancers.length);
    expect(deployed.stderr).toMatch(
      new RegExp(
        `deploy: ${STACK}: adopting aws_iam_role\\.instance_role_[0-9A-F]{8} \\(${STACK}\\): in AWS with this fleet's tags, but not in the stack's state`,
      ),
    );
    expect(deployed.stdout).toMatch(new RegExp(`${STACK}: .*Apply complete! Resources: \\d+ imported, `));
    expect(await fleetResources(local)).toEqual({
      launchTemplates: 1,
      loadBalancers: ["cut-e2e-9000", "cut-e2e-9001"],
      roles: 1,
      securityGroups: [`${STACK}-instances`, `${STACK}-lb`],
      autoScalingGroups: [STACK],
      logGroups: [`/aws/events/${STACK}`, `/${STACK}`],
      records: [
        "cut.cut.test.",
        "cut.us-west-2.cut.test.",
        "cut.us-west-2.cut.test.",
        "cut0.e2e.us-west-2.cut.test.",
        "cut1.e2e.us-west-2.cut.test.",
      ],
    });
    const again = await planStack(local.context(), STACK);
    expect(again.status === "planned" ? changesOf(again.plan) : again.error).toEqual([]);
  });
  it("after a cancelled job (SIGINT mid-apply): Terraform stops, saves its state and releases its lock; the next plan holds only what was not created yet", async () => {
    await local.configure(cutFleet(3));
    const cancelled = deployUntilCreated(local, (created) => created.length >= 2, "2 resources");
    await cancelled.applying;
    // What the cancelled deploy planned, from its own plan in its log.
    const planned = plannedChanges(local.latestCommandLog(`${STACK}.deploy.log`));
    expect(planned).toBeGreaterThan(6);
    process.kill(-(cancelled.child.pid ?? 0), "SIGINT");
    const { code, stderr } = await cancelled.done;
    expect({ code, stderr: stderr.split("\n").slice(-6) }).toMatchObject({ code: 130 });
    expect(stderr).toContain(`deploy: SIGINT: stopping ${STACK}: each Terraform finishes the resource it is on`);
    expect(stderr).toMatch(
      new RegExp(
        `deploy: interrupted by SIGINT; stopped: ${STACK} \\(state saved, lock released\\)\\. Run the same deploy again`,
      ),
    );
    expect(await lockExists(local)).toBe(false);
    const after = await planStack(local.context(), STACK);
    const remaining = after.status === "planned" ? changesOf(after.plan).length : -1;
    expect(remaining).toBeGreaterThan(0);
    expect(remaining).toBeLessThan(planned);
  });

  it("after a runner died during the bake: the next deploy, with nothing to apply, judges and bakes the version it left", async () => {
    await local.configure(cutFleet(3, BAKED));
    let bakingStarted: () => void = () => undefined;
    const baking = new Promise<void>((resolve) => {
      bakingStarted = resolve;
    });
    const killed = local.startCommand("deploy", ["--outdir", local.outdir, STACK], {
      detached: true,
      onLine: (line) => {
        if (line.includes(`${STACK}: baking 20 s`)) bakingStarted();
      },
    });
    const ended = await Promise.race([baking.then(() => undefined), killed.done]);
    // Still running, in its bake (else what it said).
    expect(ended?.stderr.split("\n").slice(-15)).toBeUndefined();
    await killRunner(local, killed.child);
    const { stderr: cut } = await killed.done;
    expect(cut).toMatch(new RegExp(`${STACK}: instance refresh \\w+ started: .* to launch template version (\\d+)`));
    const version = new RegExp(`to launch template version (\\d+)`).exec(cut)?.[1];
    await expectRolloutUnlocked(local);

    const next = await local.command("deploy", ["--outdir", local.outdir, STACK]);
    expect({ code: next.code, stderr: next.stderr.split("\n").slice(-12) }).toMatchObject({ code: 0 });
    expect(next.stderr).toMatch(
      new RegExp(
        `${STACK}: no changes, but launch template version ${version ?? "?"} has not passed its bake here \\((the last baked is version \\d+|no bake recorded)\\): judging and baking it`,
      ),
    );
    expect(next.stderr).toMatch(new RegExp(`${STACK}: baked 20 s: no alarm in ALARM`));
    // Once baked, it is recorded where the next deploy reads it (which then has nothing to judge: the machine's
    // tests), as the version the group runs.
    const record = await readRolloutRecord(local.context().target, regionPlan(local.context().shape, REGION));
    expect(record.baked?.version).toBe(version);
    expect(record.rejected).toEqual([]);
  });

  it("tears down the region, what a killed deploy created and never recorded included", async () => {
    // One more port, cut short by a dead runner once its load balancer exists: created, never recorded.
    await local.configure(cutFleet(4, BAKED));
    const killed = deployUntilCreated(
      local,
      (created) => created.some((address) => address.startsWith("aws_elb.")),
      "a load balancer",
    );
    await killed.applying;
    await killRunner(local, killed.child);
    await killed.done;
    const recorded = await stateAddresses(local);
    const unlocked = await local.command("unlock", ["--outdir", local.outdir, STACK]);
    expect({ code: unlocked.code, stdout: unlocked.stdout }).toMatchObject({ code: 0 });
    await expectRolloutUnlocked(local);

    const progress: string[] = [];
    const { stacks } = await local.configure(cutFleet(4, BAKED));
    // The region's stack: the state bucket and the zone are not this scenario's (deployed-fleet destroys them).
    const outcomes = await destroyStacks(
      local.context((line) => progress.push(line)),
      stacks.filter((s) => s.name === STACK),
    );
    expect(outcomes.filter((o) => o.status !== "succeeded")).toEqual([]);
    // Something was adopted before the destroy, beyond what the state recorded.
    const adoptedLines = progress.filter((l) => l.startsWith(`${STACK}: adopting `));
    expect(adoptedLines).toContainEqual(expect.stringMatching(new RegExp(`^${STACK}: adopting aws_elb\\.`)));
    for (const line of adoptedLines) expect(recorded).not.toContain(/adopting (\S+) /.exec(line)?.[1]);
    expect(await fleetResources(local)).toEqual({
      launchTemplates: 0,
      loadBalancers: [],
      roles: 0,
      securityGroups: [],
      autoScalingGroups: [],
      logGroups: [],
      records: [],
    });
  });
});
