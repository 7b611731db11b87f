import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  AutoScalingClient,
  CancelInstanceRefreshCommand,
  CreateAutoScalingGroupCommand,
  DescribeAutoScalingGroupsCommand,
  DescribeInstanceRefreshesCommand,
  RollbackInstanceRefreshCommand,
  SetInstanceHealthCommand,
  StartInstanceRefreshCommand,
  UpdateAutoScalingGroupCommand,
  type AutoScalingGroup,
  type InstanceRefresh,
  type RefreshPreferences,
} from "@aws-sdk/client-auto-scaling";
import { CloudWatchClient, PutMetricAlarmCommand, SetAlarmStateCommand } from "@aws-sdk/client-cloudwatch";
import {
  CreateLaunchTemplateCommand,
  CreateLaunchTemplateVersionCommand,
  DescribeInstanceAttributeCommand,
  EC2Client,
} from "@aws-sdk/client-ec2";
import {
  CreateLoadBalancerCommand,
  DescribeLoadBalancersCommand,
  ElasticLoadBalancingClient,
} from "@aws-sdk/client-elastic-load-balancing";
import { startMoto } from "../../local-aws/adapters/emulator";
import { freePort } from "./local-fleet";

// The local AWS's instance refresh (local-aws/fixes/refresh_*.py) runs in real time: every refresh
// here uses a warmup of 1-3 s.
jest.setTimeout(60_000);

const REGION = "us-east-1";
const ZONE = "us-east-1a";
const IMAGE = "ami-12c6146b";

let dir: string;
let moto: ChildProcess | undefined;
let autoScaling: AutoScalingClient;
let ec2: EC2Client;
let cloudWatch: CloudWatchClient;
let elb: ElasticLoadBalancingClient;
const clients: { destroy(): void }[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "cloudrim-refresh-"));
  const endpoint = `http://127.0.0.1:${await freePort()}`;
  moto = await startMoto(endpoint, join(dir, "moto.log"), false);
  const config = { region: REGION, endpoint, credentials: { accessKeyId: "test", secretAccessKey: "test" } };
  autoScaling = new AutoScalingClient(config);
  ec2 = new EC2Client(config);
  cloudWatch = new CloudWatchClient(config);
  elb = new ElasticLoadBalancingClient(config);
  clients.push(autoScaling, ec2, cloudWatch, elb);
});

afterAll(async () => {
  // Also after a failed start: then there are no clients and maybe no moto.
  for (const client of clients) client.destroy();
  const running = moto;
  if (running !== undefined && running.exitCode === null && running.signalCode === null) {
    await new Promise<void>((resolve) => {
      running.once("exit", () => {
        resolve();
      });
      running.kill("SIGTERM");
    });
  }
  rmSync(dir, { recursive: true, force: true });
});

const base64 = (text: string): string => Buffer.from(text).toString("base64");
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function present<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`${what} is missing`);
  return value;
}

let fleets = 0;

/** A group of 2 on version 1 of its launch template, which has a version 2 with other user data. */
interface Fleet {
  readonly group: string;
  readonly templateId: string;
  readonly alarm: string;
  readonly loadBalancer: string;
  readonly userData: { readonly v1: string; readonly v2: string };
}

