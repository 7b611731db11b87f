import type { FleetConfig } from "../../../fleet/schema";
import { shapeOrThrow } from "../../../fleet/validate";
import {
  followedRegions,
  freeSlot,
  instanceLink,
  LIVE_SLOTS,
  NAMESPACE_PREFIX,
  regionListeners,
  url,
} from "../../../live/network";
import { baseFleet, DEFAULT_APP } from "../../fixtures";

const regions = (overrides: Partial<FleetConfig> = {}) => shapeOrThrow(baseFleet(overrides), DEFAULT_APP).regions;

/** Linux refuses a network device name longer than this (IFNAMSIZ - 1). */
const LINUX_DEVICE_NAME_MAX = 15;

describe("an instance's link to this machine", () => {
  it("gives slot 0 the first /30 of 10.213.0.0/16: this machine's side .1, the instance's .2", () => {
    expect(instanceLink(0, "i-0123456789abcdef0")).toEqual({
      slot: 0,
      namespace: "cloudrim-i-0123456789abcdef0",
      hostDevice: "crh0",
      hostAddress: "10.213.0.1",
      instanceDevice: "crn0",
      instanceAddress: "10.213.0.2",
    });
  });

  it("gives each slot four addresses of its own, carrying into the third octet at slot 64", () => {
    expect(instanceLink(1, "i-1")).toMatchObject({ hostAddress: "10.213.0.5", instanceAddress: "10.213.0.6" });
    expect(instanceLink(63, "i-1")).toMatchObject({ hostAddress: "10.213.0.253", instanceAddress: "10.213.0.254" });
    expect(instanceLink(64, "i-1")).toMatchObject({ hostAddress: "10.213.1.1", instanceAddress: "10.213.1.2" });
  });

  it("holds 16384 slots, the last of them at the top of the /16", () => {
    expect(LIVE_SLOTS).toBe(16384);
    expect(instanceLink(LIVE_SLOTS - 1, "i-1")).toMatchObject({
      hostAddress: "10.213.255.253",
      instanceAddress: "10.213.255.254",
    });
  });

  it("names the devices of even the last slot within Linux's 15 characters", () => {
    const last = instanceLink(LIVE_SLOTS - 1, "i-1");
    expect(last.hostDevice).toBe("crh16383");
    expect(last.instanceDevice).toBe("crn16383");
    expect(last.hostDevice.length).toBeLessThanOrEqual(LINUX_DEVICE_NAME_MAX);
    expect(last.instanceDevice.length).toBeLessThanOrEqual(LINUX_DEVICE_NAME_MAX);
  });

  it("names the namespace after the instance, under the prefix a clean-up may remove", () => {
    expect(instanceLink(7, "i-0abc").namespace).toBe(`${NAMESPACE_PREFIX}i-0abc`);
    expect(NAMESPACE_PREFIX).toBe("cloudrim-");
  });

  it.each([-1, LIVE_SLOTS, 1.5, Number.NaN])("refuses slot %s, naming the slots there are", (slot) => {
    expect(() => instanceLink(slot, "i-1")).toThrow(
      new RangeError(`slot ${slot}: the live network holds slots 0-16383`),
    );
  });
});

describe("choosing a slot for a new instance", () => {
  it("takes the lowest slot not in use, reusing one a stopped instance left", () => {
    expect(freeSlot(new Set())).toBe(0);
    expect(freeSlot(new Set([0, 1, 2]))).toBe(3);
    expect(freeSlot(new Set([0, 2, 3]))).toBe(1);
  });

  it("refuses when every slot is in use", () => {
    const all = new Set(Array.from({ length: LIVE_SLOTS }, (_, slot) => slot));
    expect(() => freeSlot(all)).toThrow("every one of the live network's 16384 slots is in use");
  });
});

