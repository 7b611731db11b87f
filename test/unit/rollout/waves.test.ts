import type { StackAction, StackOutcome, StackStatus } from "../../../terraform/outcome";
import type { StackNode } from "../../../terraform/stack-selection";
import { ended, nextStep, queueOf, statusesOf, type WaveQueue } from "../../../rollout/waves";

const STATE = "api-prod-state";
const stack = (region: string) => `api-prod-${region}`;

/** The stacks as the app makes them: the state bucket, then each rollout wave depending on the one before. */
function fleet(waves: readonly (readonly string[])[]): StackNode[] {
  const nodes: StackNode[] = [{ name: STATE, dependencies: [] }];
  waves.forEach((wave, i) => {
    const before = i === 0 ? [] : (waves[i - 1] ?? []).map(stack);
    for (const region of wave) nodes.push({ name: stack(region), dependencies: [STATE, ...before] });
  });
  return nodes;
}

const THREE_WAVES = fleet([["us-east-1"], ["eu-west-1", "us-west-2"], ["ap-southeast-2"]]);
const ONE_BIG_WAVE = fleet([["ap-southeast-2", "eu-west-1", "us-west-2"]]);

/**
 * Runs a queue to its end the way the adapter does, stacks ending in the order they started. `ends` says how
 * each stack ends (succeeded unless named); `signalAfter` names a stack whose start is followed by an
 * interruption. Returns what the scheduler asked for, in order, and the outcomes.
 */
function drive(
  stacks: readonly StackNode[],
  action: StackAction,
  options: { limit?: number; ends?: Record<string, StackStatus>; signalAfter?: string } = {},
) {
  let queue: WaveQueue = queueOf(stacks, action, options.limit);
  const asked: string[] = [];
  const running: string[] = [];
  let signal: string | undefined;
  for (;;) {
    const next = nextStep(queue, signal);
    queue = next.queue;
    const { step } = next;
    if (step.kind === "done") return { asked, outcomes: step.outcomes, queue };
    if (step.kind === "announce") asked.push(`wave ${step.stacks.join(" ")}`);
    if (step.kind === "start") {
      asked.push(`start ${step.stack}`);
      running.push(step.stack);
      if (step.stack === options.signalAfter) signal = "SIGINT";
    }
    if (step.kind === "wait") {
      const first = running.shift();
      if (first === undefined) throw new Error("asked to wait with nothing running");
      const status = options.ends?.[first] ?? "succeeded";
      const outcome: StackOutcome = { stack: first, status, summary: status, log: `${first}.log`, seconds: 1 };
      queue = ended(queue, outcome);
    }
  }
}

const summaries = (outcomes: readonly StackOutcome[]) => Object.fromEntries(outcomes.map((o) => [o.stack, o.summary]));

