import type { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { Construct } from "constructs";
import { LOG_COUNTS } from "../instance/log-counts";
import { belowDesiredAlarmSpec, logCountAlarmSpec } from "../monitoring/alarms";
import type { hostAlarmNames } from "../fleet/names";
import { mathAlarm, metricAlarm, type AlarmActions } from "./port-alarms";

export interface HostAlarmsProps {
  /** The region's alarm names by role. */
  readonly names: ReturnType<typeof hostAlarmNames>;
  readonly groupName: string;
  /** Minutes the group may have fewer instances in service than desired. */
  readonly belowDesiredMinutes: number;
  /** The namespace the log filters count in (FleetLogs). */
  readonly metricsNamespace: string;
  /** SNS topic told of ALARM and OK. @default none */
  readonly topicArn?: string;
}

/**
 * The region's alarms on its group and its hosts, before a port is lost: instances missing from service,
 * an instance handed over by its watchdog, a boot abandoned, an instance refresh failed (the last three
 * counted from the logs by FleetLogs' metric filters).
 */
export class HostAlarms extends Construct {
  readonly alarms: readonly CloudwatchMetricAlarm[];

  constructor(scope: Construct, id: string, props: HostAlarmsProps) {
    super(scope, id);
    const actions: AlarmActions =
      props.topicArn === undefined ? {} : { alarmActions: [props.topicArn], okActions: [props.topicArn] };
    const belowDesired = mathAlarm(
      this,
      "below-desired",
      props.names.belowDesired,
      belowDesiredAlarmSpec(props.groupName, props.belowDesiredMinutes),
      actions,
    );
    const counted = LOG_COUNTS.flatMap((count) =>
      count.alarm === undefined
        ? []
        : [
            metricAlarm(
              this,
              count.key,
              props.names[count.alarm],
              logCountAlarmSpec(props.metricsNamespace, count),
              actions,
            ),
          ],
    );
    this.alarms = [belowDesired, ...counted];
  }
}
