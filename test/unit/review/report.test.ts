import { changesOutputs, type TerraformResourceChange } from "../../../terraform/plan-json";
import { commentFor, GITHUB_COMMENT_LIMIT, renderReport } from "../../../review/report";
import { topologyOf } from "../../../review/topology";
import type { StackPlan } from "../../../review/stack-plans";
import { shapeOrThrow } from "../../../fleet/validate";
import { baseFleet, DEFAULT_APP } from "../../fixtures";
import { legacyWeightedRecords, replaceFlags } from "../../../terraform/legacy-records";

/** A weighted member of us-east-1's set, in the CNAME form of the first releases or as an alias A record. */
const member = (port: number, form: "CNAME" | "alias A" | null) =>
  form === null
    ? null
    : {
        name: "cloudrim.us-east-1.example.com",
        type: form === "CNAME" ? "CNAME" : "A",
        set_identifier: `us-east-1-port-${port}`,
        weighted_routing_policy: [{ weight: 1 }],
        alias: form === "CNAME" ? [] : [{ name: `lb-${port}.elb.amazonaws.com`, evaluate_target_health: true }],
        records: form === "CNAME" ? [`cloudrim${port - 9000}.prod.us-east-1.example.com`] : null,
      };
const change = (address: string, actions: string[], before: unknown, after: unknown): TerraformResourceChange => ({
  address,
  mode: "managed",
  type: "aws_route53_record",
  change: { actions, before, after },
});

describe("the plan report of the upgrade from CNAME members", () => {
  const plan = {
    resource_changes: [
      ...[9000, 9001, 9002].map((port) =>
        change(
          `aws_route53_record.dns_weighted-${port}_X`,
          ["delete", "create"],
          member(port, "CNAME"),
          member(port, "alias A"),
        ),
      ),
      change("aws_route53_record.dns_global_X", ["create"], null, {
        name: "cloudrim.example.com",
        type: "A",
        set_identifier: "us-east-1",
        latency_routing_policy: [{ region: "us-east-1" }],
        alias: [{ name: "cloudrim.us-east-1.example.com", evaluate_target_health: true }],
      }),
    ],
  };

  it("shows the members' kind and the global name, before and after", () => {
    expect(topologyOf(plan, "before")).toMatchObject({ memberKinds: ["CNAME"], globalNames: [] });
    expect(topologyOf(plan, "after")).toMatchObject({
      memberKinds: ["alias A"],
      globalNames: ["cloudrim.example.com (latency, us-east-1)"],
    });
    const report = renderReport([{ stack: "cloudrim-prod-us-east-1", status: "planned", plan }]);
    expect(report).toContain("| weighted records | 3 (CNAME) | 3 (alias A) | yes |");
    expect(report).toContain("| global name | none | cloudrim.example.com (latency, us-east-1) | yes |");
  });

  it("lists every replaced member among the dangerous changes", () => {
    const report = renderReport([{ stack: "cloudrim-prod-us-east-1", status: "planned", plan }]);
    expect(report).toContain("> **3 dangerous changes**");
    expect(report).toContain(
      "> - `cloudrim-prod-us-east-1`: `aws_route53_record.dns_weighted-9001_X` (cloudrim.us-east-1.example.com) replaces a DNS record",
    );
  });
});

describe("finding the first releases' CNAME members in a stack's state", () => {
  const state = (type: string, weighted: boolean) => ({
    resources: [
      {
        mode: "managed",
        type: "aws_route53_record",
        name: `dns_weighted-9000_${type}`,
        instances: [{ attributes: { type, weighted_routing_policy: weighted ? [{ weight: 1 }] : [] } }],
      },
      { mode: "managed", type: "aws_elb", name: "balancers_port-9000_Y", instances: [{ attributes: { name: "x" } }] },
    ],
  });

  it("asks Terraform to replace weighted CNAME records, and nothing else", () => {
    expect(legacyWeightedRecords(state("CNAME", true))).toEqual(["aws_route53_record.dns_weighted-9000_CNAME"]);
    expect(legacyWeightedRecords(state("A", true))).toEqual([]);
    expect(legacyWeightedRecords(state("CNAME", false))).toEqual([]);
    expect(legacyWeightedRecords({})).toEqual([]);
    expect(replaceFlags(["aws_route53_record.a"])).toEqual(["-replace=aws_route53_record.a"]);
  });
});

