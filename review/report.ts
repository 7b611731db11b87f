/*
 * Pure: turns `terraform show -json` plans of several stacks into one Markdown report for a pull
 * request. Sorted and free of timestamps and absolute paths, so the same plans give the same bytes.
 */
import { exceptionRows, type BaselineResult } from "../baseline/engine";
import { updateCommandFor } from "../images/lock";
import { retiredLine, type RetiredRegion } from "../state/retired";
import type { RolloutShape } from "../rollout/waves";
import { stagingOf } from "../rollout/stages";
import {
  altersResources,
  changesOf,
  classify,
  first,
  importsOf,
  record,
  type Action,
  type Change,
  type TerraformPlanJson,
} from "../terraform/plan-json";
import { decodeUserData } from "../instance/user-data";

export type { TerraformPlanJson, TerraformResourceChange, Action, Change } from "../terraform/plan-json";
export { changesOf, changesOutputs, classify } from "../terraform/plan-json";

export type StackPlan =
  | { readonly stack: string; readonly status: "planned"; readonly plan: TerraformPlanJson }
  | {
      readonly stack: string;
      readonly status: "failed";
      readonly error: string;
      /** What to change in the fleet config, when that is the fix. */
      readonly hint?: string;
    };

export interface Topology {
  readonly instancePorts: readonly number[];
  readonly loadBalancers: readonly string[];
  /** Set identifier → weight. */
  readonly weights: Readonly<Record<string, number>>;
  /** What the weighted members are: `alias A`, or `CNAME` (the first releases). */
  readonly memberKinds: readonly string[];
  /** `cloudrim.example.com (latency, us-east-1)`: this region's record in the name that spans regions. */
  readonly globalNames: readonly string[];
  /** `classic` and/or `network`: the kind of the per-port load balancers. */
  readonly loadBalancerTypes: readonly string[];
  /** `CPU 60%`: the group's target-tracking policies. */
  readonly scaling: readonly string[];
  /** Per-port and per-region alarms, the guards a rollout stops on, and the alarms on the group and its hosts. */
  readonly alarms: {
    readonly ports: number;
    readonly regions: number;
    readonly guards: number;
    readonly hosts: number;
  };
  readonly dashboards: readonly string[];
}

export interface StackSummary {
  readonly stack: string;
  readonly changes: readonly Change[];
  readonly before: Topology;
  readonly after: Topology;
}

export interface Danger {
  readonly stack: string;
  readonly change: Change;
  readonly why: string;
}

const DANGEROUS_TYPES: Readonly<Record<string, string>> = {
  aws_elb: "load balancer",
  aws_lb: "load balancer",
  aws_lb_target_group: "target group",
  aws_lb_listener: "listener",
  aws_route53_record: "DNS record",
  aws_route53_zone: "hosted zone",
  aws_security_group: "security group",
  aws_autoscaling_group: "Auto Scaling group",
};

const SYMBOL: Readonly<Record<Action, string>> = { create: "+", update: "~", replace: "-/+", delete: "-" };

