import { BUILT_IN_FLEETS } from "../regions";
import { writeFileSync } from "node:fs";
import { relative } from "node:path";
import { resolveFleet, readImageLock } from "../fleet/adapters/resolve";
import { answersLookup, lockChangeLine, lookupRegions, renderImageLock, type LockedImage } from "../images/lock";
import { describeAmi } from "../fleet/rehearsal";
import { AWS_ENVIRONMENT, defineCommand, FLEET_ENVIRONMENT, startCommand } from "../cli/command";
import { UsageError, UserFacingError } from "../cli/console";
import { lookUpImage } from "../images/adapters/lookup";

export const command = defineCommand({
  name: "images",
  summary: "Shows each region's locked image, or (--update) looks up the newest and writes the lock file.",
  description: [
    "Images change only when you say so. Without --update: each region's locked image, and whether the lock still answers the fleet's lookup. With --update: looks up the newest image per region (all, or the regions named), writes the lock file next to the fleet file (prod.json → prod.lock.json) and prints the old and new image per region; commit the file, and the plan report names the change as the cause of the rollout it brings. Regions whose ami is an image id need no entry. It changes nothing in AWS.",
  ],
  options: {
    update: {
      type: "boolean",
      default: false,
      description: "look up the newest image per region and write the lock file (needs AWS credentials)",
    },
  },
  positional: { name: "region", count: "any", description: "the regions to show or update; all by default" },
  environment: [...FLEET_ENVIRONMENT, ...AWS_ENVIRONMENT],
  exitCodes: [
    { code: 0, meaning: "shown, or the lock file written" },
    { code: 1, meaning: "no image matches a region's lookup (nothing was written), or the lock file is unreadable" },
  ],
  onInterrupt: "exit",
  run: async ({ values, positionals }) => {
    const fleet = resolveFleet(process.env, process.cwd(), BUILT_IN_FLEETS, { images: "as-written" });
    if (!fleet.ok) throw new UserFacingError(fleet.message);
    const file = relative(process.cwd(), fleet.lockFile);
    const current = readImageLock(fleet.lockFile);
    if (!current.ok) throw new UserFacingError(`${file}: ${current.message}`);
    // What the fleet file says, not the local target's substitutes.
    const regions = lookupRegions(fleet.written).filter(
      (r) => positionals.length === 0 || positionals.includes(r.region),
    );
    const unknown = positionals.filter((name) => !fleet.shape.regions.some((r) => r.region === name));
    if (unknown.length > 0) {
      throw new UsageError(
        `no region ${unknown.join(", ")} in the fleet; its regions are ${fleet.shape.regions.map((r) => r.region).join(", ")}`,
      );
    }
    if (!values.update) {
      for (const region of regions) {
        const locked = current.lock.images[region.region];
        const state =
          locked === undefined
            ? "not locked"
            : answersLookup(locked, region.instance.ami)
              ? `${locked.id} (${locked.name})`
              : `${locked.id}, locked for another lookup`;
        process.stdout.write(`${region.region}: ${state}; lookup ${describeAmi(region.instance.ami)}\n`);
      }
      return 0;
    }
    const images: Record<string, LockedImage> = { ...current.lock.images };
    const missing: string[] = [];
    for (const region of regions) {
      const found = await lookUpImage(fleet.target, region);
      if (found === undefined) {
        missing.push(`${region.region} (${describeAmi(region.instance.ami)} for ${region.instance.ami.architecture})`);
        continue;
      }
      process.stdout.write(`${lockChangeLine(region.region, images[region.region], found)}\n`);
      images[region.region] = found;
    }
    if (missing.length > 0) {
      throw new UserFacingError(
        `no image matches in ${missing.join(", ")}; nothing was written. Fix ami and run again`,
      );
    }
    writeFileSync(fleet.lockFile, renderImageLock({ version: current.lock.version, images }));
    process.stderr.write(`images: wrote ${file}; commit it with the change that needs it\n`);
    return 0;
  },
});

if (require.main === module) startCommand(command);
