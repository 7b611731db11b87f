import { CloudwatchDashboard } from "@cdktf/provider-aws/lib/cloudwatch-dashboard";
import { Fn } from "cdktf";
import { Construct } from "constructs";
import { dashboardBody, type DashboardInput } from "../monitoring/dashboard";

export interface RegionDashboardProps extends DashboardInput {
  /** The region stack's name. */
  readonly name: string;
}

/**
 * The region's CloudWatch dashboard: alarm status, the group, then a row per port (monitoring/dashboard.ts).
 * The body holds Terraform references (alarm ARNs, network load balancers' ARN suffixes), so it is
 * encoded by Terraform, at plan time.
 */
export class RegionDashboard extends Construct {
  readonly dashboard: CloudwatchDashboard;

  constructor(scope: Construct, id: string, props: RegionDashboardProps) {
    super(scope, id);
    const { name, ...input } = props;
    this.dashboard = new CloudwatchDashboard(this, "dashboard", {
      dashboardName: name,
      dashboardBody: Fn.jsonencode(dashboardBody(input)),
    });
  }
}
