import { classify, type TerraformPlanJson, type TerraformResourceChange } from "./plan-report";

/*
 * Pure: is the plan about to be applied the plan that was reviewed? A pull request's plans are saved
 * (`npm run plan -- --save DIR`); after the merge, the deploy re-plans and compares each stack's resource
 * changes with the reviewed ones (`--expect DIR`). Identical: apply. Anything else (a change nobody saw, a
 * reviewed change that is gone or different, a stack that was not reviewed) stops the deploy before it
 * applies anything, and this says which stacks differ and how.
 */

/** What must match between a reviewed and a fresh plan: per resource, the action and the values. */
export interface ComparableChange {
  readonly address: string;
  readonly action: string;
  readonly before: unknown;
  readonly after: unknown;
  readonly afterUnknown: unknown;
}

export function comparableChanges(plan: TerraformPlanJson): ComparableChange[] {
  return (plan.resource_changes ?? [])
    .filter((rc) => rc.mode === "managed" && classify(rc.change.actions) !== undefined)
    .map((rc: TerraformResourceChange) => ({
      address: rc.address,
      action: classify(rc.change.actions) ?? "",
      before: rc.change.before,
      after: rc.change.after,
      afterUnknown: rc.change.after_unknown ?? {},
    }))
    .sort((a, b) => a.address.localeCompare(b.address));
}

export type Verdict = "identical" | "differs" | "not reviewed" | "no longer planned";

export interface StackComparison {
  readonly stack: string;
  readonly verdict: Verdict;
  /** One line per resource whose change is not the reviewed one. */
  readonly differences: readonly string[];
}

/** Canonical JSON: object keys sorted, so equal values always compare equal. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    typeof v === "object" && v !== null && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );
}

/** The top-level attributes whose planned value differs, e.g. `weighted_routing_policy`. */
function changedAttributes(reviewed: ComparableChange, fresh: ComparableChange): string[] {
  const keys = new Set<string>();
  for (const side of ["before", "after", "afterUnknown"] as const) {
    const a = (reviewed[side] ?? {}) as Record<string, unknown>;
    const b = (fresh[side] ?? {}) as Record<string, unknown>;
    if (typeof a !== "object" || typeof b !== "object") {
      if (canonical(a) !== canonical(b)) keys.add(side);
      continue;
    }
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
      if (canonical(a[key]) !== canonical(b[key])) keys.add(key);
    }
  }
  return [...keys].sort();
}

export function compareStack(
  stack: string,
  reviewed: TerraformPlanJson | undefined,
  fresh: TerraformPlanJson | undefined,
): StackComparison {
  if (fresh === undefined) {
    return { stack, verdict: "no longer planned", differences: ["the stack was reviewed but is not planned now"] };
  }
  const now = comparableChanges(fresh);
  if (reviewed === undefined) {
    return {
      stack,
      verdict: now.length === 0 ? "identical" : "not reviewed",
      differences: now.map((c) => `\`${c.address}\`: ${c.action}, in no reviewed plan`),
    };
  }
  const before = new Map(comparableChanges(reviewed).map((c) => [c.address, c]));
  const differences: string[] = [];
  for (const change of now) {
    const seen = before.get(change.address);
    before.delete(change.address);
    if (seen === undefined) {
      differences.push(`\`${change.address}\`: ${change.action}, not in the reviewed plan`);
    } else if (seen.action !== change.action) {
      differences.push(`\`${change.address}\`: reviewed as ${seen.action}, now ${change.action}`);
    } else if (canonical(seen) !== canonical(change)) {
      differences.push(
        `\`${change.address}\`: ${change.action} with other values than reviewed (${changedAttributes(seen, change).join(", ")})`,
      );
    }
  }
  for (const gone of before.values()) {
    differences.push(`\`${gone.address}\`: reviewed as ${gone.action}, no longer planned`);
  }
  return { stack, verdict: differences.length === 0 ? "identical" : "differs", differences };
}

/** Every stack of either set, compared; sorted by stack. */
export function compareSets(
  reviewed: ReadonlyMap<string, TerraformPlanJson>,
  fresh: ReadonlyMap<string, TerraformPlanJson>,
): StackComparison[] {
  const stacks = [...new Set([...reviewed.keys(), ...fresh.keys()])].sort();
  return stacks.map((stack) => compareStack(stack, reviewed.get(stack), fresh.get(stack)));
}

export function matchesReview(comparisons: readonly StackComparison[]): boolean {
  return comparisons.every((c) => c.verdict === "identical");
}

/** The Markdown section the deploy prints (and posts) when it compares. */
export function renderComparison(comparisons: readonly StackComparison[], reviewedFrom: string): string {
  const differing = comparisons.filter((c) => c.verdict !== "identical");
  const lines =
    differing.length === 0
      ? [
          `## Reviewed plans: all ${comparisons.length} stacks match`,
          "",
          `Every stack's resource changes are the ones reviewed in ${reviewedFrom}.`,
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
          ...differing.flatMap((c) => [`### ${c.stack}: ${c.verdict}`, "", ...c.differences.map((d) => `- ${d}`), ""]),
        ];
  return `${lines.join("\n").trimEnd()}\n`;
}
