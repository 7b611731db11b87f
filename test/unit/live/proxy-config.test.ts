import type { LoadBalancerType } from "../../../fleet/aws-facts";
import type { FleetConfig } from "../../../fleet/schema";
import { shapeOrThrow } from "../../../fleet/validate";
import { servingTargets, type TargetHealth } from "../../../live/health";
import { globalListener, regionListeners, type RegionListeners } from "../../../live/network";
import {
  globalProxyConfig,
  latencyAnswer,
  proxyConfig,
  regionalMembers,
  regionalNameHealthy,
  type BalancerServer,
  type GlobalMember,
  type RegionProxy,
} from "../../../live/proxy-config";
import { baseFleet, DEFAULT_APP } from "../../fixtures";

const SOCKET = "/run/cloudrim-live/haproxy-us-east-1.sock";

/** us-east-1 of a fleet listening on 443, with ports 9000-9002 weighted 1, 2, 3 unless told otherwise. */
function listenersOf(overrides: Partial<FleetConfig> = {}): {
  listeners: RegionListeners;
  weights: Map<string, number>;
} {
  const [region] = shapeOrThrow(
    baseFleet({
      listenerPort: 443,
      processes: 3,
      weights: [1, 2, 3],
      regions: [{ region: "us-east-1" }],
      ...overrides,
    }),
    DEFAULT_APP,
  ).regions;
  const [listeners] = region === undefined ? [] : regionListeners([region]);
  if (region === undefined || listeners === undefined) throw new Error("the fleet has us-east-1");
  return { listeners, weights: new Map(region.ports.map((p) => [p.loadBalancerName, p.weight])) };
}

/** An instance as one load balancer sees it: serving, and healthy unless a network load balancer fails open. */
const server = (instanceId: string, address: string, serving: boolean, healthy = serving): BalancerServer => ({
  instanceId,
  address,
  serving,
  healthy,
});

/** What the runner gives a load balancer: its targets, serving as `servingTargets` says, healthy as checked. */
function serversOf(kind: LoadBalancerType, targets: Record<string, TargetHealth>): BalancerServer[] {
  const serving = servingTargets(kind, new Map(Object.entries(targets)));
  return Object.entries(targets).map(([id, health], i) =>
    server(id, `10.213.0.${4 * i + 2}`, serving.has(id), health.status === "healthy"),
  );
}

const HEALTHY: TargetHealth = { status: "healthy", streak: 3, lastPassed: true };
const UNHEALTHY: TargetHealth = { status: "unhealthy", streak: 2, lastPassed: false };

/** A region whose port `name` has `servers`; every other port none. */
function proxy(servers: Record<string, readonly BalancerServer[]>, overrides: Partial<FleetConfig> = {}): RegionProxy {
  return { ...listenersOf(overrides), servers: new Map(Object.entries(servers)) };
}

/** The lines of one `frontend`/`backend` section, without its header. */
function section(config: string, header: string): string[] {
  const lines = config.split("\n");
  const start = lines.indexOf(header);
  if (start < 0) throw new Error(`no "${header}" in:\n${config}`);
  const rest = lines.slice(start + 1);
  const end = rest.findIndex((line) => !line.startsWith("  "));
  return end < 0 ? rest : rest.slice(0, end);
}

const both = [server("i-a", "10.213.0.2", true), server("i-b", "10.213.0.6", true)];

