import { baselineRule } from "../rule";
import { cidrOf, PUBLIC_CIDRS, resources } from "../terraform-json";

/** Egress to anywhere, on any port (the project's default instance egress is an exception: baseline/exceptions.ts). */
export const noOpenEgress = baselineRule({
  id: "no-open-egress",
  mirrors: { checkov: ["CKV_AWS_382"], trivy: ["AWS-0104"] },
  requires: "no egress to 0.0.0.0/0 or ::/0",
  reason:
    "Egress to anywhere lets a compromised instance send the data it reaches wherever it likes and fetch whatever " +
    "it is told to; naming the destinations the instances need limits both.",
  check: (stack) =>
    resources(stack, "aws_vpc_security_group_egress_rule").flatMap(([name, rule]) => {
      const cidr = cidrOf(rule);
      if (!PUBLIC_CIDRS.has(cidr)) return [];
      const everything = rule.ip_protocol === "-1" || rule.ip_protocol === "all";
      return [
        {
          address: `aws_vpc_security_group_egress_rule.${name}`,
          problem: everything
            ? `allows egress to ${cidr} on every port and protocol`
            : `allows egress to ${cidr} on port ${String(rule.from_port)}${rule.to_port === rule.from_port ? "" : `-${String(rule.to_port)}`}`,
          fix: "list the destinations the instances need in instanceEgress (a CIDR or prefix list per port)",
        },
      ];
    }),
});
