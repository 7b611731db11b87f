import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { S3BucketVersioningA } from "@cdktf/provider-aws/lib/s3-bucket-versioning";
import { LocalBackend, TerraformOutput, TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import { awsProviderConfig, enforcesTlsOnlyPolicy, type Target } from "../lib/target";

export interface StateBucketStackProps {
  readonly stackName: string;
  readonly bucket: string;
  readonly region: string;
  readonly tags?: Readonly<Record<string, string>>;
  /** @default real AWS */
  readonly target?: Target;
}

/**
 * The bootstrap stack: the S3 bucket that holds every region's state. Its own state is local (it cannot
 * live in the bucket it creates). Versioned, encrypted, private, TLS only.
 */
export class StateBucketStack extends TerraformStack {
  readonly bucket: S3Bucket;

  constructor(scope: Construct, props: StateBucketStackProps) {
    super(scope, props.stackName);
    // Explicit, so the stack never silently moves its state: the project directory, as cdktf defaults to.
    new LocalBackend(this);
    const target = props.target ?? { kind: "aws" };
    new AwsProvider(this, "aws", awsProviderConfig(target, props.region, props.tags ?? {}));
    this.bucket = new S3Bucket(this, "bucket", { bucket: props.bucket });
    new S3BucketVersioningA(this, "versioning", {
      bucket: this.bucket.id,
      versioningConfiguration: { status: "Enabled" },
    });
    new S3BucketServerSideEncryptionConfigurationA(this, "encryption", {
      bucket: this.bucket.id,
      rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }],
    });
    const publicAccess = new S3BucketPublicAccessBlock(this, "public-access", {
      bucket: this.bucket.id,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    if (enforcesTlsOnlyPolicy(target)) {
      new S3BucketPolicy(this, "tls-only", {
        bucket: this.bucket.id,
        policy: tlsOnlyPolicy(props.bucket),
        // S3 rejects policy changes while the public access block is being written.
        dependsOn: [publicAccess],
      });
    }
    new TerraformOutput(this, "state_bucket", { value: this.bucket.bucket });
  }
}

/** Denies every request that does not use TLS. */
export function tlsOnlyPolicy(bucket: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
    ],
  });
}
