import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { Construct } from "constructs";
import type { PortRange } from "../lib/plan";

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
  /**
   * Ports instances may open to anywhere, for package installs at boot (apt over HTTP and HTTPS).
   * @default [80, 443]
   */
  readonly instanceEgressPorts?: readonly number[];
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

    for (const port of props.instanceEgressPorts ?? [80, 443]) {
      new VpcSecurityGroupEgressRule(this, `instances-out-${port}`, {
        securityGroupId: this.instanceGroup.id,
        description: `Package installs (port ${port})`,
        ipProtocol: "tcp",
        fromPort: port,
        toPort: port,
        cidrIpv4: "0.0.0.0/0",
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
  // No rule descriptions here: the groups' own descriptions say it, and moto drops descriptions of
  // group-to-group rules at creation, which would show as drift in every plan against the local AWS.
  const range = { ipProtocol: "tcp", fromPort: ports.from, toPort: ports.to };
  const egress = new VpcSecurityGroupEgressRule(scope, `${id}-egress`, {
    ...range,
    securityGroupId: source.id,
    referencedSecurityGroupId: target.id,
  });
  const ingress = new VpcSecurityGroupIngressRule(scope, `${id}-ingress`, {
    ...range,
    securityGroupId: target.id,
    referencedSecurityGroupId: source.id,
  });
  return { egress, ingress };
}

/** Construct ids may not contain `/`; `10.0.0.0/8` becomes `10-0-0-0_8` (cdktf drops dots from ids). */
export function cidrId(cidr: string): string {
  return cidr.replace(/\//g, "_").replace(/[.:]/g, "-");
}
