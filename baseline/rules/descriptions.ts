import { baselineRule } from "../rule";
import { list, resources } from "../terraform-json";

/** Terraform's default description says nothing, so it counts as none. */
const missing = (value: unknown) =>
  typeof value !== "string" || value.trim() === "" || value === "Managed by Terraform";

export const descriptions = baselineRule({
  id: "descriptions",
  mirrors: { checkov: ["CKV_AWS_23"], trivy: ["AWS-0099", "AWS-0124"] },
  requires: "a description on every security group and rule",
  reason:
    "A security group or rule without a description cannot be judged in a review or an audit: what it admits, and " +
    "why, belongs beside it.",
  check: (stack) => {
    const groups = resources(stack, "aws_security_group").flatMap(([name, group]) => [
      ...(missing(group.description) ? [`aws_security_group.${name}`] : []),
      ...["ingress", "egress"].flatMap((direction) =>
        list(group[direction]).some((r) => missing(r.description)) ? [`aws_security_group.${name} (${direction})`] : [],
      ),
    ]);
    const rules = ["aws_vpc_security_group_ingress_rule", "aws_vpc_security_group_egress_rule"].flatMap((type) =>
      resources(stack, type).flatMap(([name, rule]) => (missing(rule.description) ? [`${type}.${name}`] : [])),
    );
    return [...groups, ...rules].map((address) => ({
      address,
      problem: "has no description",
      fix: "say what the group or rule admits and why (description)",
    }));
  },
});
