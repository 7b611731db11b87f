/*
 * The image lock's lookups: for each region whose `ami` is a lookup, the newest image AWS lists for its
 * owners, name pattern and architecture (EC2 DescribeImages); and what a deploy does about regions the lock
 * does not answer. Pure decisions: images/lock.ts.
 */
import { writeFileSync } from "node:fs";
import {
  DescribeImagesCommand,
  type DescribeImagesCommandInput,
  type DescribeImagesCommandOutput,
} from "@aws-sdk/client-ec2";
import { readImageLock, resolveFleet, type ResolvedFleet } from "../../fleet/adapters/resolve";
import type { BuiltInFleets } from "../../fleet/target";
import {
  imagesBeforeDeploy,
  isCi,
  lockedImage,
  lockMissingEntries,
  newestImage,
  renderImageLock,
  type FoundImage,
  type LockedImage,
} from "../lock";
import type { AmiShape } from "../../fleet/shape/ami";
import type { RegionShape } from "../../fleet/shape";
import type { Target } from "../../fleet/target";
import { regionClients } from "../../fleet/adapters/aws-clients";
import { UserFacingError } from "../../cli/console";

/** The DescribeImages request for a lookup: available images of its owners, name pattern and architecture. */
export function describeImagesInput(ami: AmiShape): DescribeImagesCommandInput {
  return {
    Owners: [...ami.owners],
    Filters: [
      { Name: "name", Values: [ami.namePattern ?? "*"] },
      { Name: "state", Values: ["available"] },
      { Name: "architecture", Values: [ami.architecture] },
    ],
  };
}

/** The images a DescribeImages answer lists, as the lock keeps them. */
export function imagesFromAnswer(answer: Pick<DescribeImagesCommandOutput, "Images">): FoundImage[] {
  return (answer.Images ?? []).flatMap((image): FoundImage[] =>
    image.ImageId === undefined
      ? []
      : [
          {
            id: image.ImageId,
            name: image.Name ?? image.ImageId,
            ...(image.CreationDate === undefined ? {} : { created: image.CreationDate }),
          },
        ],
  );
}

/** Every image that answers a region's lookup, as DescribeImages lists them. */
export async function listImages(target: Target, region: string, ami: AmiShape): Promise<FoundImage[]> {
  const answer = await regionClients(target, region).ec2.send(new DescribeImagesCommand(describeImagesInput(ami)));
  return imagesFromAnswer(answer);
}

/** The newest image that answers a region's lookup, as the lock keeps it; undefined when none matches. */
export async function lookUpImage(target: Target, region: RegionShape): Promise<LockedImage | undefined> {
  const { ami } = region.instance;
  const found = newestImage(await listImages(target, region.region, ami));
  return found === undefined ? undefined : lockedImage(ami, found);
}

/**
 * Before a deploy plans anything: the regions whose looked-up image the lock does not answer are looked up
 * and locked (the lock file written, and each entry printed), or the deploy is refused (reviewed, in CI, or
 * an entry locked for another lookup). Returns the fleet as the deploy then uses it: every image locked.
 */
export async function lockImagesBeforeDeploy(
  fleet: Extract<ResolvedFleet, { ok: true }>,
  options: {
    readonly env: NodeJS.ProcessEnv;
    readonly cwd: string;
    /** The fleets used when CLOUDRIM_CONFIG names no file (the entry point's regions/). */
    readonly builtIn: BuiltInFleets;
    readonly reviewed: boolean;
    /** The deploy's stack globs: only the selected regions' images are locked (or refused). */
    readonly globs: readonly string[];
    readonly progress: (line: string) => void;
    /** @default DescribeImages in the region, on the fleet's target */
    readonly listImages?: (region: string, ami: AmiShape) => Promise<readonly FoundImage[]>;
  },
): Promise<Extract<ResolvedFleet, { ok: true }>> {
  const decision = imagesBeforeDeploy(fleet.unlocked, {
    reviewed: options.reviewed,
    ci: isCi(options.env),
    globs: options.globs,
  });
  if (decision.action === "none") return fleet;
  if (decision.action === "refuse") throw new UserFacingError(decision.message);
  const list = options.listImages ?? ((region, ami) => listImages(fleet.target, region, ami));
  const listed = new Map<string, readonly FoundImage[]>();
  for (const region of decision.regions) listed.set(region.region, await list(region.region, region.lookup));
  const current = readImageLock(fleet.lockFile);
  if (!current.ok) throw new UserFacingError(`${fleet.unlocked.lockFile}: ${current.message}`);
  const locked = lockMissingEntries(current.lock, decision.regions, listed);
  if (!locked.ok) throw new UserFacingError(locked.message);
  writeFileSync(fleet.lockFile, renderImageLock(locked.lock));
  for (const line of locked.lines) options.progress(line);
  options.progress(
    `wrote ${fleet.unlocked.lockFile}: commit it, so that plans and later deploys use the same images ` +
      `(a reviewed or CI deploy refuses a region it does not lock)`,
  );
  const relocked = resolveFleet(options.env, options.cwd, options.builtIn);
  if (!relocked.ok) throw new UserFacingError(relocked.message);
  return relocked;
}