describe("the haproxy configuration of one region", () => {
  it("forwards TCP only, on one thread, with a stats socket that hands the listeners over on a reload", () => {
    const config = proxyConfig(proxy({}), SOCKET);
    expect(config).toContain("\n  mode tcp\n");
    expect(config).toContain("\n  nbthread 1\n");
    expect(config).toContain(`\n  stats socket ${SOCKET} mode 600 level admin expose-fd listeners\n`);
    expect(config.endsWith("\n")).toBe(true);
  });

  it("binds the regional entry and each port's load balancer to an address of its own, all on the listener port", () => {
    const config = proxyConfig(proxy({}), SOCKET);
    expect(config.match(/^ {2}bind .*$/gm)).toEqual([
      "  bind 127.77.1.1:443",
      "  bind 127.77.1.2:443",
      "  bind 127.77.1.3:443",
      "  bind 127.77.1.4:443",
    ]);
    expect(section(config, "frontend regional")).toEqual(["  bind 127.77.1.1:443", "  default_backend weighted-set"]);
    expect(section(config, "frontend cloudrim-prod-9001")).toEqual([
      "  bind 127.77.1.3:443",
      "  default_backend cloudrim-prod-9001-instances",
    ]);
  });

  it("sends each load balancer's connections to its instances on the instance port, round robin", () => {
    const config = proxyConfig(proxy({ "cloudrim-prod-9001": both }), SOCKET);
    expect(section(config, "backend cloudrim-prod-9001-instances")).toEqual([
      "  balance roundrobin",
      "  server i-a 10.213.0.2:9001",
      "  server i-b 10.213.0.6:9001",
    ]);
  });

  it("keeps an instance the load balancer does not send to as a disabled server", () => {
    const config = proxyConfig(
      proxy({ "cloudrim-prod-9000": [server("i-a", "10.213.0.2", true), server("i-b", "10.213.0.6", false)] }),
      SOCKET,
    );
    expect(section(config, "backend cloudrim-prod-9000-instances")).toEqual([
      "  balance roundrobin",
      "  server i-a 10.213.0.2:9000",
      "  server i-b 10.213.0.6:9000 disabled",
    ]);
  });

  it("gives a load balancer with no instance an empty backend", () => {
    const config = proxyConfig(proxy({ "cloudrim-prod-9000": both }), SOCKET);
    expect(section(config, "backend cloudrim-prod-9002-instances")).toEqual(["  balance roundrobin"]);
  });

  it("weights the regional entry's members as the ports' Route 53 records", () => {
    const config = proxyConfig(
      proxy({ "cloudrim-prod-9000": both, "cloudrim-prod-9001": both, "cloudrim-prod-9002": both }),
      SOCKET,
    );
    expect(section(config, "backend weighted-set")).toEqual([
      "  balance roundrobin",
      "  server cloudrim-prod-9000 127.77.1.2:443 weight 1",
      "  server cloudrim-prod-9001 127.77.1.3:443 weight 2",
      "  server cloudrim-prod-9002 127.77.1.4:443 weight 3",
    ]);
  });

  it("leaves a port with no healthy instance out of the regional entry, as evaluate-target-health does", () => {
    const config = proxyConfig(
      proxy({ "cloudrim-prod-9000": both, "cloudrim-prod-9001": [server("i-a", "10.213.0.2", false)] }),
      SOCKET,
    );
    expect(section(config, "backend weighted-set")).toEqual([
      "  balance roundrobin",
      "  server cloudrim-prod-9000 127.77.1.2:443 weight 1",
      "  server cloudrim-prod-9001 127.77.1.3:443 weight 2 disabled",
      "  server cloudrim-prod-9002 127.77.1.4:443 weight 3 disabled",
    ]);
  });

  it("answers from every port when none has a healthy instance, as Route 53 treats an all-unhealthy set as all healthy", () => {
    const config = proxyConfig(proxy({ "cloudrim-prod-9000": [server("i-a", "10.213.0.2", false)] }), SOCKET);
    expect(section(config, "backend weighted-set")).toEqual([
      "  balance roundrobin",
      "  server cloudrim-prod-9000 127.77.1.2:443 weight 1",
      "  server cloudrim-prod-9001 127.77.1.3:443 weight 2",
      "  server cloudrim-prod-9002 127.77.1.4:443 weight 3",
    ]);
  });
});

describe("the regional entry when Route 53 and the load balancers disagree", () => {
  it("leaves out a network load balancer that fails open: it forwards to unhealthy targets, Route 53 counts it unhealthy", () => {
    const network = { loadBalancerType: "network" as const };
    const config = proxyConfig(
      proxy(
        {
          "cloudrim-prod-9000": serversOf("network", { "i-a": HEALTHY, "i-b": HEALTHY }),
          "cloudrim-prod-9001": serversOf("network", { "i-a": UNHEALTHY, "i-b": UNHEALTHY }),
          "cloudrim-prod-9002": serversOf("network", { "i-a": HEALTHY, "i-b": UNHEALTHY }),
        },
        network,
      ),
      SOCKET,
    );
    expect(section(config, "backend cloudrim-prod-9001-instances")).toEqual([
      "  balance roundrobin",
      "  server i-a 10.213.0.2:9001",
      "  server i-b 10.213.0.6:9001",
    ]);
    expect(section(config, "backend weighted-set")).toEqual([
      "  balance roundrobin",
      "  server cloudrim-prod-9000 127.77.1.2:443 weight 1",
      "  server cloudrim-prod-9001 127.77.1.3:443 weight 2 disabled",
      "  server cloudrim-prod-9002 127.77.1.4:443 weight 3",
    ]);
  });

  it("answers from every network load balancer when each fails open", () => {
    const servers = serversOf("network", { "i-a": UNHEALTHY });
    const members = regionalMembers(
      proxy(
        { "cloudrim-prod-9000": servers, "cloudrim-prod-9001": servers, "cloudrim-prod-9002": servers },
        { loadBalancerType: "network" },
      ),
    );
    expect(members.map((m) => m.serving)).toEqual([true, true, true]);
  });
});

