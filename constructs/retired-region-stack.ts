import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import { regionStackName, stateKey } from "../fleet/names";
import type { FleetShape } from "../fleet/shape";
import { awsProviderConfig, s3BackendOverrides, type Target } from "../fleet/target";
import { useS3StateBackend } from "./s3-state-backend";

export interface RetiredRegionStackProps {
  readonly shape: FleetShape;
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
    const { shape, region } = props;
    super(scope, regionStackName(shape, region));
    const target = props.target ?? { kind: "aws" };
    new AwsProvider(this, "aws", awsProviderConfig(target, region, shape.tags, shape.accountId));
    useS3StateBackend(
      this,
      { bucket: shape.state.bucket, region: shape.state.region, key: stateKey(shape.state.keyPrefix, shape, region) },
      s3BackendOverrides(target),
    );
  }
}
