import {
  bakeLine,
  judgeBakeSample,
  judgeInstances,
  judgeRefresh,
  refreshLine,
  rollbackAction,
  startedRefresh,
  type AlarmObservation,
  type InstanceObservation,
  type PortHealthObservation,
  type RefreshObservation,
} from "../../rollout/verdicts";
import { defaultWaves, MEMORY_PER_REGION_BYTES, parallelism, waveLine, waveOf } from "../../rollout/waves";
import { shapeOrThrow } from "../../fleet/validate";
import { baseFleet, DEFAULT_APP, recordedRefresh as recorded } from "../fixtures";
import answers from "../aws-answers/describe-instance-refreshes.json";

describe("waves", () => {
  it("default to the first region alone, then all the others; one region is one wave", () => {
    expect(defaultWaves(["us-east-1", "eu-west-1", "ap-southeast-2"])).toEqual([
      ["us-east-1"],
      ["eu-west-1", "ap-southeast-2"],
    ]);
    expect(defaultWaves(["us-east-1"])).toEqual([["us-east-1"]]);
    expect(defaultWaves([])).toEqual([]);
  });

  it("are found from the stacks a deploy runs together, and described with their bake", () => {
    const plan = shapeOrThrow(
      baseFleet({ regions: [{ region: "us-east-1" }, { region: "eu-west-1" }, { region: "us-west-2" }] }),
      DEFAULT_APP,
    ).rollout;
    const second = waveOf(plan, ["cloudrim-prod-us-west-2"]);
    expect(second?.number).toBe(2);
    expect(waveOf(plan, ["cloudrim-prod-state"])).toBeUndefined();
    expect(waveOf(plan, [])).toBeUndefined();
    expect(second === undefined ? "" : waveLine(plan, second)).toBe("wave 2 of 2: eu-west-1, us-west-2 (bake 600 s)");
  });
});

describe("how many regions run at once", () => {
  it("is --parallelism, else rollout.maxParallel, else what free memory holds at 640 MiB each, at least 1", () => {
    const freeMemoryBytes = 5 * MEMORY_PER_REGION_BYTES + 1;
    expect(parallelism({ override: 2, configured: 3, freeMemoryBytes })).toBe(2);
    expect(parallelism({ configured: 3, freeMemoryBytes })).toBe(3);
    expect(parallelism({ freeMemoryBytes })).toBe(5);
    expect(parallelism({ freeMemoryBytes: 100 * 1024 * 1024 })).toBe(1);
  });
});

describe("the refresh an apply started", () => {
  const at = new Date("2026-12-01T10:00:00Z");
  const refresh = (id: string, startTime: string): RefreshObservation => ({
    id,
    status: "InProgress",
    startTime: new Date(startTime),
  });

  it("is the new one that started after the apply did", () => {
    const old = refresh("old", "2026-11-30T09:00:00Z");
    const ours = refresh("ours", "2026-12-01T10:00:05Z");
    expect(startedRefresh([old], [ours, old], at)?.id).toBe("ours");
  });

  it("is none when the apply started none, even if an old one is still listed", () => {
    const old = refresh("old", "2026-12-01T09:59:00Z");
    expect(startedRefresh([old], [old], at)).toBeUndefined();
    expect(startedRefresh([], [], at)).toBeUndefined();
  });

  it("is none when a refresh the deploy did not see before started long before the apply (someone else's)", () => {
    expect(startedRefresh([], [refresh("theirs", "2026-12-01T09:30:00Z")], at)).toBeUndefined();
  });
});

