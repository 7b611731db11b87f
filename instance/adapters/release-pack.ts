/*
 * Packing and uploading releases: what `npm run release` does, and what the tests run.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HeadObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { RELEASE_RUNTIME_DIR, type NodeArch, type ReleaseLocation } from "../release";
import type { Target } from "../../fleet/target";
import { regionClients } from "../../fleet/adapters/aws-clients";
import { UserFacingError } from "../../cli/console";
import { nodeTarball, sha256Of } from "./node-cache";

/** Every version of `node-linux-<arch>` the npm registry has. */
export function registryVersions(arch: NodeArch): string[] {
  const result = spawnSync("npm", ["view", `node-linux-${arch}`, "versions", "--json"], { encoding: "utf8" });
  if (result.status !== 0) throw new UserFacingError(`npm view node-linux-${arch} failed: ${result.stderr.trim()}`);
  return JSON.parse(result.stdout) as string[];
}

/**
 * The release tarball of `appDir` with Node.js `version` for `arches`, written to `out`; returns its
 * sha256. Reproducible: GNU tar with sorted entries, root owners, normalised modes and mtime 0, and gzip
 * without a name or timestamp.
 */
export function packRelease(appDir: string, arches: readonly NodeArch[], version: string, out: string): string {
  if (statSync(appDir, { throwIfNoEntry: false })?.isDirectory() !== true) {
    throw new UserFacingError(`${appDir}: not a directory; give the app directory to release`);
  }
  const staging = mkdtempSync(join(tmpdir(), "cloudrim-release-"));
  try {
    cpSync(appDir, staging, { recursive: true, dereference: false });
    rmSync(join(staging, RELEASE_RUNTIME_DIR), { recursive: true, force: true });
    for (const arch of [...arches].sort()) {
      const bin = join(staging, RELEASE_RUNTIME_DIR, `node-linux-${arch}`, "bin");
      mkdirSync(bin, { recursive: true });
      const unpacked = spawnSync(
        "tar",
        ["-xzf", nodeTarball(arch, version), "-C", bin, "--strip-components=2", "package/bin/node"],
        { encoding: "utf8" },
      );
      if (unpacked.status !== 0) throw new UserFacingError(`unpacking node-linux-${arch}: ${unpacked.stderr}`);
      chmodSync(join(bin, "node"), 0o755);
    }
    writeFileSync(
      join(staging, RELEASE_RUNTIME_DIR, "release.json"),
      `${JSON.stringify({ node: version, architectures: [...arches].sort() }, null, 2)}\n`,
    );
    const tar = [
      "--format=gnu",
      "--sort=name",
      "--owner=0",
      "--group=0",
      "--numeric-owner",
      "--mtime=@0",
      "--mode=u+rwX,go+rX,go-w",
      "-C",
      staging,
      "-cf",
      "-",
      ".",
    ];
    const packed = spawnSync("sh", ["-c", 'tar "$@" | gzip -n > "$OUT"', "tar", ...tar], {
      encoding: "utf8",
      env: { ...process.env, OUT: out },
    });
    if (packed.status !== 0) throw new UserFacingError(`packing ${appDir}: ${packed.stderr}`);
    return sha256Of(out);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

function statusCode(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
}

/** Uploads the release unless that exact object is there; refuses to overwrite a different one. */
export async function uploadRelease(
  target: Target,
  release: ReleaseLocation,
  file: string,
): Promise<"uploaded" | "present"> {
  const { s3 } = regionClients(target, release.region);
  const existing = await s3.send(new HeadObjectCommand({ Bucket: release.bucket, Key: release.key })).then(
    (head) => head,
    (error: unknown) => {
      if (statusCode(error) === 404) return undefined;
      throw error;
    },
  );
  if (existing !== undefined) {
    if (existing.Metadata?.sha256 === release.sha256) return "present";
    throw new UserFacingError(
      `s3://${release.bucket}/${release.key} exists with other content (sha256 ${existing.Metadata?.sha256 ?? "unknown"}); a release is never overwritten in place: use another --key`,
    );
  }
  await s3.send(
    new PutObjectCommand({
      Bucket: release.bucket,
      Key: release.key,
      Body: readFileSync(file),
      ContentType: "application/gzip",
      Metadata: { sha256: release.sha256 },
    }),
  );
  return "uploaded";
}
