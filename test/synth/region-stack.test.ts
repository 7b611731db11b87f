import type { FleetConfig } from "../../fleet/schema";
import { decodeUserData } from "../../instance/user-data";
import { parse } from "yaml";
import { baseFleet } from "../fixtures";
import {
  addresses,
  body,
  defined,
  onlyName,
  onlyResource,
  referencedAddress,
  resourcesOf,
  stackJson,
  synthFleet,
  type StackJson,
} from "./synth-helpers";

function regionJson(config: FleetConfig, index = 0): StackJson {
  const stack = synthFleet(config).stacks.regions[index];
  if (stack === undefined) throw new Error(`no region stack at ${index}`);
  return stackJson(stack);
}

/** The ports the user data's enable script makes a runit service for. */
function userDataPorts(json: StackJson): number[] {
  const template = onlyResource(json, "aws_launch_template");
  const cloudConfig = parse(decodeUserData(String(template.user_data))) as {
    write_files: { path: string; content: string }[];
  };
  const enable = cloudConfig.write_files.find((f) => f.path === "/usr/local/sbin/cloudrim-enable-services");
  const ports = /^for port in ([\d ]+); do$/m.exec(enable?.content ?? "")?.[1] ?? "";
  return ports
    .split(" ")
    .filter((p) => p !== "")
    .map(Number);
}

