import { join } from "node:path";
import {
  ListHostedZonesByNameCommand,
  ListResourceRecordSetsCommand,
  type ResourceRecordSet,
} from "@aws-sdk/client-route-53";
import type { FleetConfig } from "../../fleet/schema";
import type { FleetShape, RegionShape } from "../../fleet/shape";
import { defaultReleaseKey, PINNED_NODE } from "../../instance/release";
import type { Target } from "../../fleet/target";
import { regionClients } from "../../fleet/adapters/aws-clients";
import { PROJECT } from "../../terraform/adapters/context";
import { packRelease } from "../../instance/adapters/release-pack";

/*
 * The end-to-end scenarios' fleet: a production fleet file as a user writes it from the README, unlike
 * regions/local.ts: its own service and deployment names, a c5-class instance type, no image, the default
 * instance refresh. Each scenario gives it the fewest regions and ports that show its behaviour; the local
 * target rehearses it unchanged.
 */

export const STATE = "shop-e2e-state";
export const RELEASES = "shop-e2e-releases";
/** The account moto answers for. */
export const ACCOUNT = "123456789012";
/** Every region stack of the shop, not the state or zone stack. */
export const REGION_STACKS = "shop-e2e-??-*";
export const stateKey = (stack: string) => `cloudrim/shop/e2e/${stack}.tfstate`;

/**
 * The shop's fleet file with the given regions (and anything else overridden). The operator's settings:
 * scale at 50% CPU; a port with no healthy instance for 2 minutes alarms. Checks every 5 s, healthy after 2,
 * so a new instance counts 10 s after launch (its refresh warm-up, no shorter than its checks take), and a
 * wave bakes 3 s: a rollout runs in seconds on the emulator, which has no boot to wait for.
 */
export const shopFleet = (overrides: Partial<FleetConfig> & Pick<FleetConfig, "regions">): FleetConfig => ({
  service: "shop",
  deployment: "e2e",
  domain: "shop.test",
  instanceType: "c5.large",
  capacity: { min: 1, desired: 1, max: 2 },
  allowedCidrs: ["10.0.0.0/8"],
  state: { bucket: STATE, region: "us-east-1" },
  releaseBucket: RELEASES,
  scaling: { cpuTarget: 50 },
  alarms: { minutes: 2 },
  healthCheck: { interval: 5, healthyThreshold: 2 },
  healthCheckGracePeriod: 10,
  rollout: { bakeSeconds: 3 },
  ...overrides,
});

/**
 * A scenario's own small fleet, named by `service` (its state bucket `{service}-e2e-state`, its domain
 * `{service}.test`): t3.micro groups of one instance, checked every 5 s, no bake unless overridden. For scenarios
 * about one deploy's mechanics rather than a production fleet's shape.
 */
export const smallFleet = (
  service: string,
  regions: FleetConfig["regions"],
  overrides: Partial<FleetConfig> = {},
): FleetConfig => ({
  service,
  deployment: "e2e",
  domain: `${service}.test`,
  instanceType: "t3.micro",
  capacity: { min: 1, desired: 1, max: 2 },
  allowedCidrs: ["10.0.0.0/8"],
  state: { bucket: `${service}-e2e-state`, region: "us-east-1" },
  healthCheck: { interval: 5, healthyThreshold: 2 },
  healthCheckGracePeriod: 10,
  rollout: { bakeSeconds: 0 },
  ...overrides,
  regions,
});

/** Every region in one wave: a scenario's first deploy, when its rollout is not what it shows. */
export const oneWave = (config: FleetConfig): FleetConfig => ({
  ...config,
  rollout: { ...config.rollout, waves: [config.regions.map((r) => r.region)] },
});

/** The shop's app: the fixture app with the pinned Node.js, released as `npm run release` packs it. */
export const RELEASE_APP = join(PROJECT, "test", "host", "fixtures", "release-app");

/** Packs the shop's release into `dir` and returns the fleet file's `app` for it. */
export function shopRelease(dir: string): NonNullable<FleetConfig["app"]> & { release: { sha256: string } } {
  const sha256 = packRelease(RELEASE_APP, ["x64"], PINNED_NODE.version, join(dir, "release.tgz"));
  return { release: { bucket: RELEASES, key: defaultReleaseKey("shop", sha256), sha256 } };
}

export function regionPlan(shape: FleetShape, name: string): RegionShape {
  const found = shape.regions.find((r) => r.region === name);
  if (found === undefined) throw new Error(`no region ${name} in the plan`);
  return found;
}

/** `aws_elb.balancers_port-9003_ABCD1234` → `aws_elb.balancers_port-9003`, for readable expectations. */
export const stable = (address: string) => address.replace(/_[0-9A-F]{8}$/, "");

/** Every record in the shop's zone, as Route 53 (the local one) lists it. */
export async function zoneRecords(target: Target): Promise<ResourceRecordSet[]> {
  const route53 = regionClients(target, "us-east-1").route53;
  const zones = await route53.send(new ListHostedZonesByNameCommand({ DNSName: "shop.test" }));
  const zoneId = zones.HostedZones?.find((z) => z.Name === "shop.test.")?.Id;
  if (zoneId === undefined) return [];
  const sets = await route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId }));
  return (sets.ResourceRecordSets ?? []).filter((r) => r.Type !== "NS" && r.Type !== "SOA");
}
