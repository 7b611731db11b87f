/*
 * The deploy's operations, below the `npm run deploy` command: the checks before anything runs, the
 * deploy of the selected stacks wave by wave, and the reviewed deploy that applies only the plans a
 * pull request's review saw (it plans every selected stack afresh, compares each stack's resource
 * changes with the reviewed ones, and applies the fresh saved plans only if every stack is identical).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { interruption } from "../../cli/interrupt";
import type { StackJson } from "../../baseline/terraform-json";
import { changeSummary, creationOf, deployFirst, stackRegion, type StackChanges } from "../../review/confirmation";
import type { FleetShape, StateShape } from "../../fleet/shape";
import { compareSets, matchesReview, renderComparison } from "../../review/compare";
import { renderReport } from "../../review/report";
import { changesOf, changesOutputs } from "../../terraform/plan-json";
import { retiredLine } from "../../state/retired";
import { stackWaves } from "../../terraform/stack-selection";
import { LOCAL_AWS_COMMAND } from "../../fleet/target";
import { altersResources } from "../../terraform/plan-json";
import type { Ask } from "../../cli/confirm";
import { UsageError, UserFacingError } from "../../cli/console";
import { outcomeReport, type StackOutcome, type StackStatus } from "../../terraform/outcome";
import { reportContextOf, synthesizeSelected } from "../../terraform/adapters/synth";
import { stackDir, type FleetContext } from "../../terraform/adapters/context";
import { hasFleetFixes, plainMotoMessage, probeEndpoint } from "../../local-aws/adapters/emulator";
import { planStacks } from "../../review/adapters/plan-stacks";
import { describeOrigins, loadPlanSet, planMap, selectedPlans } from "../../review/adapters/plan-sets";
import { findRetiredRegions } from "../../state/adapters/retire";
import { parallelismOf } from "./region";
import { applySavedPlans, deployStacks } from "./stack-runs";
import { forbiddenBucketMessage, stateBucketStatus } from "../../state/adapters/bootstrap";

/**
 * The state bucket that must already exist for this selection: every stack but the state stack keeps
 * its state there, so selecting any of them without the state stack needs the bucket in place.
 */
export function requiredStateBucket(shape: FleetShape, selected: readonly string[]): StateShape | undefined {
  const { state } = shape;
  const usesBucket = selected.some((name) => name !== state.stackName);
  return usesBucket && !selected.includes(state.stackName) ? state : undefined;
}

export function missingBucketMessage(state: StateShape): string {
  return (
    `state.bucket: "${state.bucket}" does not exist in ${state.region}, and the selected stacks keep their state there; ` +
    `deploy the state stack first (npm run deploy -- ${state.stackName}) or add it to the selection`
  );
}

/**
 * Refuses, before anything runs, when the target or the state bucket cannot take this selection; returns
 * the bucket's status for callers with rules of their own.
 */
export async function checkBeforeDeploy(
  ctx: FleetContext,
  selected: readonly string[],
): Promise<Awaited<ReturnType<typeof stateBucketStatus>>> {
  const { target, shape } = ctx;
  if (target.kind === "local" && (await probeEndpoint(target.endpoint)) !== "moto") {
    throw new UserFacingError(
      `no local AWS answers at ${target.endpoint}: start one with \`make demo\`, or run \`${LOCAL_AWS_COMMAND}\` (another port: set CLOUDRIM_LOCAL_ENDPOINT)`,
    );
  }
  if (target.kind === "local" && !(await hasFleetFixes(target.endpoint))) {
    throw new UserFacingError(plainMotoMessage(target.endpoint));
  }
  const status = await stateBucketStatus(target, shape.state);
  if (status.kind === "forbidden") throw new UserFacingError(forbiddenBucketMessage(shape.state));
  const required = requiredStateBucket(shape, selected);
  if (required !== undefined && status.kind === "missing") throw new UserFacingError(missingBucketMessage(required));
  return status;
}

/** Synth, select, check the state bucket, deploy in waves. Throws UserFacingError before deploying anything. */
export async function deployFleet(ctx: FleetContext, globs: readonly string[]): Promise<StackOutcome[]> {
  const stacks = await synthesizeSelected(ctx, globs);
  await checkBeforeDeploy(
    ctx,
    stacks.map((s) => s.name),
  );
  for (const region of await findRetiredRegions(ctx.target, ctx.shape)) ctx.progress(`warning: ${retiredLine(region)}`);
  return deployStacks(ctx, stacks);
}

/** Exit code of a reviewed deploy whose fresh plans are not the reviewed ones. */
export const STALE_REVIEW = 3;