describe("the wave scheduler", () => {
  it("deploys wave by wave in dependency order, announcing each wave before it starts any of it", () => {
    expect(drive(THREE_WAVES, "deploy").asked).toEqual([
      `wave ${STATE}`,
      `start ${STATE}`,
      "wave api-prod-us-east-1",
      "start api-prod-us-east-1",
      "wave api-prod-eu-west-1 api-prod-us-west-2",
      "start api-prod-eu-west-1",
      "start api-prod-us-west-2",
      "wave api-prod-ap-southeast-2",
      "start api-prod-ap-southeast-2",
    ]);
  });

  it("starts at most `limit` stacks of a wave at once, the next when one ends", () => {
    const { asked } = drive(ONE_BIG_WAVE, "deploy", { limit: 2 });
    expect(asked.slice(2)).toEqual([
      "wave api-prod-ap-southeast-2 api-prod-eu-west-1 api-prod-us-west-2",
      "start api-prod-ap-southeast-2",
      "start api-prod-eu-west-1",
      "start api-prod-us-west-2",
    ]);
  });

  it("knows each stack's status as it goes: pending, running, then how it ended", () => {
    let queue = queueOf(THREE_WAVES, "deploy", 1);
    queue = nextStep(queue).queue; // the state wave opens
    queue = nextStep(queue).queue; // and its stack starts
    expect(statusesOf(queue)).toMatchObject({ [STATE]: "running", "api-prod-us-east-1": "pending" });
    queue = ended(queue, { stack: STATE, status: "succeeded", summary: "done", log: "", seconds: 1 });
    expect(statusesOf(queue)).toMatchObject({ [STATE]: "succeeded", "api-prod-us-east-1": "pending" });
  });

  it("refuses to hear of the end of a stack it never started", () => {
    expect(() =>
      ended(queueOf(THREE_WAVES, "deploy"), { stack: STATE, status: "succeeded", summary: "", log: "", seconds: 0 }),
    ).toThrow(`${STATE} ended, but it was not running`);
  });

  it("leaves every later wave not started when a region of wave 1 fails, and never starts them", () => {
    const { asked, outcomes, queue } = drive(THREE_WAVES, "deploy", { ends: { "api-prod-us-east-1": "failed" } });
    expect(asked.filter((a) => a.startsWith("start"))).toEqual([`start ${STATE}`, "start api-prod-us-east-1"]);
    expect(statusesOf(queue)).toEqual({
      [STATE]: "succeeded",
      "api-prod-us-east-1": "failed",
      "api-prod-eu-west-1": "not-started",
      "api-prod-us-west-2": "not-started",
      "api-prod-ap-southeast-2": "not-started",
    });
    expect(summaries(outcomes)).toMatchObject({
      "api-prod-eu-west-1": "skipped: api-prod-us-east-1 failed",
      "api-prod-ap-southeast-2": "skipped: api-prod-us-east-1 failed",
    });
  });

  it("stops the not yet started stacks of the wave a region stopped, when the wave runs fewer at once than it has", () => {
    const { asked, outcomes } = drive(ONE_BIG_WAVE, "deploy", {
      limit: 1,
      ends: { "api-prod-ap-southeast-2": "stopped" },
    });
    expect(asked.filter((a) => a.startsWith("start"))).toEqual([`start ${STATE}`, "start api-prod-ap-southeast-2"]);
    expect(outcomes.filter((o) => o.status === "not-started")).toEqual(
      ["api-prod-eu-west-1", "api-prod-us-west-2"].map((name) => ({
        stack: name,
        status: "not-started",
        cause: { kind: "failure", failed: [], stopped: ["api-prod-ap-southeast-2"] },
        summary: "not started: the rollout stopped at api-prod-ap-southeast-2",
        log: "",
        seconds: 0,
      })),
    );
  });

  it("lets a stack already running finish when a wave-mate fails", () => {
    const { outcomes } = drive(ONE_BIG_WAVE, "deploy", { limit: 2, ends: { "api-prod-ap-southeast-2": "failed" } });
    expect(outcomes.map((o) => [o.stack, o.status])).toEqual([
      [STATE, "succeeded"],
      ["api-prod-ap-southeast-2", "failed"],
      ["api-prod-eu-west-1", "succeeded"],
      ["api-prod-us-west-2", "not-started"],
    ]);
  });

  it("reports a failure once, at its stack: what it kept back names it, never each other", () => {
    const { outcomes } = drive(THREE_WAVES, "deploy", { ends: { "api-prod-us-east-1": "stopped" } });
    // Wave 3 depends on wave 2, which never ran: it names where the rollout stopped, not wave 2.
    expect(summaries(outcomes)).toEqual({
      [STATE]: "succeeded",
      "api-prod-us-east-1": "stopped",
      "api-prod-eu-west-1": "not started: the rollout stopped at api-prod-us-east-1",
      "api-prod-us-west-2": "not started: the rollout stopped at api-prod-us-east-1",
      "api-prod-ap-southeast-2": "not started: the rollout stopped at api-prod-us-east-1",
    });
    expect(outcomes.filter((o) => o.status === "stopped" || o.status === "failed")).toHaveLength(1);
  });

  it("starts nothing after an interruption, and keeps the outcome of what was running", () => {
    const { asked, outcomes } = drive(ONE_BIG_WAVE, "deploy", { limit: 1, signalAfter: "api-prod-ap-southeast-2" });
    expect(asked.at(-1)).toBe("start api-prod-ap-southeast-2");
    expect(outcomes.map((o) => [o.stack, o.status, o.summary])).toEqual([
      [STATE, "succeeded", "succeeded"],
      ["api-prod-ap-southeast-2", "succeeded", "succeeded"],
      ["api-prod-eu-west-1", "not-started", "not started: interrupted by SIGINT"],
      ["api-prod-us-west-2", "not-started", "not started: interrupted by SIGINT"],
    ]);
  });

  it("destroys in reverse, and a region that fails to go keeps back only what it needs", () => {
    const { asked, outcomes } = drive(ONE_BIG_WAVE, "destroy", {
      limit: 1,
      ends: { "api-prod-ap-southeast-2": "failed" },
    });
    expect(asked.filter((a) => a.startsWith("start"))).toEqual([
      "start api-prod-ap-southeast-2",
      "start api-prod-eu-west-1",
      "start api-prod-us-west-2",
    ]);
    expect(summaries(outcomes)).toMatchObject({ [STATE]: "skipped: api-prod-ap-southeast-2 failed" });
  });
});
