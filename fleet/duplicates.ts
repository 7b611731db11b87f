import { z } from "zod";
import { formatPath, listsIn } from "./schema-walk";
import type { Problem } from "./validate/problems";

/*
 * No list of the fleet repeats an entry: a repeat is at best a typo, and at worst two resources with
 * one Terraform address (a CIDR listed twice crashed synth). Every list of the schema is checked, found by
 * walking the schema, so a list added later is checked too: by its entries' values, unless its schema
 * registers another rule in `listRules` (next to the list, in config.ts).
 */

/** What makes two entries the same: a part of the entry (`at`, [] for all of it) and its value. */
export interface Identity {
  readonly at: readonly PropertyKey[];
  readonly value: unknown;
}

export type ListRule =
  /** Each entry at most once, told apart by `identity` (the whole entry by default); `fix` ends the message. */
  | {
      readonly entries: "distinct";
      readonly identity?: (entry: unknown) => Identity | undefined;
      readonly fix?: string;
    }
  /** A list of lists (waves of regions): each item at most once in all of them. */
  | { readonly entries: "distinct-across"; readonly fix: string }
  /** Repeats mean something (weights, one per port in port order), or another list's rule covers it. */
  | { readonly entries: "may-repeat"; readonly why: string };

/** The rules of lists that are not plain sets of values; every other list is one. */
export const listRules = z.registry<ListRule>();

/**
 * Entries told apart by one field, the first of `candidates` they have (regions by `region`; an egress
 * rule by its `cidr` or `prefixList`); an entry with none of them is not compared.
 */
export function byField(...candidates: readonly string[]): (entry: unknown) => Identity | undefined {
  return (entry) => {
    if (!isRecord(entry)) return undefined;
    const field = candidates.find((name) => entry[name] !== undefined);
    return field === undefined ? undefined : { at: [field], value: entry[field] };
  };
}

/** Entries told apart by several fields together (an exception by its rule and resources). */
export function byFields(...fields: readonly string[]): (entry: unknown) => Identity | undefined {
  return (entry) =>
    isRecord(entry) ? { at: [], value: Object.fromEntries(fields.map((name) => [name, entry[name]])) } : undefined;
}

const DEFAULT_RULE: ListRule = { entries: "distinct" };
const DEFAULT_FIX = "remove one";

/**
 * Every repeated entry of every list in `input` (untrusted: any shape), each named by its path and the
 * path of its first occurrence: `allowedCidrs[1]: got "10.0.0.0/8"; repeats allowedCidrs[0]; remove one`.
 */
export function duplicateProblems(schema: z.core.$ZodType, input: unknown): Problem[] {
  const problems = new Map<string, Problem>();
  for (const list of listsIn(schema, input)) {
    for (const problem of repeatsIn(list.entries, list.path, listRules.get(list.schema) ?? DEFAULT_RULE)) {
      problems.set(problem.path, problem);
    }
  }
  return [...problems.values()];
}

function repeatsIn(entries: readonly unknown[], path: readonly PropertyKey[], rule: ListRule): Problem[] {
  switch (rule.entries) {
    case "may-repeat":
      return [];
    case "distinct":
      return firstRepeats(
        entries.map((entry, index) => {
          const identity = rule.identity === undefined ? { at: [], value: entry } : rule.identity(entry);
          return identity === undefined
            ? undefined
            : { where: [...path, index], at: identity.at, value: identity.value };
        }),
        rule.fix ?? DEFAULT_FIX,
      );
    case "distinct-across":
      return firstRepeats(
        entries.flatMap((inner, outer) =>
          Array.isArray(inner)
            ? (inner as unknown[]).map((value, index) => ({ where: [...path, outer, index], at: [], value }))
            : [],
        ),
        rule.fix,
      );
  }
}

interface Occurrence {
  /** The entry. */
  readonly where: readonly PropertyKey[];
  /** The part of it that identifies it. */
  readonly at: readonly PropertyKey[];
  readonly value: unknown;
}

function firstRepeats(occurrences: readonly (Occurrence | undefined)[], fix: string): Problem[] {
  const first = new Map<string, Occurrence>();
  const problems: Problem[] = [];
  for (const occurrence of occurrences) {
    if (occurrence === undefined) continue;
    const key = canonical(occurrence.value);
    const earlier = first.get(key);
    if (earlier === undefined) {
      first.set(key, occurrence);
    } else {
      problems.push({
        path: formatPath([...occurrence.where, ...occurrence.at]),
        value: occurrence.value,
        message: `repeats ${formatPath(earlier.where)}; ${fix}`,
      });
    }
  }
  return problems;
}

/** JSON with object keys sorted: equal for entries that differ only in the order of their fields. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, field: unknown) =>
    typeof field === "object" && field !== null && !Array.isArray(field)
      ? Object.fromEntries(Object.entries(field).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : field,
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
