import { execFileSync } from "node:child_process";

export interface TerraformDiagnostic {
  severity: string;
  summary: string;
  detail?: string;
}

/**
 * Real `terraform validate` of a synthesized stack directory. `init -backend=false` because
 * validation needs the provider schema, not the remote state (and so no credentials).
 */
export function terraformValidate(stackDir: string): { valid: boolean; diagnostics: TerraformDiagnostic[] } {
  // Jest gives tests a copy of process.env; child processes only see it when it is passed explicitly.
  const env = { ...process.env };
  execFileSync("terraform", ["init", "-backend=false", "-input=false", "-no-color"], {
    cwd: stackDir,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
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
