import { advance, begin } from "../../../rollout/machine";
import {
  FAILED_LOOKS_TO_STOP,
  type RegionAction,
  type RegionEvent,
  type RegionRollout,
} from "../../../rollout/region-rollout";
import {
  CANCEL_TIMEOUT_SECONDS,
  DEPLOY_JOB_MINUTES,
  FORWARD_BUDGET_MINUTES,
  REFRESH_TIMEOUT_SECONDS,
  ROLLBACK_TIMEOUT_SECONDS,
} from "../../../rollout/budget";
import { watchNext, watchStart, type WatchEvent } from "../../../rollout/refresh-watch";
import { launchTemplateDigest, type RolloutRecord } from "../../../rollout/record";
import { type AlarmObservation, type InstancesVerdict, type RefreshObservation } from "../../../rollout/verdicts";
import type { TerraformPlanJson } from "../../../terraform/plan-json";
import { recordedRefresh as recorded, resourceChange as rc } from "../../fixtures";

/*
 * One region's rollout, driven through its state machine by a scripted AWS: the refreshes are the recorded
 * DescribeInstanceRefreshes answers (test/aws-answers), the rest is what each scenario needs.
 */

const GROUP = "aws_autoscaling_group.service_group_A1B2C3D4";
const TEMPLATE = "aws_launch_template.service_launch-template_A1B2C3D4";
const ATTACH = "aws_autoscaling_attachment.attach_port-9002_A1B2C3D4";
const ELB = "aws_elb.balancers_port-9002_A1B2C3D4";
const groupTo = (from: string, to: string) =>
  rc(GROUP, ["update"], { launch_template: [{ version: from }] }, { launch_template: [{ version: to }] });
/** A release: a new launch template version, the group moved to it. */
const RELEASE: TerraformPlanJson = {
  resource_changes: [rc(TEMPLATE, ["update"], { user_data: "a" }, { user_data: "b" }), groupTo("1", "2")],
};
/** A release and a new port: its load balancer's attachment judges the instances, so two stages. */
const NEW_PORT: TerraformPlanJson = {
  resource_changes: [...(RELEASE.resource_changes ?? []), rc(ELB, ["create"], null), rc(ATTACH, ["create"], null)],
};
const COMPLETE = "Apply complete! Resources: 0 added, 2 changed, 0 destroyed.";
const OK_ALARMS: AlarmObservation[] = [
  { name: "api-prod-us-east-1-9000-no-healthy-instances", state: "OK" },
  { name: "api-prod-us-east-1-all-ports-down", state: "OK" },
];
/** OK_ALARMS with the all-ports alarm firing. */
const FIRING: AlarmObservation[] = [...OK_ALARMS, { name: "api-prod-us-east-1-all-ports-down", state: "ALARM" }];
const HEALTHY: InstancesVerdict = { kind: "healthy", instances: 2, ports: 2 };
const NOT_YET: InstancesVerdict = { kind: "waiting", why: "no instance (launch template version 2) is in service yet" };
/** Just before the recorded refreshes started. */
const T0 = Date.parse("2026-12-01T02:44:30Z");

const rollout = (plan: TerraformPlanJson, extra: Partial<RegionRollout> = {}): RegionRollout => ({
  stack: "api-prod-us-east-1",
  plan,
  reviewed: [plan],
  bakeSeconds: 30,
  settleSeconds: 60,
  alarmCount: 8,
  pollMs: 10_000,
  ...extra,
});

/** An event without its time: the driver stamps it. */
type Answer = RegionEvent extends infer E ? (E extends RegionEvent ? Omit<E, "at"> : never) : never;
/** The scripted AWS and Terraform: each action's answer; `applies` counts the applies so far. */
type World = (action: Exclude<RegionAction, { kind: "finish" }>, applies: number) => Answer;

/** Runs the machine to its end; each action takes a second, a wait its length. */
function drive(start: RegionRollout, world: World, interruptAt?: (action: RegionAction) => boolean) {
  let step = begin(start);
  let at = T0;
  let applies = 0;
  const actions: RegionAction[] = [];
  const lines: string[] = [...step.lines];
  for (let i = 0; step.action.kind !== "finish"; i++) {
    if (i > 2000) throw new Error("the rollout never ended");
    const { action } = step;
    actions.push(action);
    at += action.kind === "wait" ? action.ms : 1000;
    const answer: Answer =
      interruptAt?.(action) === true ? { kind: "interrupted", signal: "SIGINT" } : world(action, applies);
    if (action.kind === "apply") applies += 1;
    step = advance(step.state, { ...answer, at } as RegionEvent);
    lines.push(...step.lines);
  }
  return { result: step.action.result, actions, lines, kinds: actions.map((a) => a.kind) };
}

/**
 * A region on version 1 of lt-1 whose apply starts a refresh (moving the group to 2); each read of it answers
 * the next of `reads` (the last one repeats) until it is cancelled (then it reads Cancelled); while it runs the
 * new instances are `early` (by default not in service yet), then healthy; the alarms are OK unless `alarms`.
 * A rollback's refresh reads the next of `rollback`.
 */
