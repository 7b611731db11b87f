import type { CpuArchitecture } from "./aws-facts";
import type { AmiPlan, FleetPlan, RegionPlan } from "./plan";
import type { Problem } from "./validate";

/*
 * Pure: images change only when you say so. A fleet whose `ami` is a lookup ("the newest Debian 12")
 * would otherwise pick whatever is newest at plan time, so an unrelated deploy could roll every region to
 * a new image. The lookup is resolved once per region by `npm run images -- --update` and written to a
 * lock file next to the fleet file (`prod.json` → `prod.lock.json`), committed like package-lock.json;
 * every plan on AWS uses the locked id, and a region without an entry is an error that names the command.
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
export function answersLookup(image: LockedImage, ami: AmiPlan): boolean {
  return (
    ami.id === undefined &&
    image.namePattern === ami.namePattern &&
    image.architecture === ami.architecture &&
    JSON.stringify([...image.owners].sort()) === JSON.stringify([...ami.owners].sort())
  );
}

/** The regions whose image is a lookup (not a pinned id), which the lock must answer. */
export function lookupRegions(plan: FleetPlan): RegionPlan[] {
  return plan.regions.filter((r) => r.instance.ami.id === undefined);
}

/** The lock update command, for messages. */
export const UPDATE_IMAGES_COMMAND = "npm run images -- --update";

/**
 * The plan with every looked-up image replaced by its locked id; or one problem naming every region the
 * lock does not answer (missing, or locked for another lookup) and the command that fixes it.
 */
export function applyImageLock(
  plan: FleetPlan,
  lock: ImageLock,
  lockFile: string,
): { readonly ok: true; readonly plan: FleetPlan } | { readonly ok: false; readonly problem: Problem } {
  const unanswered = lookupRegions(plan).filter((r) => {
    const image = lock.images[r.region];
    return image === undefined || !answersLookup(image, r.instance.ami);
  });
  if (unanswered.length > 0) {
    const names = unanswered.map((r) => r.region);
    return {
      ok: false,
      problem: {
        path: "ami",
        value: names,
        message:
          `has no locked image for ${names.join(", ")} in ${lockFile} (or one locked for another lookup): images change only ` +
          `when you say so; run \`${UPDATE_IMAGES_COMMAND}\` with AWS credentials to look up the newest image per region and write ` +
          `it, then commit the file`,
      },
    };
  }
  return {
    ok: true,
    plan: {
      ...plan,
      regions: plan.regions.map((r): RegionPlan => {
        const image = r.instance.ami.id === undefined ? lock.images[r.region] : undefined;
        if (image === undefined) return r;
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
