import { PROJECT_EXCEPTIONS } from "../../../baseline/exceptions";
import { iamNoWildcards } from "../../../baseline/rules/iam-no-wildcards";
import { checkRule, compliantRegion, findingsOf, STACK } from "./stacks";

const policy = (...Statement: unknown[]) => ({ policy: JSON.stringify({ Statement }) });

describe("iam-no-wildcards: no * action or resource in the project's own policies", () => {
  it("passes named actions on named resources, a Deny with wildcards, and a policy from a data source", () => {
    const stack = compliantRegion();
    stack.policies.guard = policy({ Effect: "Deny", Action: "iam:*", Resource: "*" });
    stack.policies.document = { policy: "${data.aws_iam_policy_document.release.json}" };
    expect(findingsOf(iamNoWildcards, stack.resources)).toEqual([]);
  });

  it("fails every action of a service, naming the policy and the fix", () => {
    const stack = compliantRegion();
    stack.policies.wide = policy({ Effect: "Allow", Action: ["s3:GetObject", "s3:*"], Resource: "arn:aws:s3:::b/*" });
    expect(findingsOf(iamNoWildcards, stack.resources)).toEqual([
      {
        rule: "iam-no-wildcards",
        mirrors: ["CKV_AWS_63", "CKV_AWS_355", "CKV_AWS_290"],
        stack: STACK,
        address: "aws_iam_role_policy.wide",
        problem: "allows every action of s3:*",
        fix: "name the actions and the resources (ARNs) the role needs",
      },
    ]);
  });

  it("fails every action and every resource, one finding per statement", () => {
    const stack = compliantRegion();
    stack.policies.wide = policy(
      { Effect: "Allow", Action: "*", Resource: "arn:aws:s3:::b/k" },
      { Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: ["*"] },
    );
    expect(findingsOf(iamNoWildcards, stack.resources).map((f) => f.problem)).toEqual([
      "allows every action of *",
      'allows logs:CreateLogStream, logs:PutLogEvents on every resource ("*")',
    ]);
  });

  it("accepts Session Manager's policy by the project's exception, and no other policy", () => {
    const stack = compliantRegion();
    const ssm = policy({ Effect: "Allow", Action: "ssmmessages:CreateControlChannel", Resource: "*" });
    stack.policies["instance_session-manager_0A1B2C3D"] = ssm;
    stack.policies["instance_release_4E5F6A7B"] = ssm;
    const result = checkRule(iamNoWildcards, stack.resources, PROJECT_EXCEPTIONS);
    expect(result.excepted.map((e) => [e.finding.address, e.reason])).toEqual([
      ["aws_iam_role_policy.instance_session-manager_0A1B2C3D", expect.stringMatching(/^Session Manager's channels/)],
    ]);
    expect(result.findings.map((f) => f.address)).toEqual(["aws_iam_role_policy.instance_release_4E5F6A7B"]);
  });
});
