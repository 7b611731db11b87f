import { outcomeLine, runInWaves, type StackOutcome } from "../../scripts/fleet-ops";

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
    return Promise.resolve({ stack, ok, summary: ok ? "done" : "failed: boom", log: "", seconds: 0 });
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
      "cloudrim-prod-state": "skipped: cloudrim-prod-dns, cloudrim-prod-us-east-1 failed",
    });
  });
});

describe("the one-line outcome of a stack's cdktf run", () => {
  it("keeps Terraform's own summary of a finished apply", () => {
    const output = "cloudrim-prod-us-east-1  Apply complete! Resources: 18 added, 0 changed, 0 destroyed.\n";
    expect(outcomeLine(output, true, "cdktf.out/stacks/x")).toBe(
      "Apply complete! Resources: 18 added, 0 changed, 0 destroyed.",
    );
  });

  it("names the state migration when a stack's backend changed (Terraform's init error, as cdktf prints it)", () => {
    const output = [
      "cloudrim-local-dns  Initializing the backend...",
      "",
      "                    Error: Backend configuration changed",
      "",
      "                    A change in the backend configuration has been detected, which may require",
      "                    migrating existing state.",
    ].join("\n");
    expect(outcomeLine(output, false, "cdktf.out/stacks/cloudrim-local-dns")).toBe(
      "failed: its state backend changed (state.bucket, state.region or state.keyPrefix); move the state with " +
        "`terraform -chdir=cdktf.out/stacks/cloudrim-local-dns init -migrate-state`, then run again",
    );
  });

  it("otherwise gives the first error", () => {
    expect(outcomeLine("Error: creating ELB: subnet-0000dead not found\nError: second", false, "x")).toBe(
      "failed: creating ELB: subnet-0000dead not found",
    );
  });
});
