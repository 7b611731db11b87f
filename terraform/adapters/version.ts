import { spawnSync } from "node:child_process";

/** S3-native state locking (`use_lockfile`) arrived in Terraform 1.10. */
export const MINIMUM_TERRAFORM = [1, 10] as const;

/** `Terraform v1.11.4` → [1, 11, 4]. */
export function parseTerraformVersion(output: string): [number, number, number] | undefined {
  const match = /Terraform v(\d+)\.(\d+)\.(\d+)/.exec(output);
  return match === null ? undefined : [Number(match[1]), Number(match[2]), Number(match[3])];
}

/** Undefined when Terraform is usable; otherwise what is wrong and how to fix it. */
export function terraformProblem(): string | undefined {
  const result = spawnSync("terraform", ["version"], { encoding: "utf8" });
  if (result.error !== undefined) {
    return "terraform is not on PATH: install Terraform 1.10 or newer (https://developer.hashicorp.com/terraform/install)";
  }
  const version = parseTerraformVersion(result.stdout);
  if (version === undefined) return `cannot read terraform's version from: ${result.stdout.trim()}`;
  const [major, minor] = version;
  if (major < MINIMUM_TERRAFORM[0] || (major === MINIMUM_TERRAFORM[0] && minor < MINIMUM_TERRAFORM[1])) {
    return `terraform ${version.join(".")} is too old: S3 state locking (use_lockfile) needs 1.10 or newer`;
  }
  return undefined;
}
