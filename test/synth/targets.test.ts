import { Testing } from "cdktf";
import { addFleet } from "../../constructs/fleet";
import type { FleetConfig } from "../../fleet/schema";
import { adaptToTarget } from "../../fleet/rehearsal";
import { shapeOrThrow } from "../../fleet/validate";
import { localFleet } from "../../regions/local";
import { baseFleet, DEFAULT_APP } from "../fixtures";
import { addresses, defined, onlyResource, resourcesOf, stackJson, type StackJson } from "./synth-helpers";

const local = { kind: "local", endpoint: "http://127.0.0.1:5055" } as const;
const aws = { kind: "aws" } as const;

/** As main.ts does it: validate the fleet as written, then adapt it to the target. */
function fleetStacks(config: FleetConfig, target: typeof local | typeof aws) {
  return addFleet(Testing.app(), adaptToTarget(shapeOrThrow(config, DEFAULT_APP), target).shape, target);
}

/** A production fleet file unlike regions/local.ts: its own networks, a private zone, no ami. */
const production: FleetConfig = {
  service: "api",
  deployment: "live",
  domain: "corp.example",
  privateZone: true,
  instanceType: "c5.xlarge",
  allowedCidrs: ["10.0.0.0/8"],
  state: { bucket: "corp-terraform-state", region: "eu-west-1" },
  regions: [
    { region: "eu-west-1", weights: [4, 1, 1, 1, 1] },
    { region: "us-east-1", vpcId: "vpc-0123abcd", subnetIds: ["subnet-0123abcd", "subnet-4567ef01"] },
    { region: "ap-southeast-2", vpcId: "vpc-0fedcba9", subnetTags: { Tier: "private" } },
  ],
};

describe("the local target rehearsing a production fleet file", () => {
  const onAws = fleetStacks(production, aws);
  const onLocal = fleetStacks(production, local);
  const regionJson = (stacks: typeof onAws, i: number) => stackJson(defined(stacks.regions[i], `region ${i}`));

  it("creates the same resources at the same addresses in every region stack", () => {
    production.regions.forEach((_, i) => {
      expect(addresses(regionJson(onLocal, i))).toEqual(addresses(regionJson(onAws, i)));
    });
  });

  it("keeps everything that is the user's choice: counts, weights, names, instance type", () => {
    const [east, west] = [regionJson(onLocal, 0), regionJson(onAws, 0)];
    expect(resourcesOf(east, "aws_route53_record")).toEqual(resourcesOf(west, "aws_route53_record"));
    expect(resourcesOf(east, "aws_elb")).toEqual(resourcesOf(west, "aws_elb"));
    expect(onlyResource(east, "aws_launch_template").instance_type).toBe("c5.xlarge");
  });

  it("looks up an image moto ships instead of Debian's, filtered to the instance type's architecture", () => {
    const image = (json: StackJson) => Object.values(json.data.aws_ami ?? {})[0];
    expect(image(regionJson(onLocal, 0))).toMatchObject({
      owners: ["137112412989"],
      filter: [
        { name: "name", values: ["al2022-ami-2022.0.*-kernel-5.15-*"] },
        { name: "state", values: ["available"] },
        { name: "architecture", values: ["x86_64"] },
      ],
    });
    expect(image(regionJson(onAws, 0))).toMatchObject({ owners: ["136693071363"] });
  });

  it("runs every region in the emulator's default VPC instead of networks it cannot have", () => {
    for (let i = 0; i < production.regions.length; i++) {
      const json = regionJson(onLocal, i);
      expect(Object.values(json.data.aws_vpc ?? {})).toEqual([expect.objectContaining({ default: true })]);
      expect(JSON.stringify(json)).not.toMatch(/vpc-0123abcd|vpc-0fedcba9|subnet-0123abcd/);
    }
  });

  it("keeps the instance refresh, which the local AWS emulates (local-aws/fixes/refresh_run.py), warming up as briefly as its grace period", () => {
    const onAwsRefresh = onlyResource(regionJson(onAws, 0), "aws_autoscaling_group").instance_refresh as {
      preferences: Record<string, unknown>;
    };
    expect(onAwsRefresh.preferences.instance_warmup).toBe("300");
    expect(onlyResource(regionJson(onLocal, 0), "aws_autoscaling_group").instance_refresh).toEqual({
      ...onAwsRefresh,
      preferences: { ...onAwsRefresh.preferences, instance_warmup: "10" },
    });
  });

  it("creates the hosted zone the emulator lacks, as a public zone, before any region", () => {
    expect(onAws.hostedZone).toBeUndefined();
    const zone = defined(onLocal.hostedZone, "the rehearsal zone stack");
    expect(zone.node.id).toBe("api-live-dns");
    expect(onlyResource(stackJson(zone), "aws_route53_zone")).toMatchObject({ name: "corp.example" });
    for (const region of onLocal.regions) {
      expect(region.dependencies).toContain(zone);
      expect(Object.values(stackJson(region).data.aws_route53_zone ?? {})[0]).toMatchObject({ private_zone: false });
    }
  });

  it("leaves out the TLS-only policy and the destroy protection of the state bucket, and nothing else", () => {
    const awsState = addresses(stackJson(onAws.state));
    const localState = stackJson(onLocal.state);
    expect(awsState.filter((a) => !addresses(localState).includes(a))).toEqual(["aws_s3_bucket_policy.tls-only"]);
    expect(onlyResource(localState, "aws_s3_bucket").lifecycle).toBeUndefined();
  });

  it("differs otherwise only in the provider and backend settings", () => {
    const json = regionJson(onLocal, 0);
    expect(json.provider.aws[0]?.endpoints).toEqual([expect.objectContaining({ elb: local.endpoint })]);
    expect(json.terraform.backend?.s3).toMatchObject({
      key: "cloudrim/api/live/eu-west-1.tfstate",
      endpoints: { s3: local.endpoint, sts: local.endpoint, iam: local.endpoint },
      use_path_style: true,
      use_lockfile: true,
      encrypt: true,
    });
  });
});

