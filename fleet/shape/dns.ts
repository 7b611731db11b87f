/*
 * The fleet's DNS: the domain and zone every region's records go in, the name that spans regions, and
 * the stack that creates the hosted zone when the fleet asks for it.
 */
import { dnsStackName, globalRecordName, stateKey, type FleetIdentity } from "../names";
import type { ParsedFleetConfig } from "../schema";

export interface DnsShape {
  readonly domain: string;
  readonly privateZone: boolean;
  /** The latency record this region adds to the name that spans regions; none when `globalName` is false. */
  readonly globalName?: string;
}

/** The global name is `{service}.{domain}` unless the fleet names another, or none (`globalName: false`). */
export function dnsShape(config: ParsedFleetConfig): DnsShape {
  const globalName =
    config.globalName === false ? undefined : (config.globalName ?? globalRecordName(config.service, config.domain));
  return {
    domain: config.domain,
    privateZone: config.privateZone,
    ...(globalName === undefined ? {} : { globalName }),
  };
}

/** The stack that creates the hosted zone, when `createHostedZone` is set. */
export interface HostedZoneShape {
  readonly stackName: string;
  readonly domain: string;
  /** Route 53 is global; the provider still needs a region, and the stack keeps its state next to the others. */
  readonly region: string;
  readonly state: { readonly bucket: string; readonly region: string; readonly key: string };
}

/** The zone's own stack; it keeps its state next to the regions'. */
export function hostedZoneShape(
  identity: FleetIdentity,
  domain: string,
  state: { readonly bucket: string; readonly region: string; readonly keyPrefix: string },
): HostedZoneShape {
  return {
    stackName: dnsStackName(identity),
    domain,
    region: state.region,
    state: { bucket: state.bucket, region: state.region, key: stateKey(state.keyPrefix, identity, "dns") },
  };
}
