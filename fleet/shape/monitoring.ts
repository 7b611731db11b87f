/*
 * The region's alarms and dashboard: the fleet's alarm settings with the region's laid over them, the
 * guard alarms a rollout stops on, the traffic shares, and the alarms on the group and its hosts.
 */
import { DEFAULTS } from "../defaults";
import { hostAlarmNames, portShareAlarmName, regionAlarmName, unhealthyHostsAlarmName } from "../names";
import type { AlarmsConfig, HealthCheck } from "../schema";
import { belowDesiredMinutes, guardGroups, guardMinutes, shareGroup } from "../../monitoring/alarms";
import type { PortShape } from "./ports";

/**
 * The region's alarms (one per port, named in `ports`, one for all of them, and the guards a rollout
 * watches) and its dashboard.
 */
export interface MonitoringShape {
  /** Minutes a port may have no healthy instance before its alarm fires. */
  readonly minutes: number;
  /** The SNS topic that receives ALARM and OK; none: the alarms only show in the console. */
  readonly topicArn?: string;
  /** `alarms.topicArn: false`: no topic, on purpose (no warning). */
  readonly silenced: boolean;
  readonly regionAlarmName: string;
  /** One per weighted port with at least one other weighted port to compare with. */
  readonly shareAlarms: readonly { readonly name: string; readonly port: number }[];
  /** The region's alarms on its group and its hosts. */
  readonly host: ReturnType<typeof hostAlarmNames>;
  /** Minutes the group may have fewer instances in service than desired: longer than a boot. */
  readonly belowDesiredMinutes: number;
  /** Unhealthy instances on any port of a group of ten: what an instance refresh and a bake stop on. */
  readonly guardAlarms: readonly { readonly name: string; readonly ports: readonly number[] }[];
  /** Minutes of unhealthy instances before a guard alarm fires: longer than a good new instance takes to pass. */
  readonly guardMinutes: number;
  /** The region stack's name. */
  readonly dashboardName: string;
}

/**
 * The fleet's alarm settings with the region's entry laid over them, field by field; the guard alarms
 * wait as long as a new instance may take to settle (grace period, then its healthy checks).
 */
export function monitoringShape(
  fleet: AlarmsConfig,
  region: AlarmsConfig,
  regionStack: string,
  ports: readonly Pick<PortShape, "port" | "weight">[],
  settling: { readonly gracePeriod: number; readonly healthCheck: HealthCheck; readonly bootTimeoutSeconds: number },
): MonitoringShape {
  const topicArn = region?.topicArn ?? fleet?.topicArn;
  const minutes = region?.minutes ?? fleet?.minutes ?? DEFAULTS.alarms.minutes;
  const weights = new Map(ports.map((p) => [p.port, p.weight]));
  return {
    minutes,
    ...(topicArn === undefined || topicArn === false ? {} : { topicArn }),
    silenced: topicArn === false,
    regionAlarmName: regionAlarmName(regionStack),
    guardAlarms: guardGroups(ports.map((p) => p.port)).map((group) => ({
      name: unhealthyHostsAlarmName(regionStack, group[0] ?? 0),
      ports: group,
    })),
    guardMinutes: guardMinutes(settling.gracePeriod, settling.healthCheck, minutes),
    shareAlarms: ports
      .filter((p) => p.weight > 0 && shareGroup(p.port, weights).length > 1)
      .map((p) => ({ name: portShareAlarmName(regionStack, p.port), port: p.port })),
    host: hostAlarmNames(regionStack),
    belowDesiredMinutes: belowDesiredMinutes(settling.bootTimeoutSeconds, minutes),
    dashboardName: regionStack,
  };
}