describe("judging a refresh from what DescribeInstanceRefreshes answered", () => {
  it("waits while it is pending, in progress, baking, cancelling or rolling back", () => {
    for (const name of ["started", "inProgress", "rollbackInProgress"] as const) {
      expect(judgeRefresh(recorded(name))).toEqual({ kind: "running" });
    }
    for (const status of ["Pending", "Baking", "Cancelling"] as const) {
      expect(judgeRefresh({ id: "r", status })).toEqual({ kind: "running" });
    }
  });

  it("passes only a successful one", () => {
    expect(judgeRefresh(recorded("successful"))).toEqual({ kind: "succeeded" });
  });

  it("fails a failed, cancelled or rolled-back one, naming its status and AWS's reason", () => {
    expect(judgeRefresh(recorded("failedOnAlarm"))).toEqual({
      kind: "failed",
      why: "instance refresh 2df5467f ended Failed: The instance refresh failed because CloudWatch alarm api-prod-us-east-1-2-unhealthy-hosts-9000 is in the ALARM state.",
    });
    expect(judgeRefresh(recorded("cancelled"))).toEqual({
      kind: "failed",
      why: "instance refresh 737a7104 ended Cancelled",
    });
    expect(judgeRefresh(recorded("rollbackSuccessful"))).toEqual({
      kind: "failed",
      why: "instance refresh 9b64385c ended RollbackSuccessful: Rollback initiated by the user (RollbackInstanceRefresh).",
    });
    expect(judgeRefresh({ id: "r", status: "RollbackFailed" })).toEqual({
      kind: "failed",
      why: "instance refresh r ended RollbackFailed",
    });
  });

  it("prints its progress as AWS reports it", () => {
    expect(refreshLine(recorded("started"))).toBe("refresh c427d764: InProgress, 0% complete, 2 instances to update");
    expect(refreshLine(recorded("inProgress"))).toBe(
      "refresh c427d764: InProgress, 50% complete, 1 instance to update",
    );
    expect(refreshLine({ id: "9a0d5e77-0000", status: "Pending" })).toBe("refresh 9a0d5e77: Pending");
  });

  it("reads AWS's start and end times", () => {
    const done = recorded("successful");
    expect(done.startTime?.toISOString()).toBe(answers.successful.InstanceRefreshes[0]?.StartTime);
    expect(done.endTime).toBeInstanceOf(Date);
  });
});

describe("judging the new instances on their own health", () => {
  const instance = (id: string, version: string, healthStatus = "Healthy", lifecycleState = "InService") =>
    ({ id, launchTemplateVersion: version, healthStatus, lifecycleState }) satisfies InstanceObservation;
  const healthy = (ids: readonly string[], ports: readonly number[], state = "InService") =>
    ids.flatMap((instanceId) => ports.map((port): PortHealthObservation => ({ port, instanceId, state })));
  const ports = [9000, 9001];

  it("are healthy when every new instance is in service for its group and on every port", () => {
    const instances = [instance("i-new1", "4"), instance("i-new2", "4"), instance("i-old", "3", "Unhealthy")];
    expect(judgeInstances("4", instances, healthy(["i-new1", "i-new2"], ports), ports)).toEqual({
      kind: "healthy",
      instances: 2,
      ports: 2,
    });
  });

  it("are unhealthy when one new instance is out of service on one port, even while old ones keep every alarm OK", () => {
    const health = [
      ...healthy(["i-new1"], ports),
      { port: 9000, instanceId: "i-new2", state: "InService" },
      {
        port: 9001,
        instanceId: "i-new2",
        state: "OutOfService",
        reason: "Instance has failed at least the UnhealthyThreshold number of health checks consecutively.",
      },
    ];
    expect(judgeInstances("4", [instance("i-new1", "4"), instance("i-new2", "4")], health, ports)).toEqual({
      kind: "unhealthy",
      why: "instance i-new2 (launch template version 4) is OutOfService on port 9001's load balancer (Instance has failed at least the UnhealthyThreshold number of health checks consecutively.)",
    });
  });

  it("are unhealthy when their group calls one Unhealthy (SetInstanceHealth, or its own checks)", () => {
    const instances = [instance("i-new1", "4"), instance("i-new2", "4", "Unhealthy")];
    expect(judgeInstances("4", instances, healthy(["i-new1", "i-new2"], ports), ports)).toEqual({
      kind: "unhealthy",
      why: "instance i-new2 (launch template version 4) is Unhealthy for its Auto Scaling group",
    });
  });

  it("wait while a target group has no verdict yet, or no new instance is in service", () => {
    expect(judgeInstances("4", [instance("i-new1", "4")], healthy(["i-new1"], ports, "initial"), ports)).toEqual({
      kind: "waiting",
      why: "port 9000's load balancer has no verdict on i-new1 yet",
    });
    expect(judgeInstances("4", [instance("i-new1", "4", "Healthy", "Pending")], [], ports)).toEqual({
      kind: "waiting",
      why: "no instance (launch template version 4) is in service yet",
    });
  });

  it("wait while a classic load balancer registers a new instance and runs its first checks, as AWS words it", () => {
    const registering = (reason: string): PortHealthObservation[] => [
      ...healthy(["i-new1"], [9000]),
      { port: 9001, instanceId: "i-new1", state: "OutOfService", reason },
    ];
    expect(
      judgeInstances("4", [instance("i-new1", "4")], registering("Instance registration is still in progress."), ports),
    ).toEqual({
      kind: "waiting",
      why: "port 9001's load balancer is still registering i-new1 (Instance registration is still in progress.)",
    });
    const firstChecks =
      "Instance has not passed the configured HealthyThreshold number of health checks consecutively.";
    expect(judgeInstances("4", [instance("i-new1", "4")], registering(firstChecks), ports).kind).toBe("waiting");
  });

  it("are judged as such in a group scaled to zero: nothing to wait for", () => {
    expect(judgeInstances("4", [], [], ports, 0)).toEqual({ kind: "healthy", instances: 0, ports: 2 });
    expect(judgeInstances("4", [], [], ports, 2).kind).toBe("waiting");
  });

  it("judge every in-service instance when the version is unknown", () => {
    const instances = [instance("i-a", "1"), instance("i-b", "2")];
    expect(judgeInstances(undefined, instances, healthy(["i-a", "i-b"], ports, "healthy"), ports)).toMatchObject({
      kind: "healthy",
      instances: 2,
    });
  });
});

