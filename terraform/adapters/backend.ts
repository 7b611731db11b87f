/*
 * The backend a stack directory was initialised with and the one its synthesized stack asks for: when they
 * differ, Terraform refuses at init, and the line for the user names both and the command that moves the state.
 */
import { existsSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";

/** `s3://bucket/key (region)`: a backend as a reviewer reads it. */
function describeBackend(config: Record<string, unknown> | undefined): string {
  if (config === undefined) return "local state";
  const str = (key: string) => {
    const value = config[key];
    return typeof value === "string" ? value : "?";
  };
  return `s3://${str("bucket")}/${str("key")} (${str("region")})`;
}

/** The backend a stack directory was initialised with (Terraform remembers it in .terraform/). */
export function initialisedBackend(dir: string): Record<string, unknown> | undefined {
  const file = join(dir, ".terraform", "terraform.tfstate");
  if (!existsSync(file)) return undefined;
  const saved = JSON.parse(readFileSync(file, "utf8")) as { backend?: { config?: Record<string, unknown> } };
  return saved.backend?.config;
}

/** The backend the synthesized stack asks for. */
export function configuredBackend(dir: string): Record<string, unknown> | undefined {
  const json = JSON.parse(readFileSync(join(dir, "cdk.tf.json"), "utf8")) as {
    terraform?: { backend?: { s3?: Record<string, unknown> } };
  };
  return json.terraform?.backend?.s3;
}

/**
 * One line for a stack whose backend moved (`state.bucket`, `state.region`, `state.keyPrefix` or a
 * renamed service): the old and new backend and the command that moves the state.
 */
export function backendChangedLine(stack: string, dir: string, cwd = process.cwd()): string {
  const from = describeBackend(initialisedBackend(dir));
  const to = describeBackend(configuredBackend(dir));
  const chdir = relative(cwd, dir) === "" ? "." : relative(cwd, dir);
  return (
    `${stack}: its state backend changed from ${from} to ${to}; nothing was planned or applied. Move the state with ` +
    `\`terraform -chdir=${chdir} init -migrate-state\`, then run again (docs/state-and-locks.md, "Moving state")`
  );
}