function releaseWorld(
  reads: readonly RefreshObservation[],
  options: { alarms?: AlarmObservation[]; early?: InstancesVerdict; rollback?: readonly RefreshObservation[] } = {},
): World {
  let read = 0;
  let rollbackRead = 0;
  let cancelled = false;
  let rollingBack = false;
  /** AWS moves the group to a refresh's desired configuration when it succeeds. */
  let restored = false;
  const forward = (): RefreshObservation | undefined => {
    const current = reads[Math.min(read, reads.length - 1)];
    return current === undefined || !cancelled ? current : { ...current, status: "Cancelled" };
  };
  return (action, applies) => {
    switch (action.kind) {
      case "read-group":
        return { kind: "group", version: applies === 0 || restored ? "1" : "2", templateId: "lt-1" };
      case "read-refreshes": {
        const refresh = forward();
        return { kind: "refreshes", refreshes: applies === 0 || refresh === undefined ? [] : [refresh] };
      }
      case "read-refresh":
        if (!rollingBack) {
          const refresh = forward();
          read += 1;
          return { kind: "refresh", ...(refresh === undefined ? {} : { refresh }) };
        }
        {
          const refresh = options.rollback?.[Math.min(rollbackRead++, options.rollback.length - 1)];
          restored = refresh?.status === "Successful";
          return { kind: "refresh", ...(refresh === undefined ? {} : { refresh }) };
        }
      case "judge-instances": {
        const running = !rollingBack && forward()?.status === "InProgress";
        return { kind: "instances", verdict: running ? (options.early ?? NOT_YET) : HEALTHY };
      }
      case "sample-bake":
        return { kind: "bake-sample", alarms: options.alarms ?? OK_ALARMS, instances: HEALTHY };
      case "apply":
        return { kind: "applied", code: 0, output: `aws_launch_template.x: Modifying...\n\n${COMPLETE}\n` };
      case "plan":
        throw new Error("a one-stage rollout plans nothing");
      case "cancel-refresh":
        cancelled = true;
        return { kind: "refresh-cancelled", outcome: { kind: "cancelled" } };
      case "record":
        return { kind: "recorded" };
      case "read-alarms":
        return { kind: "alarms", alarms: OK_ALARMS };
      case "start-refresh":
        rollingBack = true;
        return { kind: "refresh-started", id: options.rollback?.[0]?.id ?? "none" };
      case "wait":
        return { kind: "waited" };
    }
  };
}

const RELEASED = [recorded("started"), recorded("inProgress"), recorded("successful")];

