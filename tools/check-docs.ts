/*
 * The documentation check of `make check` (tools/docs-check.ts says what it holds the docs to): reads the
 * repository's Markdown and source files, asks each command of the README's table for its --help, prints one
 * line per problem and exits 1 on any.
 */
import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import {
  commandTableProblems,
  helpProblem,
  linkProblems,
  referenceProblems,
  type DocProblem,
  type DocsTree,
  type HelpAnswer,
} from "./docs-check";
import { projectFiles } from "./project-files";

const ROOT = join(__dirname, "..");
/** The README's section whose table lists the commands. */
const COMMANDS_HEADING = "Commands";
/** Where documents may be referred to from: code, scripts, workflows and the docs themselves. */
const SOURCE = /\.(ts|mjs|js|py|sh|ya?ml|md|jsonc)$|^Makefile$/;

const read = (path: string) => readFileSync(join(ROOT, path), "utf8");
const tree: DocsTree = {
  exists: (path) => existsSync(join(ROOT, path)),
  markdown: (path) => (path.endsWith(".md") && existsSync(join(ROOT, path)) ? read(path) : undefined),
};

function askHelp(script: string): Promise<HelpAnswer> {
  return new Promise((resolve) => {
    execFile("npm", ["run", "--silent", script, "--", "--help"], { cwd: ROOT, timeout: 120_000 }, (error, stdout) => {
      resolve({ status: error === null ? 0 : typeof error.code === "number" ? error.code : null, stdout });
    });
  });
}

async function main(): Promise<number> {
  const all = projectFiles(ROOT, (name) => SOURCE.test(name));
  const markdown = all.filter((path) => path.endsWith(".md"));
  const problems: DocProblem[] = [
    ...markdown.flatMap((path) => linkProblems(path, read(path), tree)),
    ...all.flatMap((path) => referenceProblems(path, read(path), tree)),
  ];
  const scripts = (JSON.parse(read("package.json")) as { scripts: Record<string, string> }).scripts;
  const table = commandTableProblems(read("README.md"), COMMANDS_HEADING, scripts, read("Makefile"));
  problems.push(...table.problems);
  // Two at a time: each is a Node.js start-up with tsx, and the other static checks run beside this one.
  const queue = [...table.helpToAsk];
  const worker = async () => {
    for (let asked = queue.shift(); asked !== undefined; asked = queue.shift()) {
      const problem = helpProblem(asked.script, await askHelp(asked.script));
      if (problem !== undefined) problems.push({ file: "README.md", line: asked.line, message: problem });
    }
  };
  await Promise.all([worker(), worker()]);
  for (const { file, line, message } of problems) console.error(`${file}:${line}: ${message}`);
  console.log(
    `docs: ${markdown.length} Markdown files' links, ${all.length} files' references to docs, ` +
      `${table.helpToAsk.length} commands' --help: ${problems.length === 0 ? "all good" : `${problems.length} problems`}`,
  );
  return problems.length === 0 ? 0 : 1;
}

void main().then((code) => {
  process.exitCode = code;
});
