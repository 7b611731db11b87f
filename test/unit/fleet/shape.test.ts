import type { FleetConfig } from "../../../fleet/schema";
import {
  aliasRecordName,
  loadBalancerName,
  regionalRecordName,
  regionStackName,
  runitServiceName,
  setIdentifier,
  stateKey,
  stateStackName,
} from "../../../fleet/names";
import { defaultProcesses, equalWeights, portList } from "../../../fleet/shape/ports";
import { amiShape } from "../../../fleet/shape/ami";
import type { RegionShape } from "../../../fleet/shape";
import { shapeOrThrow } from "../../../fleet/validate";
import { baseFleet, DEFAULT_APP } from "../../fixtures";

const fleet = { service: "cloudrim", deployment: "prod" };

describe("names", () => {
  it("names stacks so that `cdktf deploy 'cloudrim-prod-*'` selects one deployment", () => {
    expect(regionStackName(fleet, "us-east-1")).toBe("cloudrim-prod-us-east-1");
    expect(stateStackName(fleet)).toBe("cloudrim-prod-state");
  });

  it("keys each stack's state by prefix, service, deployment and stack", () => {
    expect(stateKey("cloudrim", fleet, "eu-west-1")).toBe("cloudrim/cloudrim/prod/eu-west-1.tfstate");
  });

  it("gives two services that share a bucket and a key prefix different state keys", () => {
    const keys = (service: string) => {
      const shape = shapeOrThrow(baseFleet({ service, state: { bucket: "shared", region: "us-east-1" } }), DEFAULT_APP);
      return [shape.state.key, ...shape.regions.map((r) => r.state.key)];
    };
    expect(keys("api")).toEqual([
      "cloudrim/api/prod/state.tfstate",
      "cloudrim/api/prod/us-east-1.tfstate",
      "cloudrim/api/prod/us-west-2.tfstate",
    ]);
    expect(keys("api").filter((key) => keys("web").includes(key))).toEqual([]);
  });

  it("names per-port objects after the port and the index", () => {
    expect(loadBalancerName(fleet, 9001)).toBe("cloudrim-prod-9001");
    expect(aliasRecordName(fleet, 1, "us-east-1", "example.com")).toBe("cloudrim1.prod.us-east-1.example.com");
    expect(regionalRecordName("cloudrim", "us-east-1", "example.com")).toBe("cloudrim.us-east-1.example.com");
    expect(setIdentifier("us-east-1", 9001)).toBe("us-east-1-port-9001");
    expect(runitServiceName("cloudrim", 9001)).toBe("cloudrim-9001");
  });
});

