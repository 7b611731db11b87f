import { DataAwsElbHostedZoneId } from "@cdktf/provider-aws/lib/data-aws-elb-hosted-zone-id";
import { Elb } from "@cdktf/provider-aws/lib/elb";
import { LoadBalancerListenerPolicy } from "@cdktf/provider-aws/lib/load-balancer-listener-policy";
import { LoadBalancerPolicy } from "@cdktf/provider-aws/lib/load-balancer-policy";
import { ProxyProtocolPolicy } from "@cdktf/provider-aws/lib/proxy-protocol-policy";
import { Construct } from "constructs";
import type { HealthCheck } from "../fleet/schema";
import { DEFAULTS } from "../fleet/defaults";
import { healthCheckTarget, type AccessLogsShape, type ListenerShape } from "../fleet/shape/load-balancers";

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
  /**
   * Check of each instance port: HTTP on `path` when it is set, TCP otherwise.
   * @default TCP, timeout 2, interval 20, healthy 3, unhealthy 5
   */
  readonly healthCheck?: HealthCheck;
  /** Seconds in-flight connections get when an instance leaves. @default 300 */
  readonly connectionDrainingTimeout?: number;
  /** TLS on the listener (the instances still get TCP), and proxy protocol to them. @default plain TCP, no proxy protocol */
  readonly listener?: ListenerShape;
  /** Where each load balancer writes its access logs. @default none */
  readonly accessLogs?: AccessLogsShape;
}

/**
 * One classic load balancer per instance port: each listens on the same port and forwards TCP to its
 * own port on every instance of the group.
 */
export class PortLoadBalancers<P extends BalancedPort = BalancedPort> extends Construct {
  /** Each port with its load balancer, in the order of `props.ports`. */
  readonly balanced: readonly { readonly port: P; readonly loadBalancer: Elb }[];
  /** The canonical hosted zone of the region's classic load balancers, for alias records. */
  readonly hostedZoneId: string;

  constructor(scope: Construct, id: string, props: PortLoadBalancersProps<P>) {
    super(scope, id);
    const listenerPort = props.listenerPort ?? DEFAULTS.listenerPort;
    const { path, ...timings }: HealthCheck = props.healthCheck ?? DEFAULTS.healthCheck;
    // A static per-region table in the provider: correct on AWS, and on emulators whose load balancers
    // report no canonical hosted zone.
    this.hostedZoneId = new DataAwsElbHostedZoneId(this, "zone").id;
    const tls = props.listener?.tls;
    this.balanced = props.ports.map((port) => {
      // Keyed by port: adding a port adds a load balancer and never re-addresses the others.
      const loadBalancer = new Elb(this, `port-${port.port}`, {
        name: port.loadBalancerName,
        internal: props.internal ?? DEFAULTS.internal,
        subnets: props.subnetIds,
        securityGroups: props.securityGroupIds,
        listener: [
          {
            lbPort: listenerPort,
            // SSL, not HTTPS: TLS ends at the load balancer and the bytes go on as TCP, whatever the service speaks.
            lbProtocol: tls === undefined ? "TCP" : "SSL",
            instancePort: port.port,
            instanceProtocol: "TCP",
            ...(tls === undefined ? {} : { sslCertificateId: tls.certificateArn }),
          },
        ],
        healthCheck: { target: healthCheckTarget(port.port, path), ...timings },
        crossZoneLoadBalancing: true,
        connectionDraining: true,
        connectionDrainingTimeout: props.connectionDrainingTimeout ?? DEFAULTS.connectionDrainingTimeout,
        ...(props.accessLogs === undefined
          ? {}
          : {
              accessLogs: {
                bucket: props.accessLogs.bucket,
                bucketPrefix: props.accessLogs.prefix,
                interval: 5,
                enabled: true,
              },
            }),
      });
      if (tls !== undefined) {
        // A classic listener negotiates with the policy it names: one of AWS's predefined ones, by reference.
        const negotiation = new LoadBalancerPolicy(this, `tls-policy-${port.port}`, {
          loadBalancerName: loadBalancer.name,
          policyName: "tls",
          policyTypeName: "SSLNegotiationPolicyType",
          policyAttribute: [{ name: "Reference-Security-Policy", value: tls.policy }],
        });
        new LoadBalancerListenerPolicy(this, `tls-listener-${port.port}`, {
          loadBalancerName: loadBalancer.name,
          loadBalancerPort: listenerPort,
          policyNames: [negotiation.policyName],
          triggers: { policy: tls.policy },
        });
      }
      if (props.listener?.proxyProtocol === true) {
        new ProxyProtocolPolicy(this, `proxy-protocol-${port.port}`, {
          loadBalancer: loadBalancer.name,
          instancePorts: [String(port.port)],
        });
      }
      return { port, loadBalancer };
    });
  }
}