/** What the fleet looks like on one side of the plan, read from the load balancers and weighted records. */
export function topologyOf(plan: TerraformPlanJson, side: "before" | "after"): Topology {
  const ports: number[] = [];
  const loadBalancers: string[] = [];
  const weights: Record<string, number> = {};
  const memberKinds = new Set<string>();
  const globalNames: string[] = [];
  const types = new Set<string>();
  const scaling: string[] = [];
  const alarms = { ports: 0, regions: 0, guards: 0, hosts: 0 };
  const dashboards: string[] = [];
  for (const rc of plan.resource_changes ?? []) {
    if (rc.mode !== "managed") continue;
    const state = record(rc.change[side]);
    if (state === undefined) continue;
    if (rc.type === "aws_elb") {
      const port = first(state.listener)?.instance_port;
      if (typeof port === "number") ports.push(port);
      if (typeof state.name === "string") loadBalancers.push(state.name);
      types.add("classic");
    }
    if (rc.type === "aws_lb") {
      if (typeof state.name === "string") loadBalancers.push(state.name);
      types.add(typeof state.load_balancer_type === "string" ? state.load_balancer_type : "network");
    }
    if (rc.type === "aws_lb_target_group" && typeof state.port === "number") ports.push(state.port);
    if (rc.type === "aws_autoscaling_policy") {
      const target = first(state.target_tracking_configuration)?.target_value;
      scaling.push(typeof target === "number" ? `CPU ${target}%` : String(state.policy_type));
    }
    if (rc.type === "aws_cloudwatch_metric_alarm") {
      if (/\.alarms_guard-\d+/.test(rc.address)) alarms.guards += 1;
      else if (/^aws_cloudwatch_metric_alarm\.host-alarms_/.test(rc.address)) alarms.hosts += 1;
      else alarms.ports += 1;
    }
    if (rc.type === "aws_cloudwatch_composite_alarm") alarms.regions += 1;
    if (rc.type === "aws_cloudwatch_dashboard" && typeof state.dashboard_name === "string") {
      dashboards.push(state.dashboard_name);
    }
    if (rc.type === "aws_route53_record" && typeof state.set_identifier === "string") {
      const weight = first(state.weighted_routing_policy)?.weight;
      if (typeof weight === "number") {
        weights[state.set_identifier] = weight;
        memberKinds.add(first(state.alias) === undefined ? String(state.type) : `alias ${String(state.type)}`);
      }
      const latency = first(state.latency_routing_policy)?.region;
      if (typeof latency === "string") globalNames.push(`${String(state.name)} (latency, ${latency})`);
    }
  }
  return {
    instancePorts: ports.sort((a, b) => a - b),
    loadBalancers: loadBalancers.sort(),
    weights,
    memberKinds: [...memberKinds].sort(),
    globalNames: globalNames.sort(),
    loadBalancerTypes: [...types].sort(),
    scaling: scaling.sort(),
    alarms,
    dashboards: dashboards.sort(),
  };
}

export function summarize(stack: string, plan: TerraformPlanJson): StackSummary {
  return { stack, changes: changesOf(plan), before: topologyOf(plan, "before"), after: topologyOf(plan, "after") };
}

/** Changes a reviewer must not miss: lost load balancers, records, groups, and anything on the state bucket. */
export function dangersOf(summary: StackSummary): Danger[] {
  const [before, after] = [summary.before.loadBalancerTypes.join(", "), summary.after.loadBalancerTypes.join(", ")];
  const typeChange: Danger[] =
    before !== "" && after !== "" && before !== after
      ? [
          {
            stack: summary.stack,
            change: { address: "", type: "load balancer type", action: "replace", forcedBy: [] },
            why: `changes the load balancer type ${before} → ${after}: every load balancer of the region is replaced (new DNS names behind every record)`,
          },
        ]
      : [];
  return typeChange.concat(
    summary.changes.flatMap((change): Danger[] => {
      const kind = DANGEROUS_TYPES[change.type];
      const removes = change.action === "replace" || change.action === "delete";
      if (kind !== undefined && removes) {
        const forced = change.forcedBy.length > 0 ? ` (forced by ${change.forcedBy.join(", ")})` : "";
        const stuck =
          change.deletionProtected === true
            ? ": its deletion protection is on, so this apply fails there; deploy deletionProtection: false first, then this change"
            : "";
        return [{ stack: summary.stack, change, why: `${change.action}s a ${kind}${forced}${stuck}` }];
      }
      if (change.type.startsWith("aws_s3_bucket") && summary.stack.endsWith("-state")) {
        return [{ stack: summary.stack, change, why: `${change.action}s the state bucket's configuration` }];
      }
      if (change.type === "aws_s3_bucket" && removes) {
        return [
          { stack: summary.stack, change, why: `${change.action}s the region's access log bucket, and the logs in it` },
        ];
      }
      return [];
    }),
  );
}

export function counts(changes: readonly Change[]): Record<Action, number> {
  const result: Record<Action, number> = { create: 0, update: 0, replace: 0, delete: 0 };
  for (const change of changes) result[change.action] += 1;
  return result;
}

/** 0: nothing changes; 2: changes; 1: a stack failed to plan (as `terraform plan -detailed-exitcode`). */
export function exitCodeOf(plans: readonly StackPlan[]): 0 | 1 | 2 {
  if (plans.some((p) => p.status === "failed")) return 1;
  return plans.some((p) => p.status === "planned" && changesOf(p.plan).length > 0) ? 2 : 0;
}

/** `[9000, 9001, 9002, 9005]` → `9000-9002, 9005`. */
export function formatPorts(ports: readonly number[]): string {
  if (ports.length === 0) return "none";
  const ranges: string[] = [];
  let start = ports[0] ?? 0;
  let previous = start;
  for (const port of [...ports.slice(1), Number.NaN]) {
    if (port === previous + 1) {
      previous = port;
      continue;
    }
    ranges.push(start === previous ? `${start}` : `${start}-${previous}`);
    start = port;
    previous = port;
  }
  return ranges.join(", ");
}

