/*
 * Pure: the two roles GitHub Actions assumes, and who may assume them. GitHub's OIDC provider signs a token
 * whose `sub` names the repository and the job's context: `repo:OWNER/REPO:pull_request` for a pull request's
 * jobs, `repo:OWNER/REPO:environment:NAME` for a job of a deployment environment. The plan role trusts the
 * first (it reads; pull request plans take no state lock), the deploy role only the second (the environment's
 * required reviewers approve every use).
 */

export const GITHUB_OIDC_URL = "https://token.actions.githubusercontent.com";
export const GITHUB_OIDC_AUDIENCE = "sts.amazonaws.com";

/** `owner/repo` as GitHub spells it. */
export const GITHUB_REPOSITORY = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/[A-Za-z0-9._-]{1,100}$/;

export interface CiRolesShape {
  readonly stackName: string;
  readonly planRoleName: string;
  readonly deployRoleName: string;
  /** `repo:OWNER/REPO:pull_request`. */
  readonly planSubject: string;
  /** `repo:OWNER/REPO:environment:production`. */
  readonly deploySubject: string;
  /** `{service}-{deployment}-`: the fleet's own roles and instance profiles start with it. */
  readonly fleetPrefix: string;
  /**
   * The managed policies the fleet file attaches to its instance roles (`app.policyArns`), sorted: the only
   * ones the deploy role may attach. Any other would let a deploy grant the instances (and so itself) more.
   */
  readonly attachablePolicyArns: readonly string[];
}

export function ciRolesShape(
  fleet: {
    readonly service: string;
    readonly deployment: string;
    readonly regions: readonly { readonly instance: { readonly role: { readonly policyArns: readonly string[] } } }[];
  },
  repository: string,
  environment: string,
): CiRolesShape {
  const prefix = `${fleet.service}-${fleet.deployment}-`;
  return {
    attachablePolicyArns: [...new Set(fleet.regions.flatMap((r) => r.instance.role.policyArns))].sort(),
    stackName: `${prefix}ci`,
    planRoleName: `${prefix}ci-plan`,
    deployRoleName: `${prefix}ci-deploy`,
    planSubject: `repo:${repository}:pull_request`,
    deploySubject: `repo:${repository}:environment:${environment}`,
    fleetPrefix: prefix,
  };
}

/** Who may assume a role: a token of GitHub's OIDC provider, for STS, with exactly this subject. */
export function githubTrustPolicy(providerArn: string, subject: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "GitHubActions",
        Effect: "Allow",
        Principal: { Federated: providerArn },
        Action: "sts:AssumeRoleWithWebIdentity",
        Condition: {
          StringEquals: {
            "token.actions.githubusercontent.com:aud": GITHUB_OIDC_AUDIENCE,
            "token.actions.githubusercontent.com:sub": subject,
          },
        },
      },
    ],
  });
}

/** The IAM actions Terraform needs on the fleet's instance roles and profiles (create, read, change, delete). */
export const FLEET_ROLE_ACTIONS = [
  "iam:AddRoleToInstanceProfile",
  "iam:CreateInstanceProfile",
  "iam:CreateRole",
  "iam:DeleteInstanceProfile",
  "iam:DeleteRole",
  "iam:DeleteRolePolicy",
  "iam:DetachRolePolicy",
  "iam:GetInstanceProfile",
  "iam:GetRole",
  "iam:GetRolePolicy",
  "iam:ListAttachedRolePolicies",
  "iam:ListInstanceProfilesForRole",
  "iam:ListRolePolicies",
  "iam:PutRolePolicy",
  "iam:RemoveRoleFromInstanceProfile",
  "iam:TagInstanceProfile",
  "iam:TagRole",
  "iam:UntagInstanceProfile",
  "iam:UntagRole",
  "iam:UpdateAssumeRolePolicy",
  "iam:UpdateRoleDescription",
] as const;

/**
 * What the deploy role may do in IAM beyond PowerUserAccess (which allows everything but IAM): manage the
 * fleet's own roles and instance profiles (inline policies, and attaching exactly the managed policies the
 * fleet file names), pass them to EC2 only, and never touch the CI roles themselves (their names share the
 * fleet's prefix).
 */
export function deployIamPolicy(accountId: string, plan: CiRolesShape): string {
  const role = `arn:aws:iam::${accountId}:role/${plan.fleetPrefix}*`;
  const profile = `arn:aws:iam::${accountId}:instance-profile/${plan.fleetPrefix}*`;
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      { Sid: "FleetRoles", Effect: "Allow", Action: [...FLEET_ROLE_ACTIONS], Resource: [role, profile] },
      ...(plan.attachablePolicyArns.length === 0
        ? []
        : [
            {
              Sid: "AttachTheAppsPolicies",
              Effect: "Allow",
              Action: "iam:AttachRolePolicy",
              Resource: role,
              Condition: { ArnEquals: { "iam:PolicyARN": [...plan.attachablePolicyArns] } },
            },
          ]),
      {
        Sid: "PassFleetRolesToEc2",
        Effect: "Allow",
        Action: "iam:PassRole",
        Resource: role,
        Condition: { StringEquals: { "iam:PassedToService": "ec2.amazonaws.com" } },
      },
      {
        Sid: "NeverTheCiRoles",
        Effect: "Deny",
        Action: "iam:*",
        Resource: [plan.planRoleName, plan.deployRoleName].map((name) => `arn:aws:iam::${accountId}:role/${name}`),
      },
    ],
  });
}
