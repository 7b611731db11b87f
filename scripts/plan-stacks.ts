import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { cleanError, type StackPlan, type TerraformPlanJson } from "../lib/plan-report";
import { mapWithLimit } from "../lib/stack-selection";
import { PROJECT } from "./fleet-ops";
import { run } from "./run";

/**
 * `terraform plan` of one synthesized stack: saves plan.tfplan and plan.json (the `terraform show
 * -json` form) in the stack's directory. A failure is reported for this stack, never thrown.
 */
export async function planStack(stack: string, outdir: string, env: NodeJS.ProcessEnv): Promise<StackPlan> {
  const cwd = join(outdir, "stacks", stack);
  const fail = (step: string, output: string): StackPlan => ({
    stack,
    status: "failed",
    error: cleanError(`${step} failed:\n${output}`, [outdir, PROJECT]),
  });
  const init = await run("terraform", ["init", "-input=false", "-no-color", "-reconfigure"], { cwd, env });
  if (init.code !== 0) return fail("terraform init", init.stderr);
  const plan = await run(
    "terraform",
    ["plan", "-input=false", "-no-color", "-lock-timeout=60s", "-detailed-exitcode", "-out=plan.tfplan"],
    { cwd, env },
  );
  if (plan.code === 1) return fail("terraform plan", plan.stderr);
  const show = await run("terraform", ["show", "-json", "-no-color", "plan.tfplan"], { cwd, env });
  if (show.code !== 0) return fail("terraform show", show.stderr);
  writeFileSync(join(cwd, "plan.json"), show.stdout);
  return { stack, status: "planned", plan: JSON.parse(show.stdout) as TerraformPlanJson };
}

/** Plans every stack, `concurrency` at a time; results in the order given. */
export function planStacks(
  stacks: readonly string[],
  outdir: string,
  env: NodeJS.ProcessEnv,
  concurrency: number,
  progress: (line: string) => void,
): Promise<StackPlan[]> {
  return mapWithLimit(stacks, concurrency, async (stack) => {
    progress(`${stack}: planning`);
    const result = await planStack(stack, outdir, env);
    progress(`${stack}: ${result.status}`);
    return result;
  });
}