describe("a region's rollout, state by state", () => {
  it("finishes when the plan changes nothing and the group runs the last baked version, having only read the group", () => {
    const baked = { templateId: "lt-1", version: "1", at: "2026-12-01T00:00:00.000Z" };
    const { result, kinds } = drive(
      rollout({ resource_changes: [rc(GROUP, ["no-op"])] }, { record: { baked, rejected: [] } }),
      releaseWorld([]),
    );
    expect(result).toEqual({ kind: "succeeded", summary: "No changes." });
    expect(kinds).toEqual(["read-group"]);
  });

  it("applies a release, watches its refresh to Successful, judges the new instances, bakes, and passes", () => {
    const { result, lines, kinds } = drive(rollout(RELEASE), releaseWorld(RELEASED));
    expect(result).toEqual({
      kind: "succeeded",
      summary: COMPLETE,
      rollout:
        "refresh c427d764 Successful; 2 instances on launch template version 2 in service on all 2 ports; baked 30 s, no alarm",
    });
    expect(lines).toEqual([
      "instance refresh c427d764 started: launch before terminate, to launch template version 2",
      "refresh c427d764: InProgress, 0% complete, 2 instances to update",
      "refresh c427d764: InProgress, 50% complete, 1 instance to update",
      "refresh c427d764: Successful, 100% complete, 0 instances to update",
      "2 instances on launch template version 2 in service on all 2 ports",
      "baking 30 s: watching 8 alarms and the new instances",
      "baked 30 s: no alarm in ALARM, new instances healthy",
    ]);
    expect(kinds.slice(0, 7)).toEqual([
      "read-group",
      "read-refreshes",
      "read-alarms",
      "apply",
      "read-refreshes",
      "read-group",
      "read-refresh",
    ]);
    // While the refresh runs, every look at it is followed by a look at the new instances and a pause.
    expect(kinds.slice(7, 10)).toEqual(["judge-instances", "wait", "read-refresh"]);
  });

  it("stops on a refresh that failed on an alarm, and refreshes the instances back to the version before", () => {
    const rollback = [recorded("started"), recorded("successful")];
    const { result, lines, actions } = drive(rollout(RELEASE), releaseWorld([recorded("failedOnAlarm")], { rollback }));
    const why =
      "instance refresh 2df5467f ended Failed: The instance refresh failed because CloudWatch alarm api-prod-us-east-1-2-unhealthy-hosts-9000 is in the ALARM state.";
    expect(result).toEqual({
      kind: "stopped",
      summary: `stopped: ${why}; rolled back: instances and the group back on launch template version 1 (refresh c427d764 Successful)`,
      rollout: `applied before it stopped: ${COMPLETE}`,
    });
    expect(actions).toContainEqual({ kind: "start-refresh", templateId: "lt-1", version: "1" });
    expect(lines.slice(-6)).toEqual([
      `stopping the rollout: ${why}`,
      "rollback: to launch template version 1, the version before this deploy (no bake recorded)",
      "rollback: refreshing the instances back to launch template version 1",
      "rollback: refresh c427d764: InProgress, 0% complete, 2 instances to update",
      "rollback: refresh c427d764: Successful, 100% complete, 0 instances to update",
      result.kind === "stopped" ? result.summary : "",
    ]);
  });

  it("stops on a cancelled refresh, naming it", () => {
    const { result } = drive(
      rollout(RELEASE),
      releaseWorld([recorded("cancelled")], { rollback: [recorded("successful")] }),
    );
    expect(result.kind === "stopped" ? result.summary : "").toMatch(
      /^stopped: instance refresh 737a7104 ended Cancelled; rolled back: /,
    );
  });

  it("stops the refresh early when a new instance is Unhealthy for its group, cancelling it", () => {
    const early: InstancesVerdict = {
      kind: "unhealthy",
      why: "instance i-2 (launch template version 2) is Unhealthy for its Auto Scaling group",
    };
    const { result, kinds } = drive(
      rollout(RELEASE),
      releaseWorld([recorded("started")], { early, rollback: [recorded("successful")] }),
    );
    expect(kinds.slice(6, 9)).toEqual(["read-refresh", "judge-instances", "cancel-refresh"]);
    expect(result.kind === "stopped" ? result.summary : "").toMatch(
      /^stopped: instance i-2 \(launch template version 2\) is Unhealthy for its Auto Scaling group while the refresh ran \(refresh c427d764 cancelled\); rolled back: /,
    );
  });

  it("gives a refresh two hours, then cancels it and stops", () => {
    const { result } = drive(
      rollout(RELEASE, { pollMs: 15 * 60_000 }),
      releaseWorld([recorded("inProgress")], { rollback: [recorded("successful")] }),
    );
    expect(result.kind === "stopped" ? result.summary : "").toMatch(
      new RegExp(
        `^stopped: instance refresh c427d764 still InProgress after ${REFRESH_TIMEOUT_SECONDS} s \\(cancelled\\)`,
      ),
    );
  });

  it("cancels a refresh still running before it rolls back, and waits for it to end", () => {
    const world = releaseWorld(RELEASED, { alarms: FIRING, rollback: [recorded("started"), recorded("successful")] });
    // AWS is rolling this deploy's refresh back when the bake fails: it is cancelled and drained before ours starts.
    const active = { ...recorded("rollbackInProgress"), id: recorded("started").id };
    let baking = false;
    let draining = false;
    let restarted = false;
    let drains = 0;
    const { result, lines, kinds } = drive(rollout(RELEASE), (action, applies) => {
      if (action.kind === "sample-bake") baking = true;
      if (action.kind === "cancel-refresh") draining = true;
      if (action.kind === "start-refresh") restarted = true;
      if (action.kind === "read-refreshes" && baking) return { kind: "refreshes", refreshes: [active] };
      if (action.kind === "read-refresh" && draining && !restarted) {
        drains += 1;
        return { kind: "refresh", refresh: drains < 2 ? active : recorded("rollbackSuccessful") };
      }
      return world(action, applies);
    });
    expect(result.kind === "stopped" ? result.summary : "").toMatch(
      /^stopped: alarm api-prod-us-east-1-all-ports-down is in ALARM, 23 s into the bake \(3 looks in a row\); rolled back: instances and the group back on launch template version 1/,
    );
    expect(lines).toContain("rollback: cancelling refresh c427d764 first");
    expect(drains).toBe(2);
    const cancelled = kinds.lastIndexOf("cancel-refresh");
    expect(kinds.slice(cancelled)).toEqual([
      "cancel-refresh",
      "read-refresh",
      "wait",
      "read-refresh",
      "start-refresh",
      "read-refresh",
      "wait",
      "read-refresh",
      "read-group",
      "record",
    ]);
  });

  it("stops when the new instances are not in service in time, and rolls nothing back when none was replaced", () => {
    const { result, lines } = drive(rollout(RELEASE), (action, applies) => {
      if (action.kind === "read-group") return { kind: "group", version: "2", templateId: "lt-1" };
      if (action.kind === "judge-instances") return { kind: "instances", verdict: NOT_YET };
      return releaseWorld([])(action, applies);
    });
    expect(result).toEqual({
      kind: "stopped",
      summary:
        "stopped: no instance (launch template version 2) is in service yet after 60 s; nothing rolled back: the group still launches version 2, the one before this deploy: this change replaced no instance",
      rollout: `applied before it stopped: ${COMPLETE}`,
    });
    expect(lines[0]).toBe("stopping the rollout: no instance (launch template version 2) is in service yet after 60 s");
  });

  it("says the bake is alive once a minute", () => {
    const { lines } = drive(rollout(RELEASE, { bakeSeconds: 150, pollMs: 30_000 }), releaseWorld(RELEASED));
    expect(lines.filter((l) => l.startsWith("baking:"))).toEqual([
      "baking: 87 s left, 2 of 2 alarms not in ALARM, new instances healthy",
      "baking: 25 s left, 2 of 2 alarms not in ALARM, new instances healthy",
    ]);
  });

  it("ends failed with Terraform's run when an apply fails, for the adapter to explain", () => {
    const { result } = drive(rollout(RELEASE), (action, applies) =>
      action.kind === "apply" ? { kind: "applied", code: 1, output: "Error: boom" } : releaseWorld([])(action, applies),
    );
    expect(result).toEqual({ kind: "failed", run: { code: 1, output: "Error: boom" } });
  });

  it("ends interrupted when an interruption ends a wait, naming what was applied", () => {
    const { result, lines } = drive(rollout(RELEASE), releaseWorld(RELEASED), (action) => action.kind === "wait");
    const summary = `interrupted by SIGINT while the rollout watched it (applied: ${COMPLETE}); deploy again to judge it`;
    expect(result).toEqual({ kind: "interrupted", summary });
    expect(lines.at(-1)).toBe(summary);
  });

  it("refuses an answer to a question it did not ask", () => {
    const { state } = begin(rollout(RELEASE));
    expect(() => advance(state, { kind: "waited", at: T0 })).toThrow(
      "the region's rollout waited for group, and heard waited",
    );
  });

  it("applies a change of outputs alone, and neither judges nor bakes it", () => {
    const { result, kinds } = drive(
      rollout({ output_changes: { name_servers: { actions: ["update"] } } }),
      releaseWorld([]),
    );
    expect(result).toEqual({ kind: "succeeded", summary: COMPLETE });
    expect(kinds).toEqual(["read-group", "read-refreshes", "read-alarms", "apply", "read-refreshes"]);
  });
});

