import { Elb } from "@cdktf/provider-aws/lib/elb";
import { Construct } from "constructs";
import type { HealthCheck } from "../lib/config";
import { DEFAULTS } from "../lib/defaults";

export interface BalancedPort {
  /** Instance port this load balancer forwards to. */
  readonly port: number;
  readonly loadBalancerName: string;
}

export interface PortLoadBalancersProps<P extends BalancedPort> {
  /** One classic load balancer per entry. */
  readonly ports: readonly P[];
  /** Port every load balancer listens on. @default 9000 */
  readonly listenerPort?: number;
  readonly subnetIds: string[];
  readonly securityGroupIds: string[];
  /** Reachable only inside the VPC. @default true */
  readonly internal?: boolean;
  /** TCP health check on the instance port. @default timeout 2, interval 20, healthy 3, unhealthy 5 */
  readonly healthCheck?: HealthCheck;
  /** Seconds in-flight connections get when an instance leaves. @default 300 */
  readonly connectionDrainingTimeout?: number;
}

/**
 * One classic load balancer per instance port: each listens on the same port and forwards TCP to its
 * own port on every instance of the group.
 */
export class PortLoadBalancers<P extends BalancedPort = BalancedPort> extends Construct {
  /** Each port with its load balancer, in the order of `props.ports`. */
  readonly balanced: readonly { readonly port: P; readonly loadBalancer: Elb }[];

  constructor(scope: Construct, id: string, props: PortLoadBalancersProps<P>) {
    super(scope, id);
    const listenerPort = props.listenerPort ?? DEFAULTS.listenerPort;
    const healthCheck = props.healthCheck ?? DEFAULTS.healthCheck;
    this.balanced = props.ports.map((port) => ({
      port,
      // Keyed by port: adding a port adds a load balancer and never re-addresses the others.
      loadBalancer: new Elb(this, `port-${port.port}`, {
        name: port.loadBalancerName,
        internal: props.internal ?? DEFAULTS.internal,
        subnets: props.subnetIds,
        securityGroups: props.securityGroupIds,
        listener: [{ lbPort: listenerPort, lbProtocol: "TCP", instancePort: port.port, instanceProtocol: "TCP" }],
        healthCheck: { target: `TCP:${port.port}`, ...healthCheck },
        crossZoneLoadBalancing: true,
        connectionDraining: true,
        connectionDrainingTimeout: props.connectionDrainingTimeout ?? DEFAULTS.connectionDrainingTimeout,
      }),
    }));
  }
}