describe.each([
  ["m5.large", 2],
  ["c5.xlarge", 4],
  ["m5.4xlarge", 16],
])("a region stack for %s (%i vCPUs)", (instanceType, vcpus) => {
  const processes = vcpus + 1;
  const ports = Array.from({ length: processes }, (_, i) => 9000 + i);
  const json = regionJson(baseFleet({ instanceType }));
  const elbs = resourcesOf(json, "aws_elb");
  const records = resourcesOf(json, "aws_route53_record");
  const aliases = records.filter(([, r]) => r.set_identifier === undefined);
  const weighted = records.filter(([, r]) => r.weighted_routing_policy !== undefined);
  const [global] = records.filter(([, r]) => r.latency_routing_policy !== undefined);
  const dependsOn = (record: Record<string, unknown>) =>
    (record.depends_on as string[]).map((d) => d.replace(/_[0-9A-F]{8}$/, ""));

  it("has one classic load balancer per port, each listening on 9000 and forwarding to its own port", () => {
    expect(elbs).toHaveLength(processes);
    expect(elbs.map(([, elb]) => elb.listener)).toEqual(
      ports.map((port) => [{ lb_port: 9000, lb_protocol: "TCP", instance_port: port, instance_protocol: "TCP" }]),
    );
    expect(elbs.map(([, elb]) => elb.name)).toEqual(ports.map((port) => `cloudrim-prod-${port}`));
  });

  it("health-checks each load balancer's own port over TCP with the original design's timings", () => {
    expect(elbs.map(([, elb]) => elb.health_check)).toEqual(
      ports.map((port) => ({
        target: `TCP:${port}`,
        timeout: 2,
        interval: 20,
        healthy_threshold: 3,
        unhealthy_threshold: 5,
      })),
    );
  });

  it("makes load balancers internal, cross-zone, with connection draining", () => {
    for (const [, elb] of elbs) {
      expect(elb).toMatchObject({ internal: true, cross_zone_load_balancing: true, connection_draining: true });
    }
  });

  it("points one alias A record at each load balancer, evaluating its health", () => {
    expect(aliases).toHaveLength(processes);
    const targets = aliases.map(([, r]) => referencedAddress((r.alias as { name: string }).name, "dns_name"));
    expect(targets).toEqual(elbs.map(([name]) => `aws_elb.${name}`));
    expect(aliases.map(([, r]) => r.name)).toEqual(ports.map((_, i) => `cloudrim${i}.prod.us-east-1.example.com`));
    for (const [, r] of aliases) {
      expect(r.type).toBe("A");
      expect(r.alias).toMatchObject({ evaluate_target_health: true });
      expect((r.alias as { zone_id: string }).zone_id).toMatch(/^\$\{data\.aws_elb_hosted_zone_id\./);
    }
  });

  it("publishes the regional name as a weighted set of alias A records, one per port, each at its load balancer", () => {
    expect(weighted).toHaveLength(processes);
    expect(weighted.map(([, r]) => [r.name, r.type, r.set_identifier, r.weighted_routing_policy, r.ttl])).toEqual(
      ports.map((port) => ["cloudrim.us-east-1.example.com", "A", `us-east-1-port-${port}`, { weight: 1 }, undefined]),
    );
    expect(weighted.map(([, r]) => referencedAddress((r.alias as { name: string }).name, "dns_name"))).toEqual(
      elbs.map(([name]) => `aws_elb.${name}`),
    );
    for (const [, r] of weighted) expect(r.alias).toMatchObject({ evaluate_target_health: true });
  });

  it("adds this region's latency record to the global name, aliasing the regional set in the same zone", () => {
    expect(global?.[1]).toMatchObject({
      name: "cloudrim.example.com",
      type: "A",
      set_identifier: "us-east-1",
      latency_routing_policy: { region: "us-east-1" },
      alias: {
        name: "cloudrim.us-east-1.example.com",
        zone_id: "${data.aws_route53_zone.zone.zone_id}",
        evaluate_target_health: true,
      },
    });
  });

  it("publishes no name before the group and every port's attachment exist, and the global name after the set's first member", () => {
    const attachments = ports.map((port) => `aws_autoscaling_attachment.attach_port-${port}`);
    for (const [, r] of [...aliases, ...weighted]) {
      expect(dependsOn(r)).toEqual(expect.arrayContaining(["aws_autoscaling_group.service_group", ...attachments]));
    }
    expect(dependsOn(defined(global, "the global record")[1])).toEqual(
      expect.arrayContaining([
        "aws_autoscaling_group.service_group",
        `aws_route53_record.dns_weighted-${ports[0] ?? 0}`,
      ]),
    );
  });

  it("makes every weighted member after the first depend on the first, so a replaced set is deleted before it is created", () => {
    const [first, ...rest] = weighted;
    expect(dependsOn(defined(first, "a member")[1])).not.toContain(`aws_route53_record.dns_weighted-${ports[0] ?? 0}`);
    for (const [, r] of rest) expect(dependsOn(r)).toContain(`aws_route53_record.dns_weighted-${ports[0] ?? 0}`);
  });

  it("attaches the Auto Scaling group to every per-port load balancer, one attachment each, and no other", () => {
    const asg = onlyResource(json, "aws_autoscaling_group");
    expect(asg.load_balancers).toBeUndefined();
    // And the desired capacity, which the CPU scaling policy owns once the group exists.
    expect((asg.lifecycle as { ignore_changes: string[] }).ignore_changes).toEqual([
      "load_balancers",
      "target_group_arns",
      "initial_lifecycle_hook",
      "desired_capacity",
    ]);
    const groupAddress = `aws_autoscaling_group.${onlyName(json, "aws_autoscaling_group")}`;
    const attachments = resourcesOf(json, "aws_autoscaling_attachment");
    expect(attachments.map(([name]) => name.replace(/_[0-9A-F]{8}$/, ""))).toEqual(
      ports.map((p) => `attach_port-${p}`),
    );
    for (const [, attachment] of attachments) {
      expect(referencedAddress(attachment.autoscaling_group_name, "name")).toBe(groupAddress);
    }
    expect(attachments.map(([, a]) => referencedAddress(a.elb, "name"))).toEqual(
      elbs.map(([name]) => `aws_elb.${name}`),
    );
  });

  it("writes one runit service per port into the launch template's user data", () => {
    expect(userDataPorts(json)).toEqual(ports);
  });

  it("opens the instance security group on exactly the port range of the processes", () => {
    const ingress = resourcesOf(json, "aws_vpc_security_group_ingress_rule").map(([, r]) => body(r));
    const fromLoadBalancers = ingress.filter((r) => r.referenced_security_group_id !== undefined);
    expect(fromLoadBalancers).toHaveLength(1);
    expect(fromLoadBalancers[0]).toMatchObject({ from_port: 9000, to_port: 9000 + vcpus, ip_protocol: "tcp" });
  });
});

describe("security groups", () => {
  const json = regionJson(baseFleet({ allowedCidrs: ["10.0.0.0/8", "192.168.0.0/16"] }));
  const groups = Object.fromEntries(
    resourcesOf(json, "aws_security_group").map(([name, g]) => [g.name as string, `\${aws_security_group.${name}.id}`]),
  );
  const lbGroup = groups["cloudrim-prod-us-east-1-lb"];
  const instanceGroup = groups["cloudrim-prod-us-east-1-instances"];
  const ingress = resourcesOf(json, "aws_vpc_security_group_ingress_rule").map(([, r]) => body(r));
  const egress = resourcesOf(json, "aws_vpc_security_group_egress_rule").map(([, r]) => body(r));

  it("admits only the listener port on the load balancers, from each allowed CIDR", () => {
    const lbIngress = ingress.filter((r) => r.security_group_id === lbGroup);
    expect(lbIngress.map((r) => [r.from_port, r.to_port, r.cidr_ipv4 ?? r.cidr_ipv6])).toEqual([
      [9000, 9000, "10.0.0.0/8"],
      [9000, 9000, "192.168.0.0/16"],
    ]);
  });

  it("lets the load balancers send only to the instance group, on the service ports", () => {
    const lbEgress = egress.filter((r) => r.security_group_id === lbGroup);
    expect(lbEgress).toEqual([
      expect.objectContaining({ from_port: 9000, to_port: 9002, referenced_security_group_id: instanceGroup }),
    ]);
  });

  it("admits only the load balancer group on the instances", () => {
    const instanceIngress = ingress.filter((r) => r.security_group_id === instanceGroup);
    expect(instanceIngress).toEqual([
      expect.objectContaining({ from_port: 9000, to_port: 9002, referenced_security_group_id: lbGroup }),
    ]);
  });

  it("lets instances out only on HTTP and HTTPS, for package installs", () => {
    const instanceEgress = egress.filter((r) => r.security_group_id === instanceGroup);
    expect(instanceEgress.map((r) => [r.from_port, r.cidr_ipv4])).toEqual([
      [443, "0.0.0.0/0"],
      [80, "0.0.0.0/0"],
    ]);
  });
});

describe("the launch template and Auto Scaling group", () => {
  const json = regionJson(baseFleet({ capacity: { min: 2, desired: 3, max: 6 } }));
  const template = onlyResource(json, "aws_launch_template");
  const asg = onlyResource(json, "aws_autoscaling_group");

  it("requires IMDSv2 and encrypts the root volume of the looked-up image", () => {
    expect(template.metadata_options).toMatchObject({ http_tokens: "required", http_endpoint: "enabled" });
    expect(template.block_device_mappings).toEqual([
      {
        device_name: expect.stringMatching(/^\$\{data\.aws_ami\.[^.]+\.root_device_name\}$/),
        ebs: { encrypted: "true", volume_type: "gp3", volume_size: 16, delete_on_termination: "true" },
      },
    ]);
  });

  it("carries the user data as a literal base64 string rendered at synth time", () => {
    expect(template.user_data).toMatch(/^[A-Za-z0-9+/]+=*$/);
    expect(decodeUserData(template.user_data as string)).toMatch(/^#cloud-config\n/);
  });

  it("judges instances on EC2 health (load balancer checks are readiness), and refreshes them when the template changes", () => {
    expect(asg).toMatchObject({
      min_size: 2,
      desired_capacity: 3,
      max_size: 6,
      health_check_type: "EC2",
      health_check_grace_period: 300,
      instance_refresh: { strategy: "Rolling" },
    });
    expect((asg.launch_template as { version: string }).version).toMatch(/\.latest_version\}$/);
  });

  it("lets a new instance into service only when its boot completes the launch hook, abandoning it after the boot timeout", () => {
    const hook = {
      name: "boot",
      lifecycle_transition: "autoscaling:EC2_INSTANCE_LAUNCHING",
      heartbeat_timeout: 600,
      default_result: "ABANDON",
    };
    // On the group, for its first instances; as its own resource, for groups that existed before, and later changes.
    expect(asg.initial_lifecycle_hook).toEqual([hook]);
    expect((asg.lifecycle as { ignore_changes: string[] }).ignore_changes).toContain("initial_lifecycle_hook");
    const [[name, separate]] = resourcesOf(json, "aws_autoscaling_lifecycle_hook") as [
      [string, Record<string, unknown>],
    ];
    expect(separate).toEqual({
      ...hook,
      autoscaling_group_name: `\${aws_autoscaling_group.${onlyName(json, "aws_autoscaling_group")}.name}`,
    });
    expect(name).toMatch(/^service_boot-hook_/);
  });

  it("turns on detailed (one-minute) monitoring in the launch template", () => {
    expect(onlyResource(json, "aws_launch_template").monitoring).toEqual({ enabled: true });
  });

  it("propagates the deployment tag to the instances", () => {
    expect(asg.tag).toContainEqual({ key: "Deployment", value: "prod", propagate_at_launch: true });
  });

  it("looks up the newest Debian 12 image for the instance's architecture", () => {
    const [ami] = Object.values(json.data.aws_ami ?? {});
    expect(body(defined(ami, "an aws_ami lookup"))).toEqual({
      most_recent: true,
      owners: ["136693071363"],
      filter: [
        { name: "name", values: ["debian-12-amd64-*"] },
        { name: "state", values: ["available"] },
        { name: "architecture", values: ["x86_64"] },
      ],
    });
  });
});

describe("HTTP health checks", () => {
  it("check HTTP on the health path of each load balancer's own port when the fleet sets one", () => {
    const json = regionJson(baseFleet({ healthCheck: { path: "/healthz", interval: 10 } }));
    expect(resourcesOf(json, "aws_elb").map(([, elb]) => elb.health_check)).toEqual(
      [9000, 9001, 9002].map((port) => ({
        target: `HTTP:${port}/healthz`,
        timeout: 2,
        interval: 10,
        healthy_threshold: 3,
        unhealthy_threshold: 5,
      })),
    );
  });
});

describe("the instance role", () => {
  const releaseFleet = baseFleet({
    app: { release: { bucket: "acme-releases", key: "releases/cloudrim/abc.tgz", sha256: "a".repeat(64) } },
  });
  const [east, west] = synthFleet(releaseFleet).stacks.regions.map(stackJson) as [StackJson, StackJson];

  /** Each inline policy of the role, by its name, as the JSON document it holds. */
  const policies = (json: StackJson) =>
    Object.fromEntries(
      resourcesOf(json, "aws_iam_role_policy").map(([, p]) => [
        String(p.name),
        JSON.parse(String(p.policy)) as unknown,
      ]),
    );

  it("may read the releases in its release's folder and nothing else in S3: never the whole bucket", () => {
    expect(policies(east)["read-release"]).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "ReadTheReleases",
          Effect: "Allow",
          Action: "s3:GetObject",
          Resource: "arn:aws:s3:::acme-releases/releases/cloudrim/*",
        },
      ],
    });
    expect(JSON.stringify(east.resource.aws_iam_role_policy)).not.toMatch(
      /s3:\*|"Resource":"\*"[^]*s3:|acme-releases\/\*"/,
    );
    // A key at the bucket's root: that object alone.
    const atRoot = regionJson(
      baseFleet({ app: { release: { bucket: "acme-releases", key: "abc.tgz", sha256: "a".repeat(64) } } }),
    );
    expect(JSON.stringify(policies(atRoot)["read-release"])).toContain(
      '"Resource":"arn:aws:s3:::acme-releases/abc.tgz"',
    );
  });

  it("can read the previous release and the next while a release rolls out, and has that before any instance of the next boots", () => {
    // Release abc is running; def rolls out. Instances of either (a rollback, a scale-out) must fetch theirs.
    const next = regionJson(
      baseFleet({
        app: { release: { bucket: "acme-releases", key: "releases/cloudrim/def.tgz", sha256: "b".repeat(64) } },
      }),
    );
    const readable = (json: StackJson) =>
      (policies(json)["read-release"] as { Statement: { Resource: string }[] }).Statement[0]?.Resource ?? "";
    const matches = (pattern: string, key: string) =>
      new RegExp(`^${pattern.replace(/[.*]/g, (c) => (c === "*" ? ".*" : "\\."))}$`).test(
        `arn:aws:s3:::acme-releases/${key}`,
      );
    for (const json of [east, next]) {
      expect(matches(readable(json), "releases/cloudrim/abc.tgz")).toBe(true);
      expect(matches(readable(json), "releases/cloudrim/def.tgz")).toBe(true);
    }
    // The apply does not move the permission under running instances: the policy is the same before and after.
    expect(readable(next)).toBe(readable(east));
    // A new launch template version waits for it; a targeted stage 1 (-target=the group) takes it along.
    const [policyAddress] = resourcesOf(east, "aws_iam_role_policy").flatMap(([name, p]) =>
      p.name === "read-release" ? [`aws_iam_role_policy.${name}`] : [],
    );
    const [[, template] = ["", {}]] = resourcesOf(east, "aws_launch_template");
    expect(template.depends_on).toEqual([policyAddress]);
  });

  it("has no S3 permission at all without a release", () => {
    const json = regionJson(baseFleet());
    expect(Object.keys(policies(json)).sort()).toEqual([
      "own-group",
      "read-group-health",
      "session-manager",
      "ship-logs",
    ]);
    expect(JSON.stringify(json.resource)).not.toMatch(/s3:/);
  });

  it("writes to its region's log group only, and acts on its own Auto Scaling group only", () => {
    const logGroup = onlyName(east, "aws_cloudwatch_log_group", /^logs_instances_/);
    expect(policies(east)["ship-logs"]).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "ShipToTheRegionsLogGroup",
          Effect: "Allow",
          Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
          Resource: [`\${aws_cloudwatch_log_group.${logGroup}.arn}`, `\${aws_cloudwatch_log_group.${logGroup}.arn}:*`],
        },
      ],
    });
    // Before a hand-over, the watchdog counts its group's instances already out of service: one read, on *
    // (it has no resource-level permissions), alone in its policy.
    expect(policies(east)["read-group-health"]).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "CountOwnGroupsHandOvers",
          Effect: "Allow",
          Action: "autoscaling:DescribeAutoScalingGroups",
          Resource: "*",
        },
      ],
    });
    // A fleet without a watchdog reads nothing of its group.
    expect(Object.keys(policies(regionJson(baseFleet({ watchdog: false }))))).not.toContain("read-group-health");
    expect(policies(east)["own-group"]).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "ReportOwnBootAndHealth",
          Effect: "Allow",
          Action: ["autoscaling:CompleteLifecycleAction", "autoscaling:SetInstanceHealth"],
          Resource: expect.stringMatching(
            /^arn:\$\{data\.aws_partition\.\S+\.partition\}:autoscaling:us-east-1:\$\{data\.aws_caller_identity\.\S+\.account_id\}:autoScalingGroup:\*:autoScalingGroupName\/cloudrim-prod-us-east-1$/,
          ),
        },
      ],
    });
  });

  it("talks to Session Manager only (no managed policy, no Parameter Store), logs every session, and has no SSH anywhere", () => {
    expect(resourcesOf(east, "aws_iam_role_policy_attachment")).toEqual([]);
    const ssm = JSON.stringify(policies(east)["session-manager"]);
    expect(ssm).toContain("ssmmessages:OpenDataChannel");
    expect(ssm).not.toMatch(/ssm:GetParameter|ssm:\*|"\*:\*"|"ssm:Get/);
    const [[, document]] = resourcesOf(east, "aws_ssm_document") as [[string, Record<string, unknown>]];
    expect(document).toMatchObject({ name: "cloudrim-prod-us-east-1-session", document_type: "Session" });
    expect(JSON.parse(String(document.content))).toMatchObject({
      sessionType: "Standard_Stream",
      inputs: { cloudWatchLogGroupName: "/cloudrim-prod-us-east-1", cloudWatchStreamingEnabled: true },
    });
    const without = regionJson(baseFleet({ ssm: false }));
    expect(Object.keys(policies(without)).sort()).toEqual(["own-group", "read-group-health", "ship-logs"]);
    expect(resourcesOf(without, "aws_ssm_document")).toEqual([]);
    expect(JSON.stringify(east)).not.toMatch(/"(from|to)_port": ?22\b/);
    expect(onlyResource(east, "aws_launch_template").key_name).toBeUndefined();
  });

  it("may read exactly the app's parameters and secrets of its own region, and has the app's managed policies attached", () => {
    const configured = baseFleet({
      app: {
        secrets: {
          DB_PASSWORD: "arn:aws:ssm:{region}:123456789012:parameter/cloudrim/db-password",
          API_KEY: "arn:aws:secretsmanager:{region}:123456789012:secret:cloudrim/api-key-AbCdEf",
        },
        policyArns: ["arn:aws:iam::aws:policy/AmazonSQSReadOnlyAccess", "arn:aws:iam::123456789012:policy/team/queue"],
      },
    });
    const [eastStack, westStack] = synthFleet(configured).stacks.regions.map(stackJson) as [StackJson, StackJson];
    for (const [json, region] of [
      [eastStack, "us-east-1"],
      [westStack, "us-west-2"],
    ] as const) {
      const read = policies(json)["read-secrets"] as { Statement: { Sid: string; Resource: string[] }[] };
      expect(read.Statement.map((s) => [s.Sid, s.Resource])).toEqual([
        ["ReadTheParameters", [`arn:aws:ssm:${region}:123456789012:parameter/cloudrim/db-password`]],
        ["DecryptTheParameters", [`arn:aws:kms:${region}:123456789012:key/*`]],
        ["ReadTheSecrets", [`arn:aws:secretsmanager:${region}:123456789012:secret:cloudrim/api-key-AbCdEf`]],
        ["DecryptTheSecrets", [`arn:aws:kms:${region}:123456789012:key/*`]],
      ]);
      const role = onlyName(json, "aws_iam_role");
      expect(
        resourcesOf(json, "aws_iam_role_policy_attachment").map(([name, a]) => [
          name.replace(/_[0-9A-F]{8}$/, ""),
          a.policy_arn,
          a.role,
        ]),
      ).toEqual([
        [
          "instance_policy-123456789012-team_queue",
          "arn:aws:iam::123456789012:policy/team/queue",
          `\${aws_iam_role.${role}.name}`,
        ],
        [
          "instance_policy-aws-AmazonSQSReadOnlyAccess",
          "arn:aws:iam::aws:policy/AmazonSQSReadOnlyAccess",
          `\${aws_iam_role.${role}.name}`,
        ],
      ]);
    }
    expect(Object.keys(policies(east))).not.toContain("read-secrets");
  });

  it("is trusted by EC2 only, and reaches the instances through the launch template's instance profile", () => {
    const trust = Object.values(east.data.aws_iam_policy_document ?? {})[0];
    expect(trust).toMatchObject({
      statement: [
        { actions: ["sts:AssumeRole"], principals: [{ type: "Service", identifiers: ["ec2.amazonaws.com"] }] },
      ],
    });
    const profileName = onlyName(east, "aws_iam_instance_profile");
    expect(onlyResource(east, "aws_launch_template").iam_instance_profile).toEqual({
      arn: `\${aws_iam_instance_profile.${profileName}.arn}`,
    });
  });

  it("is named for its stack, so every region's role and profile are unique in the account", () => {
    const names = [east, west].flatMap((json) => [
      onlyResource(json, "aws_iam_role").name,
      onlyResource(json, "aws_iam_instance_profile").name,
    ]);
    expect(names).toEqual([
      "cloudrim-prod-us-east-1",
      "cloudrim-prod-us-east-1",
      "cloudrim-prod-us-west-2",
      "cloudrim-prod-us-west-2",
    ]);
  });
});

