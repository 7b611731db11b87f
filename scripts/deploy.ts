/*
 * npm run deploy -- [--reviewed DIR... [--report FILE]] [--parallelism N] [--outdir DIR] [--stall-after SECONDS]
 *                   [stack globs...]
 *
 * Deploys the selected stacks (all by default) to the configured target (real AWS, or the local AWS
 * with CLOUDRIM_TARGET=local), wave by wave: the state bucket, the hosted zone, then the regions in the
 * rollout's waves, each region's refresh watched, its new instances judged and its alarms baked before
 * the next wave starts (ops/rollout.ts); at most N regions of a wave at once. This is the one-command bootstrap: on a fresh account the state stack creates its bucket
 * and moves its own state into it before any other stack initialises its backend there. A region
 * selected without the state stack is checked for its bucket first, so the user reads which stack to
 * deploy instead of Terraform's backend error.
 *
 * With `--reviewed DIR` (the plan set a pull request's review saw, from `npm run plan -- --save DIR`) it
 * applies only what was reviewed: it plans every selected stack afresh, compares each stack's resource
 * changes with the reviewed ones, and applies the fresh saved plans only if every change is a reviewed one.
 * `--reviewed` may be given once per merged pull request the deploy includes (a merge whose own deploy was
 * superseded): a change is reviewed if any of them reviewed it.
 * Otherwise it applies nothing, writes which stacks differ and how (to stdout and `--report FILE`), and
 * exits 3.
 *
 * Exit code: 0 deployed; 1 a stack failed; 3 a stale review; 4 the rollout stopped at a region (rolled
 * back, later waves untouched).
 */
import { handleInterrupts } from "../ops/interrupt";
import { appendFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { noticeLines, resolveFleet } from "../lib/fleet-input";
import { terraformEnv } from "../lib/terraform-env";
import { progressPrinter, runMain, UserFacingError } from "../ops/console";
import {
  deployExit,
  deployFleet,
  deployReviewed,
  outcomesMarkdown,
  parseCount,
  parseSeconds,
  STALE_REVIEW,
} from "../ops/deploy";
import { fleetContext, outcomeReport, PROJECT, type StackOutcome } from "../ops/fleet-ops";
import { lockImagesBeforeDeploy } from "../ops/images";
import { terraformProblem } from "../ops/terraform-check";

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      outdir: { type: "string", default: process.env.CDKTF_OUTDIR ?? "cdktf.out" },
      "stall-after": { type: "string", default: "300" },
      reviewed: { type: "string", multiple: true },
      report: { type: "string" },
      parallelism: { type: "string" },
    },
  });
  if (values.report !== undefined && values.reviewed === undefined) {
    throw new UserFacingError("--report: only a reviewed deploy (--reviewed DIR) writes a report");
  }
  // Every option is checked before the deploy writes anything (the image lock, below).
  const stallSeconds = parseSeconds("--stall-after", values["stall-after"]);
  const parallelism =
    values.parallelism === undefined ? {} : { parallelism: parseCount("--parallelism", values.parallelism) };
  const problem = terraformProblem();
  if (problem !== undefined) throw new UserFacingError(problem);
  const env = terraformEnv(PROJECT);
  const resolved = resolveFleet(env, process.cwd());
  if (!resolved.ok) throw new UserFacingError(resolved.message);
  const progress = progressPrinter("deploy");
  handleInterrupts(progress);
  const reviewed = values.reviewed !== undefined;
  const fleet = await lockImagesBeforeDeploy(resolved, {
    env,
    cwd: process.cwd(),
    reviewed,
    globs: positionals,
    progress,
  });
  for (const line of noticeLines(fleet)) progress(line);
  const ctx = fleetContext({
    env,
    outdir: resolve(values.outdir),
    progress,
    plan: fleet.plan,
    target: fleet.target,
    workDir: process.cwd(),
    stallSeconds,
    ...parallelism,
  });
  let outcomes: StackOutcome[];
  if (values.reviewed === undefined) {
    outcomes = await deployFleet(ctx, positionals);
  } else {
    const reviewed = await deployReviewed(
      ctx,
      values.reviewed.map((dir) => resolve(dir)),
      positionals,
    );
    if (values.report !== undefined) writeFileSync(values.report, reviewed.report);
    if (reviewed.verdict === "stale") {
      process.stdout.write(reviewed.report);
      process.stderr.write("deploy: the fresh plans are not the reviewed ones; nothing was applied\n");
      return STALE_REVIEW;
    }
    if (reviewed.verdict === "unplanned") {
      process.stdout.write(reviewed.report);
      throw new UserFacingError("a stack failed to plan; nothing was applied (the report says which and why)");
    }
    outcomes = reviewed.outcomes;
  }
  for (const o of outcomes) process.stdout.write(`${outcomeReport(o)}\n`);
  const exit = deployExit(outcomes, ctx.logDir);
  if (exit.message !== undefined) process.stderr.write(`deploy: ${exit.message}\n`);
  // A reviewed deploy that did not finish says so in its report too (CI posts it on the pull request).
  if (values.report !== undefined && exit.code !== 0) {
    appendFileSync(values.report, `\n${outcomesMarkdown(outcomes, exit.message ?? "")}`);
  }
  return exit.code;
}

if (require.main === module) runMain(main, "deploy");