describe("port plan", () => {
  it("runs vCPUs + 1 processes by default", () => {
    expect(defaultProcesses("m5.large")).toBe(3);
    expect(defaultProcesses("m5.xlarge")).toBe(5);
    expect(defaultProcesses("c5.4xlarge")).toBe(17);
    expect(defaultProcesses("unknown.type")).toBeUndefined();
  });

  it("numbers ports consecutively from the base port", () => {
    expect(portList(9000, 3)).toEqual([9000, 9001, 9002]);
    expect(portList(7000, 1)).toEqual([7000]);
  });

  it("weighs ports equally by default", () => {
    expect(equalWeights(3)).toEqual([1, 1, 1]);
  });

  it.each([
    ["m5.large", 2],
    ["m5.xlarge", 4],
    ["m5.4xlarge", 16],
  ])("derives every per-port object from one list for %s (%i vCPUs)", (instanceType, vcpus) => {
    const region = shapeOrThrow(baseFleet({ instanceType }), DEFAULT_APP).regions[0] as RegionShape;
    const processes = vcpus + 1;
    expect(region.ports).toHaveLength(processes);
    expect(region.ports.map((p) => p.port)).toEqual(portList(9000, processes));
    expect(region.portRange).toEqual({ from: 9000, to: 9000 + vcpus });
    expect(new Set(region.ports.map((p) => p.loadBalancerName)).size).toBe(processes);
    expect(new Set(region.ports.map((p) => p.aliasName)).size).toBe(processes);
    expect(new Set(region.ports.map((p) => p.setIdentifier)).size).toBe(processes);
    region.ports.forEach((p, i) => {
      expect(p).toEqual({
        index: i,
        port: 9000 + i,
        loadBalancerName: `cloudrim-prod-${9000 + i}`,
        aliasName: `cloudrim${i}.prod.us-east-1.example.com`,
        setIdentifier: `us-east-1-port-${9000 + i}`,
        weight: 1,
        runitService: `cloudrim-${9000 + i}`,
        alarmName: `cloudrim-prod-us-east-1-${9000 + i}-no-healthy-instances`,
        unhealthyAlarmName: `cloudrim-prod-us-east-1-${9000 + i}-unhealthy-instances`,
      });
    });
  });

  it("applies region overrides over fleet-wide settings over defaults", () => {
    const shape = shapeOrThrow(
      baseFleet({
        instanceType: "c5.xlarge",
        regions: [
          { region: "us-east-1" },
          { region: "eu-west-1", instanceType: "m5.large", processes: 2, weights: [3, 1] },
        ],
      }),
      DEFAULT_APP,
    );
    const [east, west] = shape.regions as [RegionShape, RegionShape];
    expect(east.instance.type).toBe("c5.xlarge");
    expect(east.ports.map((p) => p.weight)).toEqual([1, 1, 1, 1, 1]);
    expect(west.instance.type).toBe("m5.large");
    expect(west.ports.map((p) => [p.port, p.weight])).toEqual([
      [9000, 3],
      [9001, 1],
    ]);
  });

  it("gives every weighted record in the shared hosted zone its own set id, across regions", () => {
    const shape = shapeOrThrow(baseFleet(), DEFAULT_APP);
    const ids = shape.regions.flatMap((r) => r.ports.map((p) => p.setIdentifier));
    expect(ids).toHaveLength(2 * 3);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("keeps a valid zero: a weight of 0 is not replaced by the default", () => {
    const region = shapeOrThrow(baseFleet({ processes: 2, weights: [0, 5] }), DEFAULT_APP).regions[0] as RegionShape;
    expect(region.ports.map((p) => p.weight)).toEqual([0, 5]);
  });

  it("names one global record per region, the service at the domain unless configured otherwise", () => {
    const names = (config: FleetConfig) => shapeOrThrow(config, DEFAULT_APP).regions.map((r) => r.dns.globalName);
    expect(names(baseFleet())).toEqual(["cloudrim.example.com", "cloudrim.example.com"]);
    expect(names(baseFleet({ globalName: "www.example.com" }))).toEqual(["www.example.com", "www.example.com"]);
    expect(names(baseFleet({ globalName: false }))).toEqual([undefined, undefined]);
  });

  it("places each region's state under the state bucket at the documented key", () => {
    const shape = shapeOrThrow(
      baseFleet({ state: { bucket: "tf-state", region: "eu-central-1", keyPrefix: "infra" } }),
      DEFAULT_APP,
    );
    expect(shape.regions.map((r) => r.state)).toEqual([
      { bucket: "tf-state", region: "eu-central-1", key: "infra/cloudrim/prod/us-east-1.tfstate" },
      { bucket: "tf-state", region: "eu-central-1", key: "infra/cloudrim/prod/us-west-2.tfstate" },
    ]);
    expect(shape.state).toEqual({
      bucket: "tf-state",
      region: "eu-central-1",
      stackName: "cloudrim-prod-state",
      keyPrefix: "infra",
      key: "infra/cloudrim/prod/state.tfstate",
      tlsOnlyPolicy: true,
      noncurrentVersionDays: 90,
      preventDestroy: true,
    });
  });
});

describe("AMI selection", () => {
  it("looks up the newest official Debian 12 image for the instance's architecture by default", () => {
    expect(amiShape(undefined, "x86_64")).toEqual({
      owners: ["136693071363"],
      namePattern: "debian-12-amd64-*",
      architecture: "x86_64",
    });
    expect(amiShape(undefined, "arm64").namePattern).toBe("debian-12-arm64-*");
  });

  it("pins an explicit image id", () => {
    expect(amiShape("ami-0123456789abcdef0", "x86_64")).toEqual({
      id: "ami-0123456789abcdef0",
      owners: [],
      architecture: "x86_64",
    });
  });

  it("picks the arm64 image for Graviton types", () => {
    const region = shapeOrThrow(baseFleet({ instanceType: "m7g.large" }), DEFAULT_APP).regions[0] as RegionShape;
    expect(region.instance.arch).toBe("arm64");
    expect(region.instance.ami.namePattern).toBe("debian-12-arm64-*");
  });
});
