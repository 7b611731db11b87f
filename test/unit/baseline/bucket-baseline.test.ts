import { bucketBaseline } from "../../../baseline/rules/bucket-baseline";
import { compliantBucket, findingsOf, STACK } from "./stacks";

describe("bucket-baseline: every bucket versioned, encrypted, private, with a lifecycle", () => {
  it("passes a bucket set up as the state bucket is", () => {
    expect(findingsOf(bucketBaseline, compliantBucket().resources)).toEqual([]);
  });

  it("fails a bare bucket, naming each setting it lacks and the fix", () => {
    const resources = { aws_s3_bucket: compliantBucket().resources.aws_s3_bucket ?? {} };
    expect(findingsOf(bucketBaseline, resources)).toEqual(
      [
        "versioning is not enabled (CKV_AWS_21)",
        "no default encryption (CKV_AWS_19)",
        "public access is not fully blocked (CKV2_AWS_6)",
        "noncurrent versions never expire (CKV2_AWS_61)",
        "incomplete uploads are never aborted (CKV_AWS_300)",
      ].map((problem) => ({
        rule: "bucket-baseline",
        mirrors: ["CKV_AWS_21", "CKV_AWS_19", "CKV2_AWS_6", "CKV2_AWS_61", "CKV_AWS_300", "AWS-0094"],
        stack: STACK,
        address: "aws_s3_bucket.bucket",
        problem,
        fix: "create the bucket with the state stack's settings (constructs/state-bucket-stack.ts)",
      })),
    );
  });

  it("fails a public access block that leaves one door open, and a lifecycle that misses a rule", () => {
    const bucket = compliantBucket();
    bucket.publicAccessBlock.restrict_public_buckets = false;
    bucket.lifecycle.rule = [{ noncurrent_version_expiration: { noncurrent_days: 90 } }];
    expect(findingsOf(bucketBaseline, bucket.resources).map((f) => f.problem)).toEqual([
      "public access is not fully blocked (CKV2_AWS_6)",
      "incomplete uploads are never aborted (CKV_AWS_300)",
    ]);
  });

  it("counts only the settings that name the bucket", () => {
    const bucket = compliantBucket();
    bucket.resources.aws_s3_bucket = { ...bucket.resources.aws_s3_bucket, logs: { bucket: "shop-logs" } };
    expect(findingsOf(bucketBaseline, bucket.resources).map((f) => [f.address, f.problem])).toEqual([
      ["aws_s3_bucket.logs", "versioning is not enabled (CKV_AWS_21)"],
      ["aws_s3_bucket.logs", "no default encryption (CKV_AWS_19)"],
      ["aws_s3_bucket.logs", "public access is not fully blocked (CKV2_AWS_6)"],
      ["aws_s3_bucket.logs", "noncurrent versions never expire (CKV2_AWS_61)"],
      ["aws_s3_bucket.logs", "incomplete uploads are never aborted (CKV_AWS_300)"],
    ]);
  });
});
