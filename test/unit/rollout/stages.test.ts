import { describeJudges, stagingOf, targetFlags } from "../../../rollout/stages";
import { resourceChange as rc } from "../../fixtures";

const GROUP = "aws_autoscaling_group.service_group_A1B2C3D4";
const TEMPLATE = "aws_launch_template.service_launch-template_A1B2C3D4";
const INGRESS = "aws_vpc_security_group_ingress_rule.security_to-instances-ingress_A1B2C3D4";
const newTemplate = rc(TEMPLATE, ["update"], { user_data: "old" }, { user_data: "new" });
const groupUpdate = rc(
  GROUP,
  ["update"],
  { launch_template: [{ version: "3" }] },
  { launch_template: [{ version: "4" }] },
);

describe("staging a region's apply", () => {
  it("applies a new port's launch template and group first, and its attachment once the refresh is done", () => {
    const plan = {
      resource_changes: [
        rc("aws_autoscaling_attachment.attach_port-9003_A1B2C3D4", ["create"], null, {}),
        groupUpdate,
        rc("aws_elb.balancers_port-9003_A1B2C3D4", ["create"], null, { name: "api-prod-9003" }),
        newTemplate,
        rc(INGRESS, ["update"], { to_port: 9002 }, { to_port: 9003 }),
        rc("aws_route53_record.dns_weighted-9003_A1B2C3D4", ["create"], null, {}),
      ],
    };
    const staging = stagingOf(plan);
    expect(staging?.first).toEqual([GROUP, INGRESS]);
    expect(staging?.judges.map((c) => c.address)).toEqual(["aws_autoscaling_attachment.attach_port-9003_A1B2C3D4"]);
    expect(staging === undefined ? [] : targetFlags(staging)).toEqual([`-target=${GROUP}`, `-target=${INGRESS}`]);
    expect(describeJudges(staging?.judges ?? [])).toBe("port 9003's new load balancer");
  });

  it("does the same when a health check starts asking for an HTTP path the old instances do not answer", () => {
    const plan = {
      resource_changes: [
        groupUpdate,
        newTemplate,
        rc(
          "aws_elb.balancers_port-9000_A1B2C3D4",
          ["update"],
          { health_check: [{ target: "TCP:9000" }] },
          { health_check: [{ target: "HTTP:9000/healthz" }] },
        ),
        rc(
          "aws_lb_target_group.balancers_targets-9001_A1B2C3D4",
          ["update"],
          { health_check: [{ protocol: "TCP" }] },
          { health_check: [{ protocol: "HTTP", path: "/healthz" }] },
        ),
      ],
    };
    const judges = stagingOf(plan)?.judges ?? [];
    expect(judges.map((c) => c.type)).toEqual(["aws_elb", "aws_lb_target_group"]);
    expect(describeJudges(judges)).toBe("port 9000's new health check, port 9001's new health check");
  });

  it("is two stages too when the group goes back to a version it was rolled back from (no template change)", () => {
    const attach = rc("aws_autoscaling_attachment.attach_port-9003_A1B2C3D4", ["create"], null, {});
    expect(stagingOf({ resource_changes: [groupUpdate, attach] })?.first).toEqual([GROUP]);
  });

  it("is one stage when nothing replaces the instances, when nothing new judges them, or for a new group", () => {
    const attach = rc("aws_autoscaling_attachment.attach_port-9003_A1B2C3D4", ["create"], null, {});
    expect(stagingOf({ resource_changes: [attach] })).toBeUndefined();
    const capacity = rc(
      GROUP,
      ["update"],
      { launch_template: [{ version: "4" }], max_size: 4 },
      { launch_template: [{ version: "4" }], max_size: 6 },
    );
    expect(stagingOf({ resource_changes: [capacity, attach] })).toBeUndefined();
    expect(stagingOf({ resource_changes: [groupUpdate, newTemplate] })).toBeUndefined();
    // An update of a load balancer that leaves its health check alone judges nothing new.
    const tags = rc(
      "aws_elb.balancers_port-9000_A",
      ["update"],
      { health_check: [1], tags: {} },
      { health_check: [1], tags: { a: "b" } },
    );
    expect(stagingOf({ resource_changes: [groupUpdate, newTemplate, tags] })).toBeUndefined();
    // A region's first deploy: the group is created with every attachment, and no instance predates it.
    const created = { resource_changes: [rc(GROUP, ["create"], null, {}), rc(TEMPLATE, ["create"], null, {}), attach] };
    expect(stagingOf(created)).toBeUndefined();
  });
});
