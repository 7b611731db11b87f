import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketLifecycleConfiguration } from "@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { S3BucketVersioningA } from "@cdktf/provider-aws/lib/s3-bucket-versioning";
import { TerraformOutput, TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import type { StateShape } from "../fleet/shape";
import { awsProviderConfig, s3BackendOverrides, type Target } from "../fleet/target";
import { useS3StateBackend } from "./s3-state-backend";

export interface StateBucketStackProps {
  readonly state: StateShape;
  readonly tags?: Readonly<Record<string, string>>;
  /** The only account the provider accepts credentials of. @default any */
  readonly accountId?: string;
  /** @default real AWS */
  readonly target?: Target;
}

/**
 * The bootstrap stack: the S3 bucket that holds every stack's state, its own included (at
 * `state.key`). The first deploy cannot use a bucket that does not exist yet, so `npm run deploy`
 * applies it once with local state and then migrates that state into the bucket (state/adapters/bootstrap.ts);
 * from then on any working copy plans against the state in the bucket. Versioned, encrypted, private,
 * TLS only, and on AWS protected from `terraform destroy`.
 */
export class StateBucketStack extends TerraformStack {
  readonly bucket: S3Bucket;
  /** The bucket for releases, when the fleet asks the state stack for one (`releaseBucket`). */
  readonly releaseBucket?: S3Bucket;

  constructor(scope: Construct, props: StateBucketStackProps) {
    const { state } = props;
    super(scope, state.stackName);
    const target = props.target ?? { kind: "aws" };
    new AwsProvider(this, "aws", awsProviderConfig(target, state.region, props.tags ?? {}, props.accountId));
    useS3StateBackend(this, state, s3BackendOverrides(target));
    this.bucket = new S3Bucket(this, "bucket", {
      bucket: state.bucket,
      // Every stack's state lives here: Terraform refuses a plan that would delete it
      // (docs/deploy-and-rollout.md, "Retire a deployment" says how to remove it on purpose).
      ...(state.preventDestroy ? { lifecycle: { preventDestroy: true } } : {}),
    });
    const settings = { tlsOnly: state.tlsOnlyPolicy, noncurrentVersionDays: state.noncurrentVersionDays };
    hardenBucket(this, this.bucket, state.bucket, "", settings);
    if (state.releaseBucket !== undefined) {
      this.releaseBucket = new S3Bucket(this, "releases", {
        bucket: state.releaseBucket,
        // Instances fetch their release from it at every boot; the local teardown may delete its objects.
        ...(state.preventDestroy ? { lifecycle: { preventDestroy: true } } : { forceDestroy: true }),
      });
      hardenBucket(this, this.releaseBucket, state.releaseBucket, "releases-", settings);
      new TerraformOutput(this, "release_bucket", { value: this.releaseBucket.bucket });
    }
    new TerraformOutput(this, "state_bucket", { value: this.bucket.bucket });
  }
}

export interface BucketSettings {
  /** A policy that denies every request without TLS (where the target can evaluate it). */
  readonly tlsOnly: boolean;
  /** Days a replaced or deleted object's old version is kept. */
  readonly noncurrentVersionDays: number;
  /** Days an object is kept at all (access logs). @default forever */
  readonly expireAfterDays?: number;
  /** More statements for the bucket's policy (one policy per bucket: a log delivery's grant, say). @default none */
  readonly policyStatements?: readonly object[];
}

/**
 * Versioned, encrypted (AES256), public access blocked, TLS only where the target can evaluate it, and a
 * lifecycle: old versions expire after `noncurrentVersionDays` (every state lock leaves some behind),
 * delete markers with nothing under them go, incomplete uploads are aborted after 7 days. `idPrefix` keeps
 * each bucket's settings at addresses of their own.
 */
export function hardenBucket(
  scope: Construct,
  bucket: S3Bucket,
  name: string,
  idPrefix: string,
  settings: BucketSettings,
): void {
  new S3BucketVersioningA(scope, `${idPrefix}versioning`, {
    bucket: bucket.id,
    versioningConfiguration: { status: "Enabled" },
  });
  new S3BucketServerSideEncryptionConfigurationA(scope, `${idPrefix}encryption`, {
    bucket: bucket.id,
    rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }],
  });
  const publicAccess = new S3BucketPublicAccessBlock(scope, `${idPrefix}public-access`, {
    bucket: bucket.id,
    blockPublicAcls: true,
    blockPublicPolicy: true,
    ignorePublicAcls: true,
    restrictPublicBuckets: true,
  });
  const statements = [...(settings.tlsOnly ? [denyInsecureTransport(name)] : []), ...(settings.policyStatements ?? [])];
  if (statements.length > 0) {
    new S3BucketPolicy(scope, `${idPrefix}tls-only`, {
      bucket: bucket.id,
      policy: JSON.stringify({ Version: "2012-10-17", Statement: statements }),
      // S3 rejects policy changes while the public access block is being written.
      dependsOn: [publicAccess],
    });
  }
  new S3BucketLifecycleConfiguration(scope, `${idPrefix}lifecycle`, {
    bucket: bucket.id,
    rule: [
      {
        id: "old-versions",
        status: "Enabled",
        filter: [{ prefix: "" }],
        noncurrentVersionExpiration: [{ noncurrentDays: settings.noncurrentVersionDays }],
        expiration: [{ expiredObjectDeleteMarker: true }],
        abortIncompleteMultipartUpload: [{ daysAfterInitiation: 7 }],
      },
      ...(settings.expireAfterDays === undefined
        ? []
        : [
            {
              id: "expire",
              status: "Enabled",
              filter: [{ prefix: "" }],
              expiration: [{ days: settings.expireAfterDays }],
            },
          ]),
    ],
  });
}

/** Denies every request that does not use TLS. */
export function tlsOnlyPolicy(bucket: string): string {
  return JSON.stringify({ Version: "2012-10-17", Statement: [denyInsecureTransport(bucket)] });
}

function denyInsecureTransport(bucket: string): object {
  return {
    Sid: "DenyInsecureTransport",
    Effect: "Deny",
    Principal: "*",
    Action: "s3:*",
    Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`],
    Condition: { Bool: { "aws:SecureTransport": "false" } },
  };
}
