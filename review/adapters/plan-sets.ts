/*
 * A plan set: every selected stack's saved plan (plan.tfplan) and its JSON form (plan.json), as reviewed on
 * a pull request, in one directory that CI keeps as a workflow artifact:
 *
 *   DIR/manifest.json            {"version": 1, "stacks": [...], "commit": "...", "created": "2026-…Z"}
 *   DIR/report.md                the report the reviewers read
 *   DIR/<stack>/plan.json        `terraform show -json plan.tfplan`
 *   DIR/<stack>/plan.tfplan      the plan itself
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import type { StackPlan } from "../stack-plans";
import type { TerraformPlanJson } from "../../terraform/plan-json";
import { globToRegExp } from "../../terraform/stack-selection";
import { UserFacingError } from "../../cli/console";
import { stackDir, type FleetContext } from "../../terraform/adapters/context";

export const PLAN_SET_VERSION = 1;

interface Manifest {
  readonly version: number;
  readonly stacks: readonly string[];
  readonly commit?: string;
  /** When the plans were made (ISO 8601): a review newer than a rollback may bring its change back. */
  readonly created?: string;
}

/** Writes the set; refuses when a stack failed to plan (an incomplete review is no review). */
export function savePlanSet(
  dir: string,
  ctx: Pick<FleetContext, "outdir">,
  plans: readonly StackPlan[],
  report: string,
  commit = process.env.GITHUB_SHA,
  created = new Date(),
): void {
  const failed = plans.filter((p) => p.status === "failed").map((p) => p.stack);
  if (failed.length > 0)
    throw new UserFacingError(`--save: not saving a plan set with failed stacks (${failed.join(", ")})`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const plan of plans) {
    mkdirSync(join(dir, plan.stack));
    for (const file of ["plan.tfplan", "plan.json"]) {
      copyFileSync(join(stackDir(ctx, plan.stack), file), join(dir, plan.stack, file));
    }
  }
  const manifest: Manifest = {
    version: PLAN_SET_VERSION,
    stacks: plans.map((p) => p.stack).sort(),
    ...(commit === undefined || commit === "" ? {} : { commit }),
    created: created.toISOString(),
  };
  writeFileSync(join(dir, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  writeFileSync(join(dir, "report.md"), report);
}

export interface PlanSet {
  readonly plans: ReadonlyMap<string, TerraformPlanJson>;
  /** When its plans were made; unknown for a set saved before the manifest said. */
  readonly created?: Date;
  /** `the reviewed commit 1a2b3c4` or the directory, for messages. */
  readonly origin: string;
}

export function loadPlanSet(dir: string): PlanSet {
  const manifestFile = join(dir, "manifest.json");
  if (!existsSync(manifestFile)) {
    throw new UserFacingError(`${dir}: no manifest.json; give the directory \`npm run plan -- --save\` wrote`);
  }
  const manifest = JSON.parse(readFileSync(manifestFile, "utf8")) as Manifest;
  if (manifest.version !== PLAN_SET_VERSION) {
    throw new UserFacingError(`${dir}: plan set version ${manifest.version}, expected ${PLAN_SET_VERSION}`);
  }
  const plans = new Map(
    manifest.stacks.map((stack) => [
      stack,
      JSON.parse(readFileSync(join(dir, stack, "plan.json"), "utf8")) as TerraformPlanJson,
    ]),
  );
  const origin =
    manifest.commit === undefined
      ? `the plan set in ${relative(process.cwd(), dir) === "" ? "." : relative(process.cwd(), dir)}`
      : `the reviewed commit ${manifest.commit.slice(0, 7)}`;
  const created = manifest.created === undefined ? undefined : new Date(manifest.created);
  return { plans, origin, ...(created === undefined || Number.isNaN(created.getTime()) ? {} : { created }) };
}

/**
 * The reviewed plans a run with these globs must match: those of stacks the globs select (all without
 * globs). A reviewed stack the globs select but the run no longer plans is then "no longer planned".
 */
export function selectedPlans(set: PlanSet, globs: readonly string[]): Map<string, TerraformPlanJson> {
  return new Map(
    [...set.plans].filter(([stack]) => globs.length === 0 || globs.some((g) => globToRegExp(g).test(stack))),
  );
}

/** `the reviewed commit 1a2b3c4`, or `the reviewed commits 1a2b3c4, 5d6e7f8` when a deploy includes several. */
export function describeOrigins(sets: readonly PlanSet[]): string {
  const commits = sets.flatMap((set) => /^the reviewed commit (\w+)$/.exec(set.origin)?.[1] ?? []);
  if (sets.length > 1 && commits.length === sets.length) return `the reviewed commits ${commits.join(", ")}`;
  return sets.map((set) => set.origin).join(" and ");
}

/** The fresh plans of this run, as a map for comparison (failed stacks have none). */
export function planMap(plans: readonly StackPlan[]): Map<string, TerraformPlanJson> {
  return new Map(plans.flatMap((p) => (p.status === "planned" ? [[p.stack, p.plan] as const] : [])));
}
