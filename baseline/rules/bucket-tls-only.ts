import { baselineRule } from "../rule";
import { referencedAddress, resources } from "../terraform-json";

/**
 * Every bucket denies requests without TLS. checkov's CKV_AWS_379 looks for such a policy, but on aws_s3_bucket_acl
 * resources, which the project does not create: a checkov run would not judge these buckets by it, so Security
 * Hub's control is the one named.
 */
export const bucketTlsOnly = baselineRule({
  id: "bucket-tls-only",
  mirrors: { securityHub: ["S3.5"] },
  requires: "buckets deny requests without TLS",
  reason:
    "S3 answers plain HTTP unless a bucket policy refuses it; denying requests without aws:SecureTransport keeps " +
    "state files and releases from crossing the network in the clear.",
  check: (stack) =>
    resources(stack, "aws_s3_bucket").flatMap(([name]) => {
      const bucket = `aws_s3_bucket.${name}`;
      const policies = resources(stack, "aws_s3_bucket_policy").filter(
        ([, p]) => referencedAddress(p.bucket) === bucket,
      );
      if (policies.some(([, p]) => String(p.policy).includes("aws:SecureTransport"))) return [];
      return [
        {
          address: bucket,
          problem: "its policy does not deny requests without TLS",
          fix: "add a statement that denies s3:* when aws:SecureTransport is false (constructs/state-bucket-stack.ts, hardenBucket)",
        },
      ];
    }),
});