describe("a region's rollout in two stages", () => {
  const stage1: TerraformPlanJson = RELEASE;
  const stage2: TerraformPlanJson = { resource_changes: [rc(ELB, ["create"], null), rc(ATTACH, ["create"], null)] };

  /** The release's refresh after stage 1; stage 2 starts none. */
  function stagedWorld(plans: { 1: TerraformPlanJson; 2: TerraformPlanJson }): World {
    const world = releaseWorld(RELEASED);
    return (action, applies) => {
      if (action.kind === "plan")
        return { kind: "planned", result: { ok: true, plan: action.file === "stage1.tfplan" ? plans[1] : plans[2] } };
      return world(action, applies);
    };
  }

  it("applies the group first (targeted), waits for its refresh and instances, then the rest, and bakes once", () => {
    const { result, actions, lines } = drive(rollout(NEW_PORT), stagedWorld({ 1: stage1, 2: stage2 }));
    expect(actions.filter((a) => a.kind === "plan" || a.kind === "apply")).toEqual([
      { kind: "plan", file: "stage1.tfplan", flags: [`-target=${GROUP}`] },
      { kind: "apply", file: "stage1.tfplan" },
      { kind: "plan", file: "stage2.tfplan", flags: [] },
      { kind: "apply", file: "stage2.tfplan" },
    ]);
    expect(lines[0]).toBe(
      "two stages: first the launch template and the group, so every instance runs what port 9002's new load balancer will check; then the rest",
    );
    // Stage 2 starts no refresh: the one stage 1 started is known by then, and not taken for stage 2's.
    expect(result).toEqual({
      kind: "succeeded",
      summary: `stage 1: ${COMPLETE} stage 2: ${COMPLETE}`,
      rollout:
        "refresh c427d764 Successful; 2 instances on launch template version 2 in service on all 2 ports; " +
        "2 instances on launch template version 2 in service on all 2 ports; baked 30 s, no alarm",
    });
  });

  it("stops before applying a stage whose fresh plan would change what was not reviewed", () => {
    const unreviewed = {
      resource_changes: [...(stage1.resource_changes ?? []), rc("aws_elb.other", ["delete"], {}, null)],
    };
    const { result, kinds } = drive(rollout(NEW_PORT), stagedWorld({ 1: unreviewed, 2: stage2 }));
    expect(kinds).not.toContain("apply");
    expect(result).toEqual({
      kind: "stopped",
      summary:
        "stopped: stage1 would change what was not reviewed: `aws_elb.other`: delete, not in the reviewed plan; nothing rolled back: the group still launches version 1, the one before this deploy: this change replaced no instance",
    });
  });
});