async function fleetOnVersion1(): Promise<Fleet> {
  fleets += 1;
  const name = `refresh-${fleets}`;
  const userData = { v1: `#!/bin/sh\necho ${name} v1\n`, v2: `#!/bin/sh\necho ${name} v2\n` };
  const template = await ec2.send(
    new CreateLaunchTemplateCommand({
      LaunchTemplateName: name,
      LaunchTemplateData: { ImageId: IMAGE, InstanceType: "t3.micro", UserData: base64(userData.v1) },
    }),
  );
  const templateId = present(template.LaunchTemplate?.LaunchTemplateId, "launch template ID");
  await cloudWatch.send(
    new PutMetricAlarmCommand({
      AlarmName: `${name}-errors`,
      Namespace: "Cloudrim/Test",
      MetricName: "Errors",
      Statistic: "Sum",
      Period: 60,
      EvaluationPeriods: 1,
      Threshold: 1,
      ComparisonOperator: "GreaterThanOrEqualToThreshold",
    }),
  );
  await elb.send(
    new CreateLoadBalancerCommand({
      LoadBalancerName: name,
      Listeners: [{ Protocol: "HTTP", LoadBalancerPort: 80, InstancePort: 8080 }],
      AvailabilityZones: [ZONE],
    }),
  );
  await autoScaling.send(
    new CreateAutoScalingGroupCommand({
      AutoScalingGroupName: name,
      LaunchTemplate: { LaunchTemplateId: templateId, Version: "1" },
      MinSize: 2,
      MaxSize: 4,
      DesiredCapacity: 2,
      AvailabilityZones: [ZONE],
      LoadBalancerNames: [name],
    }),
  );
  await ec2.send(
    new CreateLaunchTemplateVersionCommand({
      LaunchTemplateId: templateId,
      LaunchTemplateData: { ImageId: IMAGE, InstanceType: "t3.micro", UserData: base64(userData.v2) },
    }),
  );
  return { group: name, templateId, alarm: `${name}-errors`, loadBalancer: name, userData };
}

async function describeGroup(name: string): Promise<AutoScalingGroup> {
  const { AutoScalingGroups } = await autoScaling.send(
    new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }),
  );
  return present(AutoScalingGroups?.[0], `group ${name}`);
}

/** The group's instances: ID, lifecycle state and the template version each was launched from. */
async function instancesOf(name: string): Promise<{ id: string; state: string; version: string }[]> {
  const group = await describeGroup(name);
  return (group.Instances ?? []).map((instance) => ({
    id: present(instance.InstanceId, "instance ID"),
    state: present(instance.LifecycleState, "lifecycle state"),
    version: present(instance.LaunchTemplate?.Version, "instance launch template version"),
  }));
}

async function userDataOf(instanceId: string): Promise<string> {
  const { UserData } = await ec2.send(
    new DescribeInstanceAttributeCommand({ InstanceId: instanceId, Attribute: "userData" }),
  );
  return Buffer.from(present(UserData?.Value, `user data of ${instanceId}`), "base64").toString();
}

async function describeRefresh(group: string, id: string): Promise<InstanceRefresh> {
  const { InstanceRefreshes } = await autoScaling.send(
    new DescribeInstanceRefreshesCommand({ AutoScalingGroupName: group, InstanceRefreshIds: [id] }),
  );
  return present(InstanceRefreshes?.[0], `instance refresh ${id}`);
}

const ACTIVE = new Set(["Pending", "InProgress", "Cancelling", "RollbackInProgress", "Baking"]);

/** Polls the refresh until it ends, calling `watch` between polls. */
async function refreshEnd(group: string, id: string, watch: () => Promise<void> = () => Promise.resolve()) {
  const deadline = Date.now() + 30_000;
  const statuses: string[] = [];
  for (;;) {
    const refresh = await describeRefresh(group, id);
    const status = present(refresh.Status, "refresh status");
    if (statuses.at(-1) !== status) statuses.push(status);
    if (!ACTIVE.has(status)) return { refresh, statuses };
    if (Date.now() > deadline) throw new Error(`refresh ${id} still ${status} after 30 s`);
    await watch();
    await sleep(100);
  }
}

/** Waits until the refresh has launched a batch: more instances than the group's desired 2. */
async function firstBatchLaunched(group: string): Promise<string[]> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const instances = await instancesOf(group);
    if (instances.length > 2) return instances.filter((i) => i.version === "2").map((i) => i.id);
    if (Date.now() > deadline) throw new Error(`no new instances in ${group} after 10 s`);
    await sleep(50);
  }
}

