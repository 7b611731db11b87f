import type { FleetConfig } from "../../../fleet/schema";
import { shapeOrThrow } from "../../../fleet/validate";
import { awsEndpoints, endpointLines, localEndpoints } from "../../../live/endpoints";
import { baseFleet, certificateIn, DEFAULT_APP } from "../../fixtures";

const regions = (overrides: Partial<FleetConfig> = {}) =>
  shapeOrThrow(baseFleet({ processes: 2, ...overrides }), DEFAULT_APP).regions;

describe("the endpoints on this machine", () => {
  it("are each region's entry and each port's load balancer at their loopback listeners, keyed by instance port", () => {
    expect(localEndpoints(regions({ listenerPort: 8080 }))).toEqual({
      "us-east-1": {
        regional: "http://127.77.1.1:8080",
        ports: { "9000": "http://127.77.1.2:8080", "9001": "http://127.77.1.3:8080" },
        global: "http://127.77.0.1:8080",
      },
      "us-west-2": {
        regional: "http://127.77.2.1:8080",
        ports: { "9000": "http://127.77.2.2:8080", "9001": "http://127.77.2.3:8080" },
        global: "http://127.77.0.1:8080",
      },
    });
  });

  it("have no name that spans regions when the fleet publishes none", () => {
    const endpoints = localEndpoints(regions({ globalName: false }));
    expect(Object.values(endpoints).map((e) => e.global)).toEqual([undefined, undefined]);
    expect(Object.values(awsEndpoints(regions({ globalName: false }))).map((e) => e.global)).toEqual([
      undefined,
      undefined,
    ]);
  });

  it("key the ports by the instance port even when the ports do not start at 9000", () => {
    const [region] = Object.values(localEndpoints(regions({ basePort: 7000, regions: [{ region: "us-east-1" }] })));
    expect(Object.keys(region?.ports ?? {})).toEqual(["7000", "7001"]);
  });

  it("are plain http even where the fleet has TLS: the local load balancers only forward TCP", () => {
    const tls = regions({ regions: [{ region: "us-east-1", tls: { certificateArn: certificateIn("us-east-1") } }] });
    expect(localEndpoints(tls)["us-east-1"]?.regional).toBe("http://127.77.1.1:9000");
  });
});

describe("the endpoints on AWS", () => {
  it("are the regional weighted name and each port's alias name, on the listener port", () => {
    expect(awsEndpoints(regions({ listenerPort: 8080 }))).toEqual({
      "us-east-1": {
        regional: "http://cloudrim.us-east-1.example.com:8080",
        ports: {
          "9000": "http://cloudrim0.prod.us-east-1.example.com:8080",
          "9001": "http://cloudrim1.prod.us-east-1.example.com:8080",
        },
        global: "http://cloudrim.example.com:8080",
      },
      "us-west-2": {
        regional: "http://cloudrim.us-west-2.example.com:8080",
        ports: {
          "9000": "http://cloudrim0.prod.us-west-2.example.com:8080",
          "9001": "http://cloudrim1.prod.us-west-2.example.com:8080",
        },
        global: "http://cloudrim.example.com:8080",
      },
    });
  });

  it("are the names the fleet publishes in DNS", () => {
    const shapes = regions();
    const endpoints = awsEndpoints(shapes);
    for (const region of shapes) {
      expect(endpoints[region.region]?.regional).toBe(`http://${region.regionalName}:${region.listenerPort}`);
      expect(Object.values(endpoints[region.region]?.ports ?? {})).toEqual(
        region.ports.map((port) => `http://${port.aliasName}:${region.listenerPort}`),
      );
    }
  });

  it("use https in a region whose listener has TLS, and http in one without", () => {
    const endpoints = awsEndpoints(
      regions({
        listenerPort: 443,
        regions: [
          { region: "us-east-1", tls: { certificateArn: certificateIn("us-east-1") } },
          { region: "us-west-2" },
        ],
      }),
    );
    expect(endpoints["us-east-1"]).toEqual({
      regional: "https://cloudrim.us-east-1.example.com:443",
      ports: {
        "9000": "https://cloudrim0.prod.us-east-1.example.com:443",
        "9001": "https://cloudrim1.prod.us-east-1.example.com:443",
      },
      global: "https://cloudrim.example.com:443",
    });
    expect(endpoints["us-west-2"]?.regional).toBe("http://cloudrim.us-west-2.example.com:443");
  });
});

describe("the endpoints as printed", () => {
  it("are one block per region: its entry, then each port indented", () => {
    expect(
      endpointLines({
        "us-east-1": { regional: "http://127.77.1.1:9000", ports: { "9000": "http://127.77.1.2:9000" } },
        "us-west-2": {
          regional: "http://127.77.2.1:9000",
          ports: { "9000": "http://127.77.2.2:9000", "9001": "http://127.77.2.3:9000" },
        },
      }),
    ).toEqual([
      "us-east-1: http://127.77.1.1:9000",
      "  port 9000: http://127.77.1.2:9000",
      "us-west-2: http://127.77.2.1:9000",
      "  port 9000: http://127.77.2.2:9000",
      "  port 9001: http://127.77.2.3:9000",
    ]);
  });

  it("start with the name that spans regions, when there is one", () => {
    const global = "http://127.77.0.1:9000";
    expect(
      endpointLines({ "us-east-1": { regional: "http://127.77.1.1:9000", ports: {}, global } }).slice(0, 2),
    ).toEqual([`every region (latency): ${global}`, "us-east-1: http://127.77.1.1:9000"]);
  });

  it("print the fleet's regions in its order, ports in port order", () => {
    const lines = endpointLines(
      localEndpoints(regions({ regions: [{ region: "us-west-2" }, { region: "eu-west-1" }, { region: "us-east-1" }] })),
    );
    expect(lines.filter((line) => !line.startsWith("  "))).toEqual([
      "every region (latency): http://127.77.0.1:9000",
      "us-west-2: http://127.77.1.1:9000",
      "eu-west-1: http://127.77.2.1:9000",
      "us-east-1: http://127.77.3.1:9000",
    ]);
    expect(lines.slice(2, 4)).toEqual(["  port 9000: http://127.77.1.2:9000", "  port 9001: http://127.77.1.3:9000"]);
  });

  it("are nothing for no region", () => {
    expect(endpointLines({})).toEqual([]);
  });
});
