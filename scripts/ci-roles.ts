import { BUILT_IN_FLEETS } from "../regions";
import { relative, resolve } from "node:path";
import { App } from "cdktf";
import { CiRolesStack } from "../constructs/ci-roles-stack";
import { GITHUB_REPOSITORY, ciRolesShape } from "../ci/roles";
import { noticeLines, resolveFleet } from "../fleet/adapters/resolve";
import { terraformEnv } from "../terraform/adapters/env";
import { defineCommand, FLEET_ENVIRONMENT, OUTDIR_OPTION, startCommand } from "../cli/command";
import { UsageError, UserFacingError } from "../cli/console";
import { PROJECT } from "../terraform/adapters/context";

export const command = defineCommand({
  name: "ci-roles",
  summary: "Writes the Terraform of the AWS roles the GitHub workflows assume, to apply once.",
  description: [
    "Writes a stack (docs/ci-and-reviews.md, \"CI from zero\"): GitHub's OIDC provider (unless the account has it: --oidc-provider-arn), {service}-{deployment}-ci-plan for the repository's pull requests and {service}-{deployment}-ci-deploy for its deployment environment, with its state in the fleet's state bucket. It changes nothing in AWS itself: apply the stack once, with credentials that may manage IAM (it prints the commands). CI never does: its deploy role may not change the CI roles.",
  ],
  options: {
    repository: {
      type: "string",
      value: "OWNER/REPO",
      required: true,
      description: "the GitHub repository whose workflows assume the roles, as GitHub spells it",
    },
    environment: {
      type: "string",
      value: "NAME",
      default: "production",
      description: "the GitHub deployment environment the deploy role is for",
    },
    "oidc-provider-arn": {
      type: "string",
      value: "ARN",
      description: "the account's GitHub OIDC provider, when it has one already (otherwise the stack creates it)",
    },
    outdir: OUTDIR_OPTION,
  },
  environment: [...FLEET_ENVIRONMENT, { name: "CDKTF_OUTDIR", description: "the default of --outdir" }],
  exitCodes: [
    { code: 0, meaning: "written (the lines say how to apply it)" },
    { code: 1, meaning: "the fleet is invalid" },
  ],
  onInterrupt: "exit",
  run: ({ values }) => {
    const repository = values.repository ?? "";
    if (!GITHUB_REPOSITORY.test(repository)) {
      throw new UsageError(
        `--repository: got "${repository}"; give the repository as GitHub spells it, e.g. acme/fleet`,
      );
    }
    if (!/^[\w.-]{1,255}$/.test(values.environment)) {
      throw new UsageError(
        `--environment: got "${values.environment}"; give the deployment environment's name, e.g. production`,
      );
    }
    const arn = values["oidc-provider-arn"];
    if (arn !== undefined && !/^arn:aws:iam::\d{12}:oidc-provider\/token\.actions\.githubusercontent\.com$/.test(arn)) {
      throw new UsageError(
        `--oidc-provider-arn: got "${arn}"; must be arn:aws:iam::<account>:oidc-provider/token.actions.githubusercontent.com`,
      );
    }
    const fleet = resolveFleet(terraformEnv(PROJECT), process.cwd(), BUILT_IN_FLEETS, { images: "as-written" });
    if (!fleet.ok) throw new UserFacingError(fleet.message);
    for (const line of noticeLines(fleet)) process.stderr.write(`ci-roles: ${line}\n`);
    const roles = ciRolesShape(fleet.shape, repository, values.environment);
    const outdir = resolve(values.outdir);
    const app = new App({ outdir });
    new CiRolesStack(app, {
      fleet: fleet.shape,
      roles,
      target: fleet.target,
      ...(arn === undefined ? {} : { oidcProviderArn: arn }),
    });
    app.synth();
    const dir = relative(process.cwd(), resolve(outdir, "stacks", roles.stackName));
    process.stdout.write(
      [
        `wrote ${dir}: ${arn === undefined ? "GitHub's OIDC provider, " : ""}${roles.planRoleName} (for ${roles.planSubject}) and ${roles.deployRoleName} (for ${roles.deploySubject})`,
        "Apply it once, with credentials that may manage IAM:",
        `  terraform -chdir=${dir} init`,
        `  terraform -chdir=${dir} apply`,
        "then set the repository variables AWS_PLAN_ROLE_ARN and AWS_DEPLOY_ROLE_ARN to its outputs plan_role_arn and deploy_role_arn.",
        "",
      ].join("\n"),
    );
    return Promise.resolve(0);
  },
});

if (require.main === module) startCommand(command);
