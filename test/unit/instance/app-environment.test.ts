import { planSecrets, secretServiceHost, type SecretSource } from "../../../instance/app-environment";
import { policyAttachmentId, secretsPolicy } from "../../../constructs/instance-role";
import type { FleetConfig } from "../../../fleet/schema";
import { shapeOrThrow } from "../../../fleet/validate";
import { baseFleet, DEFAULT_APP } from "../../fixtures";

const PARAMETER = "arn:aws:ssm:{region}:123456789012:parameter/shop/db-password";
const SECRET = "arn:aws:secretsmanager:{region}:123456789012:secret:shop/api-key-AbCdEf";
/** One copy for every region: read across regions from eu-west-1. */
const SHARED = "arn:aws:ssm:eu-west-1:123456789012:parameter/shop/license";

const fleet: FleetConfig = baseFleet({
  regions: [{ region: "us-east-1" }, { region: "eu-west-1" }],
  app: {
    environment: { LOG_LEVEL: "info" },
    secrets: { DB_PASSWORD: PARAMETER, API_KEY: SECRET, LICENSE: SHARED },
    policyArns: ["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess", "arn:aws:iam::123456789012:policy/shop/queue"],
  },
});

describe("the app's secrets, region by region", () => {
  const [east, west] = shapeOrThrow(fleet, DEFAULT_APP).regions;

  it("reads each region's own copy where the ARN says {region}, and the one copy where it names a region", () => {
    expect(east?.instance.secrets.map((s) => [s.name, s.store, s.region, s.arn])).toEqual([
      [
        "API_KEY",
        "secretsmanager",
        "us-east-1",
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:shop/api-key-AbCdEf",
      ],
      ["DB_PASSWORD", "ssm", "us-east-1", "arn:aws:ssm:us-east-1:123456789012:parameter/shop/db-password"],
      ["LICENSE", "ssm", "eu-west-1", SHARED],
    ]);
    expect(west?.instance.secrets.map((s) => s.arn)).toEqual([
      "arn:aws:secretsmanager:eu-west-1:123456789012:secret:shop/api-key-AbCdEf",
      "arn:aws:ssm:eu-west-1:123456789012:parameter/shop/db-password",
      SHARED,
    ]);
  });

  it("puts only names and ARNs in the user data, and the plain variables in the run script", () => {
    const userData = east?.instance.userData ?? "";
    expect(userData).toContain(
      "read_secret DB_PASSWORD ssm us-east-1 ssm.us-east-1.amazonaws.com 'arn:aws:ssm:us-east-1:123456789012:parameter/shop/db-password'",
    );
    expect(userData).toContain("read_secret LICENSE ssm eu-west-1 ssm.eu-west-1.amazonaws.com");
    expect(userData).toContain("export LOG_LEVEL='info'");
  });

  it("asks each secret's own regional endpoint, which is also the service KMS sees the request come through", () => {
    expect(secretServiceHost({ store: "ssm", region: "eu-west-1", partition: "aws" })).toBe(
      "ssm.eu-west-1.amazonaws.com",
    );
    expect(secretServiceHost({ store: "secretsmanager", region: "cn-north-1", partition: "aws-cn" })).toBe(
      "secretsmanager.cn-north-1.amazonaws.com.cn",
    );
  });
});

describe("the instance role's statements for the app's secrets", () => {
  const [east, west] = shapeOrThrow(fleet, DEFAULT_APP).regions;
  const statementsOf = (secrets: readonly SecretSource[]) =>
    (JSON.parse(secretsPolicy(secrets) ?? "{}") as { Statement: unknown[] }).Statement;

  it("reads exactly the region's parameters and secrets, and decrypts only through their service, for them only", () => {
    expect(statementsOf(east?.instance.role.secrets ?? [])).toEqual([
      {
        Sid: "ReadTheParameters",
        Effect: "Allow",
        Action: "ssm:GetParameter",
        Resource: ["arn:aws:ssm:us-east-1:123456789012:parameter/shop/db-password", SHARED],
      },
      {
        Sid: "DecryptTheParameters",
        Effect: "Allow",
        Action: "kms:Decrypt",
        Resource: ["arn:aws:kms:us-east-1:123456789012:key/*", "arn:aws:kms:eu-west-1:123456789012:key/*"],
        Condition: {
          StringEquals: {
            "kms:ViaService": ["ssm.us-east-1.amazonaws.com", "ssm.eu-west-1.amazonaws.com"],
            "kms:EncryptionContext:PARAMETER_ARN": [
              "arn:aws:ssm:us-east-1:123456789012:parameter/shop/db-password",
              SHARED,
            ],
          },
        },
      },
      {
        Sid: "ReadTheSecrets",
        Effect: "Allow",
        Action: "secretsmanager:GetSecretValue",
        Resource: ["arn:aws:secretsmanager:us-east-1:123456789012:secret:shop/api-key-AbCdEf"],
      },
      {
        Sid: "DecryptTheSecrets",
        Effect: "Allow",
        Action: "kms:Decrypt",
        Resource: ["arn:aws:kms:us-east-1:123456789012:key/*"],
        Condition: {
          StringEquals: {
            "kms:ViaService": ["secretsmanager.us-east-1.amazonaws.com"],
            "kms:EncryptionContext:SecretARN": [
              "arn:aws:secretsmanager:us-east-1:123456789012:secret:shop/api-key-AbCdEf",
            ],
          },
        },
      },
    ]);
  });

  it("names the other region's copies in the other region's role, and the shared copy once", () => {
    const statements = statementsOf(west?.instance.role.secrets ?? []);
    expect(statements[0]).toMatchObject({
      Resource: ["arn:aws:ssm:eu-west-1:123456789012:parameter/shop/db-password", SHARED],
    });
    expect(statements[1]).toMatchObject({
      Resource: ["arn:aws:kms:eu-west-1:123456789012:key/*"],
      Condition: { StringEquals: { "kms:ViaService": ["ssm.eu-west-1.amazonaws.com"] } },
    });
    expect(JSON.stringify(statements)).not.toContain("us-east-1");
  });

  it("has no statement at all without secrets, and only the store in use with one kind", () => {
    expect(secretsPolicy([])).toBeUndefined();
    const onlyParameters = planSecrets({ DB_PASSWORD: PARAMETER }, "us-east-1");
    expect(statementsOf(onlyParameters).map((s) => (s as { Sid: string }).Sid)).toEqual([
      "ReadTheParameters",
      "DecryptTheParameters",
    ]);
  });

  it("attaches the app's managed policies to the role, each keyed by the policy itself", () => {
    expect(east?.instance.role.policyArns).toEqual(fleet.app?.policyArns);
    expect(west?.instance.role.policyArns).toEqual(fleet.app?.policyArns);
    expect(policyAttachmentId("arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")).toBe(
      "policy-aws-AmazonS3ReadOnlyAccess",
    );
    expect(policyAttachmentId("arn:aws:iam::123456789012:policy/shop/queue")).toBe("policy-123456789012-shop_queue");
  });
});
