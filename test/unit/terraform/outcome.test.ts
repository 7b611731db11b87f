import { unchangedAs, type StackOutcome } from "../../../terraform/outcome";

const outcome = (status: StackOutcome["status"], summary: string): StackOutcome => ({
  stack: "shop-e2e-eu-west-1",
  status,
  summary,
  rollout: "1 instance on launch template version 4 in service on all 2 ports",
  log: "logs/shop-e2e-eu-west-1.deploy.log",
  seconds: 12,
});

describe("a saved-plan deploy's outcome for a stack it did not change", () => {
  it("says it as the review saw it, keeping what the rollout saw", () => {
    expect(unchangedAs(outcome("succeeded", "No changes."), false, "no changes, as reviewed")).toEqual({
      ...outcome("succeeded", "no changes, as reviewed"),
    });
  });

  it("leaves a change, and any stack whose plan was a change, as Terraform said it", () => {
    const applied = outcome("succeeded", "Apply complete! Resources: 0 added, 2 changed, 0 destroyed.");
    expect(unchangedAs(applied, false, "no changes, as reviewed")).toBe(applied);
    const planned = outcome("succeeded", "No changes.");
    expect(unchangedAs(planned, true, "no changes, as reviewed")).toBe(planned);
  });

  it("leaves a failure as it is", () => {
    const failed = outcome("failed", "No changes.");
    expect(unchangedAs(failed, false, "no changes, as shown")).toBe(failed);
  });
});