describe("the logs that leave the instances", () => {
  const json = regionJson(baseFleet({ logs: { retentionDays: 90 } }));
  const groups = Object.fromEntries(
    resourcesOf(json, "aws_cloudwatch_log_group").map(([name, group]) => [name.replace(/_[0-9A-F]{8}$/, ""), group]),
  );

  it("go to one group per region named after its stack, kept for the retention asked (30 days by default)", () => {
    expect(groups["logs_instances"]).toEqual({ name: "/cloudrim-prod-us-east-1", retention_in_days: 90 });
    expect(groups["logs_events"]).toEqual({ name: "/aws/events/cloudrim-prod-us-east-1", retention_in_days: 90 });
    const byDefault = resourcesOf(regionJson(baseFleet()), "aws_cloudwatch_log_group").map(
      ([, g]) => g.retention_in_days,
    );
    expect(byDefault).toEqual([30, 30]);
  });

  it("keep the group's Auto Scaling events, written by EventBridge under a policy for that group only", () => {
    const rule = onlyResource(json, "aws_cloudwatch_event_rule");
    expect(JSON.parse(String(rule.event_pattern))).toEqual({
      source: ["aws.autoscaling"],
      detail: { AutoScalingGroupName: ["cloudrim-prod-us-east-1"] },
    });
    const events = onlyName(json, "aws_cloudwatch_log_group", /^logs_events_/);
    expect(onlyResource(json, "aws_cloudwatch_event_target")).toMatchObject({
      arn: `\${aws_cloudwatch_log_group.${events}.arn}`,
    });
    const policy = JSON.parse(String(onlyResource(json, "aws_cloudwatch_log_resource_policy").policy_document)) as {
      Statement: { Principal: unknown; Action: string[]; Resource: string }[];
    };
    expect(policy.Statement).toEqual([
      expect.objectContaining({
        Principal: { Service: ["events.amazonaws.com", "delivery.logs.amazonaws.com"] },
        Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
        Resource: `\${aws_cloudwatch_log_group.${events}.arn}:*`,
      }),
    ]);
  });

  it("are counted where they matter: restarts, hand-overs and abandoned boots in the instances' logs, failed refreshes in the events", () => {
    const filters = resourcesOf(json, "aws_cloudwatch_log_metric_filter").map(([, f]) => [
      f.pattern,
      String(f.log_group_name).includes("logs_events") ? "events" : "instances",
      (f.metric_transformation as { name: string; namespace: string }).name,
    ]);
    expect(filters).toEqual(
      expect.arrayContaining([
        ['"restarting it"', "instances", "WatchdogRestarts"],
        ['"handing this instance to its group"', "instances", "InstancesHandedOver"],
        ['"abandoning the launch"', "instances", "BootsAbandoned"],
        ['{ $.detail-type = "EC2 Auto Scaling Instance Refresh Failed" }', "events", "InstanceRefreshesFailed"],
      ]),
    );
    expect(filters).toHaveLength(4);
  });
});