describe("a region's rollback, and what the region remembers", () => {
  const ROLLBACK = [recorded("started"), recorded("successful")];
  const BAKED_1: RolloutRecord = {
    baked: { templateId: "lt-1", version: "1", at: "2026-11-30T00:00:00.000Z" },
    rejected: [],
  };
  const summaryOf = (result: { kind: string; summary?: string }) => result.summary ?? "";
  const records = (actions: readonly RegionAction[]) => actions.flatMap((a) => (a.kind === "record" ? [a.entry] : []));

  it("is judged on the refresh it started alone: instances it replaces, reported Unhealthy, never cancel it", () => {
    const sick: InstancesVerdict = {
      kind: "unhealthy",
      why: "instance i-2 (launch template version 2) is Unhealthy for its Auto Scaling group",
    };
    const world = releaseWorld([recorded("started")], { early: sick, rollback: ROLLBACK });
    let rollingBack = false;
    const { result, kinds } = drive(rollout(RELEASE), (action, applies) => {
      if (action.kind === "start-refresh") rollingBack = true;
      // The bad instances stay Unhealthy until the rollback has replaced them.
      if (action.kind === "judge-instances" && rollingBack) return { kind: "instances", verdict: sick };
      return world(action, applies);
    });
    const afterStart = kinds.slice(kinds.indexOf("start-refresh"));
    expect(afterStart).not.toContain("cancel-refresh");
    expect(afterStart).not.toContain("judge-instances");
    expect(summaryOf(result)).toMatch(
      /; rolled back: instances and the group back on launch template version 1 \(refresh c427d764 Successful\)$/,
    );
  });

  it("goes back to the last version that passed its bake, with its own template", () => {
    // The group ran 3 (a deploy cut short before its bake); 2 is the last one proven.
    const baked: RolloutRecord = {
      baked: { templateId: "lt-1", version: "2", at: "2026-11-30T00:00:00.000Z" },
      rejected: [],
    };
    const world = releaseWorld([recorded("failedOnAlarm")], { rollback: ROLLBACK });
    const { actions, lines } = drive(rollout(RELEASE, { record: baked }), (action, applies) =>
      action.kind === "read-group"
        ? { kind: "group", version: applies === 0 ? "3" : "4", templateId: "lt-1" }
        : world(action, applies),
    );
    expect(actions).toContainEqual({ kind: "start-refresh", templateId: "lt-1", version: "2" });
    expect(lines).toContain("rollback: to launch template version 2, the last version that passed its bake here");
  });

  it("cancels only a refresh this deploy started: another's is left alone, and nothing is rolled back under it", () => {
    const theirs = { ...recorded("inProgress"), id: "0f0f0f0f-0000-4000-8000-000000000000" };
    const world = releaseWorld(RELEASED, { alarms: FIRING, rollback: ROLLBACK });
    let baking = false;
    const { result, kinds } = drive(rollout(RELEASE), (action, applies) => {
      if (action.kind === "sample-bake") baking = true;
      if (action.kind === "read-refreshes" && baking) return { kind: "refreshes", refreshes: [theirs] };
      return world(action, applies);
    });
    expect(kinds).not.toContain("cancel-refresh");
    expect(kinds).not.toContain("start-refresh");
    expect(summaryOf(result)).toMatch(
      /nothing rolled back: refresh 0f0f0f0f, not started by this deploy, is running in the group \(InProgress\); it was left alone/,
    );
  });

  it("says so when the refresh it cancels by id is no longer the group's active one", () => {
    const early: InstancesVerdict = { kind: "unhealthy", why: "instance i-2 is Unhealthy for its Auto Scaling group" };
    const world = releaseWorld([recorded("started")], { early, rollback: ROLLBACK });
    const { lines } = drive(rollout(RELEASE), (action, applies) =>
      action.kind === "cancel-refresh"
        ? { kind: "refresh-cancelled", outcome: { kind: "another-active", activeId: "0f0f0f0f-1" } }
        : world(action, applies),
    );
    expect(lines).toContain(
      "refresh c427d764 not cancelled: refresh 0f0f0f0f, not this deploy's, is the group's active one and was left alone",
    );
  });

  it("waits a bounded time for a cancelled refresh to end", () => {
    const active = { ...recorded("rollbackInProgress"), id: recorded("started").id, status: "Cancelling" as const };
    const world = releaseWorld(RELEASED, { alarms: FIRING, rollback: ROLLBACK });
    let baking = false;
    let draining = false;
    const { result, kinds } = drive(rollout(RELEASE, { pollMs: 60_000 }), (action, applies) => {
      if (action.kind === "sample-bake") baking = true;
      if (action.kind === "cancel-refresh") draining = true;
      if (action.kind === "read-refreshes" && baking) return { kind: "refreshes", refreshes: [active] };
      if (action.kind === "read-refresh" && draining) return { kind: "refresh", refresh: active };
      return world(action, applies);
    });
    expect(kinds).not.toContain("start-refresh");
    expect(summaryOf(result)).toMatch(
      new RegExp(
        `nothing rolled back: refresh c427d764 was cancelled but is still Cancelling after ${CANCEL_TIMEOUT_SECONDS} s`,
      ),
    );
  });

  it("gives its own refresh a deadline, then leaves it running in AWS, uncancelled", () => {
    const world = releaseWorld([recorded("failedOnAlarm")], { rollback: [recorded("inProgress")] });
    const { result, kinds } = drive(rollout(RELEASE, { pollMs: 5 * 60_000 }), world);
    expect(kinds.slice(kinds.indexOf("start-refresh"))).not.toContain("cancel-refresh");
    expect(summaryOf(result)).toMatch(
      new RegExp(
        `rolled back: the rollback to launch template version 1 did not finish: instance refresh c427d764 still InProgress after ${ROLLBACK_TIMEOUT_SECONDS} s; not cancelled, it goes on in AWS`,
      ),
    );
  });

  it("names a group that still launches the bad version after its instances went back", () => {
    const world = releaseWorld([recorded("failedOnAlarm")], { rollback: ROLLBACK });
    let rolledBack = false;
    const { result } = drive(rollout(RELEASE), (action, applies) => {
      if (action.kind === "start-refresh") rolledBack = true;
      if (action.kind === "read-group" && rolledBack) return { kind: "group", version: "2", templateId: "lt-1" };
      return world(action, applies);
    });
    expect(summaryOf(result)).toMatch(
      /rolled back: instances back on launch template version 1 \(refresh c427d764 Successful\), but the group still launches version 2: a scale-out would launch it/,
    );
  });

  it("prints a line at least once a minute while a refresh reports nothing new", () => {
    const { lines } = drive(
      rollout(RELEASE, { pollMs: 30_000 }),
      releaseWorld([
        recorded("started"),
        recorded("started"),
        recorded("started"),
        recorded("started"),
        recorded("successful"),
      ]),
    );
    expect(lines.filter((l) => l.startsWith("refresh c427d764: InProgress, 0% complete"))).toEqual([
      "refresh c427d764: InProgress, 0% complete, 2 instances to update",
      expect.stringMatching(
        /^refresh c427d764: InProgress, 0% complete, 2 instances to update \(unchanged; watched for 6\d s\)$/,
      ),
    ]);
  });

  it("records the version that passed its bake, and a rolled-back change's content, when and why", () => {
    const passed = drive(rollout(RELEASE), releaseWorld(RELEASED));
    expect(records(passed.actions)).toEqual([
      {
        kind: "baked",
        baked: {
          templateId: "lt-1",
          version: "2",
          at: expect.stringMatching(/^2026-12-01T02:4\d:\d\d\.000Z$/) as unknown,
        },
      },
    ]);
    const stopped = drive(rollout(RELEASE), releaseWorld(RELEASED, { alarms: FIRING, rollback: ROLLBACK }));
    expect(records(stopped.actions)).toEqual([
      {
        kind: "rejected",
        rejected: {
          digest: launchTemplateDigest(RELEASE),
          version: "2",
          at: expect.stringMatching(/^2026-12-01T/) as unknown,
          why: "alarm api-prod-us-east-1-all-ports-down is in ALARM, 23 s into the bake (3 looks in a row)",
        },
      },
    ]);
  });

  describe("a change rolled back before", () => {
    const rejectedAt = "2026-12-01T03:00:00.000Z";
    const REJECTED: RolloutRecord = {
      ...BAKED_1,
      rejected: [
        { digest: launchTemplateDigest(RELEASE) ?? "", version: "2", at: rejectedAt, why: "alarm x is in ALARM" },
      ],
    };

    it("is refused before anything is asked or applied, naming when, why and --retry", () => {
      const { result, kinds } = drive(rollout(RELEASE, { record: REJECTED }), releaseWorld(RELEASED));
      expect(kinds).toEqual([]);
      expect(result).toEqual({
        kind: "stopped",
        summary: `refused: this change brings back the launch template content rolled back here at ${rejectedAt} (it ran as launch template version 2): alarm x is in ALARM; fix the change, or deploy it anyway with npm run deploy -- --retry`,
      });
    });

    it("rolls out with --retry, or in a deploy reviewed after the rollback, but not one reviewed before", () => {
      expect(drive(rollout(RELEASE, { record: REJECTED, retry: true }), releaseWorld(RELEASED)).result.kind).toBe(
        "succeeded",
      );
      const after = new Date(Date.parse(rejectedAt) + 1000);
      expect(drive(rollout(RELEASE, { record: REJECTED, reviewedAt: after }), releaseWorld(RELEASED)).result.kind).toBe(
        "succeeded",
      );
      const before = new Date(Date.parse(rejectedAt) - 1000);
      expect(
        summaryOf(drive(rollout(RELEASE, { record: REJECTED, reviewedAt: before }), releaseWorld(RELEASED)).result),
      ).toMatch(/^refused: .*review it again \(a plan set made after the rollback\) to deploy it anyway$/);
    });

    it("lets any other change through", () => {
      const other: TerraformPlanJson = {
        resource_changes: [rc(TEMPLATE, ["update"], { user_data: "a" }, { user_data: "c" }), groupTo("1", "2")],
      };
      expect(drive(rollout(other, { record: REJECTED }), releaseWorld(RELEASED)).result.kind).toBe("succeeded");
    });
  });

  describe("a plan that changes nothing", () => {
    const EMPTY: TerraformPlanJson = {
      resource_changes: [rc(GROUP, ["no-op"]), rc(TEMPLATE, ["no-op"], { user_data: "b" }, { user_data: "b" })],
    };
    const onVersion2: World = (action, applies) =>
      action.kind === "read-group"
        ? { kind: "group", version: "2", templateId: "lt-1" }
        : releaseWorld([recorded("successful")], { rollback: ROLLBACK })(action, applies);

    it("judges and bakes a group left on a version no bake passed, and records it once it passes", () => {
      const { result, kinds, lines, actions } = drive(rollout(EMPTY, { record: BAKED_1 }), onVersion2);
      expect(kinds).not.toContain("apply");
      expect(lines[0]).toBe(
        "no changes, but launch template version 2 has not passed its bake here (the last baked is version 1): judging and baking it",
      );
      expect(result).toEqual({
        kind: "succeeded",
        summary: "No changes.",
        rollout: "2 instances on launch template version 2 in service on all 2 ports; baked 30 s, no alarm",
      });
      expect(records(actions)).toEqual([
        { kind: "baked", baked: { templateId: "lt-1", version: "2", at: expect.any(String) as unknown } },
      ]);
    });

    it("rolls back to the last baked version when that judgement fails, and remembers the content", () => {
      const world: World = (action, applies) =>
        action.kind === "sample-bake"
          ? { kind: "bake-sample", alarms: FIRING, instances: HEALTHY }
          : onVersion2(action, applies);
      const { result, actions } = drive(rollout(EMPTY, { record: BAKED_1 }), world);
      expect(actions).toContainEqual({ kind: "start-refresh", templateId: "lt-1", version: "1" });
      expect(summaryOf(result)).toMatch(/^stopped: alarm api-prod-us-east-1-all-ports-down is in ALARM/);
      expect(records(actions)).toEqual([
        {
          kind: "rejected",
          rejected: expect.objectContaining({ digest: launchTemplateDigest(EMPTY), version: "2" }) as unknown,
        },
      ]);
    });

    it("judges and bakes a group no bake is recorded for", () => {
      const { lines } = drive(rollout(EMPTY), onVersion2);
      expect(lines[0]).toBe(
        "no changes, but launch template version 2 has not passed its bake here (no bake recorded): judging and baking it",
      );
    });
  });
});

