import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import { regionStackName, stateKey } from "../lib/names";
import type { FleetPlan } from "../lib/plan";
import { awsProviderConfig, s3BackendOverrides, type Target } from "../lib/target";
import { useS3StateBackend } from "./s3-state-backend";

export interface RetiredRegionStackProps {
  readonly plan: FleetPlan;
  /** A region the fleet no longer lists. */
  readonly region: string;
  /** @default real AWS */
  readonly target?: Target;
}

/**
 * A region the fleet file no longer lists, as a stack with its provider and its state and nothing else:
 * applied, Terraform destroys everything that state still holds (`npm run retire`).
 */
export class RetiredRegionStack extends TerraformStack {
  constructor(scope: Construct, props: RetiredRegionStackProps) {
    const { plan, region } = props;
    super(scope, regionStackName(plan, region));
    const target = props.target ?? { kind: "aws" };
    new AwsProvider(this, "aws", awsProviderConfig(target, region, plan.tags, plan.accountId));
    useS3StateBackend(
      this,
      { bucket: plan.state.bucket, region: plan.state.region, key: stateKey(plan.state.keyPrefix, plan, region) },
      s3BackendOverrides(target),
    );
  }
}
