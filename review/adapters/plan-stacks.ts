import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cleanError, type StackPlan } from "../stack-plans";
import type { TerraformPlanJson } from "../../terraform/plan-json";
import { mapWithLimit } from "../../terraform/stack-selection";
import { firstError } from "../../terraform/errors";
import { backendChangedLine } from "../../terraform/adapters/backend";
import { init, legacyReplacements, outcomeLine, terraform } from "../../terraform/adapters/runner";
import { planLockFlag, PROJECT, stackDir, type FleetContext } from "../../terraform/adapters/context";
import { planAdoptingAfresh } from "../../adoption/adapters/lifecycle";
import { regionOf } from "../../rollout/adapters/region";
import { run } from "../../cli/run";
import { stateElsewhere, stateElsewhereLine } from "../../state/adapters/location";
import { BACKEND_OVERRIDE, stateBucketStatus } from "../../state/adapters/bootstrap";

/**
 * `terraform plan` of one synthesized stack: saves plan.tfplan and plan.json (the `terraform show
 * -json` form) in the stack's directory. A failure is reported for this stack, never thrown. On AWS a
 * changed backend stops the stack with the migration command instead of planning against an empty key.
 * A state stack whose bucket does not exist yet is planned as its bootstrap (with local state).
 */
export async function planStack(ctx: FleetContext, stack: string): Promise<StackPlan> {
  const cwd = stackDir(ctx, stack);
  const log = join(ctx.logDir, `${stack}.plan.log`);
  const fail = (step: string, output: string): StackPlan => {
    // The plan's own listing may precede the error (stdout and stderr arrive together): keep the errors.
    const errorAt = output.search(/^\s*Error: /m);
    const errors = errorAt === -1 ? output : output.slice(errorAt);
    const error = firstError(output);
    const hint = error === undefined ? undefined : outcomeLine(output, false, stack, cwd, ctx.shape).hint;
    return {
      stack,
      status: "failed",
      error: cleanError(`${step} failed:\n${errors}`, [ctx.outdir, PROJECT]),
      ...(hint === undefined ? {} : { hint }),
    };
  };
  const bootstrap =
    stack === ctx.shape.state.stackName && (await stateBucketStatus(ctx.target, ctx.shape.state)).kind === "missing";
  if (bootstrap) {
    writeFileSync(
      join(cwd, BACKEND_OVERRIDE),
      JSON.stringify({ terraform: { backend: { local: { path: join(cwd, "plan-bootstrap.tfstate") } } } }),
    );
  }
  try {
    const initialised = await init(ctx, stack, log, bootstrap ? ["-reconfigure"] : []);
    if (initialised.code !== 0) {
      if (firstError(initialised.output)?.summary === "Backend configuration changed") {
        return { stack, status: "failed", error: backendChangedLine(stack, cwd) };
      }
      return fail("terraform init", initialised.output);
    }
    // A fresh working copy has no old backend to compare: its new, empty key must not hide the stack's state.
    const elsewhere = bootstrap ? [] : await stateElsewhere(ctx.target, ctx.shape, stack);
    if (elsewhere.length > 0)
      return { stack, status: "failed", error: stateElsewhereLine(ctx.shape, stack, elsewhere) };
    const replace = bootstrap ? [] : await legacyReplacements(ctx, stack);
    const planOnce = async (): Promise<{ ok: false; failed: StackPlan } | { ok: true; plan: TerraformPlanJson }> => {
      const plan = await terraform(ctx, stack, log, [
        "plan",
        "-input=false",
        "-no-color",
        planLockFlag(ctx),
        "-detailed-exitcode",
        "-out=plan.tfplan",
        ...replace,
      ]);
      if (plan.code === 1) return { ok: false, failed: fail("terraform plan", plan.output) };
      const show = await run("terraform", ["show", "-json", "-no-color", "plan.tfplan"], { cwd, env: ctx.env });
      if (show.code !== 0) return { ok: false, failed: fail("terraform show", show.stderr) };
      writeFileSync(join(cwd, "plan.json"), show.stdout);
      return { ok: true, plan: JSON.parse(show.stdout) as TerraformPlanJson };
    };
    // A region's plan adopts what an interrupted apply left behind (its imports are in the saved plan).
    const region = regionOf(ctx, stack);
    const planned =
      region === undefined
        ? await planOnce()
        : await planAdoptingAfresh(
            ctx.target,
            region,
            cwd,
            (line) => {
              ctx.progress(`${stack}: ${line}`);
            },
            planOnce,
            (result) => (result.ok ? result.plan : undefined),
          );
    return planned.ok ? { stack, status: "planned", plan: planned.plan } : planned.failed;
  } finally {
    if (bootstrap) rmSync(join(cwd, BACKEND_OVERRIDE), { force: true });
  }
}

/** Plans every stack, `concurrency` at a time; results in the order given. */
export function planStacks(ctx: FleetContext, stacks: readonly string[], concurrency: number): Promise<StackPlan[]> {
  return mapWithLimit(stacks, concurrency, async (stack) => {
    ctx.progress(`${stack}: planning`);
    const result = await planStack(ctx, stack);
    ctx.progress(`${stack}: ${result.status}`);
    return result;
  });
}
