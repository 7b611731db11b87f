import { CloudwatchEventRule } from "@cdktf/provider-aws/lib/cloudwatch-event-rule";
import { CloudwatchEventTarget } from "@cdktf/provider-aws/lib/cloudwatch-event-target";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { CloudwatchLogMetricFilter } from "@cdktf/provider-aws/lib/cloudwatch-log-metric-filter";
import { CloudwatchLogResourcePolicy } from "@cdktf/provider-aws/lib/cloudwatch-log-resource-policy";
import { Construct } from "constructs";
import { DEFAULTS } from "../fleet/defaults";
import { LOG_COUNTS, type LogCount } from "../instance/log-counts";

export interface FleetLogsProps {
  /** The instances' log group (`/{stack}`). */
  readonly groupName: string;
  /** The Auto Scaling group's events (`/aws/events/{stack}`). */
  readonly eventGroupName: string;
  /** @default 30 */
  readonly retentionDays?: number;
  /** The Auto Scaling group whose events are kept. */
  readonly autoScalingGroupName: string;
  /** Names the event rule and the log resource policy. */
  readonly name: string;
  /** The namespace of the counted metrics. */
  readonly metricsNamespace: string;
}

/**
 * Where a region's logs go, and what is counted in them: the instances' log group (the CloudWatch agent
 * writes a stream per instance and source), the group's own events kept in a second group (EventBridge
 * writes only to groups under /aws/events/, with a resource policy that lets it), and metric filters that
 * turn the lines an on-call engineer must not miss into metrics the region's alarms watch.
 */
export class FleetLogs extends Construct {
  readonly group: CloudwatchLogGroup;
  readonly eventGroup: CloudwatchLogGroup;
  /** Each count's metric, by the count's key. */
  readonly counts: ReadonlyMap<LogCount["key"], { readonly namespace: string; readonly metricName: string }>;

  constructor(scope: Construct, id: string, props: FleetLogsProps) {
    super(scope, id);
    const retentionInDays = props.retentionDays ?? DEFAULTS.logs.retentionDays;
    this.group = new CloudwatchLogGroup(this, "instances", { name: props.groupName, retentionInDays });
    this.eventGroup = new CloudwatchLogGroup(this, "events", { name: props.eventGroupName, retentionInDays });
    const rule = new CloudwatchEventRule(this, "group-events", {
      name: `${props.name}-group-events`,
      description: `Auto Scaling's events of ${props.autoScalingGroupName}: launches, refreshes, lifecycle actions`,
      eventPattern: JSON.stringify({
        source: ["aws.autoscaling"],
        detail: { AutoScalingGroupName: [props.autoScalingGroupName] },
      }),
    });
    const policy = new CloudwatchLogResourcePolicy(this, "events-delivery", {
      policyName: `${props.name}-events`,
      policyDocument: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Sid: "EventBridgeWritesTheGroupsEvents",
            Effect: "Allow",
            Principal: { Service: ["events.amazonaws.com", "delivery.logs.amazonaws.com"] },
            Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
            Resource: `${this.eventGroup.arn}:*`,
          },
        ],
      }),
    });
    new CloudwatchEventTarget(this, "events-target", {
      rule: rule.name,
      // A fixed ID, not one Terraform generates: a rerun after an interrupted apply rewrites the same target
      // (PutTargets replaces by ID) instead of adding a second one that blocks the rule's deletion.
      targetId: "log-group",
      arn: this.eventGroup.arn,
      dependsOn: [policy],
    });
    const counts = new Map<LogCount["key"], { namespace: string; metricName: string }>();
    for (const count of LOG_COUNTS) {
      new CloudwatchLogMetricFilter(this, count.key, {
        name: `${props.name}-${count.key}`,
        logGroupName: count.source === "events" ? this.eventGroup.name : this.group.name,
        pattern: count.pattern,
        metricTransformation: {
          namespace: props.metricsNamespace,
          name: count.metricName,
          value: "1",
          defaultValue: "0",
        },
      });
      counts.set(count.key, { namespace: props.metricsNamespace, metricName: count.metricName });
    }
    this.counts = counts;
  }
}
