import { CloudwatchCompositeAlarm } from "@cdktf/provider-aws/lib/cloudwatch-composite-alarm";
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { Construct } from "constructs";
import { DEFAULTS } from "../fleet/defaults";
import {
  allPortsDownRule,
  guardAlarmSpec,
  portAlarmSpec,
  portUnhealthyAlarmSpec,
  trafficShareAlarmSpec,
  type MathAlarmSpec,
  type MetricAlarmSpec,
} from "../monitoring/alarms";
import type { PortMetricSource } from "../monitoring/metrics";

export interface AlarmedPort {
  readonly source: PortMetricSource;
  readonly alarmName: string;
  /** The alarm on instances failing this port's check. */
  readonly unhealthyAlarmName: string;
  /** The alarm on this port's share of traffic; none for a port alone or weighted 0. */
  readonly shareAlarmName?: string;
  /** The port's DNS weight: its expected share of its ports' traffic. */
  readonly weight: number;
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
  /**
   * The guards a rollout watches: one alarm per group of (at most ten) ports, on their unhealthy instances.
   * @default none
   */
  readonly guards?: readonly { readonly alarmName: string; readonly ports: readonly PortMetricSource[] }[];
  /** Minutes of unhealthy instances before a guard, or a port's unhealthy-instances alarm, fires. @default 3 */
  readonly guardMinutes?: number;
}

/**
 * One alarm per port load balancer that fires when it has had no healthy instance for `minutes`, and one
 * composite alarm for the region that fires when all of them do (a composite takes up to 100 alarms,
 * where one metric-math alarm takes 10 metrics). Both notify the same topic, on ALARM and on OK. The guard
 * alarms fire earlier, on unhealthy instances: an instance refresh stops on them, and so does a bake.
 */
export class PortAlarms extends Construct {
  readonly portAlarms: readonly CloudwatchMetricAlarm[];
  readonly unhealthyAlarms: readonly CloudwatchMetricAlarm[];
  readonly shareAlarms: readonly CloudwatchMetricAlarm[];
  readonly regionAlarm: CloudwatchCompositeAlarm;
  readonly guardAlarms: readonly CloudwatchMetricAlarm[];

  constructor(scope: Construct, id: string, props: PortAlarmsProps) {
    super(scope, id);
    const minutes = props.minutes ?? DEFAULTS.alarms.minutes;
    const actions = props.topicArn === undefined ? {} : { alarmActions: [props.topicArn], okActions: [props.topicArn] };
    // Keyed by port: adding a port adds its alarms and never re-addresses the others.
    this.portAlarms = props.ports.map(({ source, alarmName, aliasName }) =>
      metricAlarm(this, `port-${source.port}`, alarmName, portAlarmSpec(source, minutes, aliasName), actions),
    );
    const guardMinutes = props.guardMinutes ?? minutes;
    this.unhealthyAlarms = props.ports.map(({ source, unhealthyAlarmName }) =>
      metricAlarm(
        this,
        `unhealthy-${source.port}`,
        unhealthyAlarmName,
        portUnhealthyAlarmSpec(source, guardMinutes),
        actions,
      ),
    );
    const sources = new Map(props.ports.map((p) => [p.source.port, p.source]));
    const weights = new Map(props.ports.map((p) => [p.source.port, p.weight]));
    this.shareAlarms = props.ports.flatMap(({ source, shareAlarmName }) => {
      const spec = trafficShareAlarmSpec(source.port, sources, weights, minutes);
      if (shareAlarmName === undefined || spec === undefined) return [];
      return [mathAlarm(this, `share-${source.port}`, shareAlarmName, spec, actions)];
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
    // Keyed by the group's first port, which never moves when ports are added.
    this.guardAlarms = (props.guards ?? []).map(({ alarmName, ports }) =>
      mathAlarm(this, `guard-${ports[0]?.port ?? 0}`, alarmName, guardAlarmSpec(ports, guardMinutes), actions),
    );
  }
}

/** The topic an alarm tells of ALARM and OK, if any. */
export type AlarmActions = { readonly alarmActions?: string[]; readonly okActions?: string[] };

/** A CloudWatch alarm on one metric, from its spec. */
export function metricAlarm(
  scope: Construct,
  id: string,
  alarmName: string,
  spec: MetricAlarmSpec,
  actions: AlarmActions,
): CloudwatchMetricAlarm {
  return new CloudwatchMetricAlarm(scope, id, {
    alarmName,
    alarmDescription: spec.description,
    namespace: spec.metric.namespace,
    metricName: spec.metric.metricName,
    ...(Object.keys(spec.metric.dimensions).length === 0 ? {} : { dimensions: { ...spec.metric.dimensions } }),
    statistic: spec.statistic,
    period: spec.period,
    ...alarmRule(spec),
    ...actions,
  });
}

/** A CloudWatch alarm on metric math, from its spec: the expression returns the data, its metrics do not. */
export function mathAlarm(
  scope: Construct,
  id: string,
  alarmName: string,
  spec: MathAlarmSpec,
  actions: AlarmActions,
): CloudwatchMetricAlarm {
  return new CloudwatchMetricAlarm(scope, id, {
    alarmName,
    alarmDescription: spec.description,
    metricQuery: spec.queries.map((query) =>
      "expression" in query
        ? { id: query.id, expression: query.expression, label: query.label, returnData: true }
        : {
            id: query.id,
            returnData: false,
            metric: {
              namespace: query.metric.namespace,
              metricName: query.metric.metricName,
              dimensions: { ...query.metric.dimensions },
              stat: query.stat,
              period: query.period,
            },
          },
    ),
    ...alarmRule(spec),
    ...actions,
  });
}

/** When an alarm fires: the part metric and metric-math alarms share. */
function alarmRule(spec: MetricAlarmSpec | MathAlarmSpec) {
  const { evaluationPeriods, datapointsToAlarm, threshold, comparisonOperator, treatMissingData } = spec;
  return { evaluationPeriods, datapointsToAlarm, threshold, comparisonOperator, treatMissingData };
}
