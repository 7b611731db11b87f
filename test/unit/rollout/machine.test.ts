import { advance, begin, type RegionAction, type RegionEvent, type RegionRollout } from "../../../rollout/machine";
import { REFRESH_TIMEOUT_SECONDS } from "../../../rollout/refresh-watch";
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
  const forward = (): RefreshObservation | undefined => {
    const current = reads[Math.min(read, reads.length - 1)];
    return current === undefined || !cancelled ? current : { ...current, status: "Cancelled" };
  };
  return (action, applies) => {
    switch (action.kind) {
      case "read-group":
        return { kind: "group", version: applies === 0 ? "1" : "2", templateId: "lt-1" };
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
        return { kind: "refresh", refresh: options.rollback?.[Math.min(rollbackRead++, options.rollback.length - 1)] };
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
        return { kind: "refresh-cancelled" };
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
  it("finishes at once when the plan changes nothing, without asking AWS", () => {
    const step = begin(rollout({ resource_changes: [rc(GROUP, ["no-op"])] }));
    expect(step.action).toEqual({ kind: "finish", result: { kind: "succeeded", summary: "No changes." } });
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
    expect(kinds.slice(0, 6)).toEqual([
      "read-group",
      "read-refreshes",
      "apply",
      "read-refreshes",
      "read-group",
      "read-refresh",
    ]);
    // While the refresh runs, every look at it is followed by a look at the new instances and a pause.
    expect(kinds.slice(6, 9)).toEqual(["judge-instances", "wait", "read-refresh"]);
  });

  it("stops on a refresh that failed on an alarm, and refreshes the instances back to the version before", () => {
    const rollback = [recorded("started"), recorded("successful")];
    const { result, lines, actions } = drive(rollout(RELEASE), releaseWorld([recorded("failedOnAlarm")], { rollback }));
    const why =
      "instance refresh 2df5467f ended Failed: The instance refresh failed because CloudWatch alarm api-prod-us-east-1-2-unhealthy-hosts-9000 is in the ALARM state.";
    expect(result).toEqual({
      kind: "stopped",
      summary: `stopped: ${why}; rolled back: instances back on launch template version 1 (refresh c427d764 Successful)`,
      rollout: `applied before it stopped: ${COMPLETE}`,
    });
    expect(actions).toContainEqual({ kind: "start-refresh", templateId: "lt-1", version: "1" });
    expect(lines.slice(-5)).toEqual([
      `stopping the rollout: ${why}`,
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
    expect(kinds.slice(5, 8)).toEqual(["read-refresh", "judge-instances", "cancel-refresh"]);
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
    const firing: AlarmObservation[] = [...OK_ALARMS, { name: "api-prod-us-east-1-all-ports-down", state: "ALARM" }];
    const world = releaseWorld(RELEASED, { alarms: firing, rollback: [recorded("started"), recorded("successful")] });
    // AWS is rolling a refresh back when the bake fails: it is cancelled and drained before ours starts.
    const active = recorded("rollbackInProgress");
    let baking = false;
    let drains = 0;
    const { result, lines, kinds } = drive(rollout(RELEASE), (action, applies) => {
      if (action.kind === "sample-bake") baking = true;
      if (action.kind === "read-refreshes" && baking) return { kind: "refreshes", refreshes: [active] };
      if (action.kind === "read-refresh" && action.id === active.id) {
        drains += 1;
        return { kind: "refresh", refresh: drains < 2 ? active : recorded("rollbackSuccessful") };
      }
      return world(action, applies);
    });
    expect(result.kind === "stopped" ? result.summary : "").toMatch(
      /^stopped: alarm api-prod-us-east-1-all-ports-down is in ALARM, 1 s into the bake; rolled back: instances back on launch template version 1/,
    );
    expect(lines).toContain("rollback: cancelling refresh 9b64385c first");
    expect(drains).toBe(2);
    const cancelled = kinds.lastIndexOf("cancel-refresh");
    expect(kinds.slice(cancelled)).toEqual([
      "cancel-refresh",
      "read-refresh",
      "wait",
      "read-refresh",
      "start-refresh",
      "read-refresh",
      "judge-instances",
      "wait",
      "read-refresh",
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
        "stopped: no instance (launch template version 2) is in service yet after 60 s; nothing rolled back: this change replaced no instance (the launch template version did not change)",
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
    expect(kinds).toEqual(["read-group", "read-refreshes", "apply", "read-refreshes"]);
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
        "stopped: stage1 would change what was not reviewed: `aws_elb.other`: delete, not in the reviewed plan; nothing rolled back: this change replaced no instance (the launch template version did not change)",
    });
  });
});
