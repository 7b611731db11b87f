import { classify, type TerraformPlanJson, type TerraformResourceChange } from "../terraform/plan-json";

/*
 * Pure: is the plan about to be applied what was reviewed? A pull request's plans are saved
 * (`npm run plan -- --save DIR`); after the merge, the deploy re-plans and compares, resource by resource,
 * what each fresh change would change with what the reviewed plans said it would. It compares the changes,
 * not whole objects: per resource the action, and each attribute path whose value changes with the value
 * it changes to. So what nobody applies cannot make a review stale (a desired capacity the scaling policy
 * moved: Terraform ignores it; a computed list AWS refreshed; a sibling change already deployed), and what
 * is applied always must match: a path that changes now but did not in review, or changes to another value,
 * or a resource nobody reviewed. A fresh plan that holds only part of the reviewed changes (a retry after a
 * partial apply, or reviewed changes a sibling deploy already made) is within the review: applying it applies
 * nothing unreviewed. Several plan sets may be given (merges a deploy includes): a change matches if any of
 * them reviewed it.
 */

/** One attribute path a change sets, with the value it sets (`unknown`: known only after apply). */
export interface PathChange {
  readonly path: string;
  readonly after: unknown;
  readonly unknown: boolean;
}

/** What must match between a reviewed and a fresh change of one resource: the action, and what it changes. */
export interface ComparableChange {
  readonly address: string;
  readonly action: string;
  readonly paths: readonly PathChange[];
}

/** Canonical JSON: object keys sorted, so equal values always compare equal. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    typeof v === "object" && v !== null && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );
}

function isContainer(value: unknown): value is Record<string, unknown> | unknown[] {
  return typeof value === "object" && value !== null;
}

function child(value: unknown, key: string | number): unknown {
  if (Array.isArray(value)) return typeof key === "number" ? value[key] : undefined;
  return isContainer(value) ? (value as Record<string, unknown>)[String(key)] : undefined;
}

function keysOf(...values: unknown[]): (string | number)[] {
  const keys = new Set<string | number>();
  for (const value of values) {
    if (Array.isArray(value)) value.forEach((_, i) => keys.add(i));
    else if (isContainer(value)) Object.keys(value).forEach((k) => keys.add(k));
  }
  return [...keys];
}

function joinPath(path: string, key: string | number): string {
  return typeof key === "number" ? `${path}[${key}]` : path === "" ? key : `${path}.${key}`;
}

/**
 * The paths where `after` differs from `before` (or is unknown), down to the leaves; a container that is
 * unknown or appears whole (created, or replacing a non-container) is one path.
 */
function diffPaths(before: unknown, after: unknown, unknownMask: unknown, path = ""): PathChange[] {
  if (unknownMask === true) return [{ path, after: undefined, unknown: true }];
  const sameShape = isContainer(before) && Array.isArray(after) === Array.isArray(before);
  if (isContainer(after) && (sameShape || !isContainer(before))) {
    const from = sameShape ? before : undefined;
    return keysOf(from, after, unknownMask).flatMap((key) =>
      diffPaths(child(from, key), child(after, key), child(unknownMask, key), joinPath(path, key)),
    );
  }
  // The provider reads some unset strings back as "" and plans them as null (or the other way): both are unset.
  if (isUnset(before) && isUnset(after)) return [];
  return canonical(before) === canonical(after) ? [] : [{ path, after, unknown: false }];
}

function isUnset(value: unknown): boolean {
  return value === undefined || value === null || value === "";
}

export function comparableChanges(plan: TerraformPlanJson): ComparableChange[] {
  return (plan.resource_changes ?? [])
    .filter((rc) => rc.mode === "managed" && classify(rc.change.actions) !== undefined)
    .map((rc: TerraformResourceChange) => {
      const action = classify(rc.change.actions) ?? "";
      const paths =
        action === "delete"
          ? []
          : diffPaths(rc.change.before ?? undefined, rc.change.after, rc.change.after_unknown ?? {});
      return { address: rc.address, action, paths: paths.sort((a, b) => a.path.localeCompare(b.path)) };
    })
    .sort((a, b) => a.address.localeCompare(b.address));
}

/**
 * `identical`: the same changes; `within the review`: only reviewed changes, some of them no longer planned
 * (already applied, or no longer needed); `differs`: a change the review did not have; `not reviewed`: a
 * stack with changes that no plan set has; `no longer planned`: a reviewed stack this run does not plan.
 */
export type Verdict = "identical" | "within the review" | "differs" | "not reviewed" | "no longer planned";

export interface StackComparison {
  readonly stack: string;
  readonly verdict: Verdict;
  /** One line per resource whose change is not a reviewed one. */
  readonly differences: readonly string[];
  /** One line per reviewed change that is no longer planned. */
  readonly done: readonly string[];
}

