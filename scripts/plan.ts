/*
 * npm run plan -- [--report FILE] [--concurrency N] [stack globs...]
 *
 * Synthesizes the fleet, plans every selected stack in parallel (bounded), saves each plan and its JSON
 * form next to the stack, and writes one Markdown report for a pull request.
 * Exit code: 0 no changes, 2 changes, 1 a stack failed (the others are still planned and reported).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { cleanError, exitCodeOf, renderReport, type StackPlan, type TerraformPlanJson } from "../lib/plan-report";
import { mapWithLimit, selectStacks } from "../lib/stack-selection";
import { terraformEnv } from "../lib/terraform-env";
import { run } from "./run";

const PROJECT = resolve(__dirname, "..");

interface Options {
  readonly report?: string;
  readonly concurrency: number;
  readonly outdir: string;
  readonly globs: readonly string[];
}

function parseOptions(argv: readonly string[]): Options {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      report: { type: "string" },
      concurrency: { type: "string", default: "3" },
      outdir: { type: "string", default: process.env.CDKTF_OUTDIR ?? "cdktf.out" },
    },
  });
  const concurrency = Number(values.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new UsageError(`--concurrency: got "${values.concurrency}"; must be a whole number of at least 1`);
  }
  return { report: values.report, concurrency, outdir: resolve(values.outdir), globs: positionals };
}

class UsageError extends Error {}

async function synthesize(outdir: string, env: NodeJS.ProcessEnv): Promise<string[]> {
  const synth = await run(join(PROJECT, "node_modules", ".bin", "tsx"), [join(PROJECT, "main.ts")], {
    env: { ...env, CDKTF_OUTDIR: outdir },
  });
  if (synth.code !== 0) throw new UsageError(`synth failed:\n${synth.stderr.trim()}`);
  const manifest = JSON.parse(readFileSync(join(outdir, "manifest.json"), "utf8")) as {
    stacks: Record<string, unknown>;
  };
  return Object.keys(manifest.stacks);
}

async function planStack(stack: string, outdir: string, env: NodeJS.ProcessEnv): Promise<StackPlan> {
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

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  const env = terraformEnv(PROJECT);
  process.stderr.write("plan: synthesizing\n");
  const all = await synthesize(options.outdir, env);
  const selection = selectStacks(all, options.globs);
  if (!selection.ok) throw new UsageError(selection.error);
  process.stderr.write(`plan: planning ${selection.stacks.join(", ")} (${options.concurrency} at a time)\n`);
  const plans = await mapWithLimit(selection.stacks, options.concurrency, async (stack) => {
    const result = await planStack(stack, options.outdir, env);
    process.stderr.write(`plan: ${stack}: ${result.status}\n`);
    return result;
  });
  const report = renderReport(plans);
  if (options.report !== undefined) writeFileSync(options.report, report);
  process.stdout.write(report);
  return exitCodeOf(plans);
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`plan: ${error instanceof UsageError ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
