import { baselineRule } from "../rule";
import { balancers, cidrOf, PUBLIC_CIDRS, referencedAddress, resources } from "../terraform-json";

/** Ingress from anywhere is allowed only to a public load balancer, on exactly its listener ports. */
export const noPublicIngress = baselineRule({
  id: "no-public-ingress",
  mirrors: { checkov: ["CKV_AWS_260", "CKV_AWS_24", "CKV_AWS_25"], trivy: ["AWS-0107"] },
  requires: "no ingress from 0.0.0.0/0 or ::/0, except on a public load balancer's listener",
  reason:
    "A security group open to the internet exposes whatever listens behind it (SSH, a debug port, the service " +
    "itself past its load balancer); the one door the fleet means to open to everyone is a public listener.",
  check: (stack) => {
    const lbs = balancers(stack);
    return resources(stack, "aws_vpc_security_group_ingress_rule").flatMap(([name, rule]) => {
      const cidr = cidrOf(rule);
      if (!PUBLIC_CIDRS.has(cidr)) return [];
      const group = referencedAddress(rule.security_group_id);
      const fronted = lbs.filter((lb) => lb.securityGroups.some((g) => referencedAddress(g) === group));
      const listenerOnly =
        fronted.length > 0 &&
        fronted.every((lb) => !lb.internal && lb.listeners.every((l) => l.port === rule.from_port)) &&
        rule.from_port === rule.to_port;
      if (listenerOnly) return [];
      return [
        {
          address: `aws_vpc_security_group_ingress_rule.${name}`,
          problem: `admits ${cidr} on ports ${String(rule.from_port)}-${String(rule.to_port)}, not only a public load balancer's listener`,
          fix: "narrow the CIDR (allowedCidrs), or admit anywhere only on the listener of a load balancer with internal: false",
        },
      ];
    });
  },
});
