import { baselineRule } from "../rule";
import { isTrue, list, referencedAddress, resources } from "../terraform-json";

const PUBLIC_ACCESS_BLOCKS = [
  "block_public_acls",
  "block_public_policy",
  "ignore_public_acls",
  "restrict_public_buckets",
];

/** Every bucket this project creates: versioned, encrypted, private, and with a lifecycle. */
export const bucketBaseline = baselineRule({
  id: "bucket-baseline",
  mirrors: { checkov: ["CKV_AWS_21", "CKV_AWS_19", "CKV2_AWS_6", "CKV2_AWS_61", "CKV_AWS_300"], trivy: ["AWS-0094"] },
  requires: "buckets versioned, encrypted, private, with a lifecycle",
  reason:
    "The buckets hold Terraform state, releases and access logs: versions and encryption keep them recoverable and " +
    "unreadable at rest, the public access block keeps a stray policy from publishing them, and the lifecycle keeps " +
    "old versions and stale uploads from growing forever.",
  check: (stack) => {
    const about = (type: string, bucket: string) =>
      resources(stack, type)
        .filter(([, r]) => referencedAddress(r.bucket) === bucket)
        .map(([, r]) => r);
    return resources(stack, "aws_s3_bucket").flatMap(([name]) => {
      const bucket = `aws_s3_bucket.${name}`;
      const problems: string[] = [];
      if (
        !about("aws_s3_bucket_versioning", bucket).some(
          (v) => list(v.versioning_configuration)[0]?.status === "Enabled",
        )
      ) {
        problems.push("versioning is not enabled (CKV_AWS_21)");
      }
      if (about("aws_s3_bucket_server_side_encryption_configuration", bucket).length === 0) {
        problems.push("no default encryption (CKV_AWS_19)");
      }
      const block = about("aws_s3_bucket_public_access_block", bucket)[0];
      if (block === undefined || !PUBLIC_ACCESS_BLOCKS.every((k) => isTrue(block[k]))) {
        problems.push("public access is not fully blocked (CKV2_AWS_6)");
      }
      const lifecycle = about("aws_s3_bucket_lifecycle_configuration", bucket).flatMap((l) => list(l.rule));
      if (!lifecycle.some((r) => list(r.noncurrent_version_expiration).length > 0)) {
        problems.push("noncurrent versions never expire (CKV2_AWS_61)");
      }
      if (!lifecycle.some((r) => list(r.abort_incomplete_multipart_upload).length > 0)) {
        problems.push("incomplete uploads are never aborted (CKV_AWS_300)");
      }
      return problems.map((problem) => ({
        address: bucket,
        problem,
        fix: "create the bucket with the state stack's settings (constructs/state-bucket-stack.ts)",
      }));
    });
  },
});
