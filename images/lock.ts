import type { CpuArchitecture } from "../fleet/aws-facts";
import type { AmiShape } from "../fleet/shape/ami";
import type { FleetShape, RegionShape } from "../fleet/shape";
import { globToRegExp } from "../terraform/stack-selection";
import type { Target } from "../fleet/target";

/*
 * Pure: images change only when you say so. A fleet whose `ami` is a lookup ("the newest Debian 12")
 * would otherwise pick whatever is newest at plan time, so an unrelated deploy could roll every region to
 * a new image. The lookup is resolved once per region by `npm run images -- --update` and written to a
 * lock file next to the fleet file (`prod.json` → `prod.lock.json`), committed like package-lock.json;
 * every plan on AWS uses the locked id. A region without an entry still synthesizes (its lookup, with one
 * warning naming the command), so synth never needs credentials; a deploy locks it (or, reviewed or in CI,
 * refuses it, as npm ci refuses a lock out of step with package.json).
 */

export const IMAGE_LOCK_VERSION = 1;

/** What a lookup resolved to in one region, and the lookup it answered (so a changed lookup is noticed). */
export interface LockedImage {
  readonly id: string;
  /** The image's name, e.g. `debian-12-amd64-20261101-1234`. */
  readonly name: string;
  /** When AWS says the image was created (ISO 8601), so reviewers see its age. */
  readonly created?: string;
  readonly owners: readonly string[];
  readonly namePattern: string;
  readonly architecture: CpuArchitecture;
}

export interface ImageLock {
  readonly version: typeof IMAGE_LOCK_VERSION;
  /** By region. */
  readonly images: Readonly<Record<string, LockedImage>>;
}

export const EMPTY_LOCK: ImageLock = { version: IMAGE_LOCK_VERSION, images: {} };

/** `regions/prod.json` → `regions/prod.lock.json`; a TypeScript fleet (`regions/default.ts`) → `regions/default.lock.json`. */
export function lockFileFor(fleetSource: string): string {
  return fleetSource.replace(/\.(json|ts)$/, "") + ".lock.json";
}

/** The lock file's bytes: sorted by region, two-space JSON and a final newline, so it diffs well in review. */
export function renderImageLock(lock: ImageLock): string {
  const images = Object.fromEntries(
    Object.entries(lock.images)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([region, image]) => [
        region,
        {
          id: image.id,
          name: image.name,
          ...(image.created === undefined ? {} : { created: image.created }),
          owners: [...image.owners],
          namePattern: image.namePattern,
          architecture: image.architecture,
        },
      ]),
  );
  return `${JSON.stringify({ version: lock.version, images }, null, 2)}\n`;
}

export type ParsedLock =
  | { readonly ok: true; readonly lock: ImageLock }
  | { readonly ok: false; readonly message: string };

const isString = (v: unknown): v is string => typeof v === "string" && v !== "";

/** Reads a lock file's text; anything malformed is one message naming the region and field. */
export function parseImageLock(text: string): ParsedLock {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    return { ok: false, message: `is not valid JSON (${(error as Error).message})` };
  }
  const root = data as { version?: unknown; images?: unknown };
  if (typeof data !== "object" || data === null || root.version !== IMAGE_LOCK_VERSION) {
    return {
      ok: false,
      message: `must be {"version": ${IMAGE_LOCK_VERSION}, "images": {...}} as npm run images writes it`,
    };
  }
  if (typeof root.images !== "object" || root.images === null || Array.isArray(root.images)) {
    return { ok: false, message: 'has no "images" object' };
  }
  const images: Record<string, LockedImage> = {};
  for (const [region, raw] of Object.entries(root.images as Record<string, unknown>)) {
    const entry = raw as Partial<Record<keyof LockedImage, unknown>>;
    const owners = entry.owners;
    if (
      typeof raw !== "object" ||
      raw === null ||
      !isString(entry.id) ||
      !/^ami-[0-9a-f]{8,17}$/.test(entry.id) ||
      !isString(entry.name) ||
      !Array.isArray(owners) ||
      !owners.every(isString) ||
      !isString(entry.namePattern) ||
      (entry.architecture !== "x86_64" && entry.architecture !== "arm64") ||
      (entry.created !== undefined && !isString(entry.created))
    ) {
      return {
        ok: false,
        message: `images.${region}: must have id (ami-…), name, owners, namePattern and architecture, as npm run images writes them`,
      };
    }
    images[region] = {
      id: entry.id,
      name: entry.name,
      ...(entry.created === undefined ? {} : { created: entry.created }),
      owners,
      namePattern: entry.namePattern,
      architecture: entry.architecture,
    };
  }
  return { ok: true, lock: { version: IMAGE_LOCK_VERSION, images } };
}

