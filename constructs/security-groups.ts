import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { Construct } from "constructs";
import { cidrId, type EgressRule } from "../fleet/shape/network";
import type { PortRange } from "../fleet/shape/ports";

export interface FleetSecurityGroupsProps {
  readonly vpcId: string;
  /** Prefix of the groups' names, e.g. `cloudrim-prod`. */
  readonly namePrefix: string;
  /** The one port clients may reach on the load balancers. */
  readonly listenerPort: number;
  /** Instance ports the load balancers forward to (one per process). */
  readonly instancePorts: PortRange;
  /** Who may reach the listener port. */
  readonly allowedCidrs: readonly string[];
  /** Where instances may connect out, one rule per destination and port (fleet/shape/network.ts, `egressRules`). */
  readonly instanceEgress: readonly EgressRule[];
}

/**
 * Two groups: the load balancers admit only the listener port from `allowedCidrs` and send only to the
 * instances' port range; the instances admit only the load balancers on that range.
 */
export class FleetSecurityGroups extends Construct {
  readonly loadBalancerGroup: SecurityGroup;
  readonly instanceGroup: SecurityGroup;

  constructor(scope: Construct, id: string, props: FleetSecurityGroupsProps) {
    super(scope, id);
    this.loadBalancerGroup = new SecurityGroup(this, "load-balancers", {
      name: `${props.namePrefix}-lb`,
      // Descriptions are fixed text: AWS cannot change a group's description in place, so one that
      // named the ports would replace the group (and cut traffic) whenever a port is added.
      description: "cloudrim-fleet load balancers: the listener port in, the instance ports out",
      vpcId: props.vpcId,
    });
    this.instanceGroup = new SecurityGroup(this, "instances", {
      name: `${props.namePrefix}-instances`,
      description: "cloudrim-fleet instances: the service ports from the load balancers only",
      vpcId: props.vpcId,
    });

    for (const cidr of props.allowedCidrs) {
      const rule = {
        securityGroupId: this.loadBalancerGroup.id,
        description: `Listener from ${cidr}`,
        ipProtocol: "tcp",
        fromPort: props.listenerPort,
        toPort: props.listenerPort,
      };
      // One rule per CIDR, keyed by the CIDR so adding one never re-addresses the others.
      const ruleId = `listener-from-${cidrId(cidr)}`;
      new VpcSecurityGroupIngressRule(
        this,
        ruleId,
        cidr.includes(":") ? { ...rule, cidrIpv6: cidr } : { ...rule, cidrIpv4: cidr },
      );
    }

    allowBetweenGroups(this, "to-instances", this.loadBalancerGroup, this.instanceGroup, props.instancePorts);

    for (const rule of props.instanceEgress) {
      const destination = rule.prefixList ?? rule.cidr ?? "";
      new VpcSecurityGroupEgressRule(this, rule.id, {
        securityGroupId: this.instanceGroup.id,
        description: `Instances out to ${destination === "0.0.0.0/0" ? "anywhere" : destination} on port ${rule.port}`,
        ipProtocol: "tcp",
        fromPort: rule.port,
        toPort: rule.port,
        ...(rule.prefixList === undefined ? { cidrIpv4: rule.cidr } : { prefixListId: rule.prefixList }),
      });
    }
  }
}

/**
 * Lets `source` reach `target` on `ports`: the egress rule on the source and its twin ingress rule on
 * the target are made together, from the same range, so the two sides cannot disagree.
 */
export function allowBetweenGroups(
  scope: Construct,
  id: string,
  source: SecurityGroup,
  target: SecurityGroup,
  ports: PortRange,
): { egress: VpcSecurityGroupEgressRule; ingress: VpcSecurityGroupIngressRule } {
  const range = { ipProtocol: "tcp", fromPort: ports.from, toPort: ports.to };
  const description = `Service ports ${ports.from}-${ports.to}, load balancers to instances`;
  const egress = new VpcSecurityGroupEgressRule(scope, `${id}-egress`, {
    ...range,
    description,
    securityGroupId: source.id,
    referencedSecurityGroupId: target.id,
  });
  const ingress = new VpcSecurityGroupIngressRule(scope, `${id}-ingress`, {
    ...range,
    description,
    securityGroupId: target.id,
    referencedSecurityGroupId: source.id,
  });
  return { egress, ingress };
}
