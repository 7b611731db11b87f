/*
 * Pure: a stack's changes counted by action and by resource type, and listed one per line, as the report's
 * stack sections show them.
 */
import type { Action, Change } from "../terraform/plan-json";

const SYMBOL: Readonly<Record<Action, string>> = { create: "+", update: "~", replace: "-/+", delete: "-" };

export function counts(changes: readonly Change[]): Record<Action, number> {
  const result: Record<Action, number> = { create: 0, update: 0, replace: 0, delete: 0 };
  for (const change of changes) result[change.action] += 1;
  return result;
}

export function byTypeTable(changes: readonly Change[]): string[] {
  const types = [...new Set(changes.map((c) => c.type))].sort();
  return [
    "| resource type | add | change | replace | destroy |",
    "| --- | ---: | ---: | ---: | ---: |",
    ...types.map((type) => {
      const c = counts(changes.filter((change) => change.type === type));
      return `| ${type} | ${c.create} | ${c.update} | ${c.replace} | ${c.delete} |`;
    }),
    "",
  ];
}

export function describeChange(change: Change): string {
  const label = change.label === undefined ? "" : ` (${change.label})`;
  const forced = change.forcedBy.length > 0 ? `, forced by ${change.forcedBy.join(", ")}` : "";
  return `- \`${SYMBOL[change.action]}\` \`${change.address}\`${label}: ${change.action}${forced}`;
}
