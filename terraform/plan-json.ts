/*
 * Pure: the parts of Terraform's JSON plan (`terraform show -json`, format 1.x) this project reads, and
 * its resource changes as one word each. Shared by the plan report, the review comparison and the
 * staging of a region's apply.
 */

/** The parts of Terraform's JSON plan format (format_version 1.x) the report reads. */
export interface TerraformPlanJson {
  readonly resource_changes?: readonly TerraformResourceChange[];
  /** The stack's outputs, by name, with the same actions as a resource change. */
  readonly output_changes?: Readonly<Record<string, { readonly actions: readonly string[] }>>;
}

export interface TerraformResourceChange {
  readonly address: string;
  readonly mode: "managed" | "data";
  readonly type: string;
  readonly change: {
    readonly actions: readonly string[];
    readonly before: unknown;
    readonly after: unknown;
    /** Which parts of `after` are known only after apply (true leaves). */
    readonly after_unknown?: unknown;
    readonly replace_paths?: readonly (readonly (string | number)[])[];
    /** Set when the plan imports an existing object to this address (an import block). */
    readonly importing?: { readonly id?: string };
  };
}

export type Action = "create" | "update" | "replace" | "delete";

export interface Change {
  readonly address: string;
  readonly type: string;
  readonly action: Action;
  /** The AWS name of the object, when it has one (load balancer name, record name). */
  readonly label?: string;
  /** Attributes that force a replacement. */
  readonly forcedBy: readonly string[];
  /** The object is protected from deletion as it stands (a network load balancer's `enable_deletion_protection`). */
  readonly deletionProtected?: boolean;
}

/** Terraform's action lists, as one word: `["delete","create"]` is a replacement. */
export function classify(actions: readonly string[]): Action | undefined {
  const key = [...actions].sort().join(",");
  switch (key) {
    case "create":
      return "create";
    case "update":
      return "update";
    case "delete":
    case "forget":
      return "delete";
    case "create,delete":
      return "replace";
    default:
      return undefined; // no-op, read
  }
}

export function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

export function first(value: unknown): Record<string, unknown> | undefined {
  return Array.isArray(value) ? record(value[0]) : undefined;
}

/** The configured AWS name; none for generated names (`name_prefix`), which carry a creation timestamp. */
function labelOf(change: TerraformResourceChange): string | undefined {
  const state = record(change.change.after) ?? record(change.change.before);
  const name = state?.name;
  const generated = typeof state?.name_prefix === "string" && state.name_prefix !== "";
  return typeof name === "string" && !generated ? name : undefined;
}

export function changesOf(plan: TerraformPlanJson): Change[] {
  return (plan.resource_changes ?? [])
    .filter((rc) => rc.mode === "managed")
    .flatMap((rc): Change[] => {
      const action = classify(rc.change.actions);
      if (action === undefined) return [];
      const label = labelOf(rc);
      const forcedBy = (rc.change.replace_paths ?? []).map((path) => path.join("."));
      const deletionProtected = record(rc.change.before)?.enable_deletion_protection === true;
      return [
        {
          address: rc.address,
          type: rc.type,
          action,
          forcedBy,
          ...(label === undefined ? {} : { label }),
          ...(deletionProtected ? { deletionProtected } : {}),
        },
      ];
    })
    .sort((a, b) => a.address.localeCompare(b.address));
}

/** Whether applying the plan would change an output (a first apply, a new output, a changed value). */
export function changesOutputs(plan: TerraformPlanJson): boolean {
  return Object.values(plan.output_changes ?? {}).some((change) => classify(change.actions) !== undefined);
}

/** Whether the plan changes or adopts a resource: what a reviewer must see and an apply must run. */
export function altersResources(plan: TerraformPlanJson): boolean {
  return changesOf(plan).length > 0 || importsOf(plan).length > 0;
}

/** The resources a plan imports (adopts), with the ID each is imported from. */
export function importsOf(plan: TerraformPlanJson): { readonly address: string; readonly id: string }[] {
  return (plan.resource_changes ?? []).flatMap((c) =>
    c.change.importing === undefined ? [] : [{ address: c.address, id: c.change.importing.id ?? "" }],
  );
}
