/*
 * Pure: turns `terraform show -json` plans of several stacks into one Markdown report for a pull
 * request. Sorted and free of timestamps and absolute paths, so the same plans give the same bytes.
 */
import type { BaselineResult } from "../baseline/engine";
import { exceptionRows } from "../baseline/format";
import { updateCommandFor } from "../images/lock";
import { retiredLine, type RetiredRegion } from "../state/retired";
import type { RolloutShape } from "../rollout/waves";
import { altersResources, changesOf, importsOf } from "../terraform/plan-json";
import { byTypeTable, counts, describeChange } from "./changes";
import { dangersOf } from "./dangers";
import { rolloutsOf, rolloutTable } from "./rollouts";
import type { StackPlan } from "./stack-plans";
import { summarize, topologyTable } from "./topology";

// rollout/ imports these from here (the rest of the project from terraform/plan-json directly).

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
