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
import type { FleetConfig } from "../../lib/config";
import type { RunResult } from "../../ops/run";
import { regionClients } from "../../ops/aws-clients";
import { LocalFleet } from "./local-fleet";

/*
 * A deploy interrupted the ways CI interrupts one: a runner that dies (SIGKILL to the deploy and its
 * Terraform, mid-apply) and a cancelled job (SIGINT). One small region on its own local AWS; what the
 * interrupted scenarios share.
 */

export const REGION = "us-west-2";
export const STACK = "cut-e2e-us-west-2";
export const STATE = "cut-e2e-state";
export const STATE_KEY = `cloudrim/cut/e2e/${REGION}.tfstate`;

export const cutFleet = (processes: number): FleetConfig => ({
  service: "cut",
  deployment: "e2e",
  domain: "cut.test",
  instanceType: "t3.micro",
  capacity: { min: 1, desired: 1, max: 2 },
  allowedCidrs: ["10.0.0.0/8"],
  state: { bucket: STATE, region: "us-east-1" },
  healthCheck: { interval: 5, healthyThreshold: 2 },
  healthCheckGracePeriod: 10,
  rollout: { bakeSeconds: 0 },
  regions: [{ region: REGION, processes }],
});

/** A private local AWS with the fleet's state bucket and zone deployed, and its region not yet. */
export async function startCutFleet(processes: number): Promise<LocalFleet> {
  const local = await LocalFleet.start();
  await local.configure(cutFleet(processes));
  await local.deploy(["cut-e2e-state", "cut-e2e-dns"]);
  return local;
}

export function lockExists(local: LocalFleet): Promise<boolean> {
  return regionClients(local.context().target, "us-east-1")
    .s3.send(new HeadObjectCommand({ Bucket: STATE, Key: `${STATE_KEY}.tflock` }))
    .then(
      () => true,
      () => false,
    );
}

/** A deploy started and left running; see deployUntilCreated. */
export interface RunningDeploy {
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
export function deployUntilCreated(
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

/** A runner that dies: the deploy and every Terraform of the stack, SIGKILLed at once. */
export function killRunner(local: LocalFleet, child: ChildProcess): void {
  process.kill(-(child.pid ?? 0), "SIGKILL");
  for (const pid of terraformsIn(local.stackDir(STACK))) process.kill(-pid, "SIGKILL");
}

/** What of the fleet exists in the region, counted or named. */
export async function fleetResources(local: LocalFleet) {
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
export async function stateAddresses(local: LocalFleet): Promise<string[]> {
  const state = await regionClients(local.context().target, "us-east-1").s3.send(
    new GetObjectCommand({ Bucket: STATE, Key: STATE_KEY }),
  );
  const body = await state.Body?.transformToString();
  if (body === undefined) throw new Error(`s3://${STATE}/${STATE_KEY} has no body`);
  return (JSON.parse(body) as { resources: { mode: string; type: string; name: string }[] }).resources
    .filter((r) => r.mode === "managed")
    .map((r) => `${r.type}.${r.name}`);
}