/** Whether a locked entry answers the region's lookup as configured now (owners, name pattern, architecture). */
export function answersLookup(image: LockedImage, ami: AmiShape): boolean {
  return (
    ami.id === undefined &&
    image.namePattern === ami.namePattern &&
    image.architecture === ami.architecture &&
    JSON.stringify([...image.owners].sort()) === JSON.stringify([...ami.owners].sort())
  );
}

/** The regions whose image is a lookup (not a pinned id), which the lock must answer. */
export function lookupRegions(shape: FleetShape): RegionShape[] {
  return shape.regions.filter((r) => r.instance.ami.id === undefined);
}

/** The lock update command, for messages. */
export const UPDATE_IMAGES_COMMAND = "npm run images -- --update";

/** `npm run images -- --update us-east-1 us-west-2`: the update of just these regions, which leaves the others' images alone. */
export function updateCommandFor(regions: readonly string[]): string {
  return [UPDATE_IMAGES_COMMAND, ...regions].join(" ");
}

/** A lookup as people read it: `newest "debian-12-amd64-*" of 136693071363 for x86_64`. */
export function describeLookup(lookup: {
  readonly owners: readonly string[];
  readonly namePattern?: string;
  readonly architecture: CpuArchitecture;
}): string {
  return `newest "${lookup.namePattern ?? "*"}" of ${lookup.owners.join(", ")} for ${lookup.architecture}`;
}

/** A region whose image is a lookup the lock does not answer, so its plans look the image up when they run. */
export interface UnlockedRegion {
  readonly region: string;
  /** The region's stack, which a deploy selects by glob. */
  readonly stack: string;
  /** The lookup as the fleet file says it. */
  readonly lookup: AmiShape;
  /** The entry the lock holds for another lookup (other owners, pattern or architecture); none when it has no entry. */
  readonly lockedFor?: LockedImage;
}

/** The regions the lock does not answer, and the lock file (as shown to people) that would. */
export interface UnlockedImages {
  readonly lockFile: string;
  readonly regions: readonly UnlockedRegion[];
}

/**
 * The plan with every looked-up image the lock answers replaced by its locked id. A region the lock does not
 * answer keeps its lookup (synth needs no credentials, and no lock) and is listed in `unlocked`: the commands
 * say so once (`unlockedWarning`), the plan report marks it, and a deploy locks it or refuses
 * (`imagesBeforeDeploy`). An entry is never replaced here: only the update command writes one.
 */
export function applyImageLock(
  shape: FleetShape,
  lock: ImageLock,
  lockFile: string,
): { readonly shape: FleetShape; readonly unlocked: UnlockedImages } {
  const regions = lookupRegions(shape).flatMap((r): UnlockedRegion[] => {
    const image = lock.images[r.region];
    if (image !== undefined && answersLookup(image, r.instance.ami)) return [];
    return [
      {
        region: r.region,
        stack: r.stackName,
        lookup: r.instance.ami,
        ...(image === undefined ? {} : { lockedFor: image }),
      },
    ];
  });
  const unlocked = new Set(regions.map((r) => r.region));
  return {
    unlocked: { lockFile, regions },
    shape: {
      ...shape,
      regions: shape.regions.map((r): RegionShape => {
        const image = r.instance.ami.id === undefined ? lock.images[r.region] : undefined;
        if (image === undefined || unlocked.has(r.region)) return r;
        return {
          ...r,
          instance: {
            ...r.instance,
            ami: { ...r.instance.ami, id: image.id, locked: { name: image.name, lockFile } },
          },
        };
      }),
    },
  };
}