describe("a bake's verdicts that mean it", () => {
  const FIRING: AlarmObservation[] = [
    ...OK_ALARMS.slice(0, 1),
    { name: "api-prod-us-east-1-all-ports-down", state: "ALARM" },
  ];
  const summaryOf = (result: { kind: string; summary?: string }) => result.summary ?? "";

  it("stops only on a failure seen several looks in a row, saying how many", () => {
    let samples = 0;
    const world = releaseWorld(RELEASED);
    // One look sees the alarm, the next does not: a flap, not a failure.
    const { result, lines } = drive(rollout(RELEASE, { bakeSeconds: 60 }), (action, applies) => {
      if (action.kind === "sample-bake") {
        samples += 1;
        return { kind: "bake-sample", alarms: samples === 2 ? FIRING : OK_ALARMS, instances: HEALTHY };
      }
      return world(action, applies);
    });
    expect(result.kind).toBe("succeeded");
    expect(lines).toContain(
      `alarm api-prod-us-east-1-all-ports-down is in ALARM, 12 s into the bake (1 of ${FAILED_LOOKS_TO_STOP} looks in a row to stop)`,
    );
  });

  it("does not hold an alarm already in ALARM before the apply against the change, until it clears and fires again", () => {
    const world = releaseWorld(RELEASED);
    let samples = 0;
    const { result, lines } = drive(rollout(RELEASE, { bakeSeconds: 60 }), (action, applies) => {
      if (action.kind === "read-alarms") return { kind: "alarms", alarms: FIRING };
      if (action.kind === "sample-bake") {
        samples += 1;
        // Firing through the bake's first looks (the incident), then cleared, then firing again from look 4.
        return { kind: "bake-sample", alarms: samples === 3 ? OK_ALARMS : FIRING, instances: HEALTHY };
      }
      return world(action, applies);
    });
    expect(lines[0]).toBe(
      "in ALARM before this deploy, so not held against it unless they clear and fire again: api-prod-us-east-1-all-ports-down",
    );
    expect(summaryOf(result)).toMatch(
      /^stopped: alarm api-prod-us-east-1-all-ports-down is in ALARM, \d+ s into the bake \(3 looks in a row\)/,
    );
    expect(samples).toBe(6);
  });

  it("never counts an alarm named with --ignore-alarm", () => {
    const world = releaseWorld(RELEASED);
    const { result, lines } = drive(
      rollout(RELEASE, { ignoreAlarms: ["api-prod-us-east-1-all-ports-down"] }),
      (action, applies) =>
        action.kind === "sample-bake"
          ? { kind: "bake-sample", alarms: FIRING, instances: HEALTHY }
          : world(action, applies),
    );
    expect(lines[0]).toBe("not counted in the bake (--ignore-alarm): api-prod-us-east-1-all-ports-down");
    expect(result.kind).toBe("succeeded");
  });
});