function formatWeights(weights: Readonly<Record<string, number>>): string {
  const entries = Object.entries(weights).sort(([a], [b]) => a.localeCompare(b, "en", { numeric: true }));
  return entries.length === 0 ? "none" : entries.map(([id, weight]) => `${id}=${weight}`).join(", ");
}

function topologyTable(summary: StackSummary): string[] {
  const { before, after } = summary;
  const empty = (t: Topology) =>
    t.loadBalancers.length === 0 &&
    Object.keys(t.weights).length === 0 &&
    t.globalNames.length === 0 &&
    t.scaling.length === 0 &&
    t.alarms.ports + t.alarms.regions + t.alarms.guards + t.alarms.hosts === 0 &&
    t.dashboards.length === 0;
  if (empty(before) && empty(after)) return [];
  const row = (what: string, b: string, a: string) => `| ${what} | ${b} | ${a} | ${b === a ? "" : "yes"} |`;
  return [
    "| topology | before | after | changed |",
    "| --- | --- | --- | --- |",
    row("load balancer type", list(before.loadBalancerTypes), list(after.loadBalancerTypes)),
    row("instance ports", formatPorts(before.instancePorts), formatPorts(after.instancePorts)),
    row("load balancers", `${before.loadBalancers.length}`, `${after.loadBalancers.length}`),
    row("weighted records", members(before), members(after)),
    row("weights", formatWeights(before.weights), formatWeights(after.weights)),
    row("global name", list(before.globalNames), list(after.globalNames)),
    row("scaling", list(before.scaling), list(after.scaling)),
    row("alarms", alarmCount(before), alarmCount(after)),
    row("dashboard", list(before.dashboards), list(after.dashboards)),
    "",
  ];
}

/** `20 (15 per port, 1 all-ports, 1 guard, 4 on the group and hosts)`. */
function alarmCount(topology: Topology): string {
  const { ports, regions, guards, hosts } = topology.alarms;
  const total = ports + regions + guards + hosts;
  return total === 0
    ? "none"
    : `${total} (${ports} per port, ${regions} all-ports${guards === 0 ? "" : `, ${guards} guard${guards === 1 ? "" : "s"}`}` +
        `${hosts === 0 ? "" : `, ${hosts} on the group and hosts`})`;
}

/** `3`, or `3 (CNAME)` / `3 (alias A)` once the kind of member is known. */
function members(topology: Topology): string {
  const count = Object.keys(topology.weights).length;
  return topology.memberKinds.length === 0 ? `${count}` : `${count} (${topology.memberKinds.join(", ")})`;
}

function list(items: readonly string[]): string {
  return items.length === 0 ? "none" : items.join(", ");
}

