import { bucketTlsOnly } from "../../../baseline/rules/bucket-tls-only";
import { compliantBucket, findingsOf, STACK } from "./stacks";

describe("bucket-tls-only: every bucket refuses requests without TLS", () => {
  it("passes a bucket whose policy denies requests without aws:SecureTransport", () => {
    expect(findingsOf(bucketTlsOnly, compliantBucket().resources)).toEqual([]);
  });

  it("fails a bucket without such a policy, naming it and the fix", () => {
    const bucket = compliantBucket();
    bucket.policy.policy = '{"Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:DeleteBucket"}]}';
    expect(findingsOf(bucketTlsOnly, bucket.resources)).toEqual([
      {
        rule: "bucket-tls-only",
        mirrors: ["Security Hub S3.5"],
        stack: STACK,
        address: "aws_s3_bucket.bucket",
        problem: "its policy does not deny requests without TLS",
        fix: "add a statement that denies s3:* when aws:SecureTransport is false (constructs/state-bucket-stack.ts, hardenBucket)",
      },
    ]);
  });

  it("fails a bucket when the policy that has it names another bucket", () => {
    const bucket = compliantBucket();
    bucket.policy.bucket = "${aws_s3_bucket.logs.id}";
    expect(findingsOf(bucketTlsOnly, bucket.resources).map((f) => f.address)).toEqual(["aws_s3_bucket.bucket"]);
  });
});