describe("a rollout's waits", () => {
  it("say what they wait for at least once a minute", () => {
    const world = releaseWorld(RELEASED);
    let looks = 0;
    const { lines } = drive(rollout(RELEASE, { settleSeconds: 600, pollMs: 20_000 }), (action, applies) => {
      if (action.kind === "judge-instances" && applies > 0) {
        looks += 1;
        if (looks > 1 && looks < 12) return { kind: "instances", verdict: NOT_YET };
      }
      return world(action, applies);
    });
    // Looks every 20 s (and a second each to ask): a line at the first look a minute or more after the last.
    expect(lines.filter((l) => l.startsWith("waiting "))).toEqual([
      "waiting 64 of 600 s: no instance (launch template version 2) is in service yet",
      "waiting 127 of 600 s: no instance (launch template version 2) is in service yet",
    ]);
  });
});

describe("a fleet without instance refresh", () => {
  it("judges and bakes the instances it has, saying they keep their version until replaced", () => {
    const world = releaseWorld([]);
    const judged: (string | undefined)[] = [];
    const { result, lines } = drive(rollout(RELEASE, { instanceRefresh: false }), (action, applies) => {
      if (action.kind === "judge-instances") judged.push(action.version);
      return world(action, applies);
    });
    expect(result.kind).toBe("succeeded");
    expect(lines).toContain(
      "instanceRefresh is off: the instances keep launch template version 1 until they are replaced; new ones launch version 2",
    );
    expect(judged.every((version) => version === undefined)).toBe(true);
  });

  it("rolls nothing back when it stops, as nothing was rolled", () => {
    const world = releaseWorld([]);
    const { result, kinds } = drive(rollout(RELEASE, { instanceRefresh: false }), (action, applies) =>
      action.kind === "sample-bake"
        ? { kind: "bake-sample", alarms: FIRING, instances: HEALTHY }
        : world(action, applies),
    );
    expect(kinds).not.toContain("start-refresh");
    expect(result.kind === "stopped" ? result.summary : "").toMatch(
      /; nothing rolled back: instanceRefresh is off, so no instance was replaced$/,
    );
  });
});

