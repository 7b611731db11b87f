import { Testing } from "cdktf";
import { addFleet } from "../../constructs/fleet";
import { planOrThrow } from "../../lib/validate";
import { localFleet } from "../../regions/local";
import { baseFleet } from "../fixtures";
import { addresses, defined, onlyResource, resourcesOf, stackJson } from "./synth-helpers";

const local = { kind: "local", endpoint: "http://127.0.0.1:5055" } as const;

function fleetStacks(config: unknown, target: Parameters<typeof addFleet>[2]) {
  return addFleet(Testing.app(), planOrThrow(config), target);
}

describe("the local target", () => {
  const awsStacks = fleetStacks(baseFleet(), { kind: "aws" });
  const localStacks = fleetStacks(baseFleet(), local);

  it("creates the same resources at the same addresses as on AWS", () => {
    const region = (stacks: typeof awsStacks) => stackJson(defined(stacks.regions[0], "a region"));
    expect(addresses(region(localStacks))).toEqual(addresses(region(awsStacks)));
    expect(region(localStacks).resource).toEqual(region(awsStacks).resource);
  });

  it("differs only in the provider and backend settings", () => {
    const json = stackJson(defined(localStacks.regions[0], "a region"));
    expect(json.provider.aws[0]?.endpoints).toEqual([expect.objectContaining({ elb: local.endpoint })]);
    expect(json.terraform.backend?.s3).toMatchObject({
      endpoints: { s3: local.endpoint, sts: local.endpoint, iam: local.endpoint },
      use_path_style: true,
      use_lockfile: true,
      encrypt: true,
    });
  });

  it("leaves out only the state bucket's TLS-only policy, which moto cannot evaluate", () => {
    const onAws = addresses(stackJson(awsStacks.state));
    const onLocal = addresses(stackJson(localStacks.state));
    expect(onAws.filter((a) => !onLocal.includes(a))).toEqual(["aws_s3_bucket_policy.tls-only"]);
    expect(onLocal.every((a) => onAws.includes(a))).toBe(true);
  });
});

describe("createHostedZone", () => {
  it("is off by default: no zone stack, region stacks look the zone up", () => {
    const stacks = fleetStacks(baseFleet(), { kind: "aws" });
    expect(stacks.hostedZone).toBeUndefined();
  });

  it("creates the zone once, in its own stack with S3 state, before any region", () => {
    const stacks = fleetStacks(baseFleet({ createHostedZone: true }), { kind: "aws" });
    const zoneStack = defined(stacks.hostedZone, "the hosted zone stack");
    expect(zoneStack.node.id).toBe("cloudrim-prod-dns");
    const json = stackJson(zoneStack);
    expect(onlyResource(json, "aws_route53_zone")).toMatchObject({ name: "example.com" });
    expect(json.terraform.backend?.s3).toMatchObject({ key: "cloudrim/prod/dns.tfstate", use_lockfile: true });
    expect(zoneStack.dependencies).toEqual([stacks.state]);
    for (const region of stacks.regions) {
      expect(region.dependencies).toEqual([stacks.state, zoneStack]);
      expect(resourcesOf(stackJson(region), "aws_route53_zone")).toEqual([]);
    }
  });

  it("is valid in the local default fleet, which creates its zone and looks up an image moto ships", () => {
    const stacks = fleetStacks(localFleet, local);
    expect([stacks.state, stacks.hostedZone, ...stacks.regions].map((s) => s?.node.id)).toEqual([
      "cloudrim-local-state",
      "cloudrim-local-dns",
      "cloudrim-local-us-east-1",
      "cloudrim-local-us-west-2",
    ]);
  });
});
