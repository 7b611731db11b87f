import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { Route53Zone } from "@cdktf/provider-aws/lib/route53-zone";
import { TerraformOutput, TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import type { HostedZoneShape } from "../fleet/shape/dns";
import { awsProviderConfig, s3BackendOverrides, type Target } from "../fleet/target";
import { useS3StateBackend } from "./s3-state-backend";

/**
 * The public hosted zone for the fleet's domain, when the fleet creates it (`createHostedZone`). Route 53
 * is global, so one stack owns the zone and every region stack looks it up by name: two region stacks
 * each creating "their" zone would make two zones of the same name, only one of them delegated.
 */
export class HostedZoneStack extends TerraformStack {
  readonly zone: Route53Zone;

  constructor(
    scope: Construct,
    plan: HostedZoneShape,
    tags: Readonly<Record<string, string>>,
    target: Target = { kind: "aws" },
    accountId?: string,
  ) {
    super(scope, plan.stackName);
    new AwsProvider(this, "aws", awsProviderConfig(target, plan.region, tags, accountId));
    useS3StateBackend(this, plan.state, s3BackendOverrides(target));
    this.zone = new Route53Zone(this, "zone", { name: plan.domain, comment: "cloudrim-fleet" });
    new TerraformOutput(this, "zone_id", { value: this.zone.zoneId });
    new TerraformOutput(this, "name_servers", { value: this.zone.nameServers });
  }
}