describe("one instance first (a refresh with a checkpoint)", () => {
  /** Half of a group of two: the recorded refresh's 50 % is its checkpoint. */
  const checkpoint = { percentage: 50, delaySeconds: 80 };
  const ONE_IN_SERVICE: InstancesVerdict = { kind: "healthy", instances: 1, ports: 2 };
  const AT_CHECKPOINT = [recorded("started"), recorded("inProgress"), recorded("inProgress"), recorded("successful")];

  it("judges and bakes the first instance where the refresh stops, then watches the rest, judges all and bakes", () => {
    const { result, lines } = drive(
      rollout(RELEASE, { checkpoint }),
      releaseWorld(AT_CHECKPOINT, { early: ONE_IN_SERVICE }),
    );
    expect(result).toEqual({
      kind: "succeeded",
      summary: COMPLETE,
      rollout:
        "first instance: 1 instance on launch template version 2 in service on all 2 ports; first instance baked 30 s; refresh c427d764 Successful; 2 instances on launch template version 2 in service on all 2 ports; baked 30 s, no alarm",
    });
    expect(lines).toEqual([
      "instance refresh c427d764 started: launch before terminate, to launch template version 2; one instance first (it stops at 50% for up to 80 s)",
      "refresh c427d764: InProgress, 0% complete, 2 instances to update",
      "refresh c427d764: InProgress, 50% complete, 1 instance to update",
      "refresh c427d764 stopped at its checkpoint (50%): judging its first instance on every port, then baking it",
      "first instance: 1 instance on launch template version 2 in service on all 2 ports",
      "baking 30 s: watching 8 alarms and the first new instance",
      "first instance baked 30 s: no alarm in ALARM; the refresh replaces the rest when its checkpoint's wait ends",
      "refresh c427d764: Successful, 100% complete, 0 instances to update",
      "2 instances on launch template version 2 in service on all 2 ports",
      "baking 30 s: watching 8 alarms and the new instances",
      "baked 30 s: no alarm in ALARM, new instances healthy",
    ]);
  });

  it("stops at the first instance when its bake fails, cancelling the refresh there and rolling that instance back", () => {
    const { result, lines, actions } = drive(
      rollout(RELEASE, { checkpoint }),
      releaseWorld(AT_CHECKPOINT, {
        early: ONE_IN_SERVICE,
        alarms: FIRING,
        rollback: [recorded("started"), recorded("successful")],
      }),
    );
    expect(result.kind === "stopped" ? result.summary : "").toMatch(
      /^stopped: alarm api-prod-us-east-1-all-ports-down is in ALARM, \d+ s into the first instance's bake \(3 looks in a row\); rolled back: instances and the group back on launch template version 1/,
    );
    // The refresh never went past its checkpoint: it is cancelled there, and only what it replaced goes back.
    expect(actions).toContainEqual({ kind: "cancel-refresh", id: recorded("started").id });
    expect(actions).toContainEqual({ kind: "start-refresh", templateId: "lt-1", version: "1" });
    expect(lines).not.toContain("refresh c427d764: Successful, 100% complete, 0 instances to update");
  });

  it("hands a refresh back once, at its checkpoint, and never a rollback's refresh", () => {
    const at = T0;
    const inProgress = recorded("inProgress");
    const rolloutWatch = watchStart(inProgress.id, at, "2", "rollout", checkpoint);
    const read = (refresh: RefreshObservation, when: number): WatchEvent => ({ kind: "refresh", refresh, at: when });
    const first = watchNext(rolloutWatch, read(inProgress, at), 1000);
    expect(first.kind).toBe("checkpoint");
    if (first.kind !== "checkpoint") return;
    const again = watchNext(first.watch, read(inProgress, at + 1000), 1000);
    expect(again.kind).toBe("watching");
    const rollbackWatch = watchStart(inProgress.id, at, undefined, "rollback", checkpoint);
    expect(watchNext(rollbackWatch, read(inProgress, at), 1000).kind).toBe("watching");
  });
});

describe("the deploy's time budget", () => {
  const budget = (rollout: RegionRollout, minutesLeft: number): RegionRollout => ({
    ...rollout,
    deadline: T0 + minutesLeft * 60_000,
  });

  it("leaves a region reached after it as it is: nothing applied, and the rollout stops", () => {
    const { result, kinds } = drive(budget(rollout(RELEASE), 0), releaseWorld(RELEASED));
    expect(result).toEqual({
      kind: "stopped",
      summary: `stopped: the deploy's ${FORWARD_BUDGET_MINUTES}-minute budget ran out while earlier regions rolled out (it keeps the deploy job inside its ${DEPLOY_JOB_MINUTES}-minute timeout); nothing applied here`,
    });
    expect(kinds).toEqual(["read-group"]);
  });

  it("cancels a refresh still running when it ends, and rolls the region back within a stop's own deadlines", () => {
    const { result, actions } = drive(
      budget(rollout(RELEASE, { pollMs: 60_000 }), 5),
      releaseWorld([recorded("inProgress")], { rollback: [recorded("successful")] }),
    );
    expect(result.kind === "stopped" ? result.summary : "").toMatch(
      /^stopped: the deploy's \d+-minute budget ran out while instance refresh c427d764 was InProgress \(it keeps the deploy job inside its \d+-minute timeout\) \(refresh cancelled\); rolled back: /,
    );
    expect(actions).toContainEqual({ kind: "cancel-refresh", id: recorded("started").id });
    // Not a verdict on the change: nothing is recorded as rejected, so the next deploy may simply try again.
    expect(actions.filter((a) => a.kind === "record")).toEqual([]);
  });

  it("stops a bake it would not see to its end, naming what was left", () => {
    const { result } = drive(
      budget(rollout(RELEASE, { bakeSeconds: 3600 }), 30),
      releaseWorld(RELEASED, { rollback: [recorded("successful")] }),
    );
    expect(result.kind === "stopped" ? result.summary : "").toMatch(
      /^stopped: the deploy's \d+-minute budget ran out while baking, \d+ s of the bake left \(it keeps .*\); rolled back: /,
    );
  });
});