/** `us-east-1, us-west-2 (no entry; lookup newest …)`: the unlocked regions, grouped by why and by lookup. */
function describeUnlocked(regions: readonly UnlockedRegion[]): string {
  const groups = new Map<string, string[]>();
  for (const r of regions) {
    const why =
      r.lockedFor === undefined
        ? `no entry; lookup ${describeLookup(r.lookup)}`
        : `locked ${r.lockedFor.id} for another lookup, ${describeLookup(r.lockedFor)}; the fleet file now says ${describeLookup(r.lookup)}`;
    groups.set(why, [...(groups.get(why) ?? []), r.region]);
  }
  return [...groups].map(([why, names]) => `${names.join(", ")} (${why})`).join("; ");
}

/**
 * The one line every command prints when the lock does not answer some regions (undefined when it answers
 * all): which regions, why, what synth does instead, and the command that locks exactly those regions.
 */
export function unlockedWarning(unlocked: UnlockedImages): string | undefined {
  const { regions, lockFile } = unlocked;
  if (regions.length === 0) return undefined;
  const missing = regions.some((r) => r.lockedFor === undefined);
  return (
    `warning: ami: images not locked in ${lockFile}: ${describeUnlocked(regions)}. ` +
    `Synth keeps the lookup, so each plan takes the image that is newest when it runs; lock ` +
    `${regions.length === 1 ? "it" : "them"} with \`${updateCommandFor(regions.map((r) => r.region))}\` (AWS credentials) and commit ` +
    `${lockFile}${missing ? ", or let `npm run deploy` lock a missing entry" : ""}`
  );
}

/**
 * The region stacks whose plan looks its image up rather than taking it from the lock, for the plan report:
 * on AWS a looked-up image left in the resolved plan is one the lock did not answer (the local target
 * substitutes every image, and needs no lock).
 */
export function unlockedImageStacks(
  shape: FleetShape,
  target: Target,
): { readonly stack: string; readonly region: string; readonly lookup: string }[] {
  if (target.kind !== "aws") return [];
  return lookupRegions(shape).map((r) => ({
    stack: r.stackName,
    region: r.region,
    lookup: describeLookup(r.instance.ami),
  }));
}

/** How a deploy runs: reviewed (`--reviewed`) and CI deploys apply only what a lock file in the repository says. */
export interface DeployMode {
  readonly reviewed: boolean;
  readonly ci: boolean;
  /** The deploy's stack globs (`npm run deploy -- 'cloudrim-prod-us-*'`): only their regions matter. @default all */
  readonly globs?: readonly string[];
}

/** Whether the environment is a CI run (`CI=true`, as GitHub Actions and most CI services set it). */
export function isCi(env: NodeJS.ProcessEnv): boolean {
  const value = (env.CI ?? "").toLowerCase();
  return value !== "" && value !== "false" && value !== "0";
}

export type ImagesBeforeDeploy =
  | { readonly action: "none" }
  /** Look up these regions' images, add them to the lock file, and deploy with them (as `npm install` does). */
  | { readonly action: "lock"; readonly regions: readonly UnlockedRegion[] }
  /** Deploy nothing (as `npm ci` refuses a lock that does not match package.json). */
  | { readonly action: "refuse"; readonly message: string };

/**
 * What a deploy to AWS does about the regions the lock does not answer. A missing entry is looked up and
 * locked, unless the deploy is reviewed or in CI: those deploy only what the committed lock says, so the
 * review saw the image. An entry locked for another lookup is refused by every deploy, since only the update
 * command changes an entry once written. Regions whose stacks the deploy does not select are left alone.
 */
