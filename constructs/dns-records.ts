import { DataAwsElbHostedZoneId } from "@cdktf/provider-aws/lib/data-aws-elb-hosted-zone-id";
import { Route53Record } from "@cdktf/provider-aws/lib/route53-record";
import { Construct } from "constructs";
import { DEFAULTS } from "../lib/defaults";

export interface DnsTarget {
  /** Instance port; keys the records so adding a port never re-addresses the others. */
  readonly port: number;
  /** `cloudrim0.prod.us-east-1.example.com` */
  readonly aliasName: string;
  readonly setIdentifier: string;
  /** Route 53 weight in the regional set, 0-255. */
  readonly weight: number;
  /** DNS name of the load balancer the alias points at. */
  readonly loadBalancerDnsName: string;
}

export interface FleetDnsRecordsProps {
  readonly zoneId: string;
  /** `cloudrim.us-east-1.example.com` */
  readonly regionalName: string;
  readonly targets: readonly DnsTarget[];
  /** TTL of the weighted records, seconds. @default 60 */
  readonly ttl?: number;
}

/**
 * An alias A record per load balancer, and the regional name as a weighted set of CNAMEs over those
 * aliases, one member per port.
 */
export class FleetDnsRecords extends Construct {
  readonly aliasRecords: readonly Route53Record[];
  readonly weightedRecords: readonly Route53Record[];

  constructor(scope: Construct, id: string, props: FleetDnsRecordsProps) {
    super(scope, id);
    // A static per-region table in the provider: correct on AWS, and on emulators whose load balancers
    // report no canonical hosted zone.
    const elbZone = new DataAwsElbHostedZoneId(this, "elb-zone");
    this.aliasRecords = props.targets.map(
      (target) =>
        new Route53Record(this, `alias-${target.port}`, {
          zoneId: props.zoneId,
          name: target.aliasName,
          type: "A",
          alias: { name: target.loadBalancerDnsName, zoneId: elbZone.id, evaluateTargetHealth: true },
        }),
    );
    this.weightedRecords = props.targets.map(
      (target) =>
        new Route53Record(this, `weighted-${target.port}`, {
          zoneId: props.zoneId,
          name: props.regionalName,
          type: "CNAME",
          ttl: props.ttl ?? DEFAULTS.ttl,
          setIdentifier: target.setIdentifier,
          weightedRoutingPolicy: { weight: target.weight },
          records: [target.aliasName],
        }),
    );
  }
}
