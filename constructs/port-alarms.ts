import { CloudwatchCompositeAlarm } from "@cdktf/provider-aws/lib/cloudwatch-composite-alarm";
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { Construct } from "constructs";
import { DEFAULTS } from "../lib/defaults";
import { allPortsDownRule, portAlarmSpec, type PortMetricSource } from "../lib/monitoring";

export interface AlarmedPort {
  readonly source: PortMetricSource;
  readonly alarmName: string;
  /** The per-port name clients resolve, for the alarm's description. */
  readonly aliasName: string;
}

export interface PortAlarmsProps {
  readonly ports: readonly AlarmedPort[];
  /** The alarm that fires when every port's alarm does. */
  readonly regionAlarmName: string;
  /** The region's weighted name, for the region alarm's description. */
  readonly regionalName: string;
  /** The name that spans regions, if any, for the region alarm's description. @default none */
  readonly globalName?: string;
  /** Minutes without a healthy instance before a port's alarm fires. @default 3 */
  readonly minutes?: number;
  /** SNS topic (same region) told of ALARM and OK. @default none: the alarms show in the console only */
  readonly topicArn?: string;
}

/**
 * One alarm per port load balancer that fires when it has had no healthy instance for `minutes`, and one
 * composite alarm for the region that fires when all of them do (a composite takes up to 100 alarms,
 * where one metric-math alarm takes 10 metrics). Both notify the same topic, on ALARM and on OK.
 */
export class PortAlarms extends Construct {
  readonly portAlarms: readonly CloudwatchMetricAlarm[];
  readonly regionAlarm: CloudwatchCompositeAlarm;

  constructor(scope: Construct, id: string, props: PortAlarmsProps) {
    super(scope, id);
    const minutes = props.minutes ?? DEFAULTS.alarms.minutes;
    const actions = props.topicArn === undefined ? {} : { alarmActions: [props.topicArn], okActions: [props.topicArn] };
    this.portAlarms = props.ports.map(({ source, alarmName, aliasName }) => {
      const spec = portAlarmSpec(source, minutes, aliasName);
      // Keyed by port: adding a port adds its alarm and never re-addresses the others.
      return new CloudwatchMetricAlarm(this, `port-${source.port}`, {
        alarmName,
        alarmDescription: spec.description,
        namespace: spec.metric.namespace,
        metricName: spec.metric.metricName,
        dimensions: { ...spec.metric.dimensions },
        statistic: spec.statistic,
        period: spec.period,
        evaluationPeriods: spec.evaluationPeriods,
        datapointsToAlarm: spec.datapointsToAlarm,
        threshold: spec.threshold,
        comparisonOperator: spec.comparisonOperator,
        treatMissingData: spec.treatMissingData,
        ...actions,
      });
    });
    this.regionAlarm = new CloudwatchCompositeAlarm(this, "all-ports", {
      alarmName: props.regionAlarmName,
      alarmDescription:
        `No port of the region has had a healthy instance for ${minutes} minute${minutes === 1 ? "" : "s"}: ` +
        `${props.regionalName} answers nothing` +
        (props.globalName === undefined ? "." : `, and ${props.globalName} sends this region's clients elsewhere.`),
      // The alarms' names as Terraform attributes: the rule waits for every alarm it names.
      alarmRule: allPortsDownRule(this.portAlarms.map((alarm) => alarm.alarmName)),
      ...actions,
    });
  }
}