describe("the bake", () => {
  const ok: AlarmObservation[] = [
    { name: "api-prod-us-east-1-9000-no-healthy-instances", state: "OK" },
    { name: "api-prod-us-east-1-all-ports-down", state: "OK" },
  ];
  const healthy = { kind: "healthy", instances: 2, ports: 3 } as const;

  it("is clean while no alarm is in ALARM and the new instances stay healthy", () => {
    expect(judgeBakeSample(ok, healthy)).toEqual({ kind: "clean" });
    expect(judgeBakeSample([...ok, { name: "x", state: "INSUFFICIENT_DATA" }], healthy)).toEqual({ kind: "clean" });
  });

  it("fails on the first alarm in ALARM, naming it and CloudWatch's reason", () => {
    const firing: AlarmObservation[] = [
      ...ok,
      {
        name: "api-prod-us-east-1-unhealthy-hosts-9000",
        state: "ALARM",
        reason: "Threshold Crossed: 7 datapoints were greater than the threshold (0.0).",
      },
      { name: "api-prod-us-east-1-9001-no-healthy-instances", state: "ALARM" },
    ];
    expect(judgeBakeSample(firing, healthy)).toEqual({
      kind: "failed",
      alarm: "api-prod-us-east-1-9001-no-healthy-instances",
      why: "alarm api-prod-us-east-1-9001-no-healthy-instances is in ALARM and 1 more",
    });
  });

  it("fails when the new instances turn unhealthy during it, though no alarm fired", () => {
    const sick = {
      kind: "unhealthy",
      why: "instance i-1 (launch template version 4) is Unhealthy for its Auto Scaling group",
    } as const;
    expect(judgeBakeSample(ok, sick)).toEqual({ kind: "failed", why: sick.why });
  });

  it("says how long is left and what it sees", () => {
    expect(bakeLine(540.4, ok, healthy)).toBe("baking: 540 s left, 2 of 2 alarms not in ALARM, new instances healthy");
  });
});

describe("what a stopped region rolls back", () => {
  const lt = (version: string, templateId = "lt-1") => ({ templateId, version });

  it("refreshes the instances back to the last version that passed its bake, not merely the one before", () => {
    // Version 3 was deployed and interrupted before its bake: 2 is the last one proven.
    expect(rollbackAction({ baked: lt("2"), before: lt("3"), now: lt("4") })).toEqual({
      kind: "refresh",
      to: lt("2"),
      why: "the last version that passed its bake here",
    });
  });

  it("goes back to the version before the deploy when no bake is recorded, with that version's own template", () => {
    expect(rollbackAction({ before: lt("3"), now: lt("4") })).toEqual({
      kind: "refresh",
      to: lt("3"),
      why: "the version before this deploy (no bake recorded)",
    });
    // The template was replaced: the baked version belongs to the old one, and so does the version before.
    expect(rollbackAction({ baked: lt("7", "lt-old"), before: lt("8", "lt-old"), now: lt("1", "lt-new") })).toEqual({
      kind: "refresh",
      to: lt("8", "lt-old"),
      why: "the version before this deploy (no bake recorded)",
    });
  });

  it("rolls nothing back when the group still launches that version, or the group is new", () => {
    expect(rollbackAction({ baked: lt("4"), before: lt("4"), now: lt("4") })).toEqual({
      kind: "none",
      why: "the group still launches version 4, the last baked: this change replaced no instance",
    });
    expect(rollbackAction({ now: lt("1") })).toEqual({
      kind: "none",
      why: "no earlier version of the group passed its bake or ran before this deploy (the group is new)",
    });
  });
});
