import { mirrorIds, type BaselineRule } from "./rule";
import { BASELINE_RULES, type BaselineRuleId } from "./rules";
import type { SynthesizedStack } from "./terraform-json";

/*
 * Pure: the fleet's security baseline, checked over the Terraform every stack synthesizes (the JSON cdktf
 * writes), so it judges what would be applied, whatever construct produced it. The rules are in
 * baseline/rules/, one file each, naming the checkov or trivy rules they mirror, so a scanner run beside it
 * tells the same story. Exceptions are findings someone decided to accept: each names its rule, the resources
 * it covers and why, and the plan report lists them (baseline/exceptions.ts holds the project's own).
 */

export interface Finding {
  /** The rule's id, e.g. `imdsv2`. */
  readonly rule: string;
  /** The scanners' ids it mirrors, e.g. `CKV_AWS_79`. */
  readonly mirrors: readonly string[];
  readonly stack: string;
  /** The Terraform address, `aws_launch_template.service_launch-template_CDD6BC09`. */
  readonly address: string;
  readonly problem: string;
  readonly fix: string;
}

/** A finding accepted on purpose: the rule, which resources (a pattern over `stack/address`), and why. */
export interface BaselineException {
  readonly rule: BaselineRuleId;
  readonly resources: RegExp;
  readonly reason: string;
}

export interface BaselineResult {
  readonly findings: readonly Finding[];
  readonly excepted: readonly { readonly finding: Finding; readonly reason: string }[];
}

/** Every rule over every stack; findings an exception covers are set apart with its reason. */
export function checkBaseline(
  stacks: readonly SynthesizedStack[],
  exceptions: readonly BaselineException[],
  rules: readonly BaselineRule[] = BASELINE_RULES,
): BaselineResult {
  const findings: Finding[] = [];
  const excepted: { finding: Finding; reason: string }[] = [];
  for (const stack of stacks) {
    for (const rule of rules) {
      const mirrors = mirrorIds(rule.mirrors);
      for (const found of rule.check(stack)) {
        const finding: Finding = { rule: rule.id, mirrors, stack: stack.name, ...found };
        const exception = exceptions.find(
          (e) => e.rule === rule.id && e.resources.test(`${stack.name}/${finding.address}`),
        );
        if (exception === undefined) findings.push(finding);
        else excepted.push({ finding, reason: exception.reason });
      }
    }
  }
  return { findings, excepted };
}

/**
 * An exception from the fleet file: `resources` is a pattern over `{stack}/{address}` in which `*` matches
 * anything but "/" (so `shop-prod-*` then `/aws_elb.*` covers every classic load balancer of the deployment).
 */
export function exceptionFromPattern(rule: BaselineRuleId, pattern: string, reason: string): BaselineException {
  const source = pattern
    .split("*")
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
    .join("[^/]*");
  return { rule, resources: new RegExp(`^${source}$`), reason };
}
