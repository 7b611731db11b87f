import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity";
import { DataAwsElbServiceAccount } from "@cdktf/provider-aws/lib/data-aws-elb-service-account";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketOwnershipControls } from "@cdktf/provider-aws/lib/s3-bucket-ownership-controls";
import { Construct } from "constructs";
import type { LoadBalancerType } from "../fleet/aws-facts";
import { hardenBucket } from "./state-bucket-stack";

export interface AccessLogBucketProps {
  readonly bucketName: string;
  /** Where under the bucket the load balancers write (`{prefix}/AWSLogs/{account}/…`). */
  readonly prefix: string;
  readonly loadBalancerType: LoadBalancerType;
  /** Deny requests without TLS (off where the target cannot evaluate it). */
  readonly tlsOnly: boolean;
  /** Days a log is kept. */
  readonly expireAfterDays: number;
  /** Days an overwritten or deleted log's old version is kept. */
  readonly noncurrentVersionDays: number;
}

/**
 * The region's bucket for its load balancers' access logs, hardened like the state bucket (versioned,
 * SSE-S3, the only encryption classic load balancers can write to, private, TLS only, a lifecycle), with
 * the one grant the region's load balancers need: classic ones write as the region's Elastic Load
 * Balancing account (or its log delivery service in newer regions), network ones through CloudWatch Logs'
 * delivery service, each only under the prefix and this account. The bucket goes with the region (a
 * retired region takes its logs with it: copy them first if you keep them).
 */
export class AccessLogBucket extends Construct {
  readonly bucket: S3Bucket;

  constructor(scope: Construct, id: string, props: AccessLogBucketProps) {
    super(scope, id);
    this.bucket = new S3Bucket(this, "bucket", { bucket: props.bucketName, forceDestroy: true });
    new S3BucketOwnershipControls(this, "ownership", {
      bucket: this.bucket.id,
      rule: { objectOwnership: "BucketOwnerEnforced" },
    });
    const account = new DataAwsCallerIdentity(this, "account").accountId;
    const logs = `arn:aws:s3:::${props.bucketName}/${props.prefix}/AWSLogs/${account}/*`;
    const delivery =
      props.loadBalancerType === "classic"
        ? [
            {
              Sid: "ClassicLoadBalancersWrite",
              Effect: "Allow",
              Principal: { AWS: new DataAwsElbServiceAccount(this, "elb-account").arn },
              Action: "s3:PutObject",
              Resource: logs,
            },
            {
              Sid: "LogDeliveryWrites",
              Effect: "Allow",
              Principal: { Service: "logdelivery.elasticloadbalancing.amazonaws.com" },
              Action: "s3:PutObject",
              Resource: logs,
            },
          ]
        : [
            {
              Sid: "LogDeliveryWrites",
              Effect: "Allow",
              Principal: { Service: "delivery.logs.amazonaws.com" },
              Action: "s3:PutObject",
              Resource: logs,
              Condition: { StringEquals: { "aws:SourceAccount": account } },
            },
            {
              Sid: "LogDeliveryChecksTheAcl",
              Effect: "Allow",
              Principal: { Service: "delivery.logs.amazonaws.com" },
              Action: "s3:GetBucketAcl",
              Resource: `arn:aws:s3:::${props.bucketName}`,
              Condition: { StringEquals: { "aws:SourceAccount": account } },
            },
          ];
    hardenBucket(this, this.bucket, props.bucketName, "", {
      tlsOnly: props.tlsOnly,
      noncurrentVersionDays: props.noncurrentVersionDays,
      expireAfterDays: props.expireAfterDays,
      policyStatements: delivery,
    });
  }
}
