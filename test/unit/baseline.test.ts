import { checkBaseline } from "../../baseline/engine";
import { formatFinding } from "../../baseline/format";
import type { StackJson } from "../../baseline/terraform-json";

type Resources = Record<string, Record<string, Record<string, unknown>>>;

const LB_GROUP = "${aws_security_group.lb_ABCD1234.id}";

/** A region stack that passes every rule (the shape the fleet synthesizes, cut to what the rules read), with handles to change. */
function compliant() {
  const template: Record<string, unknown> = {
    metadata_options: { http_tokens: "required", http_put_response_hop_limit: 1 },
    block_device_mappings: [{ ebs: { encrypted: "true" } }],
    network_interfaces: [{ associate_public_ip_address: "false" }],
  };
  const group: Record<string, unknown> = { description: "load balancers: the listener in" };
  const listener: Record<string, unknown> = {
    security_group_id: LB_GROUP,
    cidr_ipv4: "10.0.0.0/8",
    from_port: 9000,
    to_port: 9000,
    description: "Listener",
  };
  const elb: Record<string, unknown> = {
    internal: true,
    security_groups: [LB_GROUP],
    listener: [{ lb_port: 9000, lb_protocol: "TCP" }],
  };
  const policies: Record<string, Record<string, unknown>> = {
    release: {
      policy: JSON.stringify({
        Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k" }],
      }),
    },
  };
  const elbs: Record<string, Record<string, unknown>> = { port9000: elb };
  const resources: Resources = {
    aws_launch_template: { template },
    aws_security_group: { lb_ABCD1234: group },
    aws_vpc_security_group_ingress_rule: { listener },
    aws_elb: elbs,
    aws_iam_role_policy: policies,
  };
  return { resources, template, group, listener, elb, elbs, policies };
}

function findings(resource: Resources, name = "shop-prod-us-east-1") {
  return checkBaseline([{ name, json: { resource } as StackJson }], []).findings;
}

