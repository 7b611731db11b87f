import { BUILT_IN_FLEETS } from "../regions";
import { rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { resolveFleet } from "../fleet/adapters/resolve";
import {
  DEFAULT_NODE_MAJOR,
  defaultReleaseKey,
  nodeArch,
  pickNodeVersion,
  RELEASE_KEY,
  releaseBlock,
  type ReleaseLocation,
} from "../instance/release";
import { AWS_ENVIRONMENT, defineCommand, FLEET_ENVIRONMENT, startCommand } from "../cli/command";
import { UsageError, UserFacingError } from "../cli/console";
import { packRelease, registryVersions, uploadRelease } from "../instance/adapters/release-pack";

export const command = defineCommand({
  name: "release",
  summary: "Packs an app directory with Node.js, reproducibly, uploads it, and prints its release entry.",
  description: [
    "Packs a self-contained app directory (its node_modules included) with the official Node.js binary for each architecture the fleet runs on, reproducibly (sorted entries, fixed owners, modes and mtimes, gzip without a timestamp: the same tree gives the same bytes), uploads it to the configured target (AWS, or the local AWS with CLOUDRIM_TARGET=local) unless that exact object is there already, and prints the release entry to put under app in the fleet config. The default key names the digest (releases/<service>/<sha256>.tgz), so a release is never overwritten in place.",
  ],
  options: {
    bucket: {
      type: "string",
      value: "BUCKET",
      description: "the bucket to upload to (default: the fleet's state.releaseBucket, else the release it names)",
    },
    key: { type: "string", value: "KEY", description: "the object's key (default: releases/<service>/<sha256>.tgz)" },
    region: { type: "string", value: "REGION", description: "the bucket's region (default: the state bucket's)" },
    node: {
      type: "string",
      value: "VERSION",
      default: String(DEFAULT_NODE_MAJOR),
      description: "the Node.js to pack: a major version (its newest release) or an exact one",
    },
    out: {
      type: "string",
      value: "FILE",
      description: "keep the packed archive here (default: a temporary file, removed)",
    },
  },
  positional: { name: "app directory", count: "one", description: "the app to pack, its node_modules included" },
  environment: [
    ...FLEET_ENVIRONMENT,
    ...AWS_ENVIRONMENT,
    {
      name: "CLOUDRIM_CACHE_DIR",
      description: "where downloaded Node.js archives are kept (default: ~/.cache/cloudrim-fleet)",
    },
  ],
  exitCodes: [
    { code: 0, meaning: "packed and uploaded (or already there); the release entry is on stdout" },
    { code: 1, meaning: "it could not pack or upload (the message says why)" },
  ],
  onInterrupt: "exit",
  run: async ({ values, positionals: [appDir] }) => {
    if (values.key !== undefined && !RELEASE_KEY.test(values.key)) {
      throw new UsageError(
        `--key: got "${values.key}"; use letters, digits and . _ ~ - / (the boot script signs it as written)`,
      );
    }
    const fleet = resolveFleet(process.env, process.cwd(), BUILT_IN_FLEETS, { images: "as-written" });
    if (!fleet.ok) throw new UserFacingError(fleet.message);
    const { shape, target } = fleet;
    const bucket = values.bucket ?? shape.state.releaseBucket ?? shape.regions[0]?.instance.release?.bucket;
    if (bucket === undefined) {
      throw new UsageError(
        "--bucket: no bucket given, and the fleet has no releaseBucket; name a bucket you have, or set releaseBucket to have the state stack create one",
      );
    }
    const arches = [...new Set(shape.regions.map((r) => nodeArch(r.instance.arch)))].sort();
    const picked = pickNodeVersion(
      values.node,
      Object.fromEntries(arches.map((arch) => [arch, registryVersions(arch)])),
    );
    if (!picked.ok) throw new UserFacingError(picked.error);
    const out = resolve(values.out ?? join(tmpdir(), `cloudrim-release-${process.pid}.tgz`));
    const sha256 = packRelease(resolve(appDir), arches, picked.version, out);
    const key = values.key ?? defaultReleaseKey(shape.service, sha256);
    const release: ReleaseLocation = { bucket, key, sha256, region: values.region ?? shape.state.region };
    process.stderr.write(
      `release: packed ${appDir} with Node.js ${picked.version} (${arches.map((a) => `linux-${a}`).join(", ")}): ${statSync(out).size} bytes, sha256 ${sha256}\n`,
    );
    const result = await uploadRelease(target, release, out);
    process.stderr.write(
      `release: ${result === "uploaded" ? "uploaded to" : "already in"} s3://${bucket}/${key}${target.kind === "local" ? ` (local AWS ${target.endpoint})` : ""}\n`,
    );
    if (values.out === undefined) rmSync(out, { force: true });
    process.stdout.write(`${releaseBlock(release, shape.state.region)}\n`);
    return 0;
  },
});

if (require.main === module) startCommand(command);
