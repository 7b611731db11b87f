/*
 * The schema's issues as problems: a path a user can find in their file, the value found there, and for
 * an unknown field the names it was likely meant to be.
 */
import type { z } from "zod";
import { fieldsAt, formatPath } from "../schema-walk";
import { nearestNames } from "../spelling";
import type { Problem } from "./problems";

/** `regions[2].region` is within `regions[2]` and within itself; nothing is within the config's root problems. */
export function isWithin(path: string, outer: string): boolean {
  return outer !== "" && (path === outer || path.startsWith(`${outer}.`) || path.startsWith(`${outer}[`));
}

export function problemsFromIssue(issue: z.core.$ZodIssue, schema: z.core.$ZodType): Problem[] {
  const path = formatPath(issue.path);
  if (issue.code === "unrecognized_keys") {
    const known = fieldsAt(schema, issue.path) ?? [];
    return issue.keys.map((key) => ({
      path: formatPath([...issue.path, key]),
      value: issue.input?.[key],
      message: unknownFieldMessage(nearestNames(key, known)),
    }));
  }
  if (issue.code === "invalid_union") {
    // An object with a field that none of the union's objects has: it was meant to be one of them, so its
    // own problems (a misspelled field among them) say more than the union's list of choices.
    const meant = issue.errors
      .filter((option) => option.some((inner) => inner.code === "unrecognized_keys"))
      .sort((a, b) => a.length - b.length)[0];
    if (meant !== undefined) {
      return meant.flatMap((inner) => problemsFromIssue({ ...inner, path: [...issue.path, ...inner.path] }, schema));
    }
  }
  if (issue.code === "invalid_type" && issue.input === undefined) {
    return [{ path, value: undefined, message: `is required (${issue.message})` }];
  }
  return [{ path, value: issue.input, message: issue.message }];
}

function unknownFieldMessage(suggestions: readonly string[]): string {
  if (suggestions.length === 0) return "unknown field; check the spelling against docs/configuration.md";
  const last = suggestions[suggestions.length - 1] ?? "";
  const names = suggestions.length === 1 ? last : `${suggestions.slice(0, -1).join(", ")} or ${last}`;
  return `unknown field; did you mean ${names}?`;
}
