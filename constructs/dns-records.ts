import { Route53Record } from "@cdktf/provider-aws/lib/route53-record";
import type { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";

export interface DnsTarget {
  /** Instance port; keys the records so adding a port never re-addresses the others. */
  readonly port: number;
  /** `cloudrim0.prod.us-east-1.example.com` */
  readonly aliasName: string;
  readonly setIdentifier: string;
  /** Route 53 weight in the regional set, 0-255. */
  readonly weight: number;
  /** DNS name and canonical hosted zone of the load balancer the records point at. */
  readonly loadBalancerDnsName: string;
  readonly loadBalancerZoneId: string;
}

export interface FleetDnsRecordsProps {
  readonly zoneId: string;
  /** `cloudrim.us-east-1.example.com` */
  readonly regionalName: string;
  readonly targets: readonly DnsTarget[];
  /** This region's latency record in the name that spans regions. @default none */
  readonly global?: { readonly name: string; readonly region: string };
  /**
   * Nothing is published before these exist (the Auto Scaling group, every port's attachment): a region
   * that fails to deploy publishes no name, and never one that points at nothing. @default none
   */
  readonly publishAfter?: readonly ITerraformDependable[];
}

/**
 * Three levels of names, every one an alias A record that evaluates its target's health:
 * - per port, `cloudrim0.prod.us-east-1.example.com` → that port's load balancer;
 * - per region, `cloudrim.us-east-1.example.com`: a weighted set with one member per port, each pointing at
 *   the port's load balancer directly (one evaluation hop), so a load balancer without a healthy instance
 *   drops out of the set;
 * - across regions, `cloudrim.example.com`: one latency record per region (set id = the region) pointing at
 *   that region's weighted set, so a region with no healthy port is skipped.
 */
export class FleetDnsRecords extends Construct {
  readonly aliasRecords: readonly Route53Record[];
  readonly weightedRecords: readonly Route53Record[];
  readonly globalRecord?: Route53Record;

  constructor(scope: Construct, id: string, props: FleetDnsRecordsProps) {
    super(scope, id);
    const publishAfter = [...(props.publishAfter ?? [])];
    const aliasOf = (target: DnsTarget) => ({
      name: target.loadBalancerDnsName,
      zoneId: target.loadBalancerZoneId,
      evaluateTargetHealth: true,
    });
    this.aliasRecords = props.targets.map(
      (target) =>
        new Route53Record(this, `alias-${target.port}`, {
          zoneId: props.zoneId,
          name: target.aliasName,
          type: "A",
          alias: aliasOf(target),
          dependsOn: publishAfter,
        }),
    );
    // Every member after the first depends on the first. A replaced set (the upgrade from CNAME members,
    // see terraform/legacy-records.ts) then deletes every old member before it creates the first new one:
    // Route 53 refuses an A record beside a CNAME of the same name.
    const [first, ...rest] = props.targets;
    const member = (target: DnsTarget, after: readonly ITerraformDependable[]) =>
      new Route53Record(this, `weighted-${target.port}`, {
        zoneId: props.zoneId,
        name: props.regionalName,
        type: "A",
        setIdentifier: target.setIdentifier,
        weightedRoutingPolicy: { weight: target.weight },
        alias: aliasOf(target),
        dependsOn: [...publishAfter, ...after],
      });
    const firstMember = first === undefined ? undefined : member(first, []);
    this.weightedRecords =
      firstMember === undefined ? [] : [firstMember, ...rest.map((target) => member(target, [firstMember]))];
    if (props.global !== undefined) {
      this.globalRecord = new Route53Record(this, "global", {
        zoneId: props.zoneId,
        name: props.global.name,
        type: "A",
        setIdentifier: props.global.region,
        latencyRoutingPolicy: { region: props.global.region },
        alias: { name: props.regionalName, zoneId: props.zoneId, evaluateTargetHealth: true },
        // An alias needs its target name to exist: the first member is enough (the others join in parallel).
        dependsOn: [...publishAfter, ...(firstMember === undefined ? [] : [firstMember])],
      });
    }
  }
}
