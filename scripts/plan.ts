/*
 * npm run plan -- [--report FILE] [--concurrency N] [--lock-timeout SECONDS] [--outdir DIR] [stack globs...]
 *
 * Synthesizes the fleet, plans every selected stack in parallel (bounded), saves each plan and its JSON
 * form next to the stack, and writes one Markdown report for a pull request.
 * Exit code: 0 no changes, 2 changes, 1 a stack failed (the others are still planned and reported).
 */
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { resolveFleet, substitutionLines } from "../lib/fleet-input";
import { exitCodeOf, renderReport } from "../lib/plan-report";
import { selectStacks } from "../lib/stack-selection";
import { terraformEnv } from "../lib/terraform-env";
import { UserFacingError, runMain } from "./console";
import { fleetContext, PROJECT, synthesize } from "./fleet-ops";
import { parseSeconds } from "./deploy";
import { planStacks } from "./plan-stacks";
import { terraformProblem } from "./terraform-check";

function parseOptions(argv: readonly string[]) {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      report: { type: "string" },
      concurrency: { type: "string", default: "3" },
      "lock-timeout": { type: "string", default: "60" },
      outdir: { type: "string", default: process.env.CDKTF_OUTDIR ?? "cdktf.out" },
    },
  });
  const concurrency = Number(values.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new UserFacingError(`--concurrency: got "${values.concurrency}"; must be a whole number of at least 1`);
  }
  return {
    report: values.report,
    concurrency,
    lockTimeoutSeconds: parseSeconds("--lock-timeout", values["lock-timeout"]),
    outdir: resolve(values.outdir),
    globs: positionals,
  };
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  const problem = terraformProblem();
  if (problem !== undefined) throw new UserFacingError(problem);
  const env = terraformEnv(PROJECT);
  const fleet = resolveFleet(env, process.cwd());
  if (!fleet.ok) throw new UserFacingError(fleet.message);
  const progress = (line: string) => process.stderr.write(`plan: ${line}\n`);
  for (const line of substitutionLines(fleet)) progress(line);
  const ctx = fleetContext({
    env,
    outdir: options.outdir,
    progress,
    plan: fleet.plan,
    target: fleet.target,
    workDir: process.cwd(),
    lockTimeoutSeconds: options.lockTimeoutSeconds,
  });
  progress("synthesizing");
  const stacks = await synthesize(ctx);
  const selection = selectStacks(
    stacks.map((s) => s.name),
    options.globs,
  );
  if (!selection.ok) throw new UserFacingError(selection.error);
  const plans = await planStacks(ctx, selection.stacks, options.concurrency);
  const report = renderReport(plans);
  if (options.report !== undefined) writeFileSync(options.report, report);
  process.stdout.write(report);
  return exitCodeOf(plans);
}

if (require.main === module) runMain(main, "plan");
