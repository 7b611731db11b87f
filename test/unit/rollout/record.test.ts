import {
  EMPTY_RECORD,
  launchTemplateDigest,
  parseRolloutRecord,
  REJECTED_KEPT,
  rejectedChangeIn,
  reviewedAtOf,
  rolloutRecordJson,
  withBaked,
  withRejected,
  type RolloutRecord,
} from "../../../rollout/record";
import type { TerraformPlanJson } from "../../../terraform/plan-json";
import { resourceChange as rc } from "../../fixtures";

const TEMPLATE = "aws_launch_template.service_launch-template_A1B2C3D4";
const GROUP = "aws_autoscaling_group.service_group_A1B2C3D4";
const content = (userData: string, computed: Record<string, unknown> = {}) => ({
  image_id: "ami-1",
  instance_type: "c7g.large",
  user_data: userData,
  ...computed,
});
/** A release: the template's user data changes, and the group moves to the new version. */
const release = (from: string, to: string): TerraformPlanJson => ({
  resource_changes: [
    rc(TEMPLATE, ["update"], content(from), content(to)),
    rc(GROUP, ["update"], { launch_template: [{ version: "1" }] }, { launch_template: [{ version: "2" }] }),
  ],
});
const BAD = release("good", "bad");
const rolledBackAt = "2026-12-01T03:00:00.000Z";
const REJECTED: RolloutRecord = {
  rejected: [{ digest: launchTemplateDigest(BAD) ?? "", version: "2", at: rolledBackAt, why: "alarm x in ALARM" }],
};

describe("the launch template content a plan leaves", () => {
  it("is told by what the instances run, not by what Terraform computes", () => {
    const computed = { arn: "arn:x", id: "lt-1", latest_version: 7, default_version: 7, tags_all: { a: "b" } };
    const noOp: TerraformPlanJson = {
      resource_changes: [rc(TEMPLATE, ["no-op"], content("bad", computed), content("bad", computed))],
    };
    expect(launchTemplateDigest(noOp)).toBe(launchTemplateDigest(BAD));
    expect(launchTemplateDigest(release("good", "other"))).not.toBe(launchTemplateDigest(BAD));
    expect(launchTemplateDigest({ resource_changes: [rc(GROUP, ["update"], {}, {})] })).toBeUndefined();
    expect(
      launchTemplateDigest({ resource_changes: [rc(TEMPLATE, ["delete"], content("bad"), null)] }),
    ).toBeUndefined();
  });
});

describe("a plan that brings back a rolled-back change", () => {
  it("is found when it changes the template to that content", () => {
    expect(rejectedChangeIn(BAD, REJECTED, { retry: false })).toEqual(REJECTED.rejected[0]);
  });

  it("is found when only the group moves back to it: the state still holds the rolled-back template", () => {
    // After a rollback AWS runs version 1; Terraform's state still says 2, so the next plan moves the group forward.
    const drift: TerraformPlanJson = {
      resource_changes: [
        rc(TEMPLATE, ["no-op"], content("bad"), content("bad")),
        rc(GROUP, ["update"], { launch_template: [{ version: "1" }] }, { launch_template: [{ version: "2" }] }),
      ],
    };
    expect(rejectedChangeIn(drift, REJECTED, { retry: false })).toEqual(REJECTED.rejected[0]);
  });

  it("is not one that leaves the instances alone, or brings other content", () => {
    const untouched: TerraformPlanJson = {
      resource_changes: [rc(TEMPLATE, ["no-op"], content("bad"), content("bad")), rc("aws_elb.x", ["update"], {}, {})],
    };
    expect(rejectedChangeIn(untouched, REJECTED, { retry: false })).toBeUndefined();
    expect(rejectedChangeIn(release("bad", "fixed"), REJECTED, { retry: false })).toBeUndefined();
  });

  it("goes through with --retry, or with a review of the same content made after the rollback", () => {
    expect(rejectedChangeIn(BAD, REJECTED, { retry: true })).toBeUndefined();
    const after = new Date(Date.parse(rolledBackAt) + 1);
    expect(rejectedChangeIn(BAD, REJECTED, { retry: false, reviewedAt: after })).toBeUndefined();
    const before = new Date(Date.parse(rolledBackAt) - 1);
    expect(rejectedChangeIn(BAD, REJECTED, { retry: false, reviewedAt: before })).toEqual(REJECTED.rejected[0]);
  });
});

describe("when a plan's content was reviewed", () => {
  it("is the newest review whose plan of the stack leaves the same content", () => {
    const older = new Date("2026-12-01T01:00:00Z");
    const newer = new Date("2026-12-01T05:00:00Z");
    const newest = new Date("2026-12-01T06:00:00Z");
    expect(
      reviewedAtOf(BAD, [
        { plan: BAD, created: older },
        { plan: BAD, created: newer },
        // A later review of other content says nothing about this one.
        { plan: release("good", "other"), created: newest },
        { plan: BAD },
      ]),
    ).toEqual(newer);
    expect(reviewedAtOf(BAD, [{ plan: release("good", "other"), created: newest }])).toBeUndefined();
  });
});

describe("the rollout record", () => {
  it("round-trips through its JSON, and an unreadable one is empty", () => {
    const record = withBaked(REJECTED, { templateId: "lt-1", version: "1", at: "2026-11-30T00:00:00.000Z" });
    expect(parseRolloutRecord(rolloutRecordJson(record))).toEqual(record);
    expect(parseRolloutRecord("{not json")).toEqual(EMPTY_RECORD);
    expect(parseRolloutRecord('{"baked": {"version": 3}, "rejected": [{"why": "no digest"}]}')).toEqual(EMPTY_RECORD);
  });

  it("keeps one entry per content, the newest, and only the last few", () => {
    const again = withRejected(REJECTED, {
      ...(REJECTED.rejected[0] ?? { digest: "", at: "" }),
      at: "2026-12-02T00:00:00.000Z",
      why: "again",
    });
    expect(again.rejected).toEqual([expect.objectContaining({ at: "2026-12-02T00:00:00.000Z", why: "again" })]);
    let many: RolloutRecord = EMPTY_RECORD;
    for (let i = 0; i < REJECTED_KEPT + 5; i++)
      many = withRejected(many, { digest: `d${i}`, at: rolledBackAt, why: "x" });
    expect(many.rejected).toHaveLength(REJECTED_KEPT);
    expect(many.rejected.at(-1)?.digest).toBe(`d${REJECTED_KEPT + 4}`);
  });
});
