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

/**
 * The environment Terraform runs with from this project's scripts: a CLI config that exists (the
 * caller's, when it points at a real file; ours otherwise), no update checks, automation output.
 */
export function terraformEnv(projectRoot: string, env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const configured = env.TF_CLI_CONFIG_FILE;
  return {
    ...env,
    TF_CLI_CONFIG_FILE:
      configured !== undefined && configured !== "" && existsSync(configured)
        ? configured
        : terraformCliConfigFile(projectRoot),
    CHECKPOINT_DISABLE: "1",
    TF_IN_AUTOMATION: "1",
  };
}
