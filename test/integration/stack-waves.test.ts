import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { shapeOrThrow } from "../../fleet/validate";
import { outcomeLine } from "../../terraform/adapters/runner";
import { runInWaves } from "../../rollout/adapters/waves";
import { requestInterrupt, resetInterruption } from "../../cli/interrupt";
import type { StackOutcome } from "../../terraform/outcome";
import { baseFleet, DEFAULT_APP } from "../fixtures";

const FLEET = [
  { name: "cloudrim-prod-state", dependencies: [] },
  { name: "cloudrim-prod-dns", dependencies: ["cloudrim-prod-state"] },
  { name: "cloudrim-prod-us-east-1", dependencies: ["cloudrim-prod-state", "cloudrim-prod-dns"] },
  { name: "cloudrim-prod-us-west-2", dependencies: ["cloudrim-prod-state", "cloudrim-prod-dns"] },
];

/** A stand-in for one `cdktf deploy|destroy`: fails the stacks named, records the order of calls. */
function fakeCdktf(failing: readonly string[]) {
  const calls: string[] = [];
  const task = (stack: string): Promise<StackOutcome> => {
    calls.push(stack);
    const ok = !failing.includes(stack);
    return Promise.resolve({
      stack,
      status: ok ? "succeeded" : "failed",
      summary: ok ? "done" : "failed: boom",
      log: "",
      seconds: 0,
    });
  };
  return { calls, task };
}

const summaries = (outcomes: StackOutcome[]) => Object.fromEntries(outcomes.map((o) => [o.stack, o.summary]));

describe("deploying and destroying in waves", () => {
  it("deploys the state bucket, then the zone, then every region", async () => {
    const cdktf = fakeCdktf([]);
    const waves: string[][] = [];
    await runInWaves(FLEET, "deploy", cdktf.task, (wave) => Promise.resolve(void waves.push([...wave])));
    expect(waves).toEqual([
      ["cloudrim-prod-state"],
      ["cloudrim-prod-dns"],
      ["cloudrim-prod-us-east-1", "cloudrim-prod-us-west-2"],
    ]);
  });

  it("lets a failing region fail alone when deploying", async () => {
    const outcomes = await runInWaves(FLEET, "deploy", fakeCdktf(["cloudrim-prod-us-west-2"]).task);
    expect(summaries(outcomes)).toEqual({
      "cloudrim-prod-state": "done",
      "cloudrim-prod-dns": "done",
      "cloudrim-prod-us-east-1": "done",
      "cloudrim-prod-us-west-2": "failed: boom",
    });
  });

  it("skips every stack whose dependency failed to deploy, and never calls cdktf for it", async () => {
    const cdktf = fakeCdktf(["cloudrim-prod-dns"]);
    const outcomes = await runInWaves(FLEET, "deploy", cdktf.task);
    expect(cdktf.calls).toEqual(["cloudrim-prod-state", "cloudrim-prod-dns"]);
    expect(summaries(outcomes)).toMatchObject({
      "cloudrim-prod-us-east-1": "skipped: cloudrim-prod-dns failed",
      "cloudrim-prod-us-west-2": "skipped: cloudrim-prod-dns failed",
    });
  });

  it("destroys the regions first and the state bucket last", async () => {
    const cdktf = fakeCdktf([]);
    await runInWaves(FLEET, "destroy", cdktf.task);
    expect(cdktf.calls).toEqual([
      "cloudrim-prod-us-east-1",
      "cloudrim-prod-us-west-2",
      "cloudrim-prod-dns",
      "cloudrim-prod-state",
    ]);
  });

  it("keeps the state bucket (and never empties it) while a region that keeps its state there failed to go", async () => {
    const cdktf = fakeCdktf(["cloudrim-prod-us-east-1"]);
    const announced: string[] = [];
    const outcomes = await runInWaves(FLEET, "destroy", cdktf.task, (wave) =>
      Promise.resolve(void announced.push(...wave)),
    );
    expect(cdktf.calls).toEqual(["cloudrim-prod-us-east-1", "cloudrim-prod-us-west-2"]);
    expect(announced).not.toContain("cloudrim-prod-state");
    expect(summaries(outcomes)).toMatchObject({
      "cloudrim-prod-dns": "skipped: cloudrim-prod-us-east-1 failed",
      // The failure is told once, where it happened: the zone, kept back by it, is not named as a failure.
      "cloudrim-prod-state": "skipped: cloudrim-prod-us-east-1 failed",
    });
  });
});