export function imagesBeforeDeploy(unlocked: UnlockedImages, mode: DeployMode): ImagesBeforeDeploy {
  const { lockFile } = unlocked;
  const globs = mode.globs ?? [];
  const regions = unlocked.regions.filter(
    (r) => globs.length === 0 || globs.some((glob) => globToRegExp(glob).test(r.stack)),
  );
  if (regions.length === 0) return { action: "none" };
  const other = regions.filter((r) => r.lockedFor !== undefined);
  const missing = regions.filter((r) => r.lockedFor === undefined);
  const strict = mode.reviewed || mode.ci;
  const refused = strict ? regions : other;
  if (refused.length === 0) return { action: "lock", regions: missing };
  const reason = strict
    ? `${mode.reviewed ? "a reviewed deploy" : "a deploy in CI (CI=true)"} uses only images locked in the committed ${lockFile}, which does not answer ${describeUnlocked(refused)}`
    : `${lockFile} does not answer ${describeUnlocked(refused)}, and a deploy never changes a locked entry`;
  return {
    action: "refuse",
    message:
      `ami: ${reason}. Nothing was deployed. Run \`${updateCommandFor(refused.map((r) => r.region))}\` ` +
      `with AWS credentials, commit ${lockFile}${mode.reviewed ? " and have its plan reviewed" : ""}, then deploy again`,
  };
}

/**
 * The lock with an entry added for each region the deploy locks, from what DescribeImages listed for its
 * lookup, and the lines that say what was locked; or, when a region's lookup matches no image, a message
 * naming every such region (nothing is locked then).
 */
export function lockMissingEntries(
  lock: ImageLock,
  regions: readonly UnlockedRegion[],
  listed: ReadonlyMap<string, readonly FoundImage[]>,
):
  | { readonly ok: true; readonly lock: ImageLock; readonly lines: readonly string[] }
  | { readonly ok: false; readonly message: string } {
  const images: Record<string, LockedImage> = { ...lock.images };
  const lines: string[] = [];
  const unmatched: string[] = [];
  for (const { region, lookup } of regions) {
    // Only the update command changes an entry once written.
    if (images[region] !== undefined) continue;
    const found = newestImage(listed.get(region) ?? []);
    if (found === undefined) {
      unmatched.push(`${region} (${describeLookup(lookup)})`);
      continue;
    }
    const image = lockedImage(lookup, found);
    lines.push(lockChangeLine(region, undefined, image));
    images[region] = image;
  }
  if (unmatched.length > 0) {
    return {
      ok: false,
      message: `ami: no image matches in ${unmatched.join(", ")}; nothing was locked or deployed. Fix ami and run again`,
    };
  }
  return { ok: true, lock: { version: lock.version, images }, lines };
}

/** A found image as the lock keeps it: with the lookup it answers, so a changed lookup is noticed. */
export function lockedImage(lookup: AmiShape, found: FoundImage): LockedImage {
  return {
    ...found,
    owners: [...lookup.owners],
    namePattern: lookup.namePattern ?? "*",
    architecture: lookup.architecture,
  };
}

/** An image as DescribeImages answers it (the fields the lock keeps). */
export interface FoundImage {
  readonly id: string;
  readonly name: string;
  readonly created?: string;
}

/** The newest image of a DescribeImages answer: by creation date, then by name (both sort as text). */
export function newestImage(images: readonly FoundImage[]): FoundImage | undefined {
  const byAge = (a: FoundImage, b: FoundImage) => (b.created ?? "").localeCompare(a.created ?? "");
  return [...images].sort((a, b) => (byAge(a, b) !== 0 ? byAge(a, b) : b.name.localeCompare(a.name)))[0];
}

/** `us-east-1: ami-0a… (debian-12-amd64-20261001) → ami-0b… (debian-12-amd64-20261101)`, or `… unchanged`. */
export function lockChangeLine(region: string, before: LockedImage | undefined, after: LockedImage): string {
  const describe = (image: LockedImage) => `${image.id} (${image.name})`;
  if (before === undefined) return `${region}: locked ${describe(after)}`;
  if (before.id === after.id) return `${region}: unchanged ${describe(after)}`;
  return `${region}: ${describe(before)} → ${describe(after)}`;
}
