/*
 * The region's alarms and dashboard: the fleet's alarm settings with the region's laid over them, the
 * guard alarms a rollout stops on, the traffic shares, and the alarms on the group and its hosts.
 */
import { DEFAULTS } from "../defaults";
import type { LoadBalancerType } from "../aws-facts";
import {
  backendErrorsAlarmName,
  hostAlarmNames,
  latencyAlarmName,
  portShareAlarmName,
  regionAlarmName,
  unhealthyHostsAlarmName,
} from "../names";
import type { AlarmsConfig, HealthCheck } from "../schema";
import { belowDesiredMinutes, guardGroups, guardMinutes, shareGroup } from "../../monitoring/alarms";
import { refreshAlarmNames } from "../../monitoring/serving";
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
  /** A classic load balancer's average seconds to reach an instance above which a port serves badly. */
  readonly latencySeconds: number;
  /** Backend errors a minute on one port above which it serves badly. */
  readonly backendErrors: number;
  /** Slow load balancers in a group of ten ports; none for network load balancers, which report no latency. */
  readonly latencyAlarms: readonly { readonly name: string; readonly ports: readonly number[] }[];
  /** Backend errors on any port of a group of ten. */
  readonly backendErrorAlarms: readonly { readonly name: string; readonly ports: readonly number[] }[];
  /**
   * What an instance refresh stops on (at most ten): the guards, the boots abandoned and instances
   * missing from service, then the backend errors and latency; the bake watches all of them and more.
   */
  readonly refreshAlarmNames: readonly string[];
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
  loadBalancerType: LoadBalancerType,
  settling: { readonly gracePeriod: number; readonly healthCheck: HealthCheck; readonly bootTimeoutSeconds: number },
): MonitoringShape {
  const topicArn = region?.topicArn ?? fleet?.topicArn;
  const minutes = region?.minutes ?? fleet?.minutes ?? DEFAULTS.alarms.minutes;
  const weights = new Map(ports.map((p) => [p.port, p.weight]));
  const groups = guardGroups(ports.map((p) => p.port));
  const byFirstPort = (name: (stack: string, firstPort: number) => string) =>
    groups.map((group) => ({ name: name(regionStack, group[0] ?? 0), ports: group }));
  const guardAlarms = byFirstPort(unhealthyHostsAlarmName);
  const latencyAlarms = loadBalancerType === "classic" ? byFirstPort(latencyAlarmName) : [];
  const backendErrorAlarms = byFirstPort(backendErrorsAlarmName);
  const host = hostAlarmNames(regionStack);
  return {
    minutes,
    ...(topicArn === undefined || topicArn === false ? {} : { topicArn }),
    silenced: topicArn === false,
    regionAlarmName: regionAlarmName(regionStack),
    guardAlarms,
    guardMinutes: guardMinutes(settling.gracePeriod, settling.healthCheck, minutes),
    latencySeconds: region?.latencySeconds ?? fleet?.latencySeconds ?? DEFAULTS.alarms.latencySeconds,
    backendErrors: region?.backendErrors ?? fleet?.backendErrors ?? DEFAULTS.alarms.backendErrors,
    latencyAlarms,
    backendErrorAlarms,
    refreshAlarmNames: refreshAlarmNames([
      guardAlarms.map((a) => a.name),
      [host.bootAbandoned, host.belowDesired],
      backendErrorAlarms.map((a) => a.name),
      latencyAlarms.map((a) => a.name),
    ]),
    shareAlarms: ports
      .filter((p) => p.weight > 0 && shareGroup(p.port, weights).length > 1)
      .map((p) => ({ name: portShareAlarmName(regionStack, p.port), port: p.port })),
    host,
    belowDesiredMinutes: belowDesiredMinutes(settling.bootTimeoutSeconds, minutes),
    dashboardName: regionStack,
  };
}
