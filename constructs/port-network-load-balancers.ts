import { DataAwsLbHostedZoneId } from "@cdktf/provider-aws/lib/data-aws-lb-hosted-zone-id";
import { Lb } from "@cdktf/provider-aws/lib/lb";
import { LbListener } from "@cdktf/provider-aws/lib/lb-listener";
import { LbTargetGroup } from "@cdktf/provider-aws/lib/lb-target-group";
import { Construct } from "constructs";
import type { HealthCheck } from "../fleet/schema";
import { DEFAULTS } from "../fleet/defaults";
import type { AccessLogsShape, ListenerShape } from "../fleet/shape/load-balancers";
import type { BalancedPort } from "./port-load-balancers";

export interface PortNetworkLoadBalancersProps<P extends BalancedPort> {
  /** One network load balancer, listener and target group per entry. */
  readonly ports: readonly P[];
  /** Port every load balancer listens on. @default 9000 */
  readonly listenerPort?: number;
  readonly vpcId: string;
  readonly subnetIds: string[];
  /** Attached at creation: an NLB created without security groups can never get them. */
  readonly securityGroupIds: string[];
  /** Reachable only inside the VPC. @default true */
  readonly internal?: boolean;
  /**
   * Each target group's check of its instance port: HTTP on `path` (200 = healthy) when set, TCP otherwise.
   * @default TCP, timeout 2, interval 20, healthy 3, unhealthy 5
   */
  readonly healthCheck?: HealthCheck;
  /** Seconds in-flight connections get when an instance leaves (the target group's deregistration delay). @default 300 */
  readonly deregistrationDelay?: number;
  /** TLS on the listener (targets stay TCP), and proxy protocol v2 to the instances. @default plain TCP, no proxy protocol */
  readonly listener?: ListenerShape;
  /** Where each load balancer writes its access logs (AWS writes them for TLS listeners only). @default none */
  readonly accessLogs?: AccessLogsShape;
  /** Refuse deletion until turned off. @default false */
  readonly deletionProtection?: boolean;
}

/** A port's network load balancer and what it forwards to. */
export interface NetworkBalanced<P> {
  readonly port: P;
  readonly loadBalancer: Lb;
  readonly targetGroup: LbTargetGroup;
  readonly listener: LbListener;
}

/**
 * One network load balancer per instance port, for accounts past classic ones: each listens on the same
 * port (TCP) and forwards to a target group of its own port on every instance of the group. The design
 * is the classic one's, with a quota of 50 per region and security groups of their own.
 */
export class PortNetworkLoadBalancers<P extends BalancedPort = BalancedPort> extends Construct {
  readonly balanced: readonly NetworkBalanced<P>[];
  /** The canonical hosted zone of the region's network load balancers, for alias records. */
  readonly hostedZoneId: string;

  constructor(scope: Construct, id: string, props: PortNetworkLoadBalancersProps<P>) {
    super(scope, id);
    const { path, ...timings }: HealthCheck = props.healthCheck ?? DEFAULTS.healthCheck;
    // A static per-region table in the provider: right on AWS and on emulators alike.
    this.hostedZoneId = new DataAwsLbHostedZoneId(this, "zone", { loadBalancerType: "network" }).id;
    const tls = props.listener?.tls;
    this.balanced = props.ports.map((port) => {
      // Keyed by port: adding a port adds its resources and never re-addresses the others.
      const loadBalancer = new Lb(this, `port-${port.port}`, {
        name: port.loadBalancerName,
        loadBalancerType: "network",
        internal: props.internal ?? DEFAULTS.internal,
        subnets: props.subnetIds,
        securityGroups: props.securityGroupIds,
        enableCrossZoneLoadBalancing: true,
        enableDeletionProtection: props.deletionProtection ?? false,
        ...(props.accessLogs === undefined
          ? {}
          : { accessLogs: { bucket: props.accessLogs.bucket, prefix: props.accessLogs.prefix, enabled: true } }),
      });
      const targetGroup = new LbTargetGroup(this, `targets-${port.port}`, {
        name: port.loadBalancerName,
        port: port.port,
        protocol: "TCP",
        targetType: "instance",
        vpcId: props.vpcId,
        proxyProtocolV2: props.listener?.proxyProtocol ?? false,
        deregistrationDelay: String(props.deregistrationDelay ?? DEFAULTS.connectionDrainingTimeout),
        healthCheck: {
          enabled: true,
          port: "traffic-port",
          ...(path === undefined ? { protocol: "TCP" } : { protocol: "HTTP", path, matcher: "200" }),
          timeout: timings.timeout,
          interval: timings.interval,
          healthyThreshold: timings.healthyThreshold,
          unhealthyThreshold: timings.unhealthyThreshold,
        },
      });
      const listener = new LbListener(this, `listener-${port.port}`, {
        loadBalancerArn: loadBalancer.arn,
        port: props.listenerPort ?? DEFAULTS.listenerPort,
        ...(tls === undefined
          ? { protocol: "TCP" }
          : { protocol: "TLS", certificateArn: tls.certificateArn, sslPolicy: tls.policy }),
        defaultAction: [{ type: "forward", targetGroupArn: targetGroup.arn }],
      });
      return { port, loadBalancer, targetGroup, listener };
    });
  }
}