describe("createHostedZone", () => {
  it("is off by default: no zone stack, region stacks look the zone up", () => {
    const stacks = fleetStacks(baseFleet(), aws);
    expect(stacks.hostedZone).toBeUndefined();
  });

  it("creates the zone once, in its own stack with S3 state, before any region", () => {
    const stacks = fleetStacks(baseFleet({ createHostedZone: true }), aws);
    const zoneStack = defined(stacks.hostedZone, "the hosted zone stack");
    expect(zoneStack.node.id).toBe("cloudrim-prod-dns");
    const json = stackJson(zoneStack);
    expect(onlyResource(json, "aws_route53_zone")).toMatchObject({ name: "example.com" });
    expect(json.terraform.backend?.s3).toMatchObject({ key: "cloudrim/cloudrim/prod/dns.tfstate", use_lockfile: true });
    expect(zoneStack.dependencies).toEqual([stacks.state]);
    for (const region of stacks.regions) {
      expect(region.dependencies).toEqual(expect.arrayContaining([stacks.state, zoneStack]));
      expect(resourcesOf(stackJson(region), "aws_route53_zone")).toEqual([]);
    }
  });

  it("needs no emulator workaround in the local fleet file, which holds only its own choices", () => {
    expect(Object.keys(localFleet).sort()).toEqual(
      ["allowedCidrs", "capacity", "deployment", "domain", "instanceType", "regions", "service", "state"].sort(),
    );
    const stacks = fleetStacks(localFleet, local);
    expect([stacks.state, stacks.hostedZone, ...stacks.regions].map((s) => s?.node.id)).toEqual([
      "cloudrim-local-state",
      "cloudrim-local-dns",
      "cloudrim-local-us-east-1",
      "cloudrim-local-us-west-2",
    ]);
  });
});
