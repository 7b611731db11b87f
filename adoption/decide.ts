/*
 * Pure: which resources a region stack adopts after an interrupted apply. A killed apply leaves what it
 * created in AWS but not in the stack's state; the next plan wants to create it again and fails on the
 * name (or, for a launch template named by prefix, silently makes a second one). The deploy looks for each
 * planned creation under the name this fleet gives it, and imports what it finds when the object is
 * provably this fleet's: its Service and Deployment tags are the stack's, or (records and security group
 * rules, which carry no ownership of their own) it is exactly what the plan would create. Anything else
 * under our name is reported, never adopted.
 *
 * Only types whose creation fails or duplicates on an existing object are looked for. The others are
 * written with AWS's create-or-replace calls (alarms, dashboards, metric filters, role policies, scaling
 * policies, lifecycle hooks, event targets, log resource policies, group attachments), so their creation
 * converges on the orphan without a duplicate.
 */
import type { TerraformPlanJson } from "../terraform/plan-json";
import { record } from "../terraform/plan-json";

/** Resource types a killed apply can leave behind in a way the next apply trips over, and how each is found. */
export const ADOPTABLE_TYPES = [
  "aws_elb",
  "aws_lb",
  "aws_lb_target_group",
  "aws_lb_listener",
  "aws_security_group",
  "aws_vpc_security_group_ingress_rule",
  "aws_vpc_security_group_egress_rule",
  "aws_iam_role",
  "aws_iam_instance_profile",
  "aws_autoscaling_group",
  "aws_launch_template",
  "aws_cloudwatch_log_group",
  "aws_ssm_document",
  "aws_route53_record",
] as const;

export type AdoptableType = (typeof ADOPTABLE_TYPES)[number];

/** A resource the plan creates, with the planned values it is found by. */
export interface AdoptionCandidate {
  readonly address: string;
  readonly type: AdoptableType;
  /** The planned attributes that are known before apply (`after`, without what is only known after). */
  readonly planned: Readonly<Record<string, unknown>>;
}

/** What AWS holds under a candidate's name. */
export interface FoundResource {
  /** What `terraform import` takes for this type (a name, an ARN, an ID, a record's composite ID). */
  readonly importId: string;
  /** How a person recognises it: its name, or its ID where it has none. */
  readonly label: string;
  /** Its tags; undefined for types that carry no ownership of their own (records, security group rules). */
  readonly tags?: Readonly<Record<string, string>>;
  /** For untagged types: it is exactly what the plan would create (same target, same ports, same group). */
  readonly identical?: boolean;
}

/** Whose resources a stack may adopt: the tags every resource of the fleet carries. */
export interface Owner {
  readonly service: string;
  readonly deployment: string;
}

export type AdoptionDecision =
  | {
      readonly kind: "adopt";
      readonly address: string;
      readonly importId: string;
      readonly label: string;
      /** Why it is provably ours: its tags, or (an untagged kind) it is exactly what the stack would create. */
      readonly by: "tags" | "identical";
    }
  | { readonly kind: "foreign"; readonly address: string; readonly label: string; readonly why: string };

/**
 * The plan's creations of adoptable types whose identifying values are known. A replacement is not a
 * candidate (the old object is in state); neither is anything updated or unchanged.
 */
export function adoptionCandidates(plan: TerraformPlanJson): AdoptionCandidate[] {
  return (plan.resource_changes ?? []).flatMap((change) => {
    if (change.mode !== "managed" || change.change.actions.join(",") !== "create") return [];
    if (!isAdoptable(change.type)) return [];
    const planned = record(change.change.after) ?? {};
    return [{ address: change.address, type: change.type, planned }];
  });
}

function isAdoptable(type: string): type is AdoptableType {
  return (ADOPTABLE_TYPES as readonly string[]).includes(type);
}

