/*
 * Pure: the stacks' plans as the report takes them (planned, or failed with the error to show), and what
 * they add up to for a caller's exit code.
 */
import { changesOf, type TerraformPlanJson } from "../terraform/plan-json";

export type StackPlan =
  | { readonly stack: string; readonly status: "planned"; readonly plan: TerraformPlanJson }
  | {
      readonly stack: string;
      readonly status: "failed";
      readonly error: string;
      /** What to change in the fleet config, when that is the fix. */
      readonly hint?: string;
    };

/** 0: nothing changes; 2: changes; 1: a stack failed to plan (as `terraform plan -detailed-exitcode`). */
export function exitCodeOf(plans: readonly StackPlan[]): 0 | 1 | 2 {
  if (plans.some((p) => p.status === "failed")) return 1;
  return plans.some((p) => p.status === "planned" && changesOf(p.plan).length > 0) ? 2 : 0;
}

const ANSI_COLOUR = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g");

/** Keeps error text reviewable and stable: no colour codes, no machine-specific paths. */
export function cleanError(error: string, pathsToHide: readonly string[] = []): string {
  let text = error.replace(ANSI_COLOUR, "");
  for (const path of pathsToHide) text = text.split(path).join("<outdir>");
  return text.trim();
}
