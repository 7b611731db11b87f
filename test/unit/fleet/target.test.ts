import {
  awsProviderConfig,
  reconfiguresBackends,
  s3BackendOverrides,
  targetFromEnv,
  type Target,
} from "../../../fleet/target";

describe("target from the environment", () => {
  it("deploys to real AWS by default", () => {
    expect(targetFromEnv({})).toEqual({ ok: true, target: { kind: "aws" } });
    expect(targetFromEnv({ CLOUDRIM_TARGET: "aws" })).toEqual({ ok: true, target: { kind: "aws" } });
  });

  it("points the local target at moto on port 5055 unless told otherwise", () => {
    expect(targetFromEnv({ CLOUDRIM_TARGET: "local" })).toEqual({
      ok: true,
      target: { kind: "local", endpoint: "http://127.0.0.1:5055" },
    });
    expect(targetFromEnv({ CLOUDRIM_TARGET: "local", CLOUDRIM_LOCAL_ENDPOINT: "http://localhost:4566/" })).toEqual({
      ok: true,
      target: { kind: "local", endpoint: "http://localhost:4566" },
    });
  });

  it("rejects an unknown target, naming the variable and the choices", () => {
    expect(targetFromEnv({ CLOUDRIM_TARGET: "staging" })).toEqual({
      ok: false,
      problems: [
        {
          path: "CLOUDRIM_TARGET",
          value: "staging",
          message: 'must be "aws" (the default) or "local" (moto on loopback)',
        },
      ],
    });
  });

  it.each([
    "not a url",
    "http://10.0.0.5:5055",
    "https://127.0.0.1:5055",
    "http://127.0.0.1",
    "http://127.0.0.1:5055/x",
  ])("rejects the local endpoint %s (loopback http with a port only)", (endpoint) => {
    const result = targetFromEnv({ CLOUDRIM_TARGET: "local", CLOUDRIM_LOCAL_ENDPOINT: endpoint });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problems[0]).toMatchObject({ path: "CLOUDRIM_LOCAL_ENDPOINT", value: endpoint });
  });
});

describe("provider and backend settings per target", () => {
  const local: Target = { kind: "local", endpoint: "http://127.0.0.1:5055" };

  it("adds nothing on AWS: the usual credential chain and endpoints apply", () => {
    expect(awsProviderConfig({ kind: "aws" }, "eu-west-1", { Service: "x" })).toEqual({
      region: "eu-west-1",
      defaultTags: [{ tags: { Service: "x" } }],
    });
    expect(s3BackendOverrides({ kind: "aws" })).toEqual({});
  });

  it("points every service the stacks use at the emulator, with test credentials", () => {
    const config = awsProviderConfig(local, "us-west-2", {});
    expect(config).toMatchObject({
      region: "us-west-2",
      accessKey: "test",
      secretKey: "test",
      skipCredentialsValidation: true,
      s3UsePathStyle: true,
    });
    expect(config.endpoints).toEqual([
      {
        autoscaling: local.endpoint,
        cloudwatch: local.endpoint,
        ec2: local.endpoint,
        elb: local.endpoint,
        elbv2: local.endpoint,
        events: local.endpoint,
        iam: local.endpoint,
        logs: local.endpoint,
        route53: local.endpoint,
        s3: local.endpoint,
        ssm: local.endpoint,
        sts: local.endpoint,
      },
    ]);
  });

  it("points the S3 backend at the emulator too", () => {
    expect(s3BackendOverrides(local)).toMatchObject({
      endpoints: { s3: local.endpoint, sts: local.endpoint, iam: local.endpoint },
      usePathStyle: true,
      skipCredentialsValidation: true,
    });
  });
});

describe("a stack directory initialised for another backend", () => {
  it("is re-initialised on the local AWS, whose endpoint changes from run to run", () => {
    expect(reconfiguresBackends({ kind: "local", endpoint: "http://127.0.0.1:5056" })).toBe(true);
  });

  it("is never re-initialised on AWS: a moved state bucket is the operator's migration to make", () => {
    expect(reconfiguresBackends({ kind: "aws" })).toBe(false);
  });
});
