import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { mirrorIds, type BaselineRule } from "../../../baseline/rule";
import { BASELINE_RULE_IDS, BASELINE_RULES } from "../../../baseline/rules";

/*
 * The rules' folder is the list of rules: one file each, named by the rule's id. The core reads no files, so
 * baseline/rules/index.ts writes the list out; these tests hold it to the folder.
 */
const ROOT = join(__dirname, "..", "..", "..");
const RULES_DIR = join(ROOT, "baseline", "rules");
const ruleFiles = readdirSync(RULES_DIR)
  .filter((file) => file.endsWith(".ts") && file !== "index.ts")
  .map((file) => file.slice(0, -".ts".length))
  .sort();
const ids = BASELINE_RULES.map((rule) => rule.id);

describe("the baseline's rules", () => {
  it("are one file each, exporting one rule whose id is the file's name, which the index lists", async () => {
    expect(ruleFiles.length).toBeGreaterThan(0);
    for (const name of ruleFiles) {
      const exported = Object.values((await import(join(RULES_DIR, `${name}.ts`))) as Record<string, unknown>);
      expect({ name, exports: exported.length }).toEqual({ name, exports: 1 });
      const rule = exported[0] as BaselineRule;
      expect({ name, id: rule.id }).toEqual({ name, id: name });
      expect(BASELINE_RULES).toContain(rule);
    }
  });

  it("are listed by the index once each, from files that exist", () => {
    const imported = [...readFileSync(join(RULES_DIR, "index.ts"), "utf8").matchAll(/from "\.\/([^"]+)"/g)].map(
      (m) => m[1],
    );
    expect([...imported].sort()).toEqual(ruleFiles);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ruleFiles);
    expect(BASELINE_RULE_IDS).toEqual(ids);
  });

  it("each say what they require and why, and name the scanners' rules they mirror by their real form", () => {
    for (const rule of BASELINE_RULES) {
      const { checkov = [], trivy = [], securityHub = [] } = rule.mirrors;
      expect({ id: rule.id, requires: rule.requires.length > 0, reason: /\S.*\.$/.test(rule.reason) }).toEqual({
        id: rule.id,
        requires: true,
        reason: true,
      });
      expect({ id: rule.id, mirrors: mirrorIds(rule.mirrors).length > 0 }).toEqual({ id: rule.id, mirrors: true });
      expect({ id: rule.id, checkov: checkov.filter((c) => !/^CKV2?_AWS_\d+$/.test(c)) }).toEqual({
        id: rule.id,
        checkov: [],
      });
      expect({ id: rule.id, trivy: trivy.filter((t) => !/^AWS-\d{4}$/.test(t)) }).toEqual({ id: rule.id, trivy: [] });
      expect({ id: rule.id, securityHub: securityHub.filter((s) => !/^[A-Z][A-Za-z0-9]*\.\d+$/.test(s)) }).toEqual({
        id: rule.id,
        securityHub: [],
      });
    }
  });

  it("are each in docs/security.md's table with the scanners' ids they mirror, and the table lists no other", () => {
    const rows = readFileSync(join(ROOT, "docs", "security.md"), "utf8")
      .split("\n")
      .flatMap((line) => {
        const id = /^\| `([a-z0-9-]+)` +\|/.exec(line)?.[1];
        return id === undefined ? [] : [{ id, line }];
      });
    expect(rows.map((r) => r.id)).toEqual(ids);
    for (const rule of BASELINE_RULES) {
      const line = rows.find((r) => r.id === rule.id)?.line ?? "";
      const named = (mirror: string) => new RegExp(`(^|[^\\w])${mirror.replace(/\./g, "\\.")}($|[^\\w])`).test(line);
      expect({ id: rule.id, missing: mirrorIds(rule.mirrors).filter((mirror) => !named(mirror)) }).toEqual({
        id: rule.id,
        missing: [],
      });
    }
  });
});
