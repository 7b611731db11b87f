import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fleetBaseline } from "../../constructs/fleet";
import type { FleetConfig } from "../../fleet/schema";
import { shapeOrThrow } from "../../fleet/validate";
import { defaultFleet } from "../../regions/default";
import { baseFleet, certificateIn, securedFleet, writeFleetFile, DEFAULT_APP } from "../fixtures";
import { body, onlyResource, resourcesOf, stackJson, synthFleet, type StackJson } from "./synth-helpers";

function region(config: FleetConfig, index = 0): StackJson {
  const stack = synthFleet(config).stacks.regions[index];
  if (stack === undefined) throw new Error(`no region ${index}`);
  return stackJson(stack);
}

const classicTls = baseFleet({
  internal: false,
  allowedCidrs: ["0.0.0.0/0"],
  proxyProtocol: true,
  regions: [{ region: "us-east-1", tls: { certificateArn: certificateIn("us-east-1") }, accessLogs: true }],
});

describe("TLS on the listener", () => {
  it("makes each classic listener SSL with the region's certificate, negotiating by AWS's current policy, and still TCP to the instances", () => {
    const json = region(classicTls);
    for (const [, elb] of resourcesOf(json, "aws_elb")) {
      expect(elb.listener).toEqual([
        {
          lb_port: 9000,
          lb_protocol: "SSL",
          instance_port: expect.any(Number) as number,
          instance_protocol: "TCP",
          ssl_certificate_id: certificateIn("us-east-1"),
        },
      ]);
    }
    const policies = resourcesOf(json, "aws_load_balancer_policy").map(([, p]) => body(p));
    expect(policies).toHaveLength(3);
    for (const policy of policies) {
      expect(policy).toMatchObject({
        policy_type_name: "SSLNegotiationPolicyType",
        policy_attribute: [{ name: "Reference-Security-Policy", value: "ELBSecurityPolicy-TLS-1-2-2017-01" }],
      });
    }
    expect(resourcesOf(json, "aws_load_balancer_listener_policy").map(([, p]) => p.load_balancer_port)).toEqual([
      9000, 9000, 9000,
    ]);
  });

  it("makes each network listener TLS with the certificate and the policy asked for; target groups stay TCP", () => {
    const json = region(securedFleet(), 1);
    for (const [, listener] of resourcesOf(json, "aws_lb_listener")) {
      expect(listener).toMatchObject({
        port: 9000,
        protocol: "TLS",
        certificate_arn: certificateIn("eu-west-1"),
        ssl_policy: "ELBSecurityPolicy-TLS13-1-3-2021-06",
      });
    }
    for (const [, group] of resourcesOf(json, "aws_lb_target_group")) {
      expect(group).toMatchObject({ protocol: "TCP", proxy_protocol_v2: true });
    }
  });

  it("refuses a certificate of another region, naming the region entry to set", () => {
    expect(() =>
      shapeOrThrow(
        baseFleet({ regions: [{ region: "us-east-1", tls: { certificateArn: certificateIn("eu-west-1") } }] }),
        DEFAULT_APP,
      ),
    ).toThrow(
      /regions\[0\]\.tls\.certificateArn: got .*; in us-east-1: is a certificate in eu-west-1, and a load balancer uses certificates of its own region only/,
    );
  });
});

describe("proxy protocol, access logs and deletion protection", () => {
  it("sends proxy protocol from every classic load balancer to its own instance port", () => {
    const json = region(classicTls);
    expect(resourcesOf(json, "aws_proxy_protocol_policy").map(([, p]) => p.instance_ports)).toEqual([
      ["9000"],
      ["9001"],
      ["9002"],
    ]);
  });

  it("creates the region's log bucket, hardened, granting the region's load balancers and nobody else", () => {
    const json = region(classicTls);
    expect(onlyResource(json, "aws_s3_bucket")).toMatchObject({ bucket: "cloudrim-prod-us-east-1-lb-logs" });
    const policy = JSON.parse(onlyResource(json, "aws_s3_bucket_policy").policy as string) as {
      Statement: { Sid: string; Principal?: unknown; Resource: unknown }[];
    };
    expect(policy.Statement.map((s) => s.Sid)).toEqual([
      "DenyInsecureTransport",
      "ClassicLoadBalancersWrite",
      "LogDeliveryWrites",
    ]);
    expect(policy.Statement[1]?.Resource).toMatch(
      /^arn:aws:s3:::cloudrim-prod-us-east-1-lb-logs\/cloudrim-prod-us-east-1\/AWSLogs\/\$\{data\.aws_caller_identity\..*\.account_id\}\/\*$/,
    );
    for (const [, elb] of resourcesOf(json, "aws_elb")) {
      expect(elb.access_logs).toEqual({
        bucket: "cloudrim-prod-us-east-1-lb-logs",
        bucket_prefix: "cloudrim-prod-us-east-1",
        interval: 5,
        enabled: true,
      });
    }
    expect(onlyResource(json, "aws_s3_bucket_lifecycle_configuration").rule).toEqual([
      expect.objectContaining({ id: "old-versions" }),
      expect.objectContaining({ id: "expire", expiration: [{ days: 30 }] }),
    ]);
  });

  it("writes network load balancers' logs to a bucket the fleet names, under its prefix, and protects them from deletion", () => {
    const json = region(securedFleet(), 1);
    expect(resourcesOf(json, "aws_s3_bucket")).toEqual([]);
    for (const [, lb] of resourcesOf(json, "aws_lb")) {
      expect(lb).toMatchObject({
        enable_deletion_protection: true,
        access_logs: { bucket: "acme-lb-logs", prefix: "eu", enabled: true },
      });
    }
  });
});