describe("the security baseline over synthesized Terraform", () => {
  it("finds nothing in a stack that follows every rule", () => {
    expect(findings(compliant().resources)).toEqual([]);
  });

  it("requires IMDSv2 with a hop limit of 1, naming the launch template and the fix", () => {
    const stack = compliant();
    stack.template.metadata_options = { http_tokens: "optional" };
    const found = findings(stack.resources);
    expect(found).toEqual([
      {
        rule: "imdsv2",
        mirrors: ["CKV_AWS_79", "CKV_AWS_341", "AWS-0130"],
        stack: "shop-prod-us-east-1",
        address: "aws_launch_template.template",
        problem: "instance metadata allows IMDSv1 (http_tokens not required)",
        fix: "set metadata_options http_tokens = required and http_put_response_hop_limit = 1",
      },
    ]);
    expect(found.map(formatFinding)).toEqual([
      "imdsv2 (CKV_AWS_79, CKV_AWS_341, AWS-0130): shop-prod-us-east-1 aws_launch_template.template: instance metadata allows IMDSv1 (http_tokens not required); fix: set metadata_options http_tokens = required and http_put_response_hop_limit = 1",
    ]);
  });

  it("requires encrypted volumes and no public IPv4", () => {
    const stack = compliant();
    stack.template.block_device_mappings = [{ ebs: { encrypted: "false" } }];
    delete stack.template.network_interfaces;
    const found = findings(stack.resources);
    expect(found.map((f) => [f.rule, f.problem])).toEqual([
      ["encrypted-root", "a volume is not encrypted"],
      ["no-public-ip", "instances get a public IPv4 address wherever the subnet hands one out"],
    ]);
  });

  it("admits the internet only on the listener of a load balancer that is public, and asks that listener for TLS", () => {
    const stack = compliant();
    stack.listener.cidr_ipv4 = "0.0.0.0/0";
    // Internal: the internet may not come in at all.
    expect(findings(stack.resources).map((f) => [f.rule, f.address])).toEqual([
      ["no-public-ingress", "aws_vpc_security_group_ingress_rule.listener"],
    ]);
    // Public, on its listener port: allowed, but the plaintext listener is a finding of its own.
    stack.elb.internal = false;
    expect(findings(stack.resources).map((f) => [f.rule, f.address])).toEqual([["listener-tls", "aws_elb.port9000"]]);
    stack.elb.listener = [{ lb_port: 9000, lb_protocol: "SSL" }];
    expect(findings(stack.resources)).toEqual([]);
    // Any other port from anywhere is refused, public load balancer or not.
    delete stack.listener.cidr_ipv4;
    Object.assign(stack.listener, { cidr_ipv6: "::/0", to_port: 9010 });
    expect(findings(stack.resources).map((f) => f.problem)).toEqual([
      "admits ::/0 on ports 9000-9010, not only a public load balancer's listener",
    ]);
  });

  it("checks TLS on network load balancers through their listeners", () => {
    const { resources } = compliant();
    delete resources.aws_elb;
    const listener: Record<string, unknown> = {
      load_balancer_arn: "${aws_lb.port9000.arn}",
      port: 9000,
      protocol: "TCP",
    };
    resources.aws_lb = { port9000: { internal: false, security_groups: [LB_GROUP] } };
    resources.aws_lb_listener = { listener9000: listener };
    expect(findings(resources).map((f) => [f.rule, f.address])).toEqual([["listener-tls", "aws_lb.port9000"]]);
    listener.protocol = "TLS";
    expect(findings(resources)).toEqual([]);
  });

  it("flags egress to anywhere and security groups or rules without a description", () => {
    const stack = compliant();
    stack.resources.aws_vpc_security_group_egress_rule = {
      all: { cidr_ipv4: "0.0.0.0/0", ip_protocol: "-1", description: "everything" },
      https: { cidr_ipv4: "0.0.0.0/0", ip_protocol: "tcp", from_port: 443, to_port: 443 },
    };
    stack.group.description = "Managed by Terraform";
    const found = findings(stack.resources);
    expect(found.map((f) => [f.rule, f.address, f.problem])).toEqual([
      [
        "no-open-egress",
        "aws_vpc_security_group_egress_rule.all",
        "allows egress to 0.0.0.0/0 on every port and protocol",
      ],
      ["no-open-egress", "aws_vpc_security_group_egress_rule.https", "allows egress to 0.0.0.0/0 on port 443"],
      ["descriptions", "aws_security_group.lb_ABCD1234", "has no description"],
      ["descriptions", "aws_vpc_security_group_egress_rule.https", "has no description"],
    ]);
  });

  it("requires access logs on every load balancer of a region once one has them", () => {
    const stack = compliant();
    stack.elbs.port9001 = { ...stack.elb, access_logs: { bucket: "logs", enabled: true } };
    const partly = stack.resources;
    expect(findings(partly).map((f) => [f.rule, f.address])).toEqual([["access-logs", "aws_elb.port9000"]]);
  });

  it("holds every bucket to the state bucket's settings, naming each one missing", () => {
    const bucket = "${aws_s3_bucket.bucket.id}";
    const stack: Resources = {
      aws_s3_bucket: { bucket: { bucket: "shop-state" } },
      aws_s3_bucket_versioning: { v: { bucket, versioning_configuration: { status: "Enabled" } } },
      aws_s3_bucket_server_side_encryption_configuration: { e: { bucket } },
      aws_s3_bucket_public_access_block: {
        p: {
          bucket,
          block_public_acls: true,
          block_public_policy: true,
          ignore_public_acls: true,
          restrict_public_buckets: true,
        },
      },
    };
    expect(findings(stack, "shop-prod-state").map((f) => [f.rule, f.problem])).toEqual([
      ["bucket-baseline", "noncurrent versions never expire (CKV2_AWS_61)"],
      ["bucket-baseline", "incomplete uploads are never aborted (CKV_AWS_300)"],
      ["bucket-tls-only", "its policy does not deny requests without TLS"],
    ]);
    stack.aws_s3_bucket_policy = { tls: { bucket, policy: '{"Condition":{"Bool":{"aws:SecureTransport":"false"}}}' } };
    stack.aws_s3_bucket_lifecycle_configuration = {
      l: {
        bucket,
        rule: [{ noncurrent_version_expiration: { noncurrent_days: 90 }, abort_incomplete_multipart_upload: {} }],
      },
    };
    expect(findings(stack, "shop-prod-state")).toEqual([]);
  });

  it("refuses * actions and resources in the project's own policies, but not in a Deny", () => {
    const stack = compliant();
    stack.policies.wide = {
      policy: JSON.stringify({
        Statement: [
          { Effect: "Allow", Action: ["s3:*"], Resource: "arn:aws:s3:::b/*" },
          { Effect: "Allow", Action: "logs:PutLogEvents", Resource: "*" },
          { Effect: "Deny", Action: "iam:*", Resource: "*" },
        ],
      }),
    };
    const found = findings(stack.resources);
    expect(found.map((f) => f.problem)).toEqual([
      "allows every action of s3:*",
      'allows logs:PutLogEvents on every resource ("*")',
    ]);
  });

  it("sets a finding an exception covers apart, with the exception's reason", () => {
    const stack = compliant();
    stack.listener.cidr_ipv4 = "0.0.0.0/0";
    const open = stack.resources;
    const result = checkBaseline(
      [
        { name: "shop-prod-us-east-1", json: { resource: open } },
        { name: "shop-prod-eu-west-1", json: { resource: open } },
      ],
      [{ rule: "no-public-ingress", resources: /^shop-prod-us-east-1\//, reason: "a partner's network" }],
    );
    expect(result.findings.map((f) => f.stack)).toEqual(["shop-prod-eu-west-1"]);
    expect(result.excepted.map((e) => [e.finding.stack, e.finding.rule, e.reason])).toEqual([
      ["shop-prod-us-east-1", "no-public-ingress", "a partner's network"],
    ]);
  });
});
