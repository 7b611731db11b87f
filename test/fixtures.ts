import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { FleetConfig } from "../lib/config";
import { IMAGE_LOCK_VERSION, lookupRegions, renderImageLock, type ImageLock } from "../lib/image-lock";
import { planOrThrow } from "../lib/validate";

/** A small valid fleet the tests vary one field at a time. */
export function baseFleet(overrides: Partial<FleetConfig> = {}): FleetConfig {
  return {
    deployment: "prod",
    domain: "example.com",
    allowedCidrs: ["10.0.0.0/8"],
    state: { bucket: "cloudrim-state", region: "us-east-1" },
    regions: [{ region: "us-east-1" }, { region: "us-west-2" }],
    ...overrides,
  };
}

/**
 * A lock file that answers every looked-up image of a fleet (test ids, one per region), as
 * `npm run images -- --update` would write it: what a fleet needs to synthesize on the AWS target.
 */
export function imageLockFor(config: FleetConfig): ImageLock {
  const plan = planOrThrow(config);
  return {
    version: IMAGE_LOCK_VERSION,
    images: Object.fromEntries(
      lookupRegions(plan).map((r, i) => [
        r.region,
        {
          id: `ami-0${String(i + 1).padStart(16, "0")}`,
          name: (r.instance.ami.namePattern ?? "image").replace("*", "20261101-1000"),
          created: "2026-11-01T10:00:00.000Z",
          owners: [...r.instance.ami.owners],
          namePattern: r.instance.ami.namePattern ?? "",
          architecture: r.instance.ami.architecture,
        },
      ]),
    ),
  };
}

/** Writes a fleet file and its image lock into `dir`; returns the fleet file's path. */
export function writeFleetFile(dir: string, config: FleetConfig, name = "fleet"): string {
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(config));
  writeFileSync(join(dir, `${name}.lock.json`), renderImageLock(imageLockFor(config)));
  return file;
}
