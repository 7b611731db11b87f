/*
 * A region's settings: its entry laid over the fleet's, field by field, each with the config path that
 * decided it, so a problem names the field the user has to change (the fleet's or the region's).
 */
import type { OverridableKey, ParsedFleetConfig } from "./schema";

/** A setting as it applies to one region, with the config path that decided it (for error messages). */
export interface Sourced<T> {
  readonly value: T;
  readonly path: string;
}

export type ResolvedSettings = { readonly [K in OverridableKey]-?: Sourced<ParsedFleetConfig[K]> };

/** Region entry wins over the fleet-wide value. */
export function resolveSettings(config: ParsedFleetConfig, regionIndex: number): ResolvedSettings {
  const entry = config.regions[regionIndex];
  if (entry === undefined) throw new RangeError(`no region at index ${regionIndex}`);
  const pick = <K extends OverridableKey>(key: K): Sourced<ParsedFleetConfig[K]> => {
    // Region entries and the fleet share the overridable fields' schema, so their types agree.
    const override = entry[key] as ParsedFleetConfig[K];
    return override !== undefined
      ? { value: override, path: `regions[${regionIndex}].${key}` }
      : { value: config[key], path: key };
  };
  return {
    instanceType: pick("instanceType"),
    processes: pick("processes"),
    weights: pick("weights"),
    capacity: pick("capacity"),
    allowedCidrs: pick("allowedCidrs"),
    ttl: pick("ttl"),
    ami: pick("ami"),
    loadBalancerQuota: pick("loadBalancerQuota"),
    loadBalancerType: pick("loadBalancerType"),
    subnetTags: pick("subnetTags"),
    scaling: pick("scaling"),
    alarms: pick("alarms"),
    tls: pick("tls"),
    accessLogs: pick("accessLogs"),
    instanceEgress: pick("instanceEgress"),
  };
}
