/*
 * Pure: whether a command that changes AWS asks first, and what it shows when it does (per region, what the
 * saved plans create, change, replace and destroy).
 */
import type { StackJson } from "../baseline/terraform-json";
import type { FleetShape } from "../fleet/shape";
import type { StackNode } from "../terraform/stack-selection";
import type { Target } from "../fleet/target";
import { changesOf, changesOutputs, importsOf, type Action, type TerraformPlanJson } from "../terraform/plan-json";

/** The exit code of a command whose question was answered no: nothing was changed. */
export const DECLINED = 5;

export interface ConfirmationInput {
  readonly target: Target["kind"];
  /** Whether stdin is a terminal (someone there to answer). */
  readonly stdinIsTerminal: boolean;
  /** `--yes` */
  readonly yes: boolean;
  /** `--reviewed DIR` (a deploy of what a pull request's review saw: that review was the question). */
  readonly reviewed: boolean;
  /** The CI environment variable, as set. */
  readonly ci: string | undefined;
}

export type Confirmation =
  | { readonly kind: "proceed"; readonly because: string }
  | { readonly kind: "ask" }
  | { readonly kind: "refuse"; readonly problem: string };

/** CI=true (GitHub Actions, GitLab and most others set it), or 1. */
export function isCi(value: string | undefined): boolean {
  return value !== undefined && ["true", "1"].includes(value.trim().toLowerCase());
}

/**
 * Whether a change to AWS asks first. The local AWS never asks. --reviewed, --yes and CI=true are consent
 * given up front. At a terminal it asks once. Without one, and without consent, it refuses: a change to AWS
 * that nobody reviews must say so.
 */
export function confirmationFor(command: string, input: ConfirmationInput): Confirmation {
  if (input.target === "local") return { kind: "proceed", because: "the local AWS never asks" };
  if (input.reviewed) return { kind: "proceed", because: "--reviewed: the pull request's review was the question" };
  if (input.yes) return { kind: "proceed", because: "--yes" };
  if (isCi(input.ci)) return { kind: "proceed", because: "CI=true" };
  if (input.stdinIsTerminal) return { kind: "ask" };
  return {
    kind: "refuse",
    problem:
      `no terminal to ask at, and neither --yes nor CI=true: a ${command} that changes AWS without a question must ` +
      `say so; review it first (npm run plan) and run it with --yes, or run it at a terminal, which shows the changes and asks`,
  };
}

/** Where a stack of the fleet runs, as the question groups it: its region, or `global` for the hosted zone. */
export function stackRegion(shape: FleetShape, stack: string): string | undefined {
  if (stack === shape.state.stackName) return shape.state.region;
  if (stack === shape.hostedZone?.stackName) return "global";
  return shape.regions.find((r) => r.stackName === stack)?.region;
}

export interface StackChanges {
  readonly stack: string;
  readonly region: string;
  readonly plan: TerraformPlanJson;
  /** Said after the stack's name: why it was not planned, say. */
  readonly note?: string;
}

export interface RegionChanges {
  readonly region: string;
  readonly stacks: readonly string[];
  readonly notes: readonly string[];
  readonly counts: Readonly<Record<Action, number>> & { readonly adopt: number };
  /** Only outputs change (a first apply's, a new output). */
  readonly outputsOnly: boolean;
  /** What is replaced, by resource type, each by its AWS name (or address): what a reviewer must not miss. */
  readonly replaced: ReadonlyMap<string, readonly string[]>;
  /** What is destroyed: how many of each resource type. */
  readonly destroyed: ReadonlyMap<string, number>;
}

/**
 * The stacks' changes added up per region, regions in the order first given. A replacement counts once, as a
 * replacement (Terraform's own `N to add, M to destroy` counts it twice); an import counts as an adoption.
 */