async function start(fleet: Fleet, preferences: RefreshPreferences, version = "2"): Promise<string> {
  const { InstanceRefreshId } = await autoScaling.send(
    new StartInstanceRefreshCommand({
      AutoScalingGroupName: fleet.group,
      Strategy: "Rolling",
      DesiredConfiguration: { LaunchTemplate: { LaunchTemplateId: fleet.templateId, Version: version } },
      Preferences: preferences,
    }),
  );
  return present(InstanceRefreshId, "instance refresh ID");
}

const launchBeforeTerminate = (warmup: number): RefreshPreferences => ({
  MinHealthyPercentage: 100,
  MaxHealthyPercentage: 200,
  InstanceWarmup: warmup,
});

async function alarm(fleet: Fleet): Promise<void> {
  await cloudWatch.send(
    new SetAlarmStateCommand({ AlarmName: fleet.alarm, StateValue: "ALARM", StateReason: "errors during the rollout" }),
  );
}

/** Every instance is InService, was launched from `version` and runs that version's user data. */
async function expectAllOn(fleet: Fleet, version: "1" | "2"): Promise<string[]> {
  const instances = await instancesOf(fleet.group);
  expect(instances).toHaveLength(2);
  for (const instance of instances) {
    expect(instance).toMatchObject({ state: "InService", version });
    expect(await userDataOf(instance.id)).toBe(version === "1" ? fleet.userData.v1 : fleet.userData.v2);
  }
  return instances.map((i) => i.id);
}

describe("the local AWS's launch templates", () => {
  it("launch a group from a version 2 that has user data (moto's CreateLaunchTemplateVersion skips parsing it)", async () => {
    const fleet = await fleetOnVersion1();
    const name = `${fleet.group}-latest`;
    await autoScaling.send(
      new CreateAutoScalingGroupCommand({
        AutoScalingGroupName: name,
        LaunchTemplate: { LaunchTemplateId: fleet.templateId, Version: "$Latest" },
        MinSize: 2,
        MaxSize: 2,
        DesiredCapacity: 2,
        AvailabilityZones: [ZONE],
      }),
    );
    const instances = await instancesOf(name);
    expect(instances.map((i) => i.version)).toEqual(["2", "2"]);
    for (const instance of instances) expect(await userDataOf(instance.id)).toBe(fleet.userData.v2);
  });
});

