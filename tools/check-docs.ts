/*
 * The documentation check of `make check` (tools/docs-check.ts says what it holds the docs to): reads the
 * repository's Markdown and source files, reads each command of the README's table for its --help, prints one
 * line per problem and exits 1 on any.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import {
  commandFile,
  commandTableProblems,
  helpProblem,
  linkProblems,
  referenceProblems,
  type DocProblem,
  type DocsTree,
  type HelpAnswer,
} from "./docs-check";
import { projectFiles } from "./project-files";
import { helpOf, type Command } from "../cli/command";

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

/**
 * What `npm run --silent SCRIPT -- --help` prints, read in this process: the command its script runs (`node
 * --import tsx FILE`) defined in FILE with cli/command.ts, whose --help is `helpOf` (test/integration/commands.test.ts
 * holds both). A start-up of node and tsx per command cost some 1.7 s of CPU each, twice per `make test`.
 */
async function askHelp(script: string, scripts: Readonly<Record<string, string>>): Promise<HelpAnswer> {
  const file = commandFile(scripts[script] ?? "");
  if (file === undefined) return { status: null, stdout: "" };
  try {
    const { command } = (await import(join(ROOT, file))) as { command?: Command };
    return command?.name === script ? { status: 0, stdout: helpOf(command) } : { status: 1, stdout: "" };
  } catch {
    // A file that does not load: the command could not have printed its help either.
    return { status: 1, stdout: "" };
  }
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
  for (const asked of table.helpToAsk) {
    const problem = helpProblem(asked.script, await askHelp(asked.script, scripts));
    if (problem !== undefined) problems.push({ file: "README.md", line: asked.line, message: problem });
  }
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
