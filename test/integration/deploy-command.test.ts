import {
  deployExit,
  missingBucketMessage,
  outcomesMarkdown,
  parseCount,
  requiredStateBucket,
  ROLLOUT_STOPPED,
} from "../../rollout/adapters/deploy";
import { notStarted, type StackOutcome, type StackStatus } from "../../terraform/outcome";
import { shapeOrThrow } from "../../fleet/validate";
import { baseFleet, DEFAULT_APP } from "../fixtures";

describe("the state bucket a deploy needs (npm run deploy)", () => {
  const shape = shapeOrThrow(baseFleet({ createHostedZone: true }), DEFAULT_APP);
  const bucket = shape.state;

  it("needs the bucket to exist when a region is deployed without the state stack", () => {
    expect(requiredStateBucket(shape, ["cloudrim-prod-us-east-1"])).toEqual(bucket);
  });

  it("needs it for the hosted zone's stack too: its state lives there as well", () => {
    expect(requiredStateBucket(shape, ["cloudrim-prod-dns"])).toEqual(bucket);
  });

  it("needs nothing when the state stack is deployed in the same run: it goes first", () => {
    expect(
      requiredStateBucket(shape, ["cloudrim-prod-state", "cloudrim-prod-us-east-1", "cloudrim-prod-us-west-2"]),
    ).toBeUndefined();
  });

  it("needs nothing when only the state stack is deployed: it bootstraps the bucket", () => {
    expect(requiredStateBucket(shape, ["cloudrim-prod-state"])).toBeUndefined();
  });

  it("says which field, which bucket and which stack to deploy first", () => {
    expect(missingBucketMessage(bucket)).toBe(
      'state.bucket: "cloudrim-state" does not exist in us-east-1, and the selected stacks keep their state there; ' +
        "deploy the state stack first (npm run deploy -- cloudrim-prod-state) or add it to the selection",
    );
  });
});

describe("how a deploy ends", () => {
  const outcome = (stack: string, summary: string, status: StackStatus = "succeeded"): StackOutcome => ({
    stack,
    status,
    summary,
    log: "",
    seconds: 1,
  });

  it("exits 0 when every stack deployed", () => {
    expect(deployExit([outcome("a", "Apply complete! Resources: 0 added, 0 changed, 0 destroyed.")], "logs")).toEqual({
      code: 0,
    });
  });

  it("exits 4 when the rollout stopped at a region, naming it, the regions not started, and where to read on", () => {
    expect(
      deployExit(
        [
          outcome("api-prod-us-east-1", "stopped: alarm x is in ALARM; rolled back: …", "stopped"),
          notStarted("api-prod-eu-west-1", { kind: "failure", failed: [], stopped: ["api-prod-us-east-1"] }),
        ],
        ".local/logs/1",
      ),
    ).toEqual({
      code: ROLLOUT_STOPPED,
      message:
        'the rollout stopped at api-prod-us-east-1; not started: api-prod-eu-west-1. What to do: docs/runbook.md, "A rollout stopped" (logs: .local/logs/1)',
    });
  });

  it("exits 1 when a stack failed to apply, whatever else happened", () => {
    expect(
      deployExit([outcome("a", "failed: boom", "failed"), outcome("b", "stopped: x", "stopped")], "logs"),
    ).toMatchObject({
      code: 1,
      message: "1 stack(s) failed; the others are deployed. Fix and run again (logs: logs).",
    });
  });

  it("counts a failure once: the stacks it kept back are named as not started, not as failures", () => {
    const kept = { kind: "failure", failed: ["api-prod-dns"], stopped: [] } as const;
    expect(
      deployExit(
        [
          outcome("api-prod-dns", "failed: boom", "failed"),
          notStarted("api-prod-us-east-1", kept),
          notStarted("api-prod-eu-west-1", kept),
        ],
        "logs",
      ),
    ).toEqual({
      code: 1,
      message:
        "1 stack(s) failed; not started: api-prod-us-east-1, api-prod-eu-west-1; the others are deployed. Fix and run again (logs: logs).",
    });
  });

  it("puts every stack's outcome under the verdict for the pull request, when the deploy did not finish", () => {
    const text = outcomesMarkdown(
      [outcome("api-prod-us-east-1", "stopped: alarm x is in ALARM; rolled back: …", "stopped")],
      "the rollout stopped at api-prod-us-east-1",
    );
    expect(text).toBe(
      [
        "## Deploy: what happened",
        "",
        "> [!WARNING]",
        "> the rollout stopped at api-prod-us-east-1",
        "",
        "```",
        "  api-prod-us-east-1: stopped: alarm x is in ALARM; rolled back: …",
        "```",
        "",
      ].join("\n"),
    );
  });

  it("takes --parallelism as a whole number of at least 1", () => {
    expect(parseCount("--parallelism", "3")).toBe(3);
    expect(() => parseCount("--parallelism", "0")).toThrow(
      '--parallelism: got "0"; must be a whole number of at least 1',
    );
  });
});
