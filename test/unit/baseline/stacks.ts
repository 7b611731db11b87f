import { checkBaseline, type BaselineException, type BaselineResult } from "../../../baseline/engine";
import type { BaselineRule } from "../../../baseline/rule";
import type { StackJson } from "../../../baseline/terraform-json";

/* Hand-made stacks for the baseline's rules: the shape the fleet synthesizes, cut to what the rules read. */

export type Resources = Record<string, Record<string, Record<string, unknown>>>;

export const STACK = "shop-prod-us-east-1";

export const LB_GROUP = "${aws_security_group.lb_ABCD1234.id}";

/** A region stack that passes every rule, with handles to change. */
export function compliantRegion() {
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

export const BUCKET = "${aws_s3_bucket.bucket.id}";

/** A state stack whose one bucket is set up as the state stack sets up its own, with handles to change. */
export function compliantBucket() {
  const publicAccessBlock: Record<string, unknown> = {
    bucket: BUCKET,
    block_public_acls: true,
    block_public_policy: true,
    ignore_public_acls: true,
    restrict_public_buckets: true,
  };
  const lifecycle: Record<string, unknown> = {
    bucket: BUCKET,
    rule: [{ noncurrent_version_expiration: { noncurrent_days: 90 }, abort_incomplete_multipart_upload: {} }],
  };
  const policy: Record<string, unknown> = {
    bucket: BUCKET,
    policy: '{"Condition":{"Bool":{"aws:SecureTransport":"false"}}}',
  };
  const resources: Resources = {
    aws_s3_bucket: { bucket: { bucket: "shop-state" } },
    aws_s3_bucket_versioning: { v: { bucket: BUCKET, versioning_configuration: { status: "Enabled" } } },
    aws_s3_bucket_server_side_encryption_configuration: { e: { bucket: BUCKET } },
    aws_s3_bucket_public_access_block: { p: publicAccessBlock },
    aws_s3_bucket_lifecycle_configuration: { l: lifecycle },
    aws_s3_bucket_policy: { tls: policy },
  };
  return { resources, publicAccessBlock, lifecycle, policy };
}

/** One rule over one stack, with the exceptions given. */
export function checkRule(
  rule: BaselineRule,
  resource: Resources,
  exceptions: readonly BaselineException[] = [],
  name = STACK,
): BaselineResult {
  return checkBaseline([{ name, json: { resource } as StackJson }], exceptions, [rule]);
}

/** What one rule finds in one stack, without exceptions. */
export const findingsOf = (rule: BaselineRule, resource: Resources) => checkRule(rule, resource).findings;
