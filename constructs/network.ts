import { DataAwsSubnet } from "@cdktf/provider-aws/lib/data-aws-subnet";
import { DataAwsSubnets } from "@cdktf/provider-aws/lib/data-aws-subnets";
import { DataAwsVpc } from "@cdktf/provider-aws/lib/data-aws-vpc";
import { Fn, Op, TerraformIterator, type Precondition } from "cdktf";
import { Construct } from "constructs";

export interface FleetNetworkProps {
  /** VPC to deploy into. @default the region's default VPC, looked up */
  readonly vpcId?: string;
  /**
   * Subnets for the load balancers and instances: a classic load balancer takes at most one subnet per
   * availability zone. @default the default VPC's default subnets (one per zone); with `vpcId`, the
   * VPC's subnets that carry every tag in `subnetTags`
   */
  readonly subnetIds?: readonly string[];
  /** With `vpcId` and no `subnetIds`: pick the VPC's subnets carrying all of these tags. @default any subnet */
  readonly subnetTags?: Readonly<Record<string, string>>;
}

/**
 * Resolves where the fleet runs: the given VPC and subnets, or the region's defaults. In a VPC of your
 * own, the subnets (given or picked by tag) are checked at plan time to be one per availability zone,
 * because a typical VPC has a public and a private subnet in each zone and a classic load balancer
 * rejects two in one zone; `subnetChecks` carries that check to a resource that uses the subnets.
 */
export class FleetNetwork extends Construct {
  readonly vpcId: string;
  readonly subnetIds: string[];
  /** Plan-time checks on the subnets; empty for the default VPC, whose default subnets are one per zone. */
  readonly subnetChecks: Precondition[];

  constructor(scope: Construct, id: string, props: FleetNetworkProps = {}) {
    super(scope, id);
    if (props.vpcId === undefined) {
      this.vpcId = new DataAwsVpc(this, "default-vpc", { default: true }).id;
      this.subnetIds = new DataAwsSubnets(this, "subnets", {
        filter: [
          { name: "vpc-id", values: [this.vpcId] },
          { name: "default-for-az", values: ["true"] },
        ],
      }).ids;
      this.subnetChecks = [];
      return;
    }
    this.vpcId = props.vpcId;
    const tags = props.subnetTags ?? {};
    const tagged = Object.keys(tags).length > 0;
    this.subnetIds =
      props.subnetIds !== undefined
        ? [...props.subnetIds]
        : new DataAwsSubnets(this, "subnets", {
            filter: [{ name: "vpc-id", values: [props.vpcId] }],
            ...(tagged ? { tags: { ...tags } } : {}),
          }).ids;
    const each = new DataAwsSubnet(this, "subnet", {
      forEach: TerraformIterator.fromList(this.subnetIds),
      id: "${each.value}",
    });
    const subnets = TerraformIterator.fromDataSources(each);
    const zones = subnets.pluckProperty("availability_zone") as unknown as string[];
    const subnetsInZones = subnets.forExpressionForList(
      '"${val.id} (${val.availability_zone})"',
    ) as unknown as string[];
    const picked =
      props.subnetIds !== undefined
        ? "subnetIds"
        : tagged
          ? `the subnets tagged ${JSON.stringify(tags)}`
          : "every subnet of the VPC (no subnetTags)";
    const onePerZone: Precondition = {
      condition: Op.eq(Fn.lengthOf(Fn.distinct(zones)), Fn.lengthOf(this.subnetIds)),
      errorMessage:
        `In VPC ${props.vpcId}, ${picked} put several subnets in one availability zone: ` +
        `${Fn.join(", ", subnetsInZones)}. A classic load balancer takes one subnet per zone: set ` +
        'subnetTags to pick one per zone (e.g. {"Tier": "private"}) or list subnetIds.',
    };
    // Given ids are never empty (validation); looked-up ones may be.
    this.subnetChecks =
      props.subnetIds !== undefined
        ? [onePerZone]
        : [
            {
              condition: Op.gte(Fn.lengthOf(this.subnetIds), 1),
              errorMessage: `VPC ${props.vpcId} has no subnet${tagged ? ` tagged ${JSON.stringify(tags)}` : ""}; fix subnetTags or list subnetIds.`,
            },
            onePerZone,
          ];
  }
}
