/*
 * What the per-port load balancers are told: the listener (TLS and its policy, proxy protocol), where
 * their access logs go, and the health check target of a classic one.
 */
import type { LoadBalancerType } from "../aws-facts";
import type { ParsedFleetConfig } from "../schema";

export interface ListenerShape {
  readonly tls?: { readonly certificateArn: string; readonly policy: string };
  readonly proxyProtocol: boolean;
}

export interface AccessLogsShape {
  readonly bucket: string;
  readonly prefix: string;
  /** The region stack creates the bucket (with the load balancers' delivery policy), or it is the user's. */
  readonly create: boolean;
  /** The created bucket denies requests without TLS (off only where the target cannot evaluate it). */
  readonly tlsOnly: boolean;
  /** Days a log is kept in the created bucket: the fleet's log retention. */
  readonly expireAfterDays: number;
  readonly noncurrentVersionDays: number;
}

/** `TCP:9001`, or `HTTP:9001/healthz` when the processes answer a health path: a classic load balancer's check. */
export function healthCheckTarget(port: number, path: string | undefined): string {
  return path === undefined ? `TCP:${port}` : `HTTP:${port}${path}`;
}

/** AWS's current policies: TLS 1.2 and up on classic load balancers, TLS 1.3 with 1.2 on network ones. */
export const DEFAULT_TLS_POLICY: Readonly<Record<LoadBalancerType, string>> = {
  classic: "ELBSecurityPolicy-TLS-1-2-2017-01",
  network: "ELBSecurityPolicy-TLS13-1-2-2021-06",
};

export function listenerShape(
  tls: ParsedFleetConfig["tls"],
  type: LoadBalancerType,
  proxyProtocol: boolean,
): ListenerShape {
  return {
    ...(tls === undefined
      ? {}
      : { tls: { certificateArn: tls.certificateArn, policy: tls.policy ?? DEFAULT_TLS_POLICY[type] } }),
    proxyProtocol,
  };
}

/** `{stack}-lb-logs`: the bucket a region creates for its access logs. */
export function accessLogBucketName(regionStack: string): string {
  return `${regionStack}-lb-logs`;
}

export function accessLogsShape(
  accessLogs: ParsedFleetConfig["accessLogs"],
  stackName: string,
  config: ParsedFleetConfig,
): { accessLogs?: AccessLogsShape } {
  if (accessLogs === undefined || accessLogs === false) return {};
  const kept = {
    tlsOnly: true,
    expireAfterDays: config.logs.retentionDays,
    noncurrentVersionDays: config.state.noncurrentVersionDays,
  };
  return {
    accessLogs:
      accessLogs === true
        ? { bucket: accessLogBucketName(stackName), prefix: stackName, create: true, ...kept }
        : { bucket: accessLogs.bucket, prefix: accessLogs.prefix ?? stackName, create: false, ...kept },
  };
}