export function changesByRegion(stacks: readonly StackChanges[]): RegionChanges[] {
  const regions = [...new Set(stacks.map((s) => s.region))];
  return regions.map((region) => {
    const here = stacks.filter((s) => s.region === region);
    const counts = { create: 0, update: 0, replace: 0, delete: 0, adopt: 0 };
    const replaced = new Map<string, string[]>();
    const destroyed = new Map<string, number>();
    for (const { plan } of here) {
      for (const change of changesOf(plan)) {
        counts[change.action] += 1;
        if (change.action === "replace") {
          replaced.set(change.type, [...(replaced.get(change.type) ?? []), change.label ?? change.address]);
        }
        if (change.action === "delete") destroyed.set(change.type, (destroyed.get(change.type) ?? 0) + 1);
      }
      counts.adopt += importsOf(plan).length;
    }
    const resourceChanges = counts.create + counts.update + counts.replace + counts.delete + counts.adopt;
    return {
      region,
      stacks: here.map((s) => s.stack),
      notes: here.flatMap((s) => (s.note === undefined ? [] : [`${s.stack}: ${s.note}`])),
      counts,
      outputsOnly: resourceChanges === 0 && here.some((s) => changesOutputs(s.plan)),
      replaced,
      destroyed,
    };
  });
}

/** The types a line names before it sums up the rest. */
const TYPES_SHOWN = 6;

/** `11 aws_cloudwatch_metric_alarm, 5 aws_route53_record, …, and 12 more of 9 other types`: the most first. */
function byType(types: ReadonlyMap<string, number>): string {
  const sorted = [...types].sort(([a, m], [b, n]) => (n === m ? a.localeCompare(b) : n - m));
  const rest = sorted.slice(TYPES_SHOWN);
  const more = rest.reduce((sum, [, n]) => sum + n, 0);
  return [
    ...sorted.slice(0, TYPES_SHOWN).map(([type, n]) => `${n} ${type}`),
    ...(rest.length === 0 ? [] : [`and ${more} more of ${rest.length} other type${rest.length === 1 ? "" : "s"}`]),
  ].join(", ");
}

/** `2 aws_elb (api-prod-9000, api-prod-9001)`. */
function replacements(types: ReadonlyMap<string, readonly string[]>): string {
  return [...types]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([type, names]) => `${names.length} ${type} (${names.join(", ")})`)
    .join(", ");
}

/** `us-east-1: 3 to create, 1 to change, 1 to replace, 2 to destroy (api-prod-state, api-prod-us-east-1)`. */
export function regionLine(region: RegionChanges): string {
  const { counts } = region;
  const parts = [
    ...(counts.create > 0 ? [`${counts.create} to create`] : []),
    ...(counts.update > 0 ? [`${counts.update} to change`] : []),
    ...(counts.replace > 0 ? [`${counts.replace} to replace`] : []),
    ...(counts.delete > 0 ? [`${counts.delete} to destroy`] : []),
    ...(counts.adopt > 0 ? [`${counts.adopt} to adopt`] : []),
  ];
  const what = parts.length > 0 ? parts.join(", ") : region.outputsOnly ? "outputs only" : "no changes";
  return `${region.region}: ${what} (${region.stacks.join(", ")})`;
}

/** The question's summary: a line per region, what it replaces and destroys by type, and the notes. */
export function changeSummary(stacks: readonly StackChanges[]): string[] {
  return changesByRegion(stacks).flatMap((region) => [
    `  ${regionLine(region)}`,
    ...(region.replaced.size === 0 ? [] : [`      replace: ${replacements(region.replaced)}`]),
    ...(region.destroyed.size === 0 ? [] : [`      destroy: ${byType(region.destroyed)}`]),
    ...region.notes.map((note) => `      ${note}`),
  ]);
}

/**
 * What a stack with no state yet will do, from its synthesized configuration: create every resource in it. A
 * stack whose state would live in a bucket that does not exist yet cannot be planned before the bucket is
 * made, and having no state it can only create.
 */
export function creationOf(stack: StackJson): TerraformPlanJson {
  return {
    resource_changes: Object.entries(stack.resource ?? {}).flatMap(([type, resources]) =>
      Object.keys(resources).map((name) => ({
        address: `${type}.${name}`,
        mode: "managed" as const,
        type,
        change: { actions: ["create"], before: null, after: {} },
      })),
    ),
  };
}

/**
 * Pure: the selected stacks with changes that stacks which failed to plan depend on. A stack's plan may need
 * another's changes applied first (a region's plan reads the hosted zone a new zone stack creates): deploy
 * those first, then the rest.
 */
export function deployFirst(
  stacks: readonly StackNode[],
  failed: readonly string[],
  changing: ReadonlySet<string>,
): string[] {
  const needed = stacks
    .filter((s) => failed.includes(s.name))
    .flatMap((s) => s.dependencies.filter((dependency) => changing.has(dependency)));
  return [...new Set(needed)].sort();
}
