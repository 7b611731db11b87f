import type { SynthesizedStack } from "./terraform-json";

/*
 * Pure: what a rule of the security baseline is. Each lives in its own file under baseline/rules/, named by its
 * id, as cdk-nag keeps its rules; baseline/rules/index.ts is the one list of them.
 */

/** What a rule found; the engine adds the rule, the scanners' ids and the stack. */
export interface RuleFinding {
  /** The Terraform address, `aws_launch_template.service_launch-template_CDD6BC09`. */
  readonly address: string;
  readonly problem: string;
  readonly fix: string;
}

/** The scanners' rules a baseline rule mirrors, by their own ids, so that a scanner run beside it tells the same story. */
export interface Mirrors {
  /** checkov's check ids, e.g. `CKV_AWS_79`. */
  readonly checkov?: readonly string[];
  /** trivy's check ids (trivy-checks' `id`; `AVD-AWS-0130` is their older alias of `AWS-0130`). */
  readonly trivy?: readonly string[];
  /** AWS Security Hub's controls, for a rule neither scanner has, e.g. `S3.5`. */
  readonly securityHub?: readonly string[];
}

export interface BaselineRule<Id extends string = string> {
  /** The rule's file name under baseline/rules/, and what an exception names (`baselineExceptions[].rule`). */
  readonly id: Id;
  readonly mirrors: Mirrors;
  /** What the rule requires, in a line (docs/security.md's table). */
  readonly requires: string;
  /** Why it matters, in a sentence or two. */
  readonly reason: string;
  /** The rule over one stack's synthesized Terraform: every resource that breaks it. */
  readonly check: (stack: SynthesizedStack) => readonly RuleFinding[];
}

/** A rule, its id kept as a literal so that the index's ids make a type the fleet file's schema can enumerate. */
export const baselineRule = <const Id extends string>(rule: BaselineRule<Id>): BaselineRule<Id> => rule;

/** The mirrored ids as findings name them: checkov's, then trivy's, then Security Hub's. */
export function mirrorIds(mirrors: Mirrors): string[] {
  return [
    ...(mirrors.checkov ?? []),
    ...(mirrors.trivy ?? []),
    ...(mirrors.securityHub ?? []).map((control) => `Security Hub ${control}`),
  ];
}