describe("launch template changes in the plan report", () => {
  const SHA_A = "a".repeat(64);
  const SHA_B = "b".repeat(64);
  const userData = (sha: string, ports = "9000 9001 9002") =>
    Buffer.from(
      `#cloud-config\nwrite_files:\n  - content: |\n      want=${sha}\n      for port in ${ports}; do\n`,
    ).toString("base64");
  const template = (before: Record<string, unknown>, after: Record<string, unknown>): TerraformResourceChange => ({
    address: "aws_launch_template.service_launch-template_X",
    mode: "managed",
    type: "aws_launch_template",
    change: { actions: ["update"], before, after },
  });
  const group = (refresh: boolean): TerraformResourceChange => ({
    address: "aws_autoscaling_group.service_group_X",
    mode: "managed",
    type: "aws_autoscaling_group",
    change: { actions: ["no-op"], before: {}, after: { instance_refresh: refresh ? [{ strategy: "Rolling" }] : [] } },
  });
  const report = (...changes: TerraformResourceChange[]) =>
    renderReport([{ stack: "api-prod-us-east-1", status: "planned", plan: { resource_changes: changes } }]);

  it("names a new release by its digests, short, and says the refresh replaces every instance", () => {
    const text = report(
      template({ user_data: userData(SHA_A), image_id: "ami-1" }, { user_data: userData(SHA_B), image_id: "ami-1" }),
      group(true),
    );
    expect(text).toContain("> **Instances are replaced in 1 region**");
    expect(text).toContain(
      "> - `api-prod-us-east-1`: new release aaaaaaa → bbbbbbb: the instance refresh replaces every instance, each replacement launched before the old one goes",
    );
  });

  it("names a new image from the lookup, and new user data, and says when only new instances are affected", () => {
    const text = report(
      template(
        { user_data: userData(SHA_A), image_id: "ami-0old" },
        { user_data: userData(SHA_A, "9000 9001"), image_id: "ami-0new" },
      ),
      group(false),
    );
    expect(text).toContain(
      "> - `api-prod-us-east-1`: new user data; new image ami-0old → ami-0new (the image lock changed): new instances only (instance refresh is off)",
    );
  });

  it("names a new image of a region whose image is not locked as the lookup's, not the lock's", () => {
    const plans: StackPlan[] = [
      {
        stack: "api-prod-us-east-1",
        status: "planned",
        plan: {
          resource_changes: [
            template({ user_data: "a", image_id: "ami-0old" }, { user_data: "a", image_id: "ami-0new" }),
            group(true),
          ],
        },
      },
    ];
    const unlockedImages = [
      {
        stack: "api-prod-us-east-1",
        region: "us-east-1",
        lookup: 'newest "debian-12-amd64-*" of 136693071363 for x86_64',
      },
    ];
    expect(renderReport(plans, { unlockedImages })).toContain(
      "> - `api-prod-us-east-1`: new image ami-0old → ami-0new (not locked: the lookup's newest image at plan time): the instance refresh",
    );
  });

  it("says nothing when the template does not change", () => {
    expect(report(group(true))).not.toContain("Instances are replaced");
  });

  it("names a group going back to a version its last rollout rolled back from", () => {
    const regroup: TerraformResourceChange = {
      address: "aws_autoscaling_group.service_group_X",
      mode: "managed",
      type: "aws_autoscaling_group",
      change: {
        actions: ["update"],
        before: { launch_template: [{ version: "3" }], instance_refresh: [{ strategy: "Rolling" }] },
        after: { launch_template: [{ version: "4" }], instance_refresh: [{ strategy: "Rolling" }] },
      },
    };
    expect(report(regroup)).toContain(
      "> - `api-prod-us-east-1`: launch template version 3 → 4 again (the last rollout of it was rolled back, or did not finish): the instance refresh replaces every instance",
    );
  });
});

