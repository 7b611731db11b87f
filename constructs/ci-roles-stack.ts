import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity";
import { IamOpenidConnectProvider } from "@cdktf/provider-aws/lib/iam-openid-connect-provider";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { TerraformOutput, TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import {
  deployIamPolicy,
  githubTrustPolicy,
  GITHUB_OIDC_AUDIENCE,
  GITHUB_OIDC_URL,
  type CiRolesShape,
} from "../ci/roles";
import { stateKey } from "../fleet/names";
import type { FleetShape } from "../fleet/shape";
import { awsProviderConfig, s3BackendOverrides, type Target } from "../fleet/target";
import { useS3StateBackend } from "./s3-state-backend";

export interface CiRolesStackProps {
  readonly fleet: FleetShape;
  readonly roles: CiRolesShape;
  /** An account has one OIDC provider per URL: give its ARN when GitHub's exists already. @default created here */
  readonly oidcProviderArn?: string;
  /** @default real AWS */
  readonly target?: Target;
}

const READ_ONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess";
const POWER_USER = "arn:aws:iam::aws:policy/PowerUserAccess";

/**
 * The roles the workflows assume through GitHub's OIDC provider, as code: `…-ci-plan` (read-only, for pull
 * request plans) and `…-ci-deploy` (applies, for the production environment only). Applied by an operator with
 * IAM rights, never by CI (`npm run ci-roles`): the deploy role may not change the CI roles.
 */
export class CiRolesStack extends TerraformStack {
  readonly planRole: IamRole;
  readonly deployRole: IamRole;

  constructor(scope: Construct, props: CiRolesStackProps) {
    const { fleet, roles } = props;
    super(scope, roles.stackName);
    const target = props.target ?? { kind: "aws" };
    new AwsProvider(this, "aws", awsProviderConfig(target, fleet.state.region, fleet.tags, fleet.accountId));
    useS3StateBackend(
      this,
      { bucket: fleet.state.bucket, region: fleet.state.region, key: stateKey(fleet.state.keyPrefix, fleet, "ci") },
      s3BackendOverrides(target),
    );
    const providerArn =
      props.oidcProviderArn ??
      new IamOpenidConnectProvider(this, "github", { url: GITHUB_OIDC_URL, clientIdList: [GITHUB_OIDC_AUDIENCE] }).arn;
    const account = new DataAwsCallerIdentity(this, "account");

    this.planRole = new IamRole(this, "plan", {
      name: roles.planRoleName,
      description: "cloudrim-fleet CI: plan pull requests (read only; their plans take no state lock)",
      assumeRolePolicy: githubTrustPolicy(providerArn, roles.planSubject),
      maxSessionDuration: 3600,
    });
    new IamRolePolicyAttachment(this, "plan-read-only", { role: this.planRole.name, policyArn: READ_ONLY });

    this.deployRole = new IamRole(this, "deploy", {
      name: roles.deployRoleName,
      description: "cloudrim-fleet CI: apply reviewed plans, from the production environment only",
      assumeRolePolicy: githubTrustPolicy(providerArn, roles.deploySubject),
      // A rollout bakes each wave: the token must outlive it (the job's limit is 4 hours).
      maxSessionDuration: 4 * 3600,
    });
    new IamRolePolicyAttachment(this, "deploy-power-user", { role: this.deployRole.name, policyArn: POWER_USER });
    new IamRolePolicy(this, "deploy-fleet-roles", {
      name: "fleet-roles",
      role: this.deployRole.id,
      policy: deployIamPolicy(account.accountId, roles),
    });

    new TerraformOutput(this, "plan_role_arn", {
      value: this.planRole.arn,
      description: "the repository variable AWS_PLAN_ROLE_ARN",
    });
    new TerraformOutput(this, "deploy_role_arn", {
      value: this.deployRole.arn,
      description: "the repository variable AWS_DEPLOY_ROLE_ARN",
    });
  }
}