describe("rolling out in waves", () => {
  const ROLLOUT = [
    { name: "cloudrim-prod-state", dependencies: [] },
    { name: "cloudrim-prod-us-east-1", dependencies: ["cloudrim-prod-state"] },
    ...["eu-west-1", "us-west-2", "ap-southeast-2"].map((r) => ({
      name: `cloudrim-prod-${r}`,
      dependencies: ["cloudrim-prod-state", "cloudrim-prod-us-east-1"],
    })),
  ];

  it("starts no later wave when a region stops the rollout, and says so for each", async () => {
    const calls: string[] = [];
    const outcomes = await runInWaves(ROLLOUT, "deploy", (stack) => {
      calls.push(stack);
      const stopped = stack === "cloudrim-prod-us-east-1";
      return Promise.resolve({
        stack,
        status: stopped ? "stopped" : "succeeded",
        summary: stopped ? "stopped: alarm x is in ALARM" : "done",
        log: "",
        seconds: 0,
      });
    });
    expect(calls).toEqual(["cloudrim-prod-state", "cloudrim-prod-us-east-1"]);
    expect(outcomes.filter((o) => o.stack.endsWith("west-1") || o.stack.endsWith("west-2"))).toEqual(
      ["cloudrim-prod-eu-west-1", "cloudrim-prod-us-west-2"].map((stack) => ({
        stack,
        status: "not-started",
        cause: { kind: "failure", failed: [], stopped: ["cloudrim-prod-us-east-1"] },
        summary: "not started: the rollout stopped at cloudrim-prod-us-east-1",
        log: "",
        seconds: 0,
      })),
    );
  });

  it("starts none of the stopped region's wave-mates still waiting for their turn", async () => {
    const WIDE = [
      { name: "cloudrim-prod-state", dependencies: [] },
      ...["ap-southeast-2", "eu-west-1", "us-west-2"].map((r) => ({
        name: `cloudrim-prod-${r}`,
        dependencies: ["cloudrim-prod-state"],
      })),
    ];
    const calls: string[] = [];
    const outcomes = await runInWaves(
      WIDE,
      "deploy",
      (stack) => {
        calls.push(stack);
        const stopped = stack === "cloudrim-prod-ap-southeast-2";
        return Promise.resolve({
          stack,
          status: stopped ? "stopped" : "succeeded",
          summary: stopped ? "stopped: alarm x is in ALARM" : "done",
          log: "",
          seconds: 0,
        });
      },
      () => Promise.resolve(),
      1,
    );
    expect(calls).toEqual(["cloudrim-prod-state", "cloudrim-prod-ap-southeast-2"]);
    expect(summaries(outcomes)).toMatchObject({
      "cloudrim-prod-eu-west-1": "not started: the rollout stopped at cloudrim-prod-ap-southeast-2",
      "cloudrim-prod-us-west-2": "not started: the rollout stopped at cloudrim-prod-ap-southeast-2",
    });
  });

  it("starts nothing once interrupted, and keeps what the running stack reported", async () => {
    resetInterruption();
    try {
      const calls: string[] = [];
      const outcomes = await runInWaves(ROLLOUT, "deploy", (stack) => {
        calls.push(stack);
        if (stack === "cloudrim-prod-us-east-1") requestInterrupt("SIGINT");
        return Promise.resolve({ stack, status: "succeeded", summary: "done", log: "", seconds: 0 });
      });
      expect(calls).toEqual(["cloudrim-prod-state", "cloudrim-prod-us-east-1"]);
      expect(summaries(outcomes)).toEqual({
        "cloudrim-prod-state": "done",
        "cloudrim-prod-us-east-1": "done",
        "cloudrim-prod-ap-southeast-2": "not started: interrupted by SIGINT",
        "cloudrim-prod-eu-west-1": "not started: interrupted by SIGINT",
        "cloudrim-prod-us-west-2": "not started: interrupted by SIGINT",
      });
    } finally {
      resetInterruption();
    }
  });

  it("runs at most `limit` regions of a wave at once", async () => {
    let running = 0;
    let most = 0;
    await runInWaves(
      ROLLOUT,
      "deploy",
      async (stack) => {
        running += 1;
        most = Math.max(most, running);
        await new Promise((resolve) => setTimeout(resolve, 10));
        running -= 1;
        return { stack, status: "succeeded", summary: "done", log: "", seconds: 0 };
      },
      () => Promise.resolve(),
      2,
    );
    expect(most).toBe(2);
  });
});