describe("a change of load balancer type in the plan report", () => {
  const elb = (port: number, actions: string[]): TerraformResourceChange => ({
    address: `aws_elb.balancers_port-${port}_X`,
    mode: "managed",
    type: "aws_elb",
    change: { actions, before: { name: `api-prod-${port}`, listener: [{ instance_port: port }] }, after: null },
  });
  const nlb = (port: number): TerraformResourceChange[] => [
    {
      address: `aws_lb.balancers_port-${port}_X`,
      mode: "managed",
      type: "aws_lb",
      change: { actions: ["create"], before: null, after: { name: `api-prod-${port}`, load_balancer_type: "network" } },
    },
    {
      address: `aws_lb_target_group.balancers_targets-${port}_X`,
      mode: "managed",
      type: "aws_lb_target_group",
      change: { actions: ["create"], before: null, after: { name: `api-prod-${port}`, port } },
    },
  ];
  const report = renderReport([
    {
      stack: "api-prod-eu-west-1",
      status: "planned",
      plan: { resource_changes: [elb(9000, ["delete"]), elb(9001, ["delete"]), ...nlb(9000), ...nlb(9001)] },
    },
  ]);

  it("is a dangerous change: every load balancer of the region is replaced", () => {
    expect(report).toContain(
      "> - `api-prod-eu-west-1`: changes the load balancer type classic → network: every load balancer of the region is replaced (new DNS names behind every record)",
    );
    expect(report).toContain(
      "> - `api-prod-eu-west-1`: `aws_elb.balancers_port-9000_X` (api-prod-9000) deletes a load balancer",
    );
  });

  it("shows the type in the topology table, and the ports whichever kind carries them", () => {
    expect(report).toContain("| load balancer type | classic | network | yes |");
    expect(report).toContain("| instance ports | 9000-9001 | 9000-9001 |  |");
  });
});

describe("the topology of what an operator watches", () => {
  const resource = (
    type: string,
    address: string,
    actions: string[],
    after: Record<string, unknown>,
  ): TerraformResourceChange => ({
    address: `${type}.${address}`,
    mode: "managed",
    type,
    change: { actions, before: actions[0] === "create" ? null : after, after },
  });
  const alarm = (port: number, actions: string[]) =>
    resource("aws_cloudwatch_metric_alarm", `alarms_port-${port}_X`, actions, { alarm_name: `a-${port}` });
  const plan = {
    resource_changes: [
      resource("aws_autoscaling_policy", "scaling_policy_X", ["create"], {
        policy_type: "TargetTrackingScaling",
        target_tracking_configuration: [{ target_value: 60 }],
      }),
      alarm(9000, ["no-op"]),
      alarm(9001, ["no-op"]),
      alarm(9002, ["no-op"]),
      alarm(9003, ["create"]),
      resource("aws_cloudwatch_composite_alarm", "alarms_all-ports_X", ["update"], { alarm_name: "all" }),
      resource("aws_cloudwatch_dashboard", "monitoring_dashboard_X", ["update"], {
        dashboard_name: "api-prod-us-east-1",
      }),
    ],
  };

  it("counts the alarms per port and for the region, names the dashboard and the scaling target, before and after", () => {
    const report = renderReport([{ stack: "api-prod-us-east-1", status: "planned", plan }]);
    expect(report).toContain("| scaling | none | CPU 60% | yes |");
    expect(report).toContain("| alarms | 4 (3 per port, 1 all-ports) | 5 (4 per port, 1 all-ports) | yes |");
    expect(report).toContain("| dashboard | api-prod-us-east-1 | api-prod-us-east-1 |  |");
  });
});

describe("the rollout in the plan report", () => {
  const shape = shapeOrThrow(
    baseFleet({
      regions: [{ region: "us-east-1" }, { region: "eu-west-1" }, { region: "us-west-2" }],
      rollout: { bakeSeconds: 900 },
    }),
    DEFAULT_APP,
  );
  const templateChange: TerraformResourceChange = {
    address: "aws_launch_template.service_launch-template_X",
    mode: "managed",
    type: "aws_launch_template",
    change: {
      actions: ["update"],
      before: { user_data: "a", image_id: "ami-1" },
      after: { user_data: "b", image_id: "ami-1" },
    },
  };
  const group: TerraformResourceChange = {
    address: "aws_autoscaling_group.service_group_X",
    mode: "managed",
    type: "aws_autoscaling_group",
    change: {
      actions: ["update"],
      before: { launch_template: [{ version: "1" }] },
      after: { instance_refresh: [{ strategy: "Rolling" }] },
    },
  };
  const attach: TerraformResourceChange = {
    address: "aws_autoscaling_attachment.attach_port-9003_X",
    mode: "managed",
    type: "aws_autoscaling_attachment",
    change: { actions: ["create"], before: null, after: {} },
  };
  const alarmOnly: TerraformResourceChange = {
    address: "aws_cloudwatch_metric_alarm.alarms_port-9000_X",
    mode: "managed",
    type: "aws_cloudwatch_metric_alarm",
    change: { actions: ["update"], before: { threshold: 1 }, after: { threshold: 2 } },
  };

  it("shows each wave, which of its regions change and replace their instances (in two stages for new judges), and the bake", () => {
    const report = renderReport(
      [
        {
          stack: "cloudrim-prod-us-east-1",
          status: "planned",
          plan: { resource_changes: [templateChange, group, attach] },
        },
        { stack: "cloudrim-prod-eu-west-1", status: "planned", plan: { resource_changes: [alarmOnly] } },
      ],
      { rollout: shape.rollout },
    );
    expect(report).toContain(
      [
        "### Rollout",
        "",
        "| wave | regions | changes | instances replaced | bake |",
        "| ---: | --- | --- | --- | ---: |",
        "| 1 | us-east-1 | us-east-1 | us-east-1 (in two stages: us-east-1) | 900 s |",
        "| 2 | eu-west-1, us-west-2 (1 not planned here) | eu-west-1 | none | 900 s |",
      ].join("\n"),
    );
  });

  it("leaves the section out when the caller has no rollout to show", () => {
    expect(renderReport([{ stack: "s", status: "planned", plan: {} }])).not.toContain("### Rollout");
  });
});

