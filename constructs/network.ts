import { DataAwsSubnets } from "@cdktf/provider-aws/lib/data-aws-subnets";
import { DataAwsVpc } from "@cdktf/provider-aws/lib/data-aws-vpc";
import { Construct } from "constructs";

export interface FleetNetworkProps {
  /** VPC to deploy into. @default the region's default VPC, looked up */
  readonly vpcId?: string;
  /**
   * Subnets for the load balancers and instances. A classic load balancer takes at most one subnet
   * per availability zone. @default the VPC's default subnets (one per zone), looked up
   */
  readonly subnetIds?: readonly string[];
}

/** Resolves where the fleet runs: the given VPC and subnets, or the region's defaults. */
export class FleetNetwork extends Construct {
  readonly vpcId: string;
  readonly subnetIds: string[];

  constructor(scope: Construct, id: string, props: FleetNetworkProps = {}) {
    super(scope, id);
    this.vpcId = props.vpcId ?? new DataAwsVpc(this, "default-vpc", { default: true }).id;
    this.subnetIds =
      props.subnetIds !== undefined
        ? [...props.subnetIds]
        : new DataAwsSubnets(this, "subnets", {
            filter: [
              { name: "vpc-id", values: [this.vpcId] },
              // Default subnets are one per zone, which is what a classic load balancer accepts.
              ...(props.vpcId === undefined ? [{ name: "default-for-az", values: ["true"] }] : []),
            ],
          }).ids;
  }
}