function byTypeTable(changes: readonly Change[]): string[] {
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

function describeChange(change: Change): string {
  const label = change.label === undefined ? "" : ` (${change.label})`;
  const forced = change.forcedBy.length > 0 ? `, forced by ${change.forcedBy.join(", ")}` : "";
  return `- \`${SYMBOL[change.action]}\` \`${change.address}\`${label}: ${change.action}${forced}`;
}

const ANSI_COLOUR = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g");

/** Keeps error text reviewable and stable: no colour codes, no machine-specific paths. */
export function cleanError(error: string, pathsToHide: readonly string[] = []): string {
  let text = error.replace(ANSI_COLOUR, "");
  for (const path of pathsToHide) text = text.split(path).join("<outdir>");
  return text.trim();
}

/** Why a stack's launch template changes: every instance of the region is replaced by the instance refresh. */
export interface Rollout {
  readonly stack: string;
  readonly causes: readonly string[];
  /** The group replaces its instances (instance refresh); otherwise only new instances use the template. */
  readonly refresh: boolean;
}

/** The release a boot script fetches (`want=<sha256>` in release mode), from base64 user data. */
function releaseDigest(userData: unknown): string | undefined {
  if (typeof userData !== "string") return undefined;
  return /\n *want=([0-9a-f]{64})\n/.exec(decodeUserData(userData))?.[1];
}

const short = (digest: string | undefined) => (digest === undefined ? "none" : digest.slice(0, 7));

/**
 * Every launch-template change, with its cause: a new release (old → new digest), new user data, a new
 * image from the AMI lookup (old → new id), or other settings. A new image published upstream must never
 * replace every instance without the reviewer seeing why. `imageLocked`: whether the stack's image comes from
 * the image lock (else from a lookup at plan time).
 */
export function rolloutsOf(stack: string, plan: TerraformPlanJson, imageLocked = true): Rollout[] {
  return (plan.resource_changes ?? [])
    .filter((rc) => rc.mode === "managed" && rc.type === "aws_launch_template")
    .flatMap((rc): Rollout[] => {
      const action = classify(rc.change.actions);
      const before = record(rc.change.before);
      const after = record(rc.change.after);
      if ((action !== "update" && action !== "replace") || before === undefined || after === undefined) return [];
      const causes: string[] = [];
      const [oldRelease, newRelease] = [releaseDigest(before.user_data), releaseDigest(after.user_data)];
      if (oldRelease !== newRelease) causes.push(`new release ${short(oldRelease)} → ${short(newRelease)}`);
      else if (before.user_data !== after.user_data) causes.push("new user data");
      if (before.image_id !== after.image_id) {
        // With the image lock, an image changes only when the lock file does; without it, when the lookup's newest does.
        const next = typeof after.image_id === "string" ? after.image_id : "(known after apply)";
        const why = imageLocked ? "the image lock changed" : "not locked: the lookup's newest image at plan time";
        causes.push(`new image ${String(before.image_id)} → ${next} (${why})`);
      }
      const others = Object.keys(after)
        .filter((key) => !["user_data", "image_id", "latest_version", "default_version", "tags_all"].includes(key))
        .filter((key) => JSON.stringify(before[key]) !== JSON.stringify(after[key]) && after[key] !== undefined)
        .sort();
      if (others.length > 0) causes.push(`other settings: ${others.join(", ")}`);
      return causes.length === 0 ? [] : [{ stack, causes, refresh: refreshes(plan) }];
    })
    .concat(rerolls(stack, plan));
}

/**
 * A group moving to a launch template version the template already has: the version a deploy rolled
 * back from (or a refresh that did not finish) is rolled out again.
 */
function rerolls(stack: string, plan: TerraformPlanJson): Rollout[] {
  const templateChanges = (plan.resource_changes ?? []).some(
    (rc) => rc.type === "aws_launch_template" && classify(rc.change.actions) !== undefined,
  );
  if (templateChanges) return [];
  return (plan.resource_changes ?? []).flatMap((rc): Rollout[] => {
    if (rc.type !== "aws_autoscaling_group" || classify(rc.change.actions) !== "update") return [];
    const [before, after] = [
      first(record(rc.change.before)?.launch_template),
      first(record(rc.change.after)?.launch_template),
    ];
    if (before === undefined || after === undefined || before.version === after.version) return [];
    return [
      {
        stack,
        causes: [
          `launch template version ${String(before.version)} → ${typeof after.version === "string" ? after.version : "(known after apply)"} again (the last rollout of it was rolled back, or did not finish)`,
        ],
        refresh: refreshes(plan),
      },
    ];
  });
}

/** Whether the stack's Auto Scaling group has an instance refresh configured after the plan. */
function refreshes(plan: TerraformPlanJson): boolean {
  return (plan.resource_changes ?? []).some(
    (rc) =>
      rc.type === "aws_autoscaling_group" &&
      Array.isArray(record(rc.change.after)?.instance_refresh) &&
      (record(rc.change.after)?.instance_refresh as unknown[]).length > 0,
  );
}

/**
 * The rollout as this plan would run it: each wave's regions, which of them change, which replace their
 * instances (and in two stages, when new judges wait for the refresh), and the bake each wave gets.
 */
function rolloutTable(plans: readonly StackPlan[], rollout: RolloutShape): string[] {
  const byStack = new Map(plans.map((p) => [p.stack, p]));
  const rows = rollout.waves.map((wave) => {
    const status = (predicate: (plan: TerraformPlanJson) => boolean) => {
      const regions = wave.stacks.flatMap((stack, i) => {
        const p = byStack.get(stack);
        return p?.status === "planned" && predicate(p.plan) ? [wave.regions[i] ?? stack] : [];
      });
      return regions.length === 0 ? "none" : regions.join(", ");
    };
    const unplanned = wave.stacks.filter((stack) => !byStack.has(stack)).length;
    const changing = status(altersResources);
    const replacing = status((plan) => rolloutsOf("", plan).some((r) => r.refresh));
    const staged = status((plan) => stagingOf(plan) !== undefined);
    return (
      `| ${wave.number} | ${wave.regions.join(", ")}${unplanned > 0 ? ` (${unplanned} not planned here)` : ""} | ${changing} | ` +
      `${replacing}${staged === "none" ? "" : ` (in two stages: ${staged})`} | ${rollout.bakeSeconds} s |`
    );
  });
  return [
    "### Rollout",
    "",
    "| wave | regions | changes | instances replaced | bake |",
    "| ---: | --- | --- | --- | ---: |",
    ...rows,
    "",
    "A wave starts once every region of the wave before has a successful instance refresh, new instances in service " +
      "on every port, and a bake with no alarm in ALARM; a region that fails stops the rollout and goes back to its " +
      "previous launch template version.",
    "",
  ];
}

/** What a report shows beside the plans: the rollout they would follow, and regions the fleet no longer lists. */
export interface ReportContext {
  readonly rollout?: RolloutShape;
  readonly retired?: readonly RetiredRegion[];
  /** The security baseline's findings accepted on purpose, with their reasons (baseline/engine.ts). */
  readonly excepted?: BaselineResult["excepted"];
  /** Region stacks whose image the lock does not answer, so the plan looked it up when it ran. */
  readonly unlockedImages?: readonly UnlockedImageStack[];
}

export interface UnlockedImageStack {
  readonly stack: string;
  readonly region: string;
  /** `newest "debian-12-amd64-*" of 136693071363 for x86_64`. */
  readonly lookup: string;
}

/** The note on regions whose image is not locked: what the plan did instead, what a deploy will do, the fix. */
function unlockedImagesNote(unlocked: readonly UnlockedImageStack[]): string[] {
  if (unlocked.length === 0) return [];
  const count = unlocked.length;
  return [
    "> [!WARNING]",
    `> **Image not locked in ${count} region${count === 1 ? "" : "s"}**: the plan looked up the newest image when it ran, ` +
      "so a later plan may find another; a reviewed deploy refuses a region whose image is not locked",
    ">",
    ...unlocked.map((u) => `> - \`${u.stack}\`: ${u.lookup}`),
    ">",
    `> Lock ${count === 1 ? "it" : "them"}: \`${updateCommandFor(unlocked.map((u) => u.region))}\`, then commit the lock file.`,
    "",
  ];
}

/** The report in its parts: what every reader needs first (verdicts, dangers, tables), then one section per stack. */
function reportParts(
  plans: readonly StackPlan[],
  context: ReportContext = {},
): { readonly head: string; readonly sections: readonly string[] } {
  const { rollout, retired = [], unlockedImages = [] } = context;
  const sorted = [...plans].sort((a, b) => a.stack.localeCompare(b.stack));
  const summaries = sorted.flatMap((p) => (p.status === "planned" ? [summarize(p.stack, p.plan)] : []));
  const failed = sorted.filter((p): p is Extract<StackPlan, { status: "failed" }> => p.status === "failed");
  const changing = sorted.filter((p) => p.status === "planned" && altersResources(p.plan));
  const dangers = summaries.flatMap(dangersOf);

  const lines: string[] = [
    `## Terraform plan: ${changing.length} of ${sorted.length} stack${sorted.length === 1 ? "" : "s"} change${failed.length > 0 ? `, ${failed.length} failed` : ""}`,
    "",
  ];
  const total = dangers.length + retired.length;
  if (total > 0) {
    lines.push("> [!CAUTION]", `> **${total} dangerous change${total === 1 ? "" : "s"}**`, ">");
    for (const d of dangers) {
      const label = d.change.label === undefined ? "" : ` (${d.change.label})`;
      const address = d.change.address === "" ? "" : ` \`${d.change.address}\`${label}`;
      lines.push(`> - \`${d.stack}\`:${address} ${d.why}`);
    }
    for (const r of retired) lines.push(`> - \`${r.stack}\`: ${retiredLine(r).slice(r.stack.length + 2)}`);
    lines.push("");
  }
  const unlockedStacks = new Set(unlockedImages.map((u) => u.stack));
  const rollouts = sorted.flatMap((p) =>
    p.status === "planned" ? rolloutsOf(p.stack, p.plan, !unlockedStacks.has(p.stack)) : [],
  );
  if (rollouts.length > 0) {
    lines.push(
      "> [!IMPORTANT]",
      `> **Instances are replaced in ${rollouts.length} region${rollouts.length === 1 ? "" : "s"}**`,
      ">",
      ...rollouts.map(
        (r) =>
          `> - \`${r.stack}\`: ${r.causes.join("; ")}: ${r.refresh ? "the instance refresh replaces every instance, each replacement launched before the old one goes" : "new instances only (instance refresh is off)"}`,
      ),
      "",
    );
  }
  lines.push(...unlockedImagesNote(unlockedImages));
  if (failed.length > 0) {
    lines.push("> [!WARNING]", `> Failed to plan: ${failed.map((f) => `\`${f.stack}\``).join(", ")}`, "");
  }

  lines.push("| stack | add | change | replace | destroy |", "| --- | ---: | ---: | ---: | ---: |");
  for (const p of sorted) {
    if (p.status === "failed") {
      lines.push(`| ${p.stack} | failed | | | |`);
    } else {
      const c = counts(changesOf(p.plan));
      lines.push(`| ${p.stack} | ${c.create} | ${c.update} | ${c.replace} | ${c.delete} |`);
    }
  }
  lines.push("");
  if (rollout !== undefined && rollout.waves.length > 0) lines.push(...rolloutTable(sorted, rollout));
  const excepted = context.excepted ?? [];
  if (excepted.length > 0) {
    lines.push(
      `<details><summary>Security baseline: ${excepted.length} finding${excepted.length === 1 ? "" : "s"} accepted on purpose</summary>`,
      "",
      "| rule | resources | reason |",
      "| --- | --- | --- |",
      ...exceptionRows(excepted),
      "",
      "</details>",
      "",
    );
  }

  const sections = sorted.flatMap((p): string[] => {
    if (p.status === "failed") {
      return [
        [
          `### ${p.stack}: failed`,
          "",
          ...(p.hint === undefined ? [] : [`**Fix:** ${p.hint}`, ""]),
          "```",
          p.error,
          "```",
          "",
        ].join("\n"),
      ];
    }
    const summary = summarize(p.stack, p.plan);
    if (!altersResources(p.plan)) return [];
    const imports = importsOf(p.plan);
    const c = counts(summary.changes);
    return [
      [
        `### ${p.stack}`,
        "",
        ...(imports.length === 0
          ? []
          : [
              `**Adopts ${imports.length} existing resource${imports.length === 1 ? "" : "s"}** that an interrupted apply made and never recorded (imported, not created): ${imports.map((i) => `\`${i.address}\` (\`${i.id}\`)`).join(", ")}`,
              "",
            ]),
        ...topologyTable(summary),
        `<details><summary>${c.create} to add, ${c.update} to change, ${c.replace} to replace, ${c.delete} to destroy</summary>`,
        "",
        ...byTypeTable(summary.changes),
        ...summary.changes.map(describeChange),
        "",
        "</details>",
        "",
      ].join("\n"),
    ];
  });
  return { head: lines.join("\n"), sections };
}

export function renderReport(plans: readonly StackPlan[], context: ReportContext = {}): string {
  const { head, sections } = reportParts(plans, context);
  return `${[head, ...sections].join("\n").trimEnd()}\n`;
}

/** GitHub refuses a pull request comment longer than this. */
export const GITHUB_COMMENT_LIMIT = 65_536;

/**
 * The report as a pull request comment: whole when it fits in `limit` characters; otherwise the part every
 * reviewer needs (verdicts, dangers, the tables) and as many stack sections as fit, then a line that says how
 * many were left out and where the whole report is.
 */
export function commentFor(
  plans: readonly StackPlan[],
  context: ReportContext,
  options: { readonly limit?: number; readonly wholeReportAt: string },
): string {
  const limit = options.limit ?? GITHUB_COMMENT_LIMIT;
  const whole = renderReport(plans, context);
  if (whole.length <= limit) return whole;
  const { head, sections } = reportParts(plans, context);
  const footer = (left: number) =>
    `\n> [!NOTE]\n> ${left} of ${sections.length} stack section${sections.length === 1 ? "" : "s"} left out to fit GitHub's ` +
    `${limit.toLocaleString("en")}-character limit for a comment: the whole report is ${options.wholeReportAt}.\n`;
  // A head longer than the whole comment (thousands of dangerous changes) is cut at a line.
  const room = limit - footer(sections.length).length - 2;
  let text = head.length <= room ? head : `${head.slice(0, head.lastIndexOf("\n", room - 2))}\n…`;
  let kept = 0;
  for (const section of sections) {
    if (text.length + 1 + section.length + footer(sections.length - kept - 1).length > limit) break;
    text = `${text}\n${section}`;
    kept += 1;
  }
  return `${text.trimEnd()}\n${footer(sections.length - kept)}`;
}