describe("whether a plan changes an output", () => {
  it("is true for a new or changed output, false when every output stays", () => {
    expect(changesOutputs({ output_changes: { a: { actions: ["no-op"] } } })).toBe(false);
    expect(changesOutputs({})).toBe(false);
    expect(changesOutputs({ output_changes: { a: { actions: ["no-op"] }, b: { actions: ["create"] } } })).toBe(true);
    expect(changesOutputs({ output_changes: { a: { actions: ["update"] } } })).toBe(true);
  });
});

describe("the report as a pull request comment", () => {
  /** A stack that adds `ports` load balancers with long names: a large section. */
  const bigStack = (stack: string, ports: number): StackPlan => ({
    stack,
    status: "planned",
    plan: {
      resource_changes: Array.from({ length: ports }, (_, i) => ({
        address: `aws_elb.balancers_port-${9000 + i}_${"X".repeat(8)}`,
        mode: "managed" as const,
        type: "aws_elb",
        change: {
          actions: ["create"],
          before: null,
          after: { name: `a-very-long-service-name-prod-${9000 + i}`, listener: [{ instance_port: 9000 + i }] },
        },
      })),
    },
  });
  const plans = ["eu-west-1", "us-east-1", "ap-southeast-2"].map((r) => bigStack(`api-prod-${r}`, 37));

  it("is the whole report when it fits", () => {
    expect(commentFor(plans, {}, { wholeReportAt: "x" })).toBe(renderReport(plans));
  });

  it("keeps under GitHub's limit: the head whole, as many stacks as fit, and where the whole report is", () => {
    const limit = Math.floor(renderReport(plans).length * 0.6);
    const comment = commentFor(plans, {}, { limit, wholeReportAt: "report.md in the artifact reviewed-plans-abc" });
    expect(comment.length).toBeLessThanOrEqual(limit);
    expect(comment).toContain("| api-prod-us-east-1 | 37 | 0 | 0 | 0 |");
    expect(comment).toMatch(
      /> \[!NOTE\]\n> [12] of 3 stack sections left out to fit GitHub's [\d,]+-character limit for a comment: the whole report is report\.md in the artifact reviewed-plans-abc\.\n$/,
    );
    expect(GITHUB_COMMENT_LIMIT).toBe(65_536);
  });

  it("folds each stack's details, keeping its topology in sight", () => {
    const report = renderReport([bigStack("api-prod-us-east-1", 2)]);
    expect(report).toMatch(
      /### api-prod-us-east-1\n\n\| topology \|[^]*<details><summary>2 to add, 0 to change, 0 to replace, 0 to destroy<\/summary>\n\n\| resource type \|/,
    );
  });
});

describe("retired regions in the report", () => {
  it("are dangerous changes, each with the command that destroys what it still runs", () => {
    const report = renderReport([], {
      retired: [
        {
          region: "us-west-2",
          stack: "api-prod-us-west-2",
          state: "s3://b/cloudrim/api/prod/us-west-2.tfstate",
          resources: 31,
        },
      ],
    });
    expect(report).toContain(
      "> - `api-prod-us-west-2`: its region is no longer in the fleet file, but its state (s3://b/cloudrim/api/prod/us-west-2.tfstate) still holds 31 resources, which keep running (instances, load balancers, its latency record in the global name); destroy them with `npm run retire -- us-west-2`",
    );
    expect(report).toContain("> **1 dangerous change**");
  });
});