describe("where each region's load balancers listen", () => {
  it("gives region r (1-based, the fleet's order) 127.77.r.1 for its entry and 127.77.r.(2 + i) for port i", () => {
    const listeners = regionListeners(regions({ processes: 2 }));
    expect(listeners).toEqual([
      {
        region: "us-east-1",
        regional: { address: "127.77.1.1", port: 9000 },
        balancers: [
          { name: "cloudrim-prod-9000", instancePort: 9000, address: "127.77.1.2", port: 9000 },
          { name: "cloudrim-prod-9001", instancePort: 9001, address: "127.77.1.3", port: 9000 },
        ],
      },
      {
        region: "us-west-2",
        regional: { address: "127.77.2.1", port: 9000 },
        balancers: [
          { name: "cloudrim-prod-9000", instancePort: 9000, address: "127.77.2.2", port: 9000 },
          { name: "cloudrim-prod-9001", instancePort: 9001, address: "127.77.2.3", port: 9000 },
        ],
      },
    ]);
  });

  it("listens on the fleet's listener port everywhere, as every load balancer does on AWS", () => {
    const [region] = regionListeners(regions({ listenerPort: 443, processes: 3 }));
    expect(region?.regional.port).toBe(443);
    expect(region?.balancers.map((b) => [b.port, b.instancePort])).toEqual([
      [443, 9000],
      [443, 9001],
      [443, 9002],
    ]);
  });

  it("follows each region's own port count", () => {
    const listeners = regionListeners(
      regions({
        regions: [
          { region: "us-east-1", processes: 1 },
          { region: "us-west-2", processes: 3 },
        ],
      }),
    );
    expect(listeners.map((r) => r.balancers.map((b) => b.address))).toEqual([
      ["127.77.1.2"],
      ["127.77.2.2", "127.77.2.3", "127.77.2.4"],
    ]);
  });

  it("moves no existing listener when a region is added at the end", () => {
    const before = regionListeners(regions({ processes: 2 }));
    const after = regionListeners(
      regions({ processes: 2, regions: [{ region: "us-east-1" }, { region: "us-west-2" }, { region: "eu-west-1" }] }),
    );
    expect(after.slice(0, before.length)).toEqual(before);
    expect(after[2]?.regional.address).toBe("127.77.3.1");
  });

  it("moves no existing listener when a port is added", () => {
    const before = regionListeners(regions({ processes: 2 }));
    const after = regionListeners(regions({ processes: 3 }));
    after.forEach((region, r) => {
      expect(region.regional).toEqual(before[r]?.regional);
      expect(region.balancers.slice(0, 2)).toEqual(before[r]?.balancers);
      expect(region.balancers[2]?.address).toBe(`127.77.${r + 1}.4`);
    });
  });

  it("refuses more regions or ports than a loopback /24 per region has addresses for", () => {
    const [region] = regions({ regions: [{ region: "us-east-1" }] });
    if (region === undefined) throw new Error("the fleet has a region");
    expect(regionListeners(Array.from({ length: 254 }, () => region))).toHaveLength(254);
    expect(() => regionListeners(Array.from({ length: 255 }, () => region))).toThrow(
      "255 regions: the live fleet listens for 254 at most",
    );
    const [port] = region.ports;
    if (port === undefined) throw new Error("the region has a port");
    const withPorts = (count: number) => ({
      ...region,
      ports: Array.from({ length: count }, (_, index) => ({ ...port, index, port: port.port + index })),
    });
    expect(regionListeners([withPorts(253)])[0]?.balancers.at(-1)?.address).toBe("127.77.1.254");
    expect(() => regionListeners([withPorts(254)])).toThrow("us-east-1: 254 ports, 253 at most");
  });

  it("has no listener for a fleet with no region", () => {
    expect(regionListeners([])).toEqual([]);
  });
});

describe("a listener's URL", () => {
  it("is plain http on its address and port", () => {
    expect(url({ address: "127.77.1.2", port: 9000 })).toBe("http://127.77.1.2:9000");
  });
});

describe("the regions the live fleet runs as the fleet file changes", () => {
  const [east, west, eu] = shapeOrThrow(
    baseFleet({ regions: [{ region: "us-east-1" }, { region: "us-west-2" }, { region: "eu-west-1" }] }),
    DEFAULT_APP,
  ).regions;
  if (east === undefined || west === undefined || eu === undefined) throw new Error("three regions");
  const regionsOf = (shapes: readonly { region: string }[]) => shapes.map((s) => s.region);

  it("takes each region as the file now says it, a new one after the others: no address moves", () => {
    const more = { ...east, ports: [...east.ports, { ...(east.ports[0] as (typeof east.ports)[number]), port: 9999 }] };
    const followed = followedRegions([east, west], [eu, more, west]);
    expect(regionsOf(followed)).toEqual(["us-east-1", "us-west-2", "eu-west-1"]);
    expect(followed[0]).toBe(more);
    expect(regionListeners(followed)[1]?.regional).toEqual(regionListeners([east, west])[1]?.regional);
  });

  it("keeps a region the file no longer names as it was: its instances run until a retire destroys them", () => {
    expect(followedRegions([east, west], [east])).toEqual([east, west]);
  });
});
