import type { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { Construct } from "constructs";
import type { PortMetricSource } from "../monitoring/metrics";
import { backendErrorAlarmSpec, latencyAlarmSpec } from "../monitoring/serving";
import { mathAlarm, type AlarmActions } from "./port-alarms";

/** Alarms on a group of (at most ten) ports, by name. */
export interface PortGroupAlarm {
  readonly alarmName: string;
  readonly ports: readonly PortMetricSource[];
}

export interface ServingAlarmsProps {
  /** One per group of ports; none on network load balancers, which report no latency. @default none */
  readonly latency?: readonly PortGroupAlarm[];
  /** One per group of ports. */
  readonly errors: readonly PortGroupAlarm[];
  /** A classic load balancer's average seconds to reach an instance, above which a port serves badly. */
  readonly latencySeconds: number;
  /** Backend errors a minute on one port above which it serves badly. */
  readonly backendErrors: number;
  /** Minutes a port must serve badly before an alarm fires. */
  readonly minutes: number;
  /** SNS topic told of ALARM and OK. @default none */
  readonly topicArn?: string;
}

/**
 * Ports that pass their health checks but serve badly: slow to reach (classic load balancers) or failing
 * connections, one alarm of each per group of ten ports, so an instance refresh can watch them within its
 * ten alarms. Keyed by the group's first port, which never moves when ports are added.
 */
export class ServingAlarms extends Construct {
  readonly latencyAlarms: readonly CloudwatchMetricAlarm[];
  readonly backendErrorAlarms: readonly CloudwatchMetricAlarm[];

  constructor(scope: Construct, id: string, props: ServingAlarmsProps) {
    super(scope, id);
    const actions: AlarmActions =
      props.topicArn === undefined ? {} : { alarmActions: [props.topicArn], okActions: [props.topicArn] };
    this.latencyAlarms = (props.latency ?? []).flatMap(({ alarmName, ports }) => {
      const spec = latencyAlarmSpec(ports, props.latencySeconds, props.minutes);
      return spec === undefined ? [] : [mathAlarm(this, `latency-${ports[0]?.port ?? 0}`, alarmName, spec, actions)];
    });
    this.backendErrorAlarms = props.errors.map(({ alarmName, ports }) =>
      mathAlarm(
        this,
        `errors-${ports[0]?.port ?? 0}`,
        alarmName,
        backendErrorAlarmSpec(ports, props.backendErrors, props.minutes),
        actions,
      ),
    );
  }

  /** Every alarm, latency first. */
  get alarms(): readonly CloudwatchMetricAlarm[] {
    return [...this.latencyAlarms, ...this.backendErrorAlarms];
  }
}
