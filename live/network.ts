/*
 * Pure: where the live fleet's pieces listen on this machine. Nothing here is reachable from anywhere else.
 *
 * - Each running instance has a network namespace of its own, joined to this machine by a veth pair on a /30
 *   of LIVE_NETWORK, a range the project assigns to its own namespaces alone: slot k's host side is
 *   10.213.0.0 + 4k + 1, its instance side + 2. The namespace has no default route: it reaches this machine's
 *   side of its link (its metadata stand-in, the local AWS through a forwarder) and nothing else.
 * - Each load balancer listens on the fleet's listener port of a loopback address of its own, as each has an
 *   address of its own on AWS: region r (1-based, the fleet's order) has 127.77.r.1 for its regional entry and
 *   127.77.r.(2 + i) for port i's load balancer. The name that spans regions (the latency records) is 127.77.0.1.
 */

import type { RegionShape } from "../fleet/shape";

/** The range the live fleet's namespaces take their addresses from: nothing else of the project uses it. */
export const LIVE_NETWORK = { first: "10.213.0.0", prefix: 16 } as const;

/** How many /30 links LIVE_NETWORK holds. */
export const LIVE_SLOTS = 2 ** (32 - LIVE_NETWORK.prefix) / 4;

/** The loopback /16 the load balancers and regional entries listen on. */
export const LOOPBACK_PREFIX = "127.77";

export interface InstanceLink {
  readonly slot: number;
  /** The namespace's name (`ip netns`). */
  readonly namespace: string;
  /** The veth end on this machine's side, and its address. */
  readonly hostDevice: string;
  readonly hostAddress: string;
  /** The veth end inside the namespace, and the instance's address. */
  readonly instanceDevice: string;
  readonly instanceAddress: string;
}

/** The prefix of every namespace the live fleet creates: what a clean-up may remove, and nothing else. */
export const NAMESPACE_PREFIX = "cloudrim-";

function address(offset: number): string {
  const [a, b] = LIVE_NETWORK.first.split(".").map(Number);
  return `${a}.${b}.${Math.floor(offset / 256)}.${offset % 256}`;
}

/** The link of slot `slot` for instance `instanceId`. Device names stay within Linux's 15 characters. */
export function instanceLink(slot: number, instanceId: string): InstanceLink {
  if (!Number.isInteger(slot) || slot < 0 || slot >= LIVE_SLOTS) {
    throw new RangeError(`slot ${slot}: the live network holds slots 0-${LIVE_SLOTS - 1}`);
  }
  return {
    slot,
    namespace: `${NAMESPACE_PREFIX}${instanceId}`,
    hostDevice: `crh${slot}`,
    hostAddress: address(slot * 4 + 1),
    instanceDevice: `crn${slot}`,
    instanceAddress: address(slot * 4 + 2),
  };
}

/** The lowest slot not in use. */
export function freeSlot(used: ReadonlySet<number>): number {
  for (let slot = 0; slot < LIVE_SLOTS; slot++) if (!used.has(slot)) return slot;
  throw new RangeError(`every one of the live network's ${LIVE_SLOTS} slots is in use`);
}

export interface Listener {
  readonly address: string;
  readonly port: number;
}

/** One region's load balancers and regional entry, on this machine. */
export interface RegionListeners {
  readonly region: string;
  readonly regional: Listener;
  /** One per port of the region, in its order. */
  readonly balancers: readonly (Listener & { readonly name: string; readonly instancePort: number })[];
}

/** Where each region's entry and load balancers listen, from the fleet's regions in their order. */
export function regionListeners(regions: readonly RegionShape[]): RegionListeners[] {
  if (regions.length > 254) throw new RangeError(`${regions.length} regions: the live fleet listens for 254 at most`);
  return regions.map((region, r) => {
    if (region.ports.length > 253) throw new RangeError(`${region.region}: ${region.ports.length} ports, 253 at most`);
    return {
      region: region.region,
      regional: { address: `${LOOPBACK_PREFIX}.${r + 1}.1`, port: region.listenerPort },
      balancers: region.ports.map((port) => ({
        name: port.loadBalancerName,
        instancePort: port.port,
        address: `${LOOPBACK_PREFIX}.${r + 1}.${2 + port.index}`,
        port: region.listenerPort,
      })),
    };
  });
}

export function url(listener: Listener): string {
  return `http://${listener.address}:${listener.port}`;
}

/**
 * Where the name that spans regions is served: 127.77.0.1, on the first region's listener port (a client of the
 * global name uses one port; the fleet's regions share their listener port unless configured otherwise). None
 * when the fleet publishes no global name.
 */
export function globalListener(regions: readonly RegionShape[]): Listener | undefined {
  const [first] = regions;
  if (first?.dns.globalName === undefined) return undefined;
  return { address: `${LOOPBACK_PREFIX}.0.1`, port: first.listenerPort };
}

/**
 * The regions the live fleet runs once the fleet file says `named`: those it runs, in their order, as the file now
 * says (or as they were, for one it no longer names: its instances run in the local AWS until a retire destroys
 * them), then the new ones in the file's order. Every region keeps its place, so no address moves.
 */
export function followedRegions(running: readonly RegionShape[], named: readonly RegionShape[]): RegionShape[] {
  const now = new Map(named.map((r) => [r.region, r]));
  const kept = running.map((r) => now.get(r.region) ?? r);
  const added = named.filter((r) => !running.some((k) => k.region === r.region));
  return [...kept, ...added];
}