/**
 * The reviewed deploy: fresh plans, compared with the plan sets (one per merged pull request the deploy
 * includes), applied only when every change is a reviewed one. Returns the report and, when the review was
 * stale or a stack failed to plan, no outcomes (nothing was applied).
 */
export async function deployReviewed(
  ctx: FleetContext,
  reviewedDirs: readonly string[],
  globs: readonly string[],
): Promise<{ report: string; verdict: "applied" | "stale" | "unplanned"; outcomes: StackOutcome[] }> {
  const sets = reviewedDirs.map(loadPlanSet);
  const origin = describeOrigins(sets);
  const reviewed = sets.map((set) => ({
    plans: selectedPlans(set, globs),
    ...(set.created === undefined ? {} : { created: set.created }),
  }));
  const stacks = await synthesizeSelected(ctx, globs);
  const names = stacks.map((s) => s.name);
  if ((await checkBeforeDeploy(ctx, names)).kind === "missing") {
    throw new UserFacingError(
      `state.bucket: "${ctx.shape.state.bucket}" does not exist yet; a reviewed deploy only applies saved plans, so bootstrap it once with npm run deploy -- ${ctx.shape.state.stackName}`,
    );
  }
  const plans = await planStacks(ctx, names, parallelismOf(ctx));
  const comparisons = compareSets(
    reviewed.map((review) => review.plans),
    planMap(plans),
  );
  const retired = await findRetiredRegions(ctx.target, ctx.shape);
  const report = [
    renderComparison(comparisons, origin),
    renderReport(plans, reportContextOf(ctx, stacks, retired)),
  ].join("\n");
  if (plans.some((p) => p.status === "failed")) return { report, verdict: "unplanned", outcomes: [] };
  if (!matchesReview(comparisons)) return { report, verdict: "stale", outcomes: [] };
  const changing = new Set(
    plans.flatMap((p) => (p.status === "planned" && changesOf(p.plan).length > 0 ? [p.stack] : [])),
  );
  ctx.progress(`every change is one reviewed in ${origin}; applying the fresh plans of ${changing.size} stack(s)`);
  const outcomes = await applySavedPlans(ctx, stacks, { fresh: planMap(plans), reviewed }, changing);
  return { report, verdict: "applied", outcomes };
}

/** How a deploy that asked first ended: applied (outcomes), answered no, interrupted, or a stack failed to plan. */
export type AskedDeploy =
  | { readonly verdict: "applied"; readonly outcomes: StackOutcome[] }
  | { readonly verdict: "declined" }
  | { readonly verdict: "interrupted" }
  | { readonly verdict: "unplanned"; readonly report: string; readonly deployFirst: readonly string[] };

/**
 * The deploy that asks first (at a terminal, on AWS): every selected stack planned and saved, the changes shown
 * per region, one question, and on yes exactly the saved plans applied, wave by wave, the regions rolled out
 * and judged as always (a region's two stages each stay within its shown plan). On a fresh account nothing
 * can be planned before the state bucket exists; every stack is new, can only create, and is shown as what it
 * creates. Nothing is applied unless the answer is yes.
 */
export async function deployAsking(ctx: FleetContext, globs: readonly string[], ask: Ask): Promise<AskedDeploy> {
  const stacks = await synthesizeSelected(ctx, globs);
  const names = stacks.map((s) => s.name);
  const status = await checkBeforeDeploy(ctx, names);
  const retired = await findRetiredRegions(ctx.target, ctx.shape);
  for (const region of retired) ctx.progress(`warning: ${retiredLine(region)}`);
  const regionOfStack = (stack: string) => stackRegion(ctx.shape, stack) ?? stack;
  // Shown in the order they deploy: the state bucket, the hosted zone, then the regions wave by wave.
  const order = stackWaves(stacks).flat();
  if (status.kind === "missing") {
    const shown = order.map(
      (stack): StackChanges => ({
        stack,
        region: regionOfStack(stack),
        plan: creationOf(JSON.parse(readFileSync(join(stackDir(ctx, stack), "cdk.tf.json"), "utf8")) as StackJson),
        note: "new: no state yet, so it only creates (planned when its turn comes, once the state bucket exists)",
      }),
    );
    const answer = await ask(changeSummary(shown));
    if (answer !== "yes") return { verdict: answer === "no" ? "declined" : "interrupted" };
    return { verdict: "applied", outcomes: await deployStacks(ctx, stacks) };
  }
  if (status.kind === "exists" && !status.hasState && names.includes(ctx.shape.state.stackName)) {
    throw new UserFacingError(
      `state.bucket: "${ctx.shape.state.bucket}" exists but holds no state for ${ctx.shape.state.stackName} yet (an interrupted bootstrap, or a bucket to adopt), so it cannot be planned; ` +
        `finish its bootstrap with npm run deploy -- --yes ${ctx.shape.state.stackName} (docs/state-and-locks.md, "Adopt an existing state bucket")`,
    );
  }
  const plans = await planStacks(ctx, names, parallelismOf(ctx));
  if (interruption() !== undefined) return { verdict: "interrupted" };
  const planned = plans.flatMap((p) => (p.status === "planned" ? [p] : []));
  const changing = new Set(
    planned.filter((p) => altersResources(p.plan) || changesOutputs(p.plan)).map((p) => p.stack),
  );
  if (planned.length < plans.length) {
    const failed = plans.filter((p) => p.status === "failed").map((p) => p.stack);
    return {
      verdict: "unplanned",
      report: renderReport(plans, reportContextOf(ctx, stacks, retired)),
      deployFirst: deployFirst(stacks, failed, changing),
    };
  }
  const fresh = planMap(plans);
  if (changing.size > 0) {
    const answer = await ask(
      changeSummary(
        order.flatMap((stack) => {
          const plan = fresh.get(stack);
          return plan === undefined ? [] : [{ stack, region: regionOfStack(stack), plan }];
        }),
      ),
    );
    if (answer !== "yes") return { verdict: answer === "no" ? "declined" : "interrupted" };
  } else {
    ctx.progress("no stack changes: nothing to ask");
  }
  return {
    verdict: "applied",
    outcomes: await applySavedPlans(
      ctx,
      stacks,
      { fresh, reviewed: [{ plans: fresh }] },
      changing,
      "no changes, as shown",
    ),
  };
}