describe("ports of weight 0 in the regional entry", () => {
  const weights = { weights: [1, 0, 0] };
  const healthyPorts = (...ports: number[]) =>
    Object.fromEntries(ports.map((port) => [`cloudrim-prod-${port}`, serversOf("classic", { "i-a": HEALTHY })]));
  const answering = (servers: Record<string, BalancerServer[]>) =>
    regionalMembers(proxy(servers, weights)).flatMap((m) => (m.serving ? [[m.name, m.weight]] : []));

  it("get nothing while a port of positive weight is healthy", () => {
    expect(answering(healthyPorts(9000, 9001, 9002))).toEqual([["cloudrim-prod-9000", 1]]);
  });

  it("answer, evenly, when no port of positive weight is healthy: Route 53 then considers the zero-weighted records", () => {
    expect(answering(healthyPorts(9001, 9002))).toEqual([
      ["cloudrim-prod-9001", 1],
      ["cloudrim-prod-9002", 1],
    ]);
    expect(section(proxyConfig(proxy(healthyPorts(9001), weights), SOCKET), "backend weighted-set")).toEqual([
      "  balance roundrobin",
      "  server cloudrim-prod-9000 127.77.1.2:443 weight 1 disabled",
      "  server cloudrim-prod-9001 127.77.1.3:443 weight 1",
      "  server cloudrim-prod-9002 127.77.1.4:443 weight 0 disabled",
    ]);
  });

  it("stay out when no port is healthy: all count as healthy, and the positive weights come first", () => {
    expect(answering({})).toEqual([["cloudrim-prod-9000", 1]]);
  });
});

describe("the regional entry's members", () => {
  it("are the region's load balancers in port order, at their own listeners", () => {
    const members = regionalMembers(proxy({ "cloudrim-prod-9002": both }));
    expect(members).toEqual([
      { name: "cloudrim-prod-9000", listener: { address: "127.77.1.2", port: 443 }, weight: 1, serving: false },
      { name: "cloudrim-prod-9001", listener: { address: "127.77.1.3", port: 443 }, weight: 2, serving: false },
      { name: "cloudrim-prod-9002", listener: { address: "127.77.1.4", port: 443 }, weight: 3, serving: true },
    ]);
  });
});

describe("the name that spans regions (Route 53's latency records)", () => {
  const member = (region: string, r: number, healthy: boolean): GlobalMember => ({
    region,
    listener: { address: `127.77.${r}.1`, port: 9000 },
    healthy,
  });

  it("answers with the nearest region whose regional name is healthy, the fleet's order being the client's latency order", () => {
    expect(latencyAnswer([member("us-east-1", 1, true), member("eu-west-1", 2, true)])).toBe("us-east-1");
    expect(latencyAnswer([member("us-east-1", 1, false), member("eu-west-1", 2, true)])).toBe("eu-west-1");
  });

  it("counts a region's name healthy when a load balancer of its weighted set has a healthy instance", () => {
    const server = (healthy: boolean): BalancerServer => ({
      instanceId: "i-1",
      address: "10.213.0.2",
      serving: true,
      healthy,
    });
    expect(
      regionalNameHealthy(
        new Map([
          ["a", [server(false)]],
          ["b", [server(false), server(true)]],
        ]),
      ),
    ).toBe(true);
    expect(
      regionalNameHealthy(
        new Map([
          ["a", [server(false)]],
          ["b", []],
        ]),
      ),
    ).toBe(false);
    expect(regionalNameHealthy(new Map())).toBe(false);
  });

  it("answers with the nearest when no region is healthy, as Route 53 then treats every record as healthy", () => {
    expect(latencyAnswer([member("us-east-1", 1, false), member("eu-west-1", 2, false)])).toBe("us-east-1");
    expect(latencyAnswer([])).toBeUndefined();
  });

  it("forwards every new connection to that region's regional entry, the others disabled", () => {
    const config = globalProxyConfig(
      { address: "127.77.0.1", port: 9000 },
      [member("us-east-1", 1, false), member("eu-west-1", 2, true), member("ap-southeast-2", 3, true)],
      SOCKET,
    );
    expect(config).toContain("frontend latency\n  bind 127.77.0.1:9000\n");
    expect(config.split("\n").filter((line) => line.startsWith("  server "))).toEqual([
      "  server us-east-1 127.77.1.1:9000 disabled",
      "  server eu-west-1 127.77.2.1:9000",
      "  server ap-southeast-2 127.77.3.1:9000 disabled",
    ]);
  });

  it("listens on 127.77.0.1 at the first region's listener port, and nowhere for a fleet without a global name", () => {
    const shape = (overrides: Partial<FleetConfig>) => shapeOrThrow(baseFleet(overrides), DEFAULT_APP).regions;
    expect(globalListener(shape({ listenerPort: 8080 }))).toEqual({ address: "127.77.0.1", port: 8080 });
    expect(globalListener(shape({ globalName: false }))).toBeUndefined();
  });
});
