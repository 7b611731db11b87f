import type { z } from "zod";

/*
 * Reading the fleet schema itself: which lists a config has and where, and which fields an object takes.
 * Rules that hold for every list or every object (no repeats, a typo's nearest field) then cover fields
 * added later without anyone remembering to add them.
 */

type Schema = z.core.$ZodType;

/** A list found in a config: its schema, its entries, and where it is. */
export interface FoundList {
  readonly schema: Schema;
  readonly entries: readonly unknown[];
  readonly path: readonly PropertyKey[];
}

/**
 * Every list in `value` that `schema` describes, outermost first. `value` is untrusted input: where it
 * does not have the schema's shape the walk stops there (the schema's own parse reports that). Every option
 * of a union is followed, so a list may be found twice; callers keep distinct results.
 */
export function listsIn(schema: Schema, value: unknown, path: readonly PropertyKey[] = []): FoundList[] {
  const def = (schema as z.core.$ZodTypes)._zod.def;
  switch (def.type) {
    case "optional":
    case "nullable":
    case "default":
    case "prefault":
    case "nonoptional":
    case "readonly":
    case "catch":
      return listsIn(def.innerType, value, path);
    case "pipe":
      // Both sides see the input as written: a preprocessed schema's lists are on its out side.
      return [...listsIn(def.in, value, path), ...listsIn(def.out, value, path)];
    case "union":
      return def.options.flatMap((option) => listsIn(option, value, path));
    case "intersection":
      return [...listsIn(def.left, value, path), ...listsIn(def.right, value, path)];
    case "lazy":
      return listsIn(def.getter(), value, path);
    case "object":
      return isRecord(value)
        ? Object.entries(def.shape).flatMap(([key, field]) =>
            Object.hasOwn(value, key) ? listsIn(field, value[key], [...path, key]) : [],
          )
        : [];
    case "record":
      return isRecord(value)
        ? Object.entries(value).flatMap(([key, entry]) => listsIn(def.valueType, entry, [...path, key]))
        : [];
    case "array":
      return Array.isArray(value)
        ? [
            { schema, entries: value as unknown[], path },
            ...value.flatMap((entry, index) => listsIn(def.element, entry, [...path, index])),
          ]
        : [];
    case "string":
    case "number":
    case "bigint":
    case "boolean":
    case "date":
    case "null":
    case "undefined":
    case "literal":
    case "enum":
    case "template_literal":
    case "unknown":
    case "any":
    case "custom":
    case "transform":
      return [];
    default:
      // A kind of schema that could hold lists the walk would not see: refuse rather than miss them.
      throw new Error(`listsIn cannot look inside a zod "${def.type}" schema; teach it (fleet/schema-walk.ts)`);
  }
}

/**
 * The fields of the object `schema` describes at `path` (through optional fields, lists and records), or
 * undefined when nothing there is an object: what a misspelled key could have meant.
 */
export function fieldsAt(schema: Schema, path: readonly PropertyKey[]): string[] | undefined {
  const def = (schema as z.core.$ZodTypes)._zod.def;
  const [step, ...rest] = path;
  switch (def.type) {
    case "optional":
    case "nullable":
    case "default":
    case "prefault":
    case "nonoptional":
    case "readonly":
    case "catch":
      return fieldsAt(def.innerType, path);
    case "pipe":
      return fieldsAt(def.in, path);
    case "union":
      for (const option of def.options) {
        const fields = fieldsAt(option, path);
        if (fields !== undefined) return fields;
      }
      return undefined;
    case "object": {
      if (step === undefined) return Object.keys(def.shape);
      const field = typeof step === "string" ? def.shape[step] : undefined;
      return field === undefined ? undefined : fieldsAt(field, rest);
    }
    case "record":
      return step === undefined ? undefined : fieldsAt(def.valueType, rest);
    case "array":
      return typeof step === "number" ? fieldsAt(def.element, rest) : undefined;
    default:
      return undefined;
  }
}

/** `regions[1].instanceEgress[0].ports`: a path as the config's author reads it. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path.map((key, i) => (typeof key === "number" ? `[${key}]` : `${i === 0 ? "" : "."}${String(key)}`)).join("");
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
