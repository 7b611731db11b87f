/*
 * The layout check of `make check` (tools/layout-check.ts says what it holds the tree to): the project's files
 * and docs/architecture.md's "Code layout" tables against tools/layout.json. Prints one line per problem and
 * exits 1 on any. With --write, rewrites the document's two tables from tools/layout.json first.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { docProblems, treeProblems, withLayoutTables, type Layout } from "./layout-check";
import { projectFiles } from "./project-files";

const ROOT = join(__dirname, "..");
const DOC = "docs/architecture.md";
const HEADING = "Code layout";

const layout = JSON.parse(readFileSync(join(__dirname, "layout.json"), "utf8")) as Layout;
const tree = projectFiles(ROOT);
if (process.argv.includes("--write")) {
  const doc = join(ROOT, DOC);
  writeFileSync(doc, withLayoutTables(layout, readFileSync(doc, "utf8"), HEADING));
  execFileSync("npx", ["prettier", "--write", doc], { cwd: ROOT, stdio: "ignore" });
}
const problems = [
  ...treeProblems(layout, tree),
  ...docProblems(layout, readFileSync(join(ROOT, DOC), "utf8"), DOC, HEADING),
];
for (const problem of problems) console.error(problem);
console.log(
  problems.length === 0
    ? `layout: ${layout.paths.length} rows of tools/layout.json hold ${tree.length} files, and ${DOC} shows them`
    : `layout: ${problems.length} problem(s); fix tools/layout.json or the tree, then node --import tsx tools/check-layout.ts --write`,
);
process.exitCode = problems.length === 0 ? 0 : 1;