/** Adopt, report, or (nothing found) nothing: the decision for one candidate. */
export function decideAdoption(
  candidate: AdoptionCandidate,
  found: FoundResource | undefined,
  owner: Owner,
): AdoptionDecision | undefined {
  if (found === undefined) return undefined;
  const adopt = (by: "tags" | "identical") =>
    ({
      kind: "adopt",
      address: candidate.address,
      importId: found.importId,
      label: found.label,
      by,
    }) as const satisfies AdoptionDecision;
  const foreign = (why: string) =>
    ({ kind: "foreign", address: candidate.address, label: found.label, why }) as const satisfies AdoptionDecision;
  if (found.tags === undefined) {
    return found.identical === true
      ? adopt("identical")
      : foreign("exists and differs from what this stack would create");
  }
  const service = found.tags.Service;
  const deployment = found.tags.Deployment;
  if (service === owner.service && deployment === owner.deployment) return adopt("tags");
  if (service === undefined && deployment === undefined) {
    return foreign("exists without Service and Deployment tags: it was made outside this fleet");
  }
  return foreign(
    `exists, tagged Service=${service ?? "(none)"} Deployment=${deployment ?? "(none)"}: it belongs to another fleet or deployment`,
  );
}

/** The import blocks Terraform reads beside the synthesized stack (Terraform's JSON syntax). */
export function importBlocks(decisions: readonly AdoptionDecision[]): { import: { to: string; id: string }[] } {
  return {
    import: decisions.flatMap((d) => (d.kind === "adopt" ? [{ to: d.address, id: d.importId }] : [])),
  };
}

/** One line per decision, as the deploy prints it. */
export function adoptionLine(decision: AdoptionDecision): string {
  if (decision.kind === "adopt") {
    const found =
      decision.by === "tags" ? "in AWS with this fleet's tags" : "in AWS exactly as this stack would make it";
    return `adopting ${decision.address} (${decision.label}): ${found}, but not in the stack's state (an interrupted apply made it)`;
  }
  return `not adopting ${decision.address} (${decision.label}): ${decision.why}; delete it, or change service or deployment`;
}

/** Launch templates are named by prefix: `{prefix}{26 digits}` is one this stack's Terraform made. */
export function madeFromPrefix(name: string, prefix: string): boolean {
  return name.startsWith(prefix) && /^\d{26}$/.test(name.slice(prefix.length));
}

/** `dualstack.name-123.us-east-1.elb.amazonaws.com.` and `Name-123.us-east-1.elb.amazonaws.com` name the same target. */
export function sameDnsName(a: string, b: string): boolean {
  const normal = (name: string) =>
    name
      .toLowerCase()
      .replace(/\.$/, "")
      .replace(/^dualstack\./, "");
  return normal(a) === normal(b);
}

/** Terraform's import ID of a Route 53 record: `ZONEID_NAME_TYPE`, and `_SETID` for a member of a set. */
export function recordImportId(zoneId: string, name: string, type: string, setIdentifier?: string): string {
  const base = `${zoneId}_${name.replace(/\.$/, "")}_${type}`;
  return setIdentifier === undefined || setIdentifier === "" ? base : `${base}_${setIdentifier}`;
}

/** The addresses of a synthesized stack's adoptable resources: what its state must hold for nothing to be orphaned. */
export function adoptableAddresses(stack: {
  readonly resource?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}): string[] {
  return Object.entries(stack.resource ?? {}).flatMap(([type, byName]) =>
    isAdoptable(type) ? Object.keys(byName).map((name) => `${type}.${name}`) : [],
  );
}

/**
 * The addresses `terraform state list` printed, or `undefined` when it failed. A stack never applied has
 * no state yet: Terraform says so with an error (`No state file was found!`), which means an empty state.
 */
export function listedAddresses(code: number, output: string): ReadonlySet<string> | undefined {
  if (code !== 0) return /^No state file was found!/m.test(output) ? new Set() : undefined;
  return new Set(
    output
      .split("\n")
      .map((line) => line.trim())
      .filter((line) => /^(data\.)?[a-z0-9_]+\.[A-Za-z0-9_-]+/.test(line)),
  );
}