describe("the local AWS's instance refresh", () => {
  it("with min 100 % / max 200 %, launches new instances before it terminates old ones and ends Successful on version 2", async () => {
    const fleet = await fleetOnVersion1();
    const before = await expectAllOn(fleet, "1");
    const id = await start(fleet, launchBeforeTerminate(1));

    let fewestInService = Number.POSITIVE_INFINITY;
    let most = 0;
    const { refresh, statuses } = await refreshEnd(fleet.group, id, async () => {
      const instances = await instancesOf(fleet.group);
      fewestInService = Math.min(fewestInService, instances.filter((i) => i.state === "InService").length);
      most = Math.max(most, instances.length);
    });

    expect(statuses).toContain("InProgress");
    expect(refresh).toMatchObject({
      Status: "Successful",
      PercentageComplete: 100,
      InstancesToUpdate: 0,
      Preferences: expect.objectContaining({ MinHealthyPercentage: 100, MaxHealthyPercentage: 200, InstanceWarmup: 1 }),
      DesiredConfiguration: { LaunchTemplate: { LaunchTemplateId: fleet.templateId, Version: "2" } },
    });
    expect(refresh.EndTime).toBeInstanceOf(Date);
    expect(fewestInService).toBeGreaterThanOrEqual(2);
    expect(most).toBe(4); // the whole new batch ran beside the old instances
    const after = await expectAllOn(fleet, "2");
    expect(after.filter((instanceId) => before.includes(instanceId))).toEqual([]);
    const group = await describeGroup(fleet.group);
    expect(group.DesiredCapacity).toBe(2);
    // As on AWS, a successful refresh leaves the group on its desired configuration.
    expect(group.LaunchTemplate?.Version).toBe("2");
    // The group's classic load balancer serves the new instances only.
    const { LoadBalancerDescriptions } = await elb.send(
      new DescribeLoadBalancersCommand({ LoadBalancerNames: [fleet.loadBalancer] }),
    );
    const registered = (LoadBalancerDescriptions?.[0]?.Instances ?? []).map((i) => i.InstanceId);
    expect(registered.sort()).toEqual([...after].sort());
  });

  it("with SkipMatching, replaces nothing when every instance already runs the desired configuration", async () => {
    const fleet = await fleetOnVersion1();
    const before = await expectAllOn(fleet, "1");
    const id = await start(fleet, { ...launchBeforeTerminate(1), SkipMatching: true }, "1");
    const { refresh } = await refreshEnd(fleet.group, id);
    expect(refresh).toMatchObject({ Status: "Successful", PercentageComplete: 100, InstancesToUpdate: 0 });
    expect(await expectAllOn(fleet, "1")).toEqual(before);
  });

  it("fails when an alarm of its AlarmSpecification goes to ALARM during the warmup, naming the alarm", async () => {
    const fleet = await fleetOnVersion1();
    const id = await start(fleet, { ...launchBeforeTerminate(3), AlarmSpecification: { Alarms: [fleet.alarm] } });
    await firstBatchLaunched(fleet.group);
    await alarm(fleet);
    const { refresh } = await refreshEnd(fleet.group, id);
    expect(refresh.Status).toBe("Failed");
    expect(refresh.StatusReason).toContain(fleet.alarm);
    expect(refresh.RollbackDetails).toBeUndefined();
    expect((await describeGroup(fleet.group)).DesiredCapacity).toBe(2);
  });

  it("with AutoRollback, rolls back to the configuration the group had when it started when an alarm fires", async () => {
    const fleet = await fleetOnVersion1();
    const id = await start(fleet, {
      ...launchBeforeTerminate(2),
      AutoRollback: true,
      AlarmSpecification: { Alarms: [fleet.alarm] },
    });
    const launched = await firstBatchLaunched(fleet.group);
    await alarm(fleet);
    const { refresh, statuses } = await refreshEnd(fleet.group, id);
    expect(statuses).toContain("RollbackInProgress");
    expect(refresh.Status).toBe("RollbackSuccessful");
    expect(refresh.RollbackDetails?.RollbackReason).toContain(fleet.alarm);
    expect(refresh.RollbackDetails?.RollbackStartTime).toBeInstanceOf(Date);
    const after = await expectAllOn(fleet, "1");
    expect(after.filter((instanceId) => launched.includes(instanceId))).toEqual([]);
    const group = await describeGroup(fleet.group);
    expect(group).toMatchObject({ DesiredCapacity: 2, LaunchTemplate: expect.objectContaining({ Version: "1" }) });
  });

  it("fails when an instance it launched is set Unhealthy, naming the instance", async () => {
    const fleet = await fleetOnVersion1();
    const id = await start(fleet, launchBeforeTerminate(3));
    const [sick] = await firstBatchLaunched(fleet.group);
    const instanceId = present(sick, "a new instance");
    await autoScaling.send(new SetInstanceHealthCommand({ InstanceId: instanceId, HealthStatus: "Unhealthy" }));
    const { refresh } = await refreshEnd(fleet.group, id);
    expect(refresh.Status).toBe("Failed");
    expect(refresh.StatusReason).toContain(instanceId);
  });

  it("refuses a second StartInstanceRefresh while one is active (InstanceRefreshInProgress)", async () => {
    const fleet = await fleetOnVersion1();
    const id = await start(fleet, launchBeforeTerminate(2));
    await expect(start(fleet, launchBeforeTerminate(2))).rejects.toMatchObject({
      name: "InstanceRefreshInProgressFault",
    });
    await autoScaling.send(new CancelInstanceRefreshCommand({ AutoScalingGroupName: fleet.group }));
    await refreshEnd(fleet.group, id);
  });

  it("is cancelled by CancelInstanceRefresh (Cancelling, then Cancelled), keeping what it replaced", async () => {
    const fleet = await fleetOnVersion1();
    const id = await start(fleet, launchBeforeTerminate(3));
    await firstBatchLaunched(fleet.group);
    const { InstanceRefreshId } = await autoScaling.send(
      new CancelInstanceRefreshCommand({ AutoScalingGroupName: fleet.group }),
    );
    expect(InstanceRefreshId).toBe(id);
    expect((await describeRefresh(fleet.group, id)).Status).toBe("Cancelling");
    const { refresh } = await refreshEnd(fleet.group, id);
    expect(refresh.Status).toBe("Cancelled");
    await expectAllOn(fleet, "2");
  });

  it("is rolled back by RollbackInstanceRefresh to the configuration the group had when it started", async () => {
    const fleet = await fleetOnVersion1();
    const id = await start(fleet, launchBeforeTerminate(2));
    await firstBatchLaunched(fleet.group);
    const { InstanceRefreshId } = await autoScaling.send(
      new RollbackInstanceRefreshCommand({ AutoScalingGroupName: fleet.group }),
    );
    expect(InstanceRefreshId).toBe(id);
    const { refresh } = await refreshEnd(fleet.group, id);
    expect(refresh.Status).toBe("RollbackSuccessful");
    await expectAllOn(fleet, "1");
  });

  it("answers CancelInstanceRefresh and RollbackInstanceRefresh with ActiveInstanceRefreshNotFound when none is active", async () => {
    const fleet = await fleetOnVersion1();
    await expect(
      autoScaling.send(new CancelInstanceRefreshCommand({ AutoScalingGroupName: fleet.group })),
    ).rejects.toMatchObject({ name: "ActiveInstanceRefreshNotFoundFault" });
    await expect(
      autoScaling.send(new RollbackInstanceRefreshCommand({ AutoScalingGroupName: fleet.group })),
    ).rejects.toMatchObject({ name: "ActiveInstanceRefreshNotFoundFault" });
  });

  it("can't roll back a refresh started without a DesiredConfiguration (IrreversibleInstanceRefresh)", async () => {
    const fleet = await fleetOnVersion1();
    const { InstanceRefreshId } = await autoScaling.send(
      new StartInstanceRefreshCommand({ AutoScalingGroupName: fleet.group, Preferences: launchBeforeTerminate(2) }),
    );
    const id = present(InstanceRefreshId, "instance refresh ID");
    await expect(
      autoScaling.send(new RollbackInstanceRefreshCommand({ AutoScalingGroupName: fleet.group })),
    ).rejects.toMatchObject({ name: "IrreversibleInstanceRefreshFault" });
    await autoScaling.send(new CancelInstanceRefreshCommand({ AutoScalingGroupName: fleet.group }));
    await refreshEnd(fleet.group, id);
  });

  it("refuses preferences AWS refuses, with a ValidationError", async () => {
    const fleet = await fleetOnVersion1();
    await expect(
      autoScaling.send(
        new StartInstanceRefreshCommand({ AutoScalingGroupName: fleet.group, Preferences: { AutoRollback: true } }),
      ),
    ).rejects.toMatchObject({
      name: "ValidationError",
      message: expect.stringContaining(
        "The AutoRollback parameter cannot be set to true when the DesiredConfiguration parameter is empty.",
      ),
    });
    await expect(
      start(fleet, { MinHealthyPercentage: 100, MaxHealthyPercentage: 100, InstanceWarmup: 1 }),
    ).rejects.toMatchObject({ name: "ValidationError" });
    // A rollback needs a numbered version on the group to go back to.
    await autoScaling.send(
      new UpdateAutoScalingGroupCommand({
        AutoScalingGroupName: fleet.group,
        LaunchTemplate: { LaunchTemplateId: fleet.templateId, Version: "$Latest" },
      }),
    );
    await expect(start(fleet, { ...launchBeforeTerminate(1), AutoRollback: true })).rejects.toMatchObject({
      name: "ValidationError",
    });
  });

  it("refuses to change the group's launch template while a refresh with a DesiredConfiguration is active", async () => {
    const fleet = await fleetOnVersion1();
    const id = await start(fleet, launchBeforeTerminate(2));
    await expect(
      autoScaling.send(
        new UpdateAutoScalingGroupCommand({
          AutoScalingGroupName: fleet.group,
          LaunchTemplate: { LaunchTemplateId: fleet.templateId, Version: "2" },
        }),
      ),
    ).rejects.toMatchObject({
      name: "ValidationError",
      message: expect.stringContaining("An active instance refresh with a desired configuration exists."),
    });
    await autoScaling.send(new CancelInstanceRefreshCommand({ AutoScalingGroupName: fleet.group }));
    await refreshEnd(fleet.group, id);
  });

  it("can't restore version 1 after the Terraform provider's sequence: UpdateAutoScalingGroup to version 2, then a refresh with AutoRollback", async () => {
    // hashicorp/aws 5.100 saves the new launch template on the group, then starts the refresh with it as
    // the DesiredConfiguration (terraform-provider-aws issue #34189). The configuration the group had when
    // the refresh started is already version 2, so AWS's rollback "restores" version 2.
    const fleet = await fleetOnVersion1();
    await autoScaling.send(
      new UpdateAutoScalingGroupCommand({
        AutoScalingGroupName: fleet.group,
        LaunchTemplate: { LaunchTemplateId: fleet.templateId, Version: "2" },
      }),
    );
    const id = await start(fleet, {
      ...launchBeforeTerminate(2),
      AutoRollback: true,
      AlarmSpecification: { Alarms: [fleet.alarm] },
    });
    await firstBatchLaunched(fleet.group);
    await alarm(fleet);
    const { refresh } = await refreshEnd(fleet.group, id);
    expect(refresh.Status).toBe("RollbackSuccessful");
    expect(refresh.RollbackDetails?.RollbackReason).toContain(fleet.alarm);
    await expectAllOn(fleet, "2");
  });
});

