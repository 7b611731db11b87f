/*
 * npm run plan -- [--report FILE] [--comment FILE [--whole-report-at WHERE]] [--save DIR [--commit SHA]] [--expect DIR]
 *                 [--parallelism N] [--lock-timeout SECONDS | --no-lock] [--outdir DIR] [stack globs...]
 *
 * Synthesizes the fleet, plans every selected stack in parallel (bounded), saves each plan and its JSON
 * form next to the stack, and writes one Markdown report for a pull request. `--save DIR` keeps the plans
 * as a plan set (what a pull request's review saw); `--expect DIR` compares every stack's resource changes
 * with such a set and says which stacks differ and how. `--comment FILE` writes the report as it fits in a
 * pull request comment (GitHub's limit), saying where the whole report is. `--no-lock` plans without the
 * state lock: for a plan that is never applied, so it never makes a deploy wait.
 * Exit code: 0 no changes, 2 changes, 1 a stack failed (the others are still planned and reported), 3 the
 * plans differ from the expected set.
 */
import { handleInterrupts, interruption } from "../ops/interrupt";
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { noticeLines, resolveFleet } from "../lib/fleet-input";
import { compareSets, matchesReview, renderComparison } from "../lib/plan-compare";
import { commentFor, exitCodeOf, renderReport } from "../lib/plan-report";
import { retiredLine } from "../lib/retired";
import { findRetiredRegions } from "../ops/retired";
import { terraformEnv } from "../lib/terraform-env";
import { UserFacingError, runMain } from "../ops/console";
import { fleetContext, PROJECT, reportContextOf, synthesizeSelected } from "../ops/fleet-ops";
import { parseCount, parseSeconds } from "../ops/deploy";
import { parallelismOf } from "../ops/rollout";
import { planStacks } from "../ops/plan-stacks";
import { loadPlanSet, planMap, savePlanSet, selectedPlans } from "../ops/plan-sets";
import { terraformProblem } from "../ops/terraform-check";

function parseOptions(argv: readonly string[]) {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      report: { type: "string" },
      comment: { type: "string" },
      "whole-report-at": { type: "string" },
      "no-lock": { type: "boolean", default: false },
      commit: { type: "string" },
      save: { type: "string" },
      expect: { type: "string" },
      parallelism: { type: "string" },
      "lock-timeout": { type: "string", default: "60" },
      outdir: { type: "string", default: process.env.CDKTF_OUTDIR ?? "cdktf.out" },
    },
  });
  if (values["whole-report-at"] !== undefined && values.comment === undefined) {
    throw new UserFacingError("--whole-report-at: says where the whole report is, for a comment (--comment FILE)");
  }
  if (values["no-lock"] && argv.some((a) => a.startsWith("--lock-timeout"))) {
    throw new UserFacingError("--no-lock: a plan without the lock waits for none; leave out --lock-timeout");
  }
  return {
    report: values.report,
    comment: values.comment,
    wholeReportAt: values["whole-report-at"] ?? "in this run's artifacts",
    lockPlans: !values["no-lock"],
    // On a pull request GITHUB_SHA is GitHub's merge commit, not the head the review (and its artifact) names.
    commit: values.commit ?? process.env.GITHUB_SHA,
    save: values.save === undefined ? undefined : resolve(values.save),
    expect: values.expect === undefined ? undefined : resolve(values.expect),
    ...(values.parallelism === undefined ? {} : { parallelism: parseCount("--parallelism", values.parallelism) }),
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
  handleInterrupts(progress);
  for (const line of noticeLines(fleet)) progress(line);
  const ctx = fleetContext({
    env,
    outdir: options.outdir,
    progress,
    plan: fleet.plan,
    target: fleet.target,
    workDir: process.cwd(),
    lockTimeoutSeconds: options.lockTimeoutSeconds,
    lockPlans: options.lockPlans,
    ...(options.parallelism === undefined ? {} : { parallelism: options.parallelism }),
  });
  const stacks = await synthesizeSelected(ctx, options.globs);
  const retired = await findRetiredRegions(ctx.target, ctx.plan);
  for (const region of retired) progress(`warning: ${retiredLine(region)}`);
  const expected = options.expect === undefined ? undefined : loadPlanSet(options.expect);
  const plans = await planStacks(
    ctx,
    stacks.map((s) => s.name),
    parallelismOf(ctx),
  );
  const comparisons =
    expected === undefined ? undefined : compareSets([selectedPlans(expected, options.globs)], planMap(plans));
  const context = reportContextOf(ctx, stacks, retired);
  const report = [
    ...(comparisons === undefined || expected === undefined ? [] : [renderComparison(comparisons, expected.origin)]),
    renderReport(plans, context),
  ].join("\n");
  if (options.save !== undefined) savePlanSet(options.save, ctx, plans, report, options.commit);
  if (options.report !== undefined) writeFileSync(options.report, report);
  if (options.comment !== undefined) {
    const comparison =
      comparisons === undefined || expected === undefined ? "" : `${renderComparison(comparisons, expected.origin)}\n`;
    writeFileSync(options.comment, comparison + commentFor(plans, context, { wholeReportAt: options.wholeReportAt }));
  }
  process.stdout.write(report);
  const code = exitCodeOf(plans);
  const signal = interruption();
  if (signal !== undefined) {
    progress(`interrupted by ${signal}: the report covers what was planned before it; plan again for the rest`);
    return 130;
  }
  return code !== 1 && comparisons !== undefined && !matchesReview(comparisons) ? 3 : code;
}

if (require.main === module) runMain(main, "plan");
