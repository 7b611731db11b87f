import { takeRolloutLock } from "../rollout/adapters/fleet-lock";
import { BUILT_IN_FLEETS } from "../regions";
import { appendFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { confirmationFor, DECLINED } from "../review/confirmation";
import { noticeLines, resolveFleet } from "../fleet/adapters/resolve";
import { terraformEnv } from "../terraform/adapters/env";
import {
  AWS_ENVIRONMENT,
  CI_ENVIRONMENT,
  defineCommand,
  FLEET_ENVIRONMENT,
  INTERRUPTED,
  OUTDIR_OPTION,
  PARALLELISM_OPTION,
  startCommand,
  TERRAFORM_ENVIRONMENT,
} from "../cli/command";
import { terminalAsk } from "../cli/confirm";
import { UsageError, UserFacingError } from "../cli/console";
import {
  deployAsking,
  deployExit,
  deployFleet,
  deployReviewed,
  outcomesMarkdown,
  parseCount,
  parseSeconds,
  ROLLOUT_STOPPED,
  STALE_REVIEW,
} from "../rollout/adapters/deploy";
import { fleetContext, PROJECT } from "../terraform/adapters/context";
import { outcomeReport, type StackOutcome } from "../terraform/outcome";
import { lockImagesBeforeDeploy } from "../images/adapters/lookup";
import { terraformProblem } from "../terraform/adapters/version";

export const command = defineCommand({
  name: "deploy",
  summary: "Deploys the selected stacks (all by default), the regions in rollout waves, each judged before the next.",
  description: [
    "Deploys to the configured target (AWS, or the local AWS with CLOUDRIM_TARGET=local), wave by wave: the state bucket, the hosted zone, then the regions in the rollout's waves, each region's instance refresh watched, its new instances judged and its alarms baked before the next wave starts; at most --parallelism regions of a wave at once. It is the one-command bootstrap: on a fresh account the state stack creates its bucket and moves its own state into it before any other stack uses it. A region selected without the state stack is checked for its bucket first.",
    "On AWS at a terminal it asks first: it plans every selected stack, shows per region what the plans create, change, replace and destroy, asks once, and on yes applies exactly those saved plans (a region whose change goes in two stages applies each only if it stays within what was shown, as a reviewed deploy does; on a fresh account, where nothing can be planned before the state bucket exists, it shows what each new stack creates). --yes, CI=true and --reviewed skip the question. Without a terminal on AWS it needs one of them, and refuses otherwise (exit 2, before it touches AWS). The local AWS never asks.",
    "With --reviewed DIR (the plan set a pull request's review saw, from npm run plan -- --save DIR) it applies only what was reviewed: it plans every selected stack afresh, compares each stack's resource changes with the reviewed ones, and applies the fresh saved plans only if every change is a reviewed one; otherwise it applies nothing, writes which stacks differ and how (to stdout and --report FILE), and exits 3. Give --reviewed once per merged pull request the deploy includes: a change is reviewed if any of them reviewed it.",
  ],
  options: {
    yes: {
      type: "boolean",
      default: false,
      description: "apply without asking (on AWS at a terminal, the deploy otherwise shows the changes and asks)",
    },
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
    retry: {
      type: "boolean",
      default: false,
      description:
        "deploy a change although a rollout stopped and rolled it back before (a deploy that would bring it back refuses, naming it)",
    },
    "ignore-alarm": {
      type: "string",
      value: "NAME",
      multiple: true,
      description:
        "an alarm the rollouts' bakes do not count (an incident's alarm during a hotfix); alarms already in ALARM before a region's apply are not counted anyway until they clear",
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
  environment: [...FLEET_ENVIRONMENT, CI_ENVIRONMENT, ...AWS_ENVIRONMENT, ...TERRAFORM_ENVIRONMENT],
  exitCodes: [
    { code: 0, meaning: "deployed" },
    { code: 1, meaning: "a stack failed (the others are deployed), or the deploy could not start" },
    { code: STALE_REVIEW, meaning: "--reviewed: the fresh plans are not the reviewed ones; nothing was applied" },
    { code: ROLLOUT_STOPPED, meaning: "the rollout stopped at a region (rolled back; later waves not started)" },
    { code: DECLINED, meaning: "answered no at the question; nothing was applied" },
  ],
  onInterrupt: "finish",
  run: async ({ values, positionals }, { progress, signal }) => {
    const stallSeconds = parseSeconds("--stall-after", values["stall-after"]);
    const parallelism = values.parallelism === undefined ? undefined : parseCount("--parallelism", values.parallelism);
    if (values.report !== undefined && values.reviewed === undefined) {
      throw new UsageError("--report: only a reviewed deploy (--reviewed DIR) writes a report");
    }
    const problem = terraformProblem();
    if (problem !== undefined) throw new UserFacingError(problem);
    const env = terraformEnv(PROJECT);
    const resolved = resolveFleet(env, process.cwd(), BUILT_IN_FLEETS);
    if (!resolved.ok) throw new UserFacingError(resolved.message);
    const confirmation = confirmationFor("deploy", {
      target: resolved.target.kind,
      stdinIsTerminal: process.stdin.isTTY,
      yes: values.yes,
      reviewed: values.reviewed !== undefined,
      ci: process.env.CI,
    });
    if (confirmation.kind === "refuse") throw new UsageError(confirmation.problem);
    // Plans use locked images: a missing entry is looked up and written first (refused when reviewed or in CI).
    const fleet = await lockImagesBeforeDeploy(resolved, {
      env,
      cwd: process.cwd(),
      builtIn: BUILT_IN_FLEETS,
      reviewed: values.reviewed !== undefined,
      globs: positionals,
      progress,
    });
    for (const line of noticeLines(fleet)) progress(line);
    const ctx = fleetContext({
      env,
      outdir: resolve(values.outdir),
      progress,
      shape: fleet.shape,
      target: fleet.target,
      workDir: process.cwd(),
      stallSeconds,
      retry: values.retry,
      ignoreAlarms: values["ignore-alarm"] ?? [],
      ...(parallelism === undefined ? {} : { parallelism }),
    });
    let outcomes: StackOutcome[];
    // One rollout of the fleet at a time: two deploys must not interleave their waves and bakes.
    const rolloutLock = await takeRolloutLock(ctx);
    try {
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
      } else if (confirmation.kind === "ask") {
        const asked = await deployAsking(
          ctx,
          positionals,
          terminalAsk(
            "What this deploy changes in AWS (the saved plans: exactly what is applied):",
            "Deploy these changes?",
            signal,
          ),
        );
        if (asked.verdict === "declined") {
          progress("answered no: nothing was applied");
          return DECLINED;
        }
        if (asked.verdict === "interrupted") {
          progress("interrupted before anything was applied");
          return INTERRUPTED;
        }
        if (asked.verdict === "unplanned") {
          process.stdout.write(asked.report);
          const first =
            asked.deployFirst.length === 0
              ? ""
              : `; a plan may need ${asked.deployFirst.join(", ")} applied first: npm run deploy -- ${asked.deployFirst.join(" ")}, then run this again`;
          throw new UserFacingError(
            `a stack failed to plan; nothing was applied (the report says which and why)${first}`,
          );
        }
        outcomes = asked.outcomes;
      } else {
        outcomes = await deployFleet(ctx, positionals);
      }
    } finally {
      await rolloutLock.release();
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
