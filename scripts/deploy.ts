import { appendFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { noticeLines, resolveFleet } from "../lib/fleet-input";
import { terraformEnv } from "../lib/terraform-env";
import {
  AWS_ENVIRONMENT,
  defineCommand,
  FLEET_ENVIRONMENT,
  OUTDIR_OPTION,
  PARALLELISM_OPTION,
  startCommand,
  TERRAFORM_ENVIRONMENT,
} from "../ops/command";
import { UsageError, UserFacingError } from "../ops/console";
import {
  deployExit,
  deployFleet,
  deployReviewed,
  outcomesMarkdown,
  parseCount,
  parseSeconds,
  ROLLOUT_STOPPED,
  STALE_REVIEW,
} from "../ops/deploy";
import { fleetContext, outcomeReport, PROJECT, type StackOutcome } from "../ops/fleet-ops";
import { terraformProblem } from "../ops/terraform-check";

export const command = defineCommand({
  name: "deploy",
  summary: "Deploys the selected stacks (all by default), the regions in rollout waves, each judged before the next.",
  description: [
    "Deploys to the configured target (AWS, or the local AWS with CLOUDRIM_TARGET=local), wave by wave: the state bucket, the hosted zone, then the regions in the rollout's waves, each region's instance refresh watched, its new instances judged and its alarms baked before the next wave starts; at most --parallelism regions of a wave at once. It is the one-command bootstrap: on a fresh account the state stack creates its bucket and moves its own state into it before any other stack uses it. A region selected without the state stack is checked for its bucket first.",
    "With --reviewed DIR (the plan set a pull request's review saw, from npm run plan -- --save DIR) it applies only what was reviewed: it plans every selected stack afresh, compares each stack's resource changes with the reviewed ones, and applies the fresh saved plans only if every change is a reviewed one; otherwise it applies nothing, writes which stacks differ and how (to stdout and --report FILE), and exits 3. Give --reviewed once per merged pull request the deploy includes: a change is reviewed if any of them reviewed it.",
  ],
  options: {
    reviewed: {
      type: "string",
      value: "DIR",
      multiple: true,
      description: "apply only what this plan set (npm run plan -- --save DIR) reviewed",
    },
    report: {
      type: "string",
      value: "FILE",
      description: "with --reviewed: write the comparison, and how the deploy ended, as Markdown",
    },
    parallelism: PARALLELISM_OPTION,
    "stall-after": {
      type: "string",
      value: "SECONDS",
      default: "300",
      description: "report a stack that prints nothing for this long; it keeps running",
    },
    outdir: OUTDIR_OPTION,
  },
  positional: {
    name: "stack glob",
    count: "any",
    description: "the stacks to deploy, by name or glob (e.g. 'api-prod-*'); all by default",
  },
  environment: [...FLEET_ENVIRONMENT, ...AWS_ENVIRONMENT, ...TERRAFORM_ENVIRONMENT],
  exitCodes: [
    { code: 0, meaning: "deployed" },
    { code: 1, meaning: "a stack failed (the others are deployed), or the deploy could not start" },
    { code: STALE_REVIEW, meaning: "--reviewed: the fresh plans are not the reviewed ones; nothing was applied" },
    { code: ROLLOUT_STOPPED, meaning: "the rollout stopped at a region (rolled back; later waves not started)" },
  ],
  onInterrupt: "finish",
  run: async ({ values, positionals }, { progress }) => {
    const stallSeconds = parseSeconds("--stall-after", values["stall-after"]);
    const parallelism = values.parallelism === undefined ? undefined : parseCount("--parallelism", values.parallelism);
    if (values.report !== undefined && values.reviewed === undefined) {
      throw new UsageError("--report: only a reviewed deploy (--reviewed DIR) writes a report");
    }
    const problem = terraformProblem();
    if (problem !== undefined) throw new UserFacingError(problem);
    const env = terraformEnv(PROJECT);
    const fleet = resolveFleet(env, process.cwd());
    if (!fleet.ok) throw new UserFacingError(fleet.message);
    for (const line of noticeLines(fleet)) progress(line);
    const ctx = fleetContext({
      env,
      outdir: resolve(values.outdir),
      progress,
      plan: fleet.plan,
      target: fleet.target,
      workDir: process.cwd(),
      stallSeconds,
      ...(parallelism === undefined ? {} : { parallelism }),
    });
    let outcomes: StackOutcome[];
    if (values.reviewed !== undefined) {
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
    } else {
      outcomes = await deployFleet(ctx, positionals);
    }
    for (const o of outcomes) process.stdout.write(`${outcomeReport(o)}\n`);
    const exit = deployExit(outcomes, ctx.logDir);
    if (exit.message !== undefined) process.stderr.write(`deploy: ${exit.message}\n`);
    // A reviewed deploy that did not finish says so in its report too (CI posts it on the pull request).
    if (values.report !== undefined && exit.code !== 0) {
      appendFileSync(values.report, `\n${outcomesMarkdown(outcomes, exit.message ?? "")}`);
    }
    return exit.code;
  },
});

if (require.main === module) startCommand(command);
