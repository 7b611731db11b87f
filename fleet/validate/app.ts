/*
 * The checks of what the instances run: user data within EC2's limit, release buckets the boot can fetch
 * from, and each app variable from one place.
 */
import { USER_DATA_MAX_BYTES } from "../aws-facts";
import type { ParsedFleetConfig } from "../schema";
import type { FleetShape } from "../shape";
import { compressUserData } from "../../instance/user-data";
import type { Problem } from "./problems";

/**
 * The largest region's user data must fit EC2's limit. One run script serves every port and the regions'
 * documents differ only in names, so what can push it over is what is of arbitrary length: the command,
 * the app's variables and its secrets' ARNs. One problem, not one per region.
 */
export function checkUserDataSize(config: ParsedFleetConfig, shape: FleetShape): Problem[] {
  const sizes = shape.regions.map((r) => ({ region: r.region, bytes: compressUserData(r.instance.userData).length }));
  const largest = sizes.reduce((a, b) => (b.bytes > a.bytes ? b : a), { region: "", bytes: 0 });
  if (largest.bytes <= USER_DATA_MAX_BYTES) return [];
  const variables = Object.keys(config.app.environment ?? {}).length + Object.keys(config.app.secrets ?? {}).length;
  return [
    variables === 0
      ? {
          path: "app.command",
          value: config.app.command,
          message: `makes the user data ${largest.bytes} bytes gzipped (${largest.region}), over EC2's ${USER_DATA_MAX_BYTES}; shorten app.command (put a long command line in a script in the release)`,
        }
      : {
          path: "app",
          value: `${variables} variables`,
          message: `makes the user data ${largest.bytes} bytes gzipped (${largest.region}), over EC2's ${USER_DATA_MAX_BYTES}; shorten app.command or app.environment (a large value belongs in an SSM parameter, read through app.secrets)`,
        },
  ];
}

/**
 * Instances fetch the release over HTTPS from `https://{bucket}.s3.{region}.amazonaws.com`, and S3's
 * certificate (`*.s3.{region}.amazonaws.com`) covers one label only: a bucket name with dots fails every boot.
 */
export function checkReleaseBuckets(config: ParsedFleetConfig): Problem[] {
  const message =
    "has dots: instances fetch the release from https://<bucket>.s3.<region>.amazonaws.com, and S3's certificate covers no name with a dot in the bucket, so every boot in every region would fail; use a bucket name without dots";
  return [
    ...(config.app.release?.bucket.includes(".") === true
      ? [{ path: "app.release.bucket", value: config.app.release.bucket, message }]
      : []),
    ...(config.releaseBucket?.includes(".") === true
      ? [{ path: "releaseBucket", value: config.releaseBucket, message }]
      : []),
  ];
}

/** A variable comes from one place: `app.environment` or `app.secrets`, never both. */
export function checkAppVariables(config: ParsedFleetConfig): Problem[] {
  const environment = config.app.environment ?? {};
  return Object.keys(config.app.secrets ?? {})
    .filter((name) => Object.hasOwn(environment, name))
    .map((name) => ({
      path: `app.secrets.${name}`,
      value: config.app.secrets?.[name],
      message: `is also set in app.environment; a variable comes from one place: keep it in one of the two`,
    }));
}