describe("where instances may connect", () => {
  const egressOf = (json: StackJson) =>
    resourcesOf(json, "aws_vpc_security_group_egress_rule")
      .map(([name, rule]) => [name.replace(/_[0-9A-F]{8}$/, ""), rule.cidr_ipv4 ?? rule.prefix_list_id, rule.from_port])
      .filter(([name]) => String(name).includes("instances-out"));

  it("keeps HTTPS and HTTP to anywhere by default, at the addresses those rules always had", () => {
    expect(egressOf(region(baseFleet()))).toEqual([
      ["security_instances-out-443", "0.0.0.0/0", 443],
      ["security_instances-out-80", "0.0.0.0/0", 80],
    ]);
  });

  it("opens exactly the destinations and ports listed, one rule each, keyed by both", () => {
    expect(egressOf(region(securedFleet()))).toEqual([
      ["security_instances-out-443-to-pl-63a5400a", "pl-63a5400a", 443],
      ["security_instances-out-5432-to-10-20-0-0_16", "10.20.0.0/16", 5432],
      ["security_instances-out-6379-to-10-20-0-0_16", "10.20.0.0/16", 6379],
    ]);
  });

  it("gives instances no public IPv4 address unless the fleet asks", () => {
    const interfaces = (config: FleetConfig) => onlyResource(region(config), "aws_launch_template").network_interfaces;
    expect(interfaces(baseFleet())).toEqual([
      expect.objectContaining({ device_index: 0, associate_public_ip_address: "false" }),
    ]);
    expect(interfaces(baseFleet({ publicIp: true }))).toEqual([
      expect.objectContaining({ associate_public_ip_address: "true" }),
    ]);
  });
});

describe("buckets that do not grow forever", () => {
  it("expires old versions of state files and releases after the days configured, and aborts stale uploads after 7", () => {
    const state = stackJson(synthFleet(securedFleet()).stacks.state);
    const rules = resourcesOf(state, "aws_s3_bucket_lifecycle_configuration").map(([name, l]) => [name, l.rule]);
    const oldVersions = {
      id: "old-versions",
      status: "Enabled",
      filter: [{ prefix: "" }],
      noncurrent_version_expiration: [{ noncurrent_days: 30 }],
      expiration: [{ expired_object_delete_marker: true }],
      abort_incomplete_multipart_upload: [{ days_after_initiation: 7 }],
    };
    expect(rules).toEqual([
      ["lifecycle", [oldVersions]],
      ["releases-lifecycle", [oldVersions]],
    ]);
  });
});

describe("the security baseline on every synth", () => {
  it("passes the default fleet, the README's example fleet and a fleet with every option, listing what each accepts", () => {
    const readme: FleetConfig = {
      service: "api",
      deployment: "prod",
      domain: "example.com",
      allowedCidrs: ["10.0.0.0/8"],
      state: { bucket: "example-terraform-state", region: "us-east-1" },
      regions: [
        { region: "us-east-1" },
        { region: "eu-west-1", instanceType: "c5.xlarge", weights: [4, 1, 1, 1, 1] },
        { region: "ap-southeast-2", vpcId: "vpc-0123abcd", subnetTags: { Tier: "private" } },
      ],
    };
    // The default instance egress (HTTPS and HTTP to anywhere), Session Manager's policy and the watchdog's read
    // of its group are the project's exceptions, per region; the fleet with every option lists its own egress,
    // so only the two policies remain.
    const project = (regions: number) =>
      Array.from({ length: regions }, () => [
        "no-open-egress",
        "no-open-egress",
        "iam-no-wildcards",
        "iam-no-wildcards",
      ])
        .flat()
        .sort();
    for (const [name, config, excepted] of [
      ["default", defaultFleet, project(defaultFleet.regions.length)],
      ["README", readme, project(3)],
      [
        "every option",
        securedFleet(),
        ["iam-no-wildcards", "iam-no-wildcards", "iam-no-wildcards", "iam-no-wildcards"],
      ],
    ] as const) {
      const { app } = synthFleet(config);
      const result = fleetBaseline(app, shapeOrThrow(config, DEFAULT_APP));
      expect({ name, findings: result.findings }).toEqual({ name, findings: [] });
      expect({ name, excepted: result.excepted.map((e) => e.finding.rule).sort() }).toEqual({ name, excepted });
    }
  });

  it("refuses to write a fleet that breaks a rule, naming the rule, the resource and the fix", () => {
    const dir = mkdtempSync(join(tmpdir(), "cloudrim-baseline-"));
    try {
      const file = writeFleetFile(dir, baseFleet({ internal: false, regions: [{ region: "us-east-1" }] }));
      const project = join(__dirname, "..", "..");
      const result = spawnSync(join(project, "node_modules", ".bin", "tsx"), [join(project, "main.ts")], {
        cwd: dir,
        env: { ...process.env, CLOUDRIM_CONFIG: file },
        encoding: "utf8",
      });
      expect(result.status).toBe(1);
      expect(result.stderr).toMatch(/^security baseline: 3 findings; nothing was written \(docs\/security\.md\):$/m);
      expect(result.stderr).toMatch(
        /^ {2}listener-tls \(CKV_AWS_127, CKV_AWS_2, AWS-0054\): cloudrim-prod-us-east-1 aws_elb\.balancers_port-9000_[0-9A-F]{8}: is reachable from outside the VPC \(internal: false\) and its listener is plaintext TCP; fix: set tls/m,
      );
      // Nothing was written: no cdktf.out beside the fleet file.
      expect(readdirSync(dir).sort()).toEqual(["fleet.json", "fleet.lock.json"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