describe("network load balancers (loadBalancerType: network)", () => {
  const json = regionJson(baseFleet({ loadBalancerType: "network", healthCheck: { path: "/healthz" } }));
  const lbs = resourcesOf(json, "aws_lb");
  const groups = resourcesOf(json, "aws_lb_target_group");
  const listeners = resourcesOf(json, "aws_lb_listener");
  const attachments = resourcesOf(json, "aws_autoscaling_attachment");
  const ports = [9000, 9001, 9002];
  const short = (name: string) => name.replace(/_[0-9A-F]{8}$/, "");

  it("has one NLB, listener, target group and attachment per port, and no classic load balancer", () => {
    expect(lbs.map(([name]) => short(name))).toEqual(ports.map((p) => `balancers_port-${p}`));
    expect(groups.map(([name]) => short(name))).toEqual(ports.map((p) => `balancers_targets-${p}`));
    expect(listeners.map(([name]) => short(name))).toEqual(ports.map((p) => `balancers_listener-${p}`));
    expect(attachments.map(([name]) => short(name))).toEqual(ports.map((p) => `attach_port-${p}`));
    expect(resourcesOf(json, "aws_elb")).toEqual([]);
  });

  it("makes each NLB internal, cross-zone, with the load balancer security group from its creation", () => {
    for (const [, lb] of lbs) {
      expect(lb).toMatchObject({
        load_balancer_type: "network",
        internal: true,
        enable_cross_zone_load_balancing: true,
      });
      expect(lb.security_groups).toEqual([expect.stringMatching(/^\$\{aws_security_group\.security_load-balancers_/)]);
    }
  });

  it("listens on 9000 and forwards each NLB to a target group of its own instance port, checked over HTTP on the path", () => {
    listeners.forEach(([, listener], i) => {
      expect(listener).toMatchObject({ port: 9000, protocol: "TCP" });
      expect(referencedAddress(listener.load_balancer_arn, "arn")).toBe(`aws_lb.${defined(lbs[i], "an NLB")[0]}`);
      const [action] = listener.default_action as { type: string; target_group_arn: string }[];
      expect(action?.type).toBe("forward");
      expect(referencedAddress(action?.target_group_arn, "arn")).toBe(
        `aws_lb_target_group.${defined(groups[i], "a target group")[0]}`,
      );
    });
    expect(groups.map(([, g]) => [g.port, g.protocol, g.target_type, g.deregistration_delay, g.health_check])).toEqual(
      ports.map((port) => [
        port,
        "TCP",
        "instance",
        "300",
        {
          enabled: true,
          port: "traffic-port",
          protocol: "HTTP",
          path: "/healthz",
          matcher: "200",
          timeout: 2,
          interval: 20,
          healthy_threshold: 3,
          unhealthy_threshold: 5,
        },
      ]),
    );
  });

  it("attaches each target group to the Auto Scaling group, and aliases each port's names at its NLB", () => {
    attachments.forEach(([, attachment], i) => {
      expect(referencedAddress(attachment.lb_target_group_arn, "arn")).toBe(
        `aws_lb_target_group.${defined(groups[i], "a target group")[0]}`,
      );
      expect(attachment.elb).toBeUndefined();
    });
    const records = resourcesOf(json, "aws_route53_record").filter(([, r]) => r.latency_routing_policy === undefined);
    for (const [, record] of records) {
      expect((record.alias as { zone_id: string }).zone_id).toMatch(/^\$\{data\.aws_lb_hosted_zone_id\./);
      expect((record.alias as { name: string }).name).toMatch(/^\$\{aws_lb\./);
    }
    expect(Object.values(json.data.aws_lb_hosted_zone_id ?? {}).map(body)).toEqual([{ load_balancer_type: "network" }]);
  });

  it("checks TCP when the fleet has no health path", () => {
    const tcp = resourcesOf(regionJson(baseFleet({ loadBalancerType: "network" })), "aws_lb_target_group");
    expect(tcp.map(([, g]) => (g.health_check as { protocol: string; path?: string }).protocol)).toEqual([
      "TCP",
      "TCP",
      "TCP",
    ]);
    expect(tcp.map(([, g]) => (g.health_check as { path?: string }).path)).toEqual([undefined, undefined, undefined]);
  });

  it("mixes types by region: each region has only its own kind", () => {
    const { stacks } = synthFleet(
      baseFleet({ regions: [{ region: "us-east-1" }, { region: "us-west-2", loadBalancerType: "network" }] }),
    );
    const [east, west] = stacks.regions.map(stackJson) as [StackJson, StackJson];
    expect([resourcesOf(east, "aws_elb").length, resourcesOf(east, "aws_lb").length]).toEqual([3, 0]);
    expect([resourcesOf(west, "aws_elb").length, resourcesOf(west, "aws_lb").length]).toEqual([0, 3]);
  });
});

describe("network and DNS lookups", () => {
  it("uses the default VPC and its default subnets unless told otherwise", () => {
    const json = regionJson(baseFleet());
    expect(Object.values(json.data.aws_vpc ?? {}).map(body)).toEqual([{ default: true }]);
    const [subnets] = Object.values(json.data.aws_subnets ?? {});
    expect(subnets?.filter).toContainEqual({ name: "default-for-az", values: ["true"] });
  });

  it("uses the given VPC and subnets, and checks at plan time that they are one per zone", () => {
    const json = regionJson(
      baseFleet({
        regions: [{ region: "us-east-1", vpcId: "vpc-0123abcd", subnetIds: ["subnet-0123abcd", "subnet-4567ef01"] }],
      }),
    );
    expect(json.data.aws_vpc).toBeUndefined();
    expect(json.data.aws_subnets).toBeUndefined();
    for (const [, elb] of resourcesOf(json, "aws_elb")) {
      expect(elb.subnets).toEqual(["subnet-0123abcd", "subnet-4567ef01"]);
    }
    for (const [, group] of resourcesOf(json, "aws_security_group")) expect(group.vpc_id).toBe("vpc-0123abcd");
    expect(Object.values(json.data.aws_subnet ?? {}).map(body)).toEqual([
      { for_each: '${toset(["subnet-0123abcd", "subnet-4567ef01"])}', id: "${each.value}" },
    ]);
    const checks = (
      onlyResource(json, "aws_autoscaling_group").lifecycle as { precondition: { error_message: string }[] }
    ).precondition;
    expect(checks.map((c) => c.error_message)).toEqual([
      expect.stringMatching(/^In VPC vpc-0123abcd, subnetIds put several subnets in one availability zone: /),
    ]);
  });

  it("picks a VPC's subnets by tag, checking at plan time that some exist and that they are one per zone", () => {
    const json = regionJson(
      baseFleet({ regions: [{ region: "us-east-1", vpcId: "vpc-0123abcd", subnetTags: { Tier: "private" } }] }),
    );
    expect(Object.values(json.data.aws_subnets ?? {}).map(body)).toEqual([
      { filter: [{ name: "vpc-id", values: ["vpc-0123abcd"] }], tags: { Tier: "private" } },
    ]);
    for (const [, elb] of resourcesOf(json, "aws_elb")) expect(String(elb.subnets)).toMatch(/data\.aws_subnets\./);
    const checks = (
      onlyResource(json, "aws_autoscaling_group").lifecycle as { precondition: { error_message: string }[] }
    ).precondition;
    expect(checks.map((c) => c.error_message)).toEqual([
      'VPC vpc-0123abcd has no subnet tagged {"Tier":"private"}; fix subnetTags or list subnetIds.',
      expect.stringMatching(/^In VPC vpc-0123abcd, the subnets tagged \{"Tier":"private"\} put several subnets/),
    ]);
  });

  it("checks nothing in the default VPC, whose default subnets are one per zone", () => {
    expect(onlyResource(regionJson(baseFleet()), "aws_autoscaling_group").lifecycle).not.toHaveProperty("precondition");
  });

  it("looks the hosted zone up by domain, public or private as configured", () => {
    const json = regionJson(baseFleet({ privateZone: true }));
    expect(Object.values(json.data.aws_route53_zone ?? {}).map(body)).toEqual([
      { name: "example.com", private_zone: true },
    ]);
  });
});

describe("stack outputs", () => {
  it("outputs the regional name, per-port names, load balancer DNS names and the ASG name", () => {
    const json = regionJson(baseFleet({ processes: 2 }));
    expect(json.output.regional_name?.value).toBe("cloudrim.us-east-1.example.com");
    expect(json.output.port_names?.value).toEqual([
      "cloudrim0.prod.us-east-1.example.com",
      "cloudrim1.prod.us-east-1.example.com",
    ]);
    expect(Object.keys(json.output.load_balancer_dns_names?.value as object)).toEqual([
      "cloudrim0.prod.us-east-1.example.com",
      "cloudrim1.prod.us-east-1.example.com",
    ]);
    expect(String(json.output.asg_name?.value)).toMatch(/^\$\{aws_autoscaling_group\.[^.]+\.name\}$/);
  });
});

describe("stable Terraform addresses", () => {
  it("adding a port only adds resources: every existing address keeps its place", () => {
    const before = regionJson(baseFleet({ processes: 3 }));
    const after = regionJson(baseFleet({ processes: 4 }));
    const added = addresses(after).filter((a) => !addresses(before).includes(a));
    expect(addresses(before).every((a) => addresses(after).includes(a))).toBe(true);
    expect(added.map((a) => a.replace(/_[0-9A-F]{8}$/, ""))).toEqual([
      "aws_autoscaling_attachment.attach_port-9003",
      "aws_cloudwatch_metric_alarm.alarms_port-9003",
      "aws_cloudwatch_metric_alarm.alarms_share-9003",
      "aws_cloudwatch_metric_alarm.alarms_unhealthy-9003",
      "aws_elb.balancers_port-9003",
      "aws_route53_record.dns_alias-9003",
      "aws_route53_record.dns_weighted-9003",
    ]);
  });

  it("adding a port leaves the existing load balancers, records and security groups untouched", () => {
    const before = regionJson(baseFleet({ processes: 3 }));
    const after = regionJson(baseFleet({ processes: 4 }));
    // depends_on orders operations; it is not an attribute, so a new port's attachment in it changes nothing.
    const attributes = (resource: Record<string, unknown>) => {
      const { depends_on: _order, ...rest } = body(resource);
      return rest;
    };
    for (const type of ["aws_elb", "aws_route53_record", "aws_security_group"]) {
      for (const [name, resource] of resourcesOf(before, type)) {
        expect(attributes(after.resource[type]?.[name] ?? {})).toEqual(attributes(resource));
      }
    }
  });

  it("adding an allowed CIDR only adds its rule", () => {
    const before = regionJson(baseFleet({ allowedCidrs: ["10.0.0.0/8"] }));
    const after = regionJson(baseFleet({ allowedCidrs: ["172.16.0.0/12", "10.0.0.0/8"] }));
    expect(addresses(after).filter((a) => !addresses(before).includes(a))).toHaveLength(1);
    expect(addresses(before).every((a) => addresses(after).includes(a))).toBe(true);
  });
});

describe("instance refresh", () => {
  const group = (config: FleetConfig) => onlyResource(regionJson(config), "aws_autoscaling_group");

  it("launches before it terminates, warms each instance up for the grace period, skips instances already on the template", () => {
    const asg = group(baseFleet({ healthCheckGracePeriod: 120 }));
    expect(asg.instance_refresh).toEqual({
      strategy: "Rolling",
      preferences: {
        min_healthy_percentage: 100,
        max_healthy_percentage: 200,
        instance_warmup: "120",
        skip_matching: true,
        auto_rollback: false,
        alarm_specification: {
          alarms: [
            expect.stringMatching(/^\$\{aws_cloudwatch_metric_alarm\.alarms_guard-9000_[0-9A-F]{8}\.alarm_name\}$/),
            expect.stringMatching(
              /^\$\{aws_cloudwatch_metric_alarm\.host-alarms_abandoned-boots_[0-9A-F]{8}\.alarm_name\}$/,
            ),
            expect.stringMatching(
              /^\$\{aws_cloudwatch_metric_alarm\.host-alarms_below-desired_[0-9A-F]{8}\.alarm_name\}$/,
            ),
            expect.stringMatching(/^\$\{aws_cloudwatch_metric_alarm\.serving_errors-9000_[0-9A-F]{8}\.alarm_name\}$/),
            expect.stringMatching(/^\$\{aws_cloudwatch_metric_alarm\.serving_latency-9000_[0-9A-F]{8}\.alarm_name\}$/),
          ],
        },
      },
    });
  });

  it("stops once one instance of a group of 3 is new, for as long as its checks and bake take; smaller groups do not", () => {
    const preferences = (config: FleetConfig) =>
      (group(config).instance_refresh as { preferences: Record<string, unknown> }).preferences;
    const three = preferences(
      baseFleet({
        capacity: { min: 3, desired: 3, max: 6 },
        healthCheck: { interval: 10, healthyThreshold: 3 },
        rollout: { bakeSeconds: 300 },
      }),
    );
    expect(three).toMatchObject({ checkpoint_percentages: [33, 100], checkpoint_delay: String(50 + 300 + 30) });
    const two = preferences(baseFleet({ capacity: { min: 2, desired: 2, max: 4 } }));
    expect(Object.keys(two).filter((key) => key.startsWith("checkpoint"))).toEqual([]);
  });

  it("replaces an unhealthy instance by launching its successor first, as a refresh does", () => {
    expect(group(baseFleet()).instance_maintenance_policy).toEqual({
      min_healthy_percentage: 100,
      max_healthy_percentage: 200,
    });
  });

  const refreshAlarms = (config: FleetConfig) =>
    (
      group(config).instance_refresh as { preferences: { alarm_specification: { alarms: string[] } } }
    ).preferences.alarm_specification.alarms.map((a) =>
      a.replace(/_[0-9A-F]{8}\.alarm_name\}$/, "").replace("${aws_cloudwatch_metric_alarm.", ""),
    );

  it("stops on one guard alarm per ten ports, the abandoned boots, and ports serving badly, which the group waits for", () => {
    expect(refreshAlarms(baseFleet({ processes: 17 }))).toEqual([
      "alarms_guard-9000",
      "alarms_guard-9010",
      "host-alarms_abandoned-boots",
      "host-alarms_below-desired",
      "serving_errors-9000",
      "serving_errors-9010",
      "serving_latency-9000",
      "serving_latency-9010",
    ]);
  });

  it("watches no latency behind network load balancers, and at most ten alarms, the guards and boots first", () => {
    expect(refreshAlarms(baseFleet({ loadBalancerType: "network", processes: 3 }))).toEqual([
      "alarms_guard-9000",
      "host-alarms_abandoned-boots",
      "host-alarms_below-desired",
      "serving_errors-9000",
    ]);
    // 50 ports: five guards, the two boot alarms, then three of the five backend-error alarms; the bake
    // watches the other two.
    expect(refreshAlarms(baseFleet({ loadBalancerType: "network", processes: 50 }))).toEqual([
      ...[9000, 9010, 9020, 9030, 9040].map((port) => `alarms_guard-${port}`),
      "host-alarms_abandoned-boots",
      "host-alarms_below-desired",
      ...[9000, 9010, 9020].map((port) => `serving_errors-${port}`),
    ]);
  });

  it("can be turned off: then only instances launched later use a new template", () => {
    expect(group(baseFleet({ instanceRefresh: false })).instance_refresh).toBeUndefined();
  });
});

describe("scaling, alarms and the dashboard", () => {
  const short = (name: string) => name.replace(/_[0-9A-F]{8}$/, "");
  /** The per-port "no healthy instance" alarms, in port order. */
  const portAlarmsOf = (json: StackJson) =>
    resourcesOf(json, "aws_cloudwatch_metric_alarm").filter(([name]) => name.startsWith("alarms_port-"));
  /** The `type.name` addresses a dashboard body references with `attribute`, e.g. every `aws_elb.….name`. */
  const referenced = (dashboardBody: unknown, type: string, attribute: string) =>
    [
      ...new Set(
        [...String(dashboardBody).matchAll(new RegExp(`${type}\\.([A-Za-z0-9_-]+)\\.${attribute}`, "g"))].map((m) =>
          short(m[1] ?? ""),
        ),
      ),
    ].sort();

  it("scales each region's group on average CPU, one target-tracking policy with the configured target", () => {
    const config = baseFleet({
      scaling: { cpuTarget: 45 },
      healthCheckGracePeriod: 240,
      regions: [{ region: "us-east-1" }, { region: "us-west-2", scaling: { cpuTarget: 70 } }],
    });
    const [east, west] = [regionJson(config, 0), regionJson(config, 1)];
    const policy = onlyResource(east, "aws_autoscaling_policy");
    expect(body(policy)).toEqual({
      name: "cloudrim-prod-us-east-1-cpu",
      autoscaling_group_name: `\${aws_autoscaling_group.${onlyName(east, "aws_autoscaling_group")}.name}`,
      policy_type: "TargetTrackingScaling",
      estimated_instance_warmup: 240,
      target_tracking_configuration: {
        predefined_metric_specification: { predefined_metric_type: "ASGAverageCPUUtilization" },
        target_value: 45,
      },
    });
    expect(onlyResource(west, "aws_autoscaling_policy").target_tracking_configuration).toMatchObject({
      target_value: 70,
    });
    expect(onlyResource(east, "aws_autoscaling_group")).toMatchObject({
      enabled_metrics: ["GroupDesiredCapacity", "GroupInServiceInstances", "GroupMaxSize"],
      metrics_granularity: "1Minute",
    });
  });

  it("with scaling: false, has no policy and Terraform keeps the desired capacity", () => {
    const json = regionJson(baseFleet({ scaling: false }));
    expect(resourcesOf(json, "aws_autoscaling_policy")).toEqual([]);
    const asg = onlyResource(json, "aws_autoscaling_group");
    expect((asg.lifecycle as { ignore_changes: string[] }).ignore_changes).not.toContain("desired_capacity");
    expect(asg.desired_capacity).toBe(2);
  });

  it("has one alarm per port load balancer, matching the port list one to one as ports come and go", () => {
    for (const processes of [3, 5, 2]) {
      const json = regionJson(baseFleet({ processes }));
      const ports = Array.from({ length: processes }, (_, i) => 9000 + i);
      const alarms = portAlarmsOf(json);
      expect(alarms.map(([name]) => short(name))).toEqual(ports.map((p) => `alarms_port-${p}`));
      const elbs = new Map(resourcesOf(json, "aws_elb").map(([name, elb]) => [elb.name, name]));
      for (const [[, alarm], port] of alarms.map((a, i) => [a, ports[i]] as const)) {
        expect(alarm).toMatchObject({
          alarm_name: `cloudrim-prod-us-east-1-${port}-no-healthy-instances`,
          namespace: "AWS/ELB",
          metric_name: "HealthyHostCount",
          statistic: "Maximum",
          comparison_operator: "LessThanThreshold",
          threshold: 1,
          evaluation_periods: 3,
          datapoints_to_alarm: 3,
          treat_missing_data: "breaching",
        });
        const lb = referencedAddress((alarm.dimensions as Record<string, string>).LoadBalancerName, "name");
        expect(lb).toBe(`aws_elb.${elbs.get(`cloudrim-prod-${port}`) ?? "?"}`);
        expect(alarm.alarm_actions).toBeUndefined();
      }
    }
  });

  it("watches each network load balancer's target group by both ARN suffixes", () => {
    const json = regionJson(baseFleet({ loadBalancerType: "network", processes: 2 }));
    const [first] = portAlarmsOf(json);
    expect(first?.[1]).toMatchObject({ namespace: "AWS/NetworkELB", metric_name: "HealthyHostCount" });
    const dims = first?.[1].dimensions as Record<string, string>;
    expect(short(referencedAddress(dims.TargetGroup, "arn_suffix"))).toBe("aws_lb_target_group.balancers_targets-9000");
    expect(short(referencedAddress(dims.LoadBalancer, "arn_suffix"))).toBe("aws_lb.balancers_port-9000");
  });

  it("has one composite alarm for the region, in ALARM when every port's alarm is", () => {
    const json = regionJson(baseFleet({ processes: 3, alarms: { minutes: 5 } }));
    const region = onlyResource(json, "aws_cloudwatch_composite_alarm");
    const portAlarms = portAlarmsOf(json).map(([name]) => name);
    expect(region.alarm_name).toBe("cloudrim-prod-us-east-1-all-ports-down");
    expect(region.alarm_rule).toBe(
      portAlarms.map((name) => `ALARM("\${aws_cloudwatch_metric_alarm.${name}.alarm_name}")`).join(" AND "),
    );
    expect(region.alarm_description).toBe(
      "No port of the region has had a healthy instance for 5 minutes: cloudrim.us-east-1.example.com answers nothing, and cloudrim.example.com sends this region's clients elsewhere.",
    );
    expect(portAlarmsOf(json)[0]?.[1].evaluation_periods).toBe(5);
  });

  it("notifies the topic of ALARM and OK from every alarm, when there is one", () => {
    const topic = "arn:aws:sns:us-east-1:123456789012:on-call";
    const json = regionJson(baseFleet({ regions: [{ region: "us-east-1", alarms: { topicArn: topic } }] }));
    const alarms = [
      ...resourcesOf(json, "aws_cloudwatch_metric_alarm"),
      ...resourcesOf(json, "aws_cloudwatch_composite_alarm"),
    ];
    // Per port: no healthy instance, unhealthy instances, traffic share (3 x 3); the guard, latency and
    // backend errors of the group of ports; the region's composite; the group's and hosts' four.
    expect(alarms).toHaveLength(17);
    for (const [, alarm] of alarms) expect(alarm).toMatchObject({ alarm_actions: [topic], ok_actions: [topic] });
    const silenced = regionJson(baseFleet({ alarms: { topicArn: false } }));
    for (const [, alarm] of resourcesOf(silenced, "aws_cloudwatch_metric_alarm")) {
      expect(alarm.alarm_actions).toBeUndefined();
    }
  });

  it("has, one to one with the ports, an unhealthy-instances alarm and a traffic-share alarm against the port's weight", () => {
    const json = regionJson(baseFleet({ regions: [{ region: "us-east-1", processes: 4, weights: [2, 1, 1, 0] }] }));
    const named = (prefix: string) =>
      resourcesOf(json, "aws_cloudwatch_metric_alarm")
        .filter(([name]) => name.startsWith(prefix))
        .map(([name, alarm]) => [short(name), alarm] as const);
    const unhealthy = named("alarms_unhealthy-");
    expect(unhealthy.map(([name, alarm]) => [name, alarm.alarm_name])).toEqual(
      [9000, 9001, 9002, 9003].map((p) => [
        `alarms_unhealthy-${p}`,
        `cloudrim-prod-us-east-1-${p}-unhealthy-instances`,
      ]),
    );
    expect(unhealthy[0]?.[1]).toMatchObject({
      namespace: "AWS/ELB",
      metric_name: "UnHealthyHostCount",
      statistic: "Maximum",
      comparison_operator: "GreaterThanThreshold",
      threshold: 0,
      evaluation_periods: 8,
      treat_missing_data: "notBreaching",
    });
    // A weight-0 port takes no share, and is not counted in the others'.
    const shares = named("alarms_share-");
    expect(shares.map(([name]) => name)).toEqual(["alarms_share-9000", "alarms_share-9001", "alarms_share-9002"]);
    const queries = shares[0]?.[1].metric_query as {
      id: string;
      expression?: string;
      metric?: { metric_name: string };
    }[];
    expect(queries[0]).toMatchObject({
      id: "drift",
      expression: "IF(SUM([r9000, r9001, r9002]) >= 60, ABS(r9000 / SUM([r9000, r9001, r9002]) - 0.5000) / 0.5000, 0)",
      return_data: true,
    });
    expect(queries.slice(1).map((q) => [q.id, q.metric?.metric_name])).toEqual([
      ["r9000", "RequestCount"],
      ["r9001", "RequestCount"],
      ["r9002", "RequestCount"],
    ]);
    expect(shares[0]?.[1]).toMatchObject({ threshold: 0.5, comparison_operator: "GreaterThanThreshold" });
    const nlb = regionJson(baseFleet({ loadBalancerType: "network", processes: 2 }));
    const nlbShare = resourcesOf(nlb, "aws_cloudwatch_metric_alarm").find(([name]) =>
      name.startsWith("alarms_share-9000"),
    );
    expect((nlbShare?.[1].metric_query as { metric?: { metric_name: string } }[])[1]?.metric?.metric_name).toBe(
      "NewFlowCount",
    );
  });

  it("alarms on the group and its hosts: fewer in service than desired for longer than a boot, and what the logs count", () => {
    const json = regionJson(baseFleet({ bootTimeoutSeconds: 900 }));
    const hosts = Object.fromEntries(
      resourcesOf(json, "aws_cloudwatch_metric_alarm")
        .filter(([name]) => name.startsWith("host-alarms_"))
        .map(([name, alarm]) => [short(name), alarm]),
    );
    expect(Object.keys(hosts).sort()).toEqual([
      "host-alarms_abandoned-boots",
      "host-alarms_below-desired",
      "host-alarms_failed-refreshes",
      "host-alarms_hand-overs",
    ]);
    expect(hosts["host-alarms_below-desired"]).toMatchObject({
      alarm_name: "cloudrim-prod-us-east-1-in-service-below-desired",
      evaluation_periods: 17,
      threshold: 0,
    });
    expect((hosts["host-alarms_below-desired"]?.metric_query as { expression?: string }[])[0]?.expression).toBe(
      "desired - inService",
    );
    expect(hosts["host-alarms_abandoned-boots"]).toMatchObject({
      alarm_name: "cloudrim-prod-us-east-1-boot-abandoned",
      namespace: "cloudrim/prod",
      metric_name: "BootsAbandoned",
      statistic: "Sum",
      threshold: 1,
      comparison_operator: "GreaterThanOrEqualToThreshold",
      evaluation_periods: 1,
      treat_missing_data: "notBreaching",
    });
    expect(hosts["host-alarms_hand-overs"]).toMatchObject({ metric_name: "InstancesHandedOver" });
    expect(hosts["host-alarms_failed-refreshes"]).toMatchObject({
      alarm_name: "cloudrim-prod-us-east-1-instance-refresh-failed",
      metric_name: "InstanceRefreshesFailed",
    });
  });

  it("guards each group of ten ports with one alarm on the highest count of unhealthy instances among them", () => {
    const json = regionJson(baseFleet({ processes: 12, healthCheckGracePeriod: 240 }));
    const guards = resourcesOf(json, "aws_cloudwatch_metric_alarm").filter(([name]) =>
      name.startsWith("alarms_guard-"),
    );
    expect(guards.map(([name, alarm]) => [short(name), alarm.alarm_name])).toEqual([
      ["alarms_guard-9000", "cloudrim-prod-us-east-1-unhealthy-hosts-9000"],
      ["alarms_guard-9010", "cloudrim-prod-us-east-1-unhealthy-hosts-9010"],
    ]);
    const [, first] = defined(guards[0], "the first guard");
    // (240 s grace + 3 healthy checks x 20 s) / 60 = 5 minutes, shown in up to 6 datapoints; 7, and a good new
    // instance never trips it.
    expect(first).toMatchObject({
      comparison_operator: "GreaterThanThreshold",
      threshold: 0,
      evaluation_periods: 7,
      datapoints_to_alarm: 7,
      treat_missing_data: "notBreaching",
    });
    const queries = first.metric_query as {
      id: string;
      expression?: string;
      metric?: { dimensions: Record<string, string> };
    }[];
    expect(queries[0]).toMatchObject({
      id: "unhealthy",
      expression: "MAX([p9000, p9001, p9002, p9003, p9004, p9005, p9006, p9007, p9008, p9009])",
      return_data: true,
    });
    expect(queries.slice(1).map((q) => q.id)).toEqual(Array.from({ length: 10 }, (_, i) => `p${9000 + i}`));
    expect(queries[1]?.metric).toMatchObject({
      namespace: "AWS/ELB",
      metric_name: "UnHealthyHostCount",
      stat: "Maximum",
      period: 60,
    });
    const [, second] = defined(guards[1], "the second guard");
    expect((second.metric_query as { id: string }[]).map((q) => q.id)).toEqual(["unhealthy", "p9010", "p9011"]);
  });

  it("has a dashboard named after the stack that draws every port's load balancer, and the region's alarms", () => {
    for (const processes of [3, 5]) {
      const json = regionJson(baseFleet({ processes }));
      const dashboard = onlyResource(json, "aws_cloudwatch_dashboard");
      expect(dashboard.dashboard_name).toBe("cloudrim-prod-us-east-1");
      expect(String(dashboard.dashboard_body)).toMatch(/^\$\{jsonencode\(\{"widgets" = \[/);
      const ports = Array.from({ length: processes }, (_, i) => 9000 + i);
      expect(referenced(dashboard.dashboard_body, "aws_elb", "name")).toEqual(
        ports.map((p) => `balancers_port-${p}`).sort(),
      );
      expect(referenced(dashboard.dashboard_body, "aws_cloudwatch_metric_alarm", "arn")).toEqual(
        [
          ...ports.map((p) => `alarms_port-${p}`),
          "host-alarms_abandoned-boots",
          "host-alarms_below-desired",
          "host-alarms_failed-refreshes",
          "host-alarms_hand-overs",
        ].sort(),
      );
      expect(referenced(dashboard.dashboard_body, "aws_cloudwatch_composite_alarm", "arn")).toEqual([
        "alarms_all-ports",
      ]);
      for (const port of ports) expect(String(dashboard.dashboard_body)).toContain(`"port ${port} · requests"`);
      expect(String(dashboard.dashboard_body)).not.toContain(`"port ${9000 + processes} ·`);
    }
    const json = regionJson(baseFleet({ loadBalancerType: "network", processes: 2 }));
    const nlbBody = onlyResource(json, "aws_cloudwatch_dashboard").dashboard_body;
    expect(referenced(nlbBody, "aws_lb", "arn_suffix")).toEqual(["balancers_port-9000", "balancers_port-9001"]);
    expect(referenced(nlbBody, "aws_lb_target_group", "arn_suffix")).toEqual([
      "balancers_targets-9000",
      "balancers_targets-9001",
    ]);
  });

  it("links the dashboard from the stack's outputs", () => {
    expect(regionJson(baseFleet()).output.dashboard_url?.value).toBe(
      "https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#dashboards/dashboard/cloudrim-prod-us-east-1",
    );
  });
});