/** Exit code of a deploy whose rollout stopped at a region that failed its judgement. */
export const ROLLOUT_STOPPED = 4;

/**
 * How a deploy ends, from its outcomes: 1 when a stack failed to apply (Terraform's error), 4 when the
 * rollout stopped at a region its judgement failed (later waves untouched), 0 when everything deployed.
 */
export function deployExit(
  outcomes: readonly StackOutcome[],
  logDir: string,
): { readonly code: 0 | 1 | 4 | 130; readonly message?: string } {
  const signal = interruption();
  const named = (status: StackStatus) => outcomes.filter((o) => o.status === status).map((o) => o.stack);
  if (signal !== undefined) {
    const stopped = named("interrupted");
    const notStarted = outcomes.filter((o) => o.cause?.kind === "interrupted").map((o) => o.stack);
    return {
      code: 130,
      message:
        `interrupted by ${signal}` +
        (stopped.length === 0 ? "" : `; stopped: ${stopped.join(", ")} (state saved, lock released)`) +
        (notStarted.length === 0 ? "" : `; not started: ${notStarted.join(", ")}`) +
        `. Run the same deploy again to finish (logs: ${logDir}); a lock left behind: npm run unlock -- <stack>.`,
    };
  }
  const failed = named("failed");
  const stoppedAt = named("stopped");
  const notStarted = named("not-started");
  const notStartedLine = notStarted.length === 0 ? "" : `; not started: ${notStarted.join(", ")}`;
  if (failed.length > 0) {
    return {
      code: 1,
      message: `${failed.length} stack(s) failed${notStartedLine}; the others are deployed. Fix and run again (logs: ${logDir}).`,
    };
  }
  if (stoppedAt.length > 0) {
    return {
      code: ROLLOUT_STOPPED,
      message:
        `the rollout stopped at ${stoppedAt.join(", ")}${notStartedLine}` +
        `. What to do: docs/runbook.md, "A rollout stopped" (logs: ${logDir})`,
    };
  }
  return { code: 0 };
}

/** The outcome of every stack as Markdown, under the deploy's verdict: what a pull request reads after a merge. */
export function outcomesMarkdown(outcomes: readonly StackOutcome[], verdict: string): string {
  return [
    "## Deploy: what happened",
    "",
    `> [!WARNING]\n> ${verdict}`,
    "",
    "```",
    ...outcomes.map((o) => outcomeReport(o)),
    "```",
    "",
  ].join("\n");
}

/** `--parallelism 2`: a whole number, at least 1. */
export function parseCount(option: string, value: string): number {
  const count = Number(value);
  if (!Number.isInteger(count) || count < 1) {
    throw new UsageError(`${option}: got "${value}"; must be a whole number of at least 1`);
  }
  return count;
}

/** `--stall-after 300`: whole seconds, at least 1. */
export function parseSeconds(option: string, value: string): number {
  const seconds = Number(value);
  if (!Number.isInteger(seconds) || seconds < 1) {
    throw new UsageError(`${option}: got "${value}"; must be a whole number of seconds, at least 1`);
  }
  return seconds;
}
