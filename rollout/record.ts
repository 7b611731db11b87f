/*
 * Pure: what a region's rollouts remember between deploys, kept beside the stack's state in its bucket
 * (`{state key}.rollout.json`, rollout/adapters/record.ts). Terraform's state says what was applied; this
 * says what was proven and what was refused: the last launch template version that passed its bake (what a
 * stop rolls back to, and what a deploy with nothing to apply compares the group with), and the changes
 * rolled back (a later deploy that would bring the same launch template content back refuses, unless told
 * to try again).
 */
import { createHash } from "node:crypto";
import { classify, record, type TerraformPlanJson } from "../terraform/plan-json";

/** A launch template version that passed its bake in the region. */
export interface BakedVersion {
  readonly templateId: string;
  readonly version: string;
  /** ISO 8601. */
  readonly at: string;
}

/** A change the rollout stopped and rolled back. */
export interface RejectedChange {
  /** The launch template's content the change brought (launchTemplateDigest). */
  readonly digest: string;
  /** The launch template version it ran as. */
  readonly version?: string;
  /** ISO 8601. */
  readonly at: string;
  /** Why the rollout stopped it. */
  readonly why: string;
}

export interface RolloutRecord {
  readonly baked?: BakedVersion;
  /** Newest last; only the last few are kept (REJECTED_KEPT). */
  readonly rejected: readonly RejectedChange[];
}

export const EMPTY_RECORD: RolloutRecord = { rejected: [] };

/** Enough to recognise a bad change that comes back; a record never grows without bound. */
export const REJECTED_KEPT = 20;

/** The record as its JSON object holds it; an unreadable one is empty (it only ever adds caution). */
export function parseRolloutRecord(json: string): RolloutRecord {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    return EMPTY_RECORD;
  }
  const object = record(raw);
  const text = (value: unknown) => (typeof value === "string" ? value : undefined);
  const baked = record(object?.baked);
  const templateId = text(baked?.templateId);
  const version = text(baked?.version);
  const at = text(baked?.at);
  const rejected = (Array.isArray(object?.rejected) ? (object.rejected as unknown[]) : []).flatMap((entry) => {
    const r = record(entry);
    const digest = text(r?.digest);
    const when = text(r?.at);
    if (digest === undefined || when === undefined) return [];
    const rejectedVersion = text(r?.version);
    return [
      {
        digest,
        at: when,
        why: text(r?.why) ?? "",
        ...(rejectedVersion === undefined ? {} : { version: rejectedVersion }),
      },
    ];
  });
  return {
    ...(templateId === undefined || version === undefined || at === undefined
      ? {}
      : { baked: { templateId, version, at } }),
    rejected,
  };
}

export function rolloutRecordJson(rolloutRecord: RolloutRecord): string {
  return `${JSON.stringify(rolloutRecord, null, 2)}\n`;
}

/** The record after a version passed its bake. */
export function withBaked(rolloutRecord: RolloutRecord, baked: BakedVersion): RolloutRecord {
  return { ...rolloutRecord, baked };
}

/** The record after a change was rolled back (the same content recorded again replaces its older entry). */
export function withRejected(rolloutRecord: RolloutRecord, rejected: RejectedChange): RolloutRecord {
  const others = rolloutRecord.rejected.filter((r) => r.digest !== rejected.digest);
  return { ...rolloutRecord, rejected: [...others, rejected].slice(-REJECTED_KEPT) };
}

/** Attributes Terraform or AWS compute, or that do not change what an instance runs. */
const NOT_CONTENT = new Set([
  "arn",
  "id",
  "latest_version",
  "default_version",
  "update_default_version",
  "tags",
  "tags_all",
  "description",
]);

/**
 * A digest of what the plan leaves in the region's launch template: what its instances run (image, type,
 * user data, role, network), without what Terraform computes. Undefined for a plan without a launch
 * template, or one that deletes it.
 */
export function launchTemplateDigest(plan: TerraformPlanJson): string | undefined {
  const template = (plan.resource_changes ?? []).find(
    (rc) => rc.mode === "managed" && rc.type === "aws_launch_template",
  );
  const after = record(template?.change.after);
  if (after === undefined) return undefined;
  const content = Object.fromEntries(
    Object.keys(after)
      .filter((key) => !NOT_CONTENT.has(key))
      .sort()
      .map((key) => [key, after[key]]),
  );
  return createHash("sha256").update(JSON.stringify(content)).digest("hex").slice(0, 16);
}

/** Whether the plan changes the group or its launch template: then its instances may run the template's content. */
function movesInstances(plan: TerraformPlanJson): boolean {
  return (plan.resource_changes ?? []).some(
    (rc) =>
      rc.mode === "managed" &&
      (rc.type === "aws_launch_template" || rc.type === "aws_autoscaling_group") &&
      classify(rc.change.actions) !== undefined,
  );
}

/**
 * The rolled-back change a plan would bring back: it changes the group or its template, and leaves in the
 * template content a rollout of the region stopped and rolled back. A review made after the rollback is a
 * decision to try it again; so is `--retry`.
 */
export function rejectedChangeIn(
  plan: TerraformPlanJson,
  rolloutRecord: RolloutRecord,
  options: { readonly retry: boolean; readonly reviewedAt?: Date },
): RejectedChange | undefined {
  if (options.retry || !movesInstances(plan)) return undefined;
  const digest = launchTemplateDigest(plan);
  if (digest === undefined) return undefined;
  const rejected = rolloutRecord.rejected.filter((r) => r.digest === digest).at(-1);
  if (rejected === undefined) return undefined;
  const { reviewedAt } = options;
  if (reviewedAt !== undefined && reviewedAt.getTime() > Date.parse(rejected.at)) return undefined;
  return rejected;
}

/** The refusal, in words: where, when, why, and how to try anyway. */
export function refusalLine(rejected: RejectedChange, reviewed: boolean): string {
  const version = rejected.version === undefined ? "" : ` (it ran as launch template version ${rejected.version})`;
  const how = reviewed
    ? "review it again (a plan set made after the rollback) to deploy it anyway"
    : "fix the change, or deploy it anyway with npm run deploy -- --retry";
  return `refused: this change brings back the launch template content rolled back here at ${rejected.at}${version}: ${rejected.why}; ${how}`;
}

/**
 * When a reviewer last saw this plan's launch template content: the newest review (plan set) whose plan of
 * the stack leaves the same content. A review of other content says nothing about this one.
 */
export function reviewedAtOf(
  plan: TerraformPlanJson,
  reviews: readonly { readonly plan?: TerraformPlanJson; readonly created?: Date }[],
): Date | undefined {
  const digest = launchTemplateDigest(plan);
  if (digest === undefined) return undefined;
  const times = reviews.flatMap((review) =>
    review.plan !== undefined && review.created !== undefined && launchTemplateDigest(review.plan) === digest
      ? [review.created.getTime()]
      : [],
  );
  return times.length === 0 ? undefined : new Date(Math.max(...times));
}
