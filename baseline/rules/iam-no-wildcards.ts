import { baselineRule } from "../rule";
import { resources } from "../terraform-json";

interface PolicyStatement {
  readonly Effect?: string;
  readonly Action?: string | readonly string[];
  readonly Resource?: string | readonly string[];
}

/** The project's own IAM policies: no `*` action (or `service:*`) and no `*` resource. */
export const iamNoWildcards = baselineRule({
  id: "iam-no-wildcards",
  mirrors: { checkov: ["CKV_AWS_63", "CKV_AWS_355", "CKV_AWS_290"] },
  requires: "no * action or resource in the project's own IAM policies",
  reason:
    "A wildcard grants what nobody reviewed, including actions AWS adds later; naming the actions and the ARNs keeps " +
    "a stolen instance credential to what the service needs.",
  check: (stack) =>
    resources(stack, "aws_iam_role_policy").flatMap(([name, policy]) => {
      let statements: PolicyStatement[];
      try {
        const document = JSON.parse(String(policy.policy)) as { Statement?: PolicyStatement | PolicyStatement[] };
        statements = [document.Statement ?? []].flat();
      } catch {
        // A reference to a policy document data source: its statements are checked where they are written.
        return [];
      }
      return statements.flatMap((statement) => {
        if (statement.Effect !== "Allow") return [];
        const actions = [statement.Action ?? []].flat();
        const wildcardActions = actions.filter((a) => a === "*" || a.endsWith(":*"));
        const wildcardResource = [statement.Resource ?? []].flat().includes("*");
        if (wildcardActions.length === 0 && !wildcardResource) return [];
        return [
          {
            address: `aws_iam_role_policy.${name}`,
            problem:
              wildcardActions.length > 0
                ? `allows every action of ${wildcardActions.join(", ")}`
                : `allows ${actions.join(", ")} on every resource ("*")`,
            fix: "name the actions and the resources (ARNs) the role needs",
          },
        ];
      });
    }),
});