describe("the local AWS's Auto Scaling groups", () => {
  it("keep the InstanceMaintenancePolicy they were given, and drop it when both values are -1, as AWS does", async () => {
    const fleet = await fleetOnVersion1();
    const policy = { MinHealthyPercentage: 100, MaxHealthyPercentage: 200 };
    await autoScaling.send(
      new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: fleet.group, InstanceMaintenancePolicy: policy }),
    );
    expect((await describeGroup(fleet.group)).InstanceMaintenancePolicy).toEqual(policy);
    await autoScaling.send(
      new UpdateAutoScalingGroupCommand({
        AutoScalingGroupName: fleet.group,
        InstanceMaintenancePolicy: { MinHealthyPercentage: -1, MaxHealthyPercentage: -1 },
      }),
    );
    expect((await describeGroup(fleet.group)).InstanceMaintenancePolicy).toBeUndefined();
  });

  it("keep an instance set Unhealthy until they replace it, a few seconds later, from their own version", async () => {
    const fleet = await fleetOnVersion1();
    const [sick] = await instancesOf(fleet.group);
    const sickId = present(sick, "an instance").id;
    await autoScaling.send(new SetInstanceHealthCommand({ InstanceId: sickId, HealthStatus: "Unhealthy" }));
    const health = async () =>
      new Map((await describeGroup(fleet.group)).Instances?.map((i) => [i.InstanceId, i.HealthStatus]));
    expect((await health()).get(sickId)).toBe("Unhealthy");
    const deadline = Date.now() + 20_000;
    while ((await health()).has(sickId) && Date.now() < deadline) await sleep(250);
    expect([...(await health()).values()]).toEqual(["Healthy", "Healthy"]);
    const after = await expectAllOn(fleet, "1");
    expect(after).not.toContain(sickId);
  });
});