/** The first attribute of a path: `launch_template[0].version` → `launch_template`. */
function attributeOf(path: string): string {
  return /^[^.[]*/.exec(path)?.[0] ?? path;
}

/** Whether `path` lies inside `container` (`dimensions.TargetGroup` inside `dimensions`, `a[0].b` inside `a`). */
function isInside(path: string, container: string): boolean {
  return container === "" || path.startsWith(`${container}.`) || path.startsWith(`${container}[`);
}

/**
 * The fresh change's paths that the reviewed change does not set, or sets to another value. A value the
 * review could only show as "known after apply" covers whatever it turns out to be, leaves included: a
 * target group's ARN suffix in an alarm's dimensions, planned before the target group existed, is known
 * when a later stage plans it again.
 */
function unreviewedPaths(fresh: ComparableChange, reviewed: ComparableChange): PathChange[] {
  const seen = new Map(reviewed.paths.map((p) => [p.path, p]));
  const unknownInReview = reviewed.paths.filter((p) => p.unknown);
  return fresh.paths.filter((p) => {
    const r = seen.get(p.path);
    if (r === undefined) {
      if (unknownInReview.some((u) => isInside(p.path, u.path))) return false;
      // Unknown now, where the review knew the leaves: decided at apply, within what was reviewed.
      return !(p.unknown && reviewed.paths.some((q) => isInside(q.path, p.path)));
    }
    return !(p.unknown || r.unknown || canonical(p.after) === canonical(r.after));
  });
}

function describeUnreviewed(change: ComparableChange, paths: readonly PathChange[]): string {
  const attributes = [...new Set(paths.map((p) => attributeOf(p.path)))].sort();
  return `\`${change.address}\`: ${change.action} with other values than reviewed (${attributes.join(", ")})`;
}

/** A stack's fresh plan against its reviewed plans (none: it was not reviewed; several: any may have reviewed a change). */
export function compareStack(
  stack: string,
  sets: readonly TerraformPlanJson[],
  fresh: TerraformPlanJson | undefined,
): StackComparison {
  if (fresh === undefined) {
    return {
      stack,
      verdict: "no longer planned",
      differences: ["the stack was reviewed but is not planned now"],
      done: [],
    };
  }
  const now = comparableChanges(fresh);
  if (sets.length === 0) {
    return {
      stack,
      verdict: now.length === 0 ? "identical" : "not reviewed",
      differences: now.map((c) => `\`${c.address}\`: ${c.action}, in no reviewed plan`),
      done: [],
    };
  }
  const reviewedChanges = sets.map((set) => new Map(comparableChanges(set).map((c) => [c.address, c])));
  const differences: string[] = [];
  const matched = new Set<string>();
  for (const change of now) {
    const candidates = reviewedChanges.flatMap((set) => {
      const c = set.get(change.address);
      return c === undefined ? [] : [c];
    });
    if (candidates.length === 0) {
      differences.push(`\`${change.address}\`: ${change.action}, not in the reviewed plan`);
      continue;
    }
    matched.add(change.address);
    const sameAction = candidates.filter((c) => c.action === change.action);
    if (sameAction.length === 0) {
      differences.push(`\`${change.address}\`: reviewed as ${candidates[0]?.action ?? "?"}, now ${change.action}`);
      continue;
    }
    const closest = sameAction
      .map((c) => ({ c, extra: unreviewedPaths(change, c) }))
      .sort((a, b) => a.extra.length - b.extra.length)[0];
    if (closest !== undefined && closest.extra.length > 0) differences.push(describeUnreviewed(change, closest.extra));
  }
  const done = [
    ...new Map(
      reviewedChanges
        .flatMap((set) => [...set.values()])
        .filter((c) => !matched.has(c.address))
        .map((c) => [c.address, c]),
    ).values(),
  ]
    .sort((a, b) => a.address.localeCompare(b.address))
    .map((c) => `\`${c.address}\`: reviewed as ${c.action}, no longer planned (already applied, or no longer needed)`);
  const verdict: Verdict = differences.length > 0 ? "differs" : done.length > 0 ? "within the review" : "identical";
  return { stack, verdict, differences, done };
}

/** Every stack of any plan set, compared; sorted by stack. */
export function compareSets(
  reviewed: readonly ReadonlyMap<string, TerraformPlanJson>[],
  fresh: ReadonlyMap<string, TerraformPlanJson>,
): StackComparison[] {
  const stacks = [...new Set([...reviewed.flatMap((set) => [...set.keys()]), ...fresh.keys()])].sort();
  return stacks.map((stack) =>
    compareStack(
      stack,
      reviewed.flatMap((set) => {
        const p = set.get(stack);
        return p === undefined ? [] : [p];
      }),
      fresh.get(stack),
    ),
  );
}

/** Whether applying the fresh plans applies nothing but reviewed changes. */
export function matchesReview(comparisons: readonly StackComparison[]): boolean {
  return comparisons.every((c) => c.verdict === "identical" || c.verdict === "within the review");
}

/** The Markdown section the deploy prints (and posts) when it compares. */
export function renderComparison(comparisons: readonly StackComparison[], reviewedFrom: string): string {
  const differing = comparisons.filter((c) => c.verdict !== "identical" && c.verdict !== "within the review");
  const partly = comparisons.filter((c) => c.verdict === "within the review");
  const doneLines = partly.flatMap((c) => [
    `### ${c.stack}: within the review`,
    "",
    ...c.done.map((d) => `- ${d}`),
    "",
  ]);
  const lines =
    differing.length === 0
      ? [
          `## Reviewed plans: all ${comparisons.length} stacks match`,
          "",
          `Every stack's resource changes are ones reviewed in ${reviewedFrom}` +
            (partly.length === 0
              ? "."
              : `; in ${partly.length} stack${partly.length === 1 ? "" : "s"} some reviewed changes are no longer planned (already applied, or no longer needed):`),
          "",
          ...doneLines,
        ]
      : [
          `## Reviewed plans: ${differing.length} of ${comparisons.length} stacks differ; nothing was applied`,
          "",
          "> [!CAUTION]",
          `> The plans made now are not the plans reviewed in ${reviewedFrom}. Review the new plan (push to the`,
          "> pull request, or open one) before deploying.",
          "",
          "| stack | verdict |",
          "| --- | --- |",
          ...comparisons.map((c) => `| ${c.stack} | ${c.verdict} |`),
          "",
          ...differing.flatMap((c) => [
            `### ${c.stack}: ${c.verdict}`,
            "",
            ...[...c.differences, ...c.done].map((d) => `- ${d}`),
            "",
          ]),
        ];
  return `${lines.join("\n").trimEnd()}\n`;
}
