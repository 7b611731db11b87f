import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

export interface TerraformDiagnostic {
  severity: string;
  summary: string;
  detail?: string;
}

/**
 * The providers an earlier `init` in this process installed, by the stacks' required providers: its data
 * directory and lock file. Every stack of the app requires the same provider, so one init serves them all (each
 * init costs ~0.5 s of CPU, hashing the provider for the lock file); a stack requiring other providers, or
 * modules, gets an init of its own.
 */
const installed = new Map<string, { readonly dataDir: string; readonly lockFile: string }>();

/**
 * Real `terraform validate` of a synthesized stack directory. `init -backend=false` because
 * validation needs the provider schema, not the remote state (and so no credentials).
 */
export function terraformValidate(stackDir: string): { valid: boolean; diagnostics: TerraformDiagnostic[] } {
  // Jest gives tests a copy of process.env; child processes only see it when it is passed explicitly.
  const env = { ...process.env };
  const stack = JSON.parse(readFileSync(join(stackDir, "cdk.tf.json"), "utf8")) as {
    terraform?: { required_providers?: unknown };
    module?: unknown;
  };
  const providers = stack.module === undefined ? JSON.stringify(stack.terraform?.required_providers) : undefined;
  const earlier = providers === undefined ? undefined : installed.get(providers);
  if (earlier !== undefined && existsSync(earlier.dataDir) && existsSync(earlier.lockFile)) {
    copyFileSync(earlier.lockFile, join(stackDir, ".terraform.lock.hcl"));
    env.TF_DATA_DIR = earlier.dataDir;
  } else {
    execFileSync("terraform", ["init", "-backend=false", "-input=false", "-no-color"], {
      cwd: stackDir,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    if (providers !== undefined) {
      installed.set(providers, {
        dataDir: join(stackDir, ".terraform"),
        lockFile: join(stackDir, ".terraform.lock.hcl"),
      });
    }
  }
  let output: string;
  try {
    output = execFileSync("terraform", ["validate", "-json", "-no-color"], { cwd: stackDir, env, encoding: "utf8" });
  } catch (error) {
    // validate exits 1 on invalid configurations but still prints its JSON verdict.
    output = (error as { stdout: string }).stdout;
  }
  const verdict = JSON.parse(output) as { valid: boolean; diagnostics: TerraformDiagnostic[] };
  return { valid: verdict.valid, diagnostics: verdict.diagnostics };
}
