/*
 * Where a region's instances run and where they may connect out: the VPC and subnets, and one egress rule
 * per destination and port.
 */
import type { ParsedFleetConfig } from "../schema";

/** Where a region runs: the default VPC when `vpcId` is unset; subnets given, or picked by tags (one per zone). */
export interface NetworkShape {
  readonly vpcId?: string;
  readonly subnetIds?: readonly string[];
  /** With `vpcId` and no `subnetIds`: use the VPC's subnets carrying all of these tags. */
  readonly subnetTags?: Readonly<Record<string, string>>;
}

export function networkShape(
  entry: { readonly vpcId?: string; readonly subnetIds?: readonly string[] },
  subnetTags: Readonly<Record<string, string>> | undefined,
): NetworkShape {
  return {
    ...(entry.vpcId === undefined ? {} : { vpcId: entry.vpcId }),
    ...(entry.subnetIds === undefined ? {} : { subnetIds: [...entry.subnetIds] }),
    ...(subnetTags === undefined ? {} : { subnetTags: { ...subnetTags } }),
  };
}

/** One egress rule of the instances: a destination and one port; `id` keys its construct. */
export interface EgressRule {
  readonly id: string;
  readonly port: number;
  readonly cidr?: string;
  readonly prefixList?: string;
}

/** HTTPS and HTTP to anywhere: a booting instance reaches AWS's APIs and package servers at addresses that are not fixed. */
export const DEFAULT_INSTANCE_EGRESS: readonly InstanceEgress[] = [{ cidr: "0.0.0.0/0", ports: [80, 443] }];

type InstanceEgress = NonNullable<ParsedFleetConfig["instanceEgress"]>[number];

/**
 * One rule per destination and port, keyed by both: `instances-out-443` for anywhere (the addresses the
 * default had from the start), `instances-out-443-to-10-0-0-0_16` or `instances-out-443-to-pl-…` otherwise,
 * so adding a destination never re-addresses another.
 */
export function egressRules(egress: ParsedFleetConfig["instanceEgress"]): EgressRule[] {
  return (egress ?? DEFAULT_INSTANCE_EGRESS).flatMap((rule) =>
    rule.ports.map((port): EgressRule => {
      const destination = rule.cidr ?? rule.prefixList ?? "";
      const id =
        rule.cidr === "0.0.0.0/0" ? `instances-out-${port}` : `instances-out-${port}-to-${cidrId(destination)}`;
      return {
        id,
        port,
        ...(rule.cidr === undefined ? {} : { cidr: rule.cidr }),
        ...(rule.prefixList === undefined ? {} : { prefixList: rule.prefixList }),
      };
    }),
  );
}

/** Construct ids may not contain `/`; `10.0.0.0/8` becomes `10-0-0-0_8` (cdktf drops dots from ids). */
export function cidrId(cidr: string): string {
  return cidr.replace(/\//g, "_").replace(/[.:]/g, "-");
}
