import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Testing } from "cdktf";
import { CiRolesStack } from "../../constructs/ci-roles-stack";
import { ciRolesShape } from "../../ci/roles";
import type { FleetConfig } from "../../fleet/schema";
import { shapeOrThrow } from "../../fleet/validate";
import { baseFleet, DEFAULT_APP } from "../fixtures";
import { terraformValidate } from "../terraform";
import { onlyResource, resourcesOf, stackJson } from "./synth-helpers";

jest.setTimeout(120_000);

const shapeWith = (overrides: Partial<FleetConfig> = {}) =>
  shapeOrThrow(baseFleet({ service: "api", accountId: "012345678901", ...overrides }), DEFAULT_APP);
const fleet = shapeWith();
const roles = ciRolesShape(fleet, "acme/fleet", "production");

function synthFor(shape: typeof fleet, oidcProviderArn?: string) {
  const app = Testing.app();
  const stack = new CiRolesStack(app, {
    fleet: shape,
    roles: ciRolesShape(shape, "acme/fleet", "production"),
    ...(oidcProviderArn === undefined ? {} : { oidcProviderArn }),
  });
  return stackJson(stack);
}
const synth = (oidcProviderArn?: string) => synthFor(fleet, oidcProviderArn);

interface Trust {
  Statement: {
    Principal: { Federated: string };
    Action: string;
    Condition: { StringEquals: Record<string, string> };
  }[];
}
const trustOf = (role: Record<string, unknown>) => JSON.parse(String(role.assume_role_policy)) as Trust;

describe("the CI roles (npm run ci-roles)", () => {
  const json = synth();
  const role = (name: string) =>
    resourcesOf(json, "aws_iam_role").find(([, r]) => r.name === name)?.[1] ?? ({} as Record<string, unknown>);

  it("trusts GitHub's OIDC provider, which it creates unless the account has it", () => {
    expect(onlyResource(json, "aws_iam_openid_connect_provider")).toMatchObject({
      url: "https://token.actions.githubusercontent.com",
      client_id_list: ["sts.amazonaws.com"],
    });
    expect(
      resourcesOf(
        synth("arn:aws:iam::012345678901:oidc-provider/token.actions.githubusercontent.com"),
        "aws_iam_openid_connect_provider",
      ),
    ).toEqual([]);
  });

  it("lets only the repository's pull requests assume the plan role, which reads and nothing else", () => {
    const [statement] = trustOf(role("api-prod-ci-plan")).Statement;
    expect(statement?.Action).toBe("sts:AssumeRoleWithWebIdentity");
    expect(statement?.Condition.StringEquals).toEqual({
      "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
      "token.actions.githubusercontent.com:sub": "repo:acme/fleet:pull_request",
    });
    const attached = resourcesOf(json, "aws_iam_role_policy_attachment").map(([, a]) => a.policy_arn);
    expect(attached).toContain("arn:aws:iam::aws:policy/ReadOnlyAccess");
    expect(resourcesOf(json, "aws_iam_role_policy").map(([, p]) => String(p.role))).not.toContainEqual(
      expect.stringContaining("aws_iam_role.plan"),
    );
  });

  it("lets only the production environment assume the deploy role, for as long as a rollout may take", () => {
    const deploy = role("api-prod-ci-deploy");
    expect(trustOf(deploy).Statement[0]?.Condition.StringEquals["token.actions.githubusercontent.com:sub"]).toBe(
      "repo:acme/fleet:environment:production",
    );
    expect(deploy.max_session_duration).toBe(14400);
  });

  it("gives the deploy role IAM on the fleet's own roles only, passed to EC2 only, and never on the CI roles", () => {
    const policy = JSON.parse(String(onlyResource(json, "aws_iam_role_policy").policy)) as {
      Statement: {
        Sid: string;
        Effect: string;
        Action: string | string[];
        Resource: string | string[];
        Condition?: unknown;
      }[];
    };
    const sid = (name: string) => policy.Statement.find((s) => s.Sid === name);
    expect(sid("FleetRoles")?.Resource).toEqual([
      "arn:aws:iam::${data.aws_caller_identity.account.account_id}:role/api-prod-*",
      "arn:aws:iam::${data.aws_caller_identity.account.account_id}:instance-profile/api-prod-*",
    ]);
    expect(sid("PassFleetRolesToEc2")?.Condition).toEqual({
      StringEquals: { "iam:PassedToService": "ec2.amazonaws.com" },
    });
    expect(sid("NeverTheCiRoles")).toMatchObject({
      Effect: "Deny",
      Action: "iam:*",
      Resource: [
        "arn:aws:iam::${data.aws_caller_identity.account.account_id}:role/api-prod-ci-plan",
        "arn:aws:iam::${data.aws_caller_identity.account.account_id}:role/api-prod-ci-deploy",
      ],
    });
    expect(JSON.stringify(policy)).not.toMatch(/"Action":"\*"|"Resource":"\*"/);
  });

  it("lets the deploy role attach the managed policies the fleet file names, and no other", () => {
    const statementsOf = (json: ReturnType<typeof synth>) =>
      (JSON.parse(String(onlyResource(json, "aws_iam_role_policy").policy)) as { Statement: { Sid: string }[] })
        .Statement;
    expect(statementsOf(json).map((s) => s.Sid)).not.toContain("AttachTheAppsPolicies");
    const withPolicies = shapeWith({
      app: {
        policyArns: ["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess", "arn:aws:iam::012345678901:policy/orders"],
      },
    });
    const attach = statementsOf(synthFor(withPolicies)).find((s) => s.Sid === "AttachTheAppsPolicies");
    expect(attach).toEqual({
      Sid: "AttachTheAppsPolicies",
      Effect: "Allow",
      Action: "iam:AttachRolePolicy",
      Resource: "arn:aws:iam::${data.aws_caller_identity.account.account_id}:role/api-prod-*",
      Condition: {
        ArnEquals: {
          "iam:PolicyARN": [
            "arn:aws:iam::012345678901:policy/orders",
            "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
          ],
        },
      },
    });
  });

  it("keeps its state in the fleet's bucket, beside the other stacks', and gives the role ARNs as outputs", () => {
    expect(json.terraform.backend?.s3).toMatchObject({ bucket: "cloudrim-state", key: "cloudrim/api/prod/ci.tfstate" });
    expect(Object.keys(json.output)).toEqual(["deploy_role_arn", "plan_role_arn"]);
    expect(json.provider.aws[0]).toMatchObject({ allowed_account_ids: ["012345678901"] });
  });

  it("passes terraform validate", () => {
    const outdir = mkdtempSync(join(tmpdir(), "cloudrim-ci-roles-"));
    try {
      const app = Testing.app({ outdir });
      new CiRolesStack(app, { fleet, roles });
      app.synth();
      expect(terraformValidate(join(outdir, "stacks", roles.stackName))).toEqual({ valid: true, diagnostics: [] });
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });
});