describe("the one-line outcome of a stack's terraform run", () => {
  const output = (name: string) => readFileSync(join(__dirname, "..", "terraform-output", `${name}.txt`), "utf8");
  const shape = shapeOrThrow(baseFleet(), DEFAULT_APP);

  it("keeps Terraform's own summary of a finished apply", () => {
    const log =
      "aws_elb.x: Creation complete after 1s\n\nApply complete! Resources: 18 added, 0 changed, 0 destroyed.\n";
    expect(outcomeLine(log, true, "cloudrim-prod-us-east-1", "cdktf.out/stacks/x")).toEqual({
      summary: "Apply complete! Resources: 18 added, 0 changed, 0 destroyed.",
    });
  });

  it("names the old and new backend and the migration when a stack's backend changed", () => {
    const dir = mkdtempSync(join(tmpdir(), "cloudrim-backend-"));
    try {
      mkdirSync(join(dir, ".terraform"));
      writeFileSync(
        join(dir, ".terraform", "terraform.tfstate"),
        JSON.stringify({
          backend: {
            type: "s3",
            config: { bucket: "old", key: "cloudrim/prod/us-east-1.tfstate", region: "us-east-1" },
          },
        }),
      );
      writeFileSync(
        join(dir, "cdk.tf.json"),
        JSON.stringify({
          terraform: {
            backend: { s3: { bucket: "old", key: "cloudrim/cloudrim/prod/us-east-1.tfstate", region: "us-east-1" } },
          },
        }),
      );
      expect(outcomeLine(output("backend-changed"), false, "cloudrim-prod-us-east-1", dir, shape).summary).toBe(
        "failed: its state backend changed from s3://old/cloudrim/prod/us-east-1.tfstate (us-east-1) to " +
          "s3://old/cloudrim/cloudrim/prod/us-east-1.tfstate (us-east-1); nothing was planned or applied. Move the state with " +
          `\`terraform -chdir=${relative(process.cwd(), dir)} init -migrate-state\`, then run again (docs/state-and-locks.md, "Moving state")`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("otherwise gives Terraform's first error, the resource it is about, and what to change", () => {
    expect(outcomeLine(output("zone-not-found"), false, "cloudrim-prod-us-east-1", "x", shape)).toEqual({
      summary: "failed: no matching Route 53 Hosted Zone found (data.aws_route53_zone.zone)",
      hint: expect.stringMatching(/^domain: this account has no public hosted zone "example.com"/) as unknown,
    });
  });

  it("names who holds a lock it could not take, since when, and the command that releases it", () => {
    const { summary, hint } = outcomeLine(output("state-locked"), false, "shop-prod-us-east-1", "x", shape);
    expect(summary).toMatch(/^failed: Error acquiring the state lock/);
    expect(hint).toMatch(
      /^another run holds this stack's state lock: runner@ci-host-7 \(apply\) since 2026-11-25T00:00:00\.123Z, \d+ d \d+ h ago; wait for it to finish, or once it is gone: npm run unlock -- shop-prod-us-east-1 --force$/,
    );
  });

  it("says so when the output holds no error at all", () => {
    expect(outcomeLine("Killed\n", false, "s", "x").summary).toBe(
      "failed without an error from Terraform; see the log",
    );
  });
});
