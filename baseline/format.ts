import type { BaselineResult, Finding } from "./engine";

/* Pure: the baseline's findings and accepted findings as the synth's error and the plan report print them. */

/** `listener-tls (CKV_AWS_127, …): stack aws_elb.x: is reachable…; fix: …` */
export function formatFinding(finding: Finding): string {
  return `${finding.rule} (${finding.mirrors.join(", ")}): ${finding.stack} ${finding.address}: ${finding.problem}; fix: ${finding.fix}`;
}

/** The report's list of accepted findings: one row per rule and reason, naming every resource it covers. */
export function exceptionRows(excepted: BaselineResult["excepted"]): string[] {
  const rows = new Map<string, { rule: string; mirrors: readonly string[]; reason: string; resources: string[] }>();
  for (const { finding, reason } of excepted) {
    const key = `${finding.rule}\u0000${reason}`;
    const row = rows.get(key) ?? { rule: finding.rule, mirrors: finding.mirrors, reason, resources: [] };
    row.resources.push(`\`${finding.stack}\` \`${finding.address}\``);
    rows.set(key, row);
  }
  return [...rows.values()].map(
    (r) => `| ${r.rule} (${r.mirrors.join(", ")}) | ${r.resources.join("<br>")} | ${r.reason} |`,
  );
}
