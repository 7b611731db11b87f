/*
 * npm run release -- <app directory> [--bucket B] [--key K] [--region R] [--node 24] [--out FILE]
 *
 * Packs a self-contained app directory (its node_modules included) with the official Node.js binary for
 * each architecture the fleet runs on, reproducibly (sorted entries, fixed owners, modes and mtimes, gzip
 * without a timestamp: the same tree gives the same bytes), uploads it to the configured target (AWS, or
 * the local AWS with CLOUDRIM_TARGET=local) unless that exact object is there already, and prints the
 * `release` entry to put under `app` in the fleet config. The default key names the digest
 * (`releases/<service>/<sha256>.tgz`), so a release is never overwritten in place.
 */
import { rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { resolveFleet } from "../lib/fleet-input";
import {
  DEFAULT_NODE_MAJOR,
  defaultReleaseKey,
  nodeArch,
  pickNodeVersion,
  RELEASE_KEY,
  releaseBlock,
  type ReleaseLocation,
} from "../lib/release";
import { runMain, UserFacingError } from "../ops/console";
import { packRelease, registryVersions, uploadRelease } from "../ops/release";

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      bucket: { type: "string" },
      key: { type: "string" },
      region: { type: "string" },
      node: { type: "string", default: String(DEFAULT_NODE_MAJOR) },
      out: { type: "string" },
    },
  });
  const [appDir, ...extra] = positionals;
  if (appDir === undefined || extra.length > 0) {
    throw new UserFacingError("usage: npm run release -- <app directory> [--bucket B] [--key K] [--node 24]");
  }
  const fleet = resolveFleet(process.env, process.cwd(), { images: "as-written" });
  if (!fleet.ok) throw new UserFacingError(fleet.message);
  const { plan, target } = fleet;
  const bucket = values.bucket ?? plan.state.releaseBucket ?? plan.regions[0]?.instance.release?.bucket;
  if (bucket === undefined) {
    throw new UserFacingError(
      "--bucket: no bucket given, and the fleet has no releaseBucket; name a bucket you have, or set releaseBucket to have the state stack create one",
    );
  }
  const arches = [...new Set(plan.regions.map((r) => nodeArch(r.instance.arch)))].sort();
  const picked = pickNodeVersion(values.node, Object.fromEntries(arches.map((arch) => [arch, registryVersions(arch)])));
  if (!picked.ok) throw new UserFacingError(picked.error);
  const out = resolve(values.out ?? join(tmpdir(), `cloudrim-release-${process.pid}.tgz`));
  const sha256 = packRelease(resolve(appDir), arches, picked.version, out);
  const key = values.key ?? defaultReleaseKey(plan.service, sha256);
  if (!RELEASE_KEY.test(key)) {
    throw new UserFacingError(
      `--key: got "${key}"; use letters, digits and . _ ~ - / (the boot script signs it as written)`,
    );
  }
  const release: ReleaseLocation = { bucket, key, sha256, region: values.region ?? plan.state.region };
  process.stderr.write(
    `release: packed ${appDir} with Node.js ${picked.version} (${arches.map((a) => `linux-${a}`).join(", ")}): ${statSync(out).size} bytes, sha256 ${sha256}\n`,
  );
  const result = await uploadRelease(target, release, out);
  process.stderr.write(
    `release: ${result === "uploaded" ? "uploaded to" : "already in"} s3://${bucket}/${key}${target.kind === "local" ? ` (local AWS ${target.endpoint})` : ""}\n`,
  );
  if (values.out === undefined) rmSync(out, { force: true });
  process.stdout.write(`${releaseBlock(release, plan.state.region)}\n`);
  return 0;
}

if (require.main === module) runMain(main, "release");
