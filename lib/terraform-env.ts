import { existsSync } from "node:fs";
import { join } from "node:path";

/** Where this machine kind keeps its offline provider mirror. */
export const PROVIDER_MIRROR = "/opt/tf-plugins/registry.terraform.io";

/**
 * The Terraform CLI config to use: the offline filesystem mirror when the machine has one, the
 * public registry otherwise, so the same project works offline and online.
 */
export function terraformCliConfigFile(projectRoot: string, mirror = PROVIDER_MIRROR): string {
  return join(projectRoot, "tf", existsSync(mirror) ? "mirror.tfrc" : "registry.tfrc");
}
