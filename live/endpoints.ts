import type { RegionShape } from "../fleet/shape";
import { globalListener, regionListeners, url } from "./network";

/*
 * Pure: what `npm run endpoints` prints. Each region's regional entry and each port's load balancer, the port
 * keyed by the instance port its load balancer forwards to. On the local target they are this machine's
 * loopback listeners (live/network.ts); on AWS the names the fleet publishes in DNS.
 */

export interface RegionEndpoints {
  readonly regional: string;
  readonly ports: Readonly<Record<string, string>>;
  /**
   * The name that spans regions (the same for every region): it answers from the nearest region whose regional
   * name is healthy, this one or another. None when the fleet publishes none (`globalName: false`).
   */
  readonly global?: string;
}

export type Endpoints = Readonly<Record<string, RegionEndpoints>>;

export function localEndpoints(regions: readonly RegionShape[]): Endpoints {
  const global = globalListener(regions);
  return Object.fromEntries(
    regionListeners(regions).map((listeners) => [
      listeners.region,
      {
        regional: url(listeners.regional),
        ports: Object.fromEntries(listeners.balancers.map((b) => [String(b.instancePort), url(b)])),
        ...(global === undefined ? {} : { global: url(global) }),
      },
    ]),
  );
}

export function awsEndpoints(regions: readonly RegionShape[]): Endpoints {
  return Object.fromEntries(
    regions.map((region) => {
      const scheme = region.listener.tls === undefined ? "http" : "https";
      return [
        region.region,
        {
          regional: `${scheme}://${region.regionalName}:${region.listenerPort}`,
          ports: Object.fromEntries(
            region.ports.map((port) => [String(port.port), `${scheme}://${port.aliasName}:${region.listenerPort}`]),
          ),
          ...(region.dns.globalName === undefined
            ? {}
            : { global: `${scheme}://${region.dns.globalName}:${region.listenerPort}` }),
        },
      ];
    }),
  );
}

/** The human form: the name that spans regions, if any, then one block per region. */
export function endpointLines(endpoints: Endpoints): string[] {
  const global = Object.values(endpoints).find((e) => e.global !== undefined)?.global;
  return [
    ...(global === undefined ? [] : [`every region (latency): ${global}`]),
    ...Object.entries(endpoints).flatMap(([region, e]) => [
      `${region}: ${e.regional}`,
      ...Object.entries(e.ports).map(([port, address]) => `  port ${port}: ${address}`),
    ]),
  ];
}