describe("regions whose image is not locked, in the report", () => {
  it("are marked in the head, with the lookup the plan used, what a reviewed deploy does and the command that locks them", () => {
    const report = renderReport(
      [
        { stack: "api-prod-us-east-1", status: "planned", plan: {} },
        { stack: "api-prod-us-west-2", status: "planned", plan: {} },
      ],
      {
        unlockedImages: [
          {
            stack: "api-prod-us-east-1",
            region: "us-east-1",
            lookup: 'newest "debian-12-amd64-*" of 136693071363 for x86_64',
          },
          {
            stack: "api-prod-us-west-2",
            region: "us-west-2",
            lookup: 'newest "debian-12-arm64-*" of 136693071363 for arm64',
          },
        ],
      },
    );
    expect(report).toContain(
      [
        "> [!WARNING]",
        "> **Image not locked in 2 regions**: the plan looked up the newest image when it ran, so a later plan may find another; a reviewed deploy refuses a region whose image is not locked",
        ">",
        '> - `api-prod-us-east-1`: newest "debian-12-amd64-*" of 136693071363 for x86_64',
        '> - `api-prod-us-west-2`: newest "debian-12-arm64-*" of 136693071363 for arm64',
        ">",
        "> Lock them: `npm run images -- --update us-east-1 us-west-2`, then commit the lock file.",
        "",
      ].join("\n"),
    );
    expect(renderReport([{ stack: "api-prod-us-east-1", status: "planned", plan: {} }])).not.toContain("not locked");
  });
});

describe("dangers of the security options", () => {
  const nlb = (protectedNow: boolean): TerraformResourceChange => ({
    address: "aws_lb.balancers_port-9003_X",
    mode: "managed",
    type: "aws_lb",
    change: {
      actions: ["delete"],
      before: { name: "api-prod-9003", enable_deletion_protection: protectedNow },
      after: null,
    },
  });
  const report = (stack: string, ...changes: TerraformResourceChange[]) =>
    renderReport([{ stack, status: "planned", plan: { resource_changes: changes } }]);

  it("says a removed port's protected load balancer stops the apply, and what to deploy first", () => {
    expect(report("api-prod-us-east-1", nlb(true))).toContain(
      "> - `api-prod-us-east-1`: `aws_lb.balancers_port-9003_X` (api-prod-9003) deletes a load balancer: its deletion protection is on, so this apply fails there; deploy deletionProtection: false first, then this change",
    );
    expect(report("api-prod-us-east-1", nlb(false))).toContain(
      "> - `api-prod-us-east-1`: `aws_lb.balancers_port-9003_X` (api-prod-9003) deletes a load balancer\n",
    );
  });

  it("names a removed access log bucket as the region's, not the state bucket", () => {
    const bucket: TerraformResourceChange = {
      address: "aws_s3_bucket.access-logs_bucket_X",
      mode: "managed",
      type: "aws_s3_bucket",
      change: { actions: ["delete"], before: { bucket: "api-prod-us-east-1-lb-logs" }, after: null },
    };
    expect(report("api-prod-us-east-1", bucket)).toContain(
      "deletes the region's access log bucket, and the logs in it",
    );
  });

  it("lists the baseline's accepted findings with their reasons", () => {
    const text = renderReport([], {
      excepted: [
        {
          finding: {
            rule: "no-open-egress",
            mirrors: ["CKV_AWS_382", "AWS-0104"],
            stack: "api-prod-us-east-1",
            address: "aws_vpc_security_group_egress_rule.security_instances-out-443_X",
            problem: "p",
            fix: "f",
          },
          reason: "HTTPS to AWS's APIs",
        },
      ],
    });
    expect(text).toContain("<details><summary>Security baseline: 1 finding accepted on purpose</summary>");
    expect(text).toContain(
      "| no-open-egress (CKV_AWS_382, AWS-0104) | `api-prod-us-east-1` `aws_vpc_security_group_egress_rule.security_instances-out-443_X` | HTTPS to AWS's APIs |",
    );
  });
});

describe("adopted resources in the plan report", () => {
  it("names what a stack imports, even when nothing else changes, so a reviewer sees the adoption", () => {
    const role: TerraformResourceChange = {
      address: "aws_iam_role.instance_role_8EBCA72E",
      mode: "managed",
      type: "aws_iam_role",
      change: { actions: ["no-op"], before: {}, after: {}, importing: { id: "shop-prod-us-east-1" } },
    };
    const report = renderReport([
      { stack: "shop-prod-us-east-1", status: "planned", plan: { resource_changes: [role] } },
    ]);
    expect(report).toMatch(/^## Terraform plan: 1 of 1 stack change\n/);
    expect(report).toContain(
      "### shop-prod-us-east-1\n\n**Adopts 1 existing resource** that an interrupted apply made and never recorded (imported, not created): `aws_iam_role.instance_role_8EBCA72E` (`shop-prod-us-east-1`)",
    );
  });
});
