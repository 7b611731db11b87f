import { BUILT_IN_FLEETS } from "../regions";
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { noticeLines, resolveFleet } from "../fleet/adapters/resolve";
import { compareSets, matchesReview, renderComparison } from "../review/compare";
import { commentFor, renderReport } from "../review/report";
import { exitCodeOf } from "../review/stack-plans";
import { retiredLine } from "../state/retired";
import { findRetiredRegions } from "../state/adapters/retire";
import { terraformEnv } from "../terraform/adapters/env";
import {
  AWS_ENVIRONMENT,
  defineCommand,
  FLEET_ENVIRONMENT,
  OUTDIR_OPTION,
  PARALLELISM_OPTION,
  startCommand,
  TERRAFORM_ENVIRONMENT,
  type CommandArgs,
} from "../cli/command";
import { UsageError, UserFacingError } from "../cli/console";
import { interruption } from "../cli/interrupt";
import { fleetContext, PROJECT } from "../terraform/adapters/context";
import { reportContextOf, synthesizeSelected } from "../terraform/adapters/synth";
import { parseCount, parseSeconds } from "../rollout/adapters/deploy";
import { parallelismOf } from "../rollout/adapters/region";
import { planStacks } from "../review/adapters/plan-stacks";
import { loadPlanSet, planMap, savePlanSet, selectedPlans } from "../review/adapters/plan-sets";
import { terraformProblem } from "../terraform/adapters/version";

const options = {
  report: { type: "string", value: "FILE", description: "write the whole report (Markdown) to FILE" },
  comment: {
    type: "string",
    value: "FILE",
    description: "write the report as it fits in a pull request comment (GitHub's limit) to FILE",
  },
  "whole-report-at": {
    type: "string",
    value: "WHERE",
    description: "with --comment: where the whole report is, said in a comment cut to fit",
  },
  "no-lock": {
    type: "boolean",
    default: false,
    description: "plan without the state lock: for a plan that is never applied, so it never makes a deploy wait",
  },
  commit: {
    type: "string",
    value: "SHA",
    description: "with --save: the commit the plans are of (default: GITHUB_SHA)",
  },
  save: { type: "string", value: "DIR", description: "keep the plans as a plan set (what a review saw) in DIR" },
  expect: {
    type: "string",
    value: "DIR",
    description: "compare every stack's resource changes with the plan set in DIR, and say which differ and how",
  },
  parallelism: PARALLELISM_OPTION,
  "lock-timeout": {
    type: "string",
    value: "SECONDS",
    description: "how long to wait for another run's state lock (default: 60)",
  },
  outdir: OUTDIR_OPTION,
} as const;

const positional = {
  name: "stack glob",
  count: "any",
  description: "the stacks to plan, by name or glob (e.g. 'api-prod-*'); all by default",
} as const;

function checkOptions({ values, positionals }: CommandArgs<typeof options, typeof positional>) {
  if (values["whole-report-at"] !== undefined && values.comment === undefined) {
    throw new UsageError("--whole-report-at: says where the whole report is, for a comment (--comment FILE)");
  }
  if (values["no-lock"] && values["lock-timeout"] !== undefined) {
    throw new UsageError("--no-lock: a plan without the lock waits for none; leave out --lock-timeout");
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
    lockTimeoutSeconds: parseSeconds("--lock-timeout", values["lock-timeout"] ?? "60"),
    outdir: resolve(values.outdir),
    globs: positionals,
  };
}

async function plan(args: CommandArgs<typeof options, typeof positional>, progress: (line: string) => void) {
  const options = checkOptions(args);
  const problem = terraformProblem();
  if (problem !== undefined) throw new UserFacingError(problem);
  const env = terraformEnv(PROJECT);
  const fleet = resolveFleet(env, process.cwd(), BUILT_IN_FLEETS);
  if (!fleet.ok) throw new UserFacingError(fleet.message);
  for (const line of noticeLines(fleet)) progress(line);
  const ctx = fleetContext({
    env,
    outdir: options.outdir,
    progress,
    shape: fleet.shape,
    target: fleet.target,
    workDir: process.cwd(),
    lockTimeoutSeconds: options.lockTimeoutSeconds,
    lockPlans: options.lockPlans,
    ...(options.parallelism === undefined ? {} : { parallelism: options.parallelism }),
  });
  const stacks = await synthesizeSelected(ctx, options.globs);
  const retired = await findRetiredRegions(ctx.target, ctx.shape);
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

export const command = defineCommand({
  name: "plan",
  summary: "Plans every selected stack and writes one Markdown report, for a pull request's review.",
  description: [
    "Synthesizes the fleet, plans every selected stack in parallel (bounded), saves each plan and its JSON form next to the stack, and writes one Markdown report to stdout: what each stack creates, changes, replaces and destroys, the rollout, the dangers. It changes nothing in AWS.",
    "--save DIR keeps the plans as a plan set (what a pull request's review saw; npm run deploy -- --reviewed DIR applies only that). --expect DIR compares every stack's resource changes with such a set and says which stacks differ and how.",
  ],
  options,
  positional,
  environment: [
    ...FLEET_ENVIRONMENT,
    ...AWS_ENVIRONMENT,
    ...TERRAFORM_ENVIRONMENT,
    { name: "GITHUB_SHA", description: "the default of --commit" },
  ],
  exitCodes: [
    { code: 0, meaning: "no changes" },
    {
      code: 1,
      meaning: "a stack failed to plan (the others are still planned and reported), or the plan could not start",
    },
    { code: 2, meaning: "changes (as terraform plan -detailed-exitcode)" },
    { code: 3, meaning: "--expect: the plans differ from the expected set" },
  ],
  // Its 2 says "changes" and CI reads it: a mistyped option must not pass for a plan.
  usageExitCode: 64,
  onInterrupt: "finish",
  run: (args, { progress }) => plan(args, progress),
});

if (require.main === module) startCommand(command);
