/*
 * Pure: what `make check` holds the documentation to (tools/check-docs.ts reads the files and runs the commands).
 * - Every relative link in the Markdown resolves: its file exists, and a #fragment names a heading of it.
 * - Every plain reference to a document, in code, messages and prose alike (`docs/runbook.md, "A rollout stopped"`,
 *   `docs/architecture.md ("Liveness and readiness")`), names a file that exists and headings it has: error
 *   messages and comments send readers to sections, and a section that moved must take its references along.
 * - The README's command table lists every command, and each command it lists explains itself: `npm run X` answers
 *   `--help` with its usage, `make X` is a target `make help` lists.
 */
import { posix } from "node:path";

/** The directory of the documents, as references name it. */
export const DOCS_DIR = "docs";

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

export interface DocProblem {
  /** Repository-relative, with `/`. */
  readonly file: string;
  readonly line: number;
  readonly message: string;
}

/** What the checks may know of the repository: whether a path exists, and a Markdown file's text. */
export interface DocsTree {
  /** A file or a directory, repository-relative with `/`. */
  exists(path: string): boolean;
  /** A Markdown file's text; undefined when there is none. */
  markdown(path: string): string | undefined;
}

export interface Heading {
  readonly text: string;
  readonly anchor: string;
  readonly line: number;
}

/**
 * GitHub's anchor for a heading: its text (a link's label, no markup) lowercased, every character but letters,
 * digits, `_`, `-` and spaces dropped, spaces turned into `-`. Emphasis written with `_` keeps its underscores
 * here (GitHub drops them); the docs use backticks and `**`.
 */
export function headingAnchor(text: string): string {
  return text
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/<[^>]*>/g, "")
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, "")
    .replace(/ /g, "-");
}

/** Each line of a Markdown text with whether it lies in a fenced code block (fence lines included). */
function linesOutsideCode(
  markdown: string,
): { readonly text: string; readonly line: number; readonly code: boolean }[] {
  let fence: { readonly char: string; readonly length: number } | undefined;
  return markdown.split("\n").map((text, index) => {
    const marker = /^\s*(`{3,}|~{3,})/.exec(text)?.[1];
    if (fence === undefined && marker !== undefined) {
      fence = { char: marker.charAt(0), length: marker.length };
      return { text, line: index + 1, code: true };
    }
    if (fence !== undefined) {
      const closing = new RegExp(`^\\s*\\${fence.char}{${fence.length},}\\s*$`);
      if (closing.test(text)) fence = undefined;
      return { text, line: index + 1, code: true };
    }
    return { text, line: index + 1, code: false };
  });
}

/** The ATX headings outside code, with GitHub's anchors (a repeated anchor gets `-1`, `-2`, … as on GitHub). */
export function headings(markdown: string): Heading[] {
  const seen = new Map<string, number>();
  return linesOutsideCode(markdown).flatMap(({ text, line, code }) => {
    const match = code ? null : /^ {0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$/.exec(text);
    if (match === null) return [];
    const headingText = match[1] ?? "";
    const base = headingAnchor(headingText);
    const repeats = seen.get(base) ?? 0;
    seen.set(base, repeats + 1);
    return [{ text: headingText, anchor: repeats === 0 ? base : `${base}-${repeats}`, line }];
  });
}

/** The targets of Markdown links and images (inline, and reference definitions) outside code. */
export function markdownLinks(markdown: string): { readonly target: string; readonly line: number }[] {
  return linesOutsideCode(markdown).flatMap(({ text, line, code }) => {
    if (code) return [];
    const prose = text.replace(/(`+)[^`]*?\1/g, "");
    const inline = [...prose.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1] ?? "");
    const definition = /^\s{0,3}\[[^\]]+\]:\s*<?([^\s>]+)>?/.exec(prose)?.[1];
    return [...inline, ...(definition === undefined ? [] : [definition])].map((target) => ({ target, line }));
  });
}

/** The problems of one Markdown file's relative links (`file` repository-relative). */
export function linkProblems(file: string, markdown: string, tree: DocsTree): DocProblem[] {
  return markdownLinks(markdown).flatMap(({ target, line }): DocProblem[] => {
    // External (a scheme: https:, mailto:) or absolute: not the repository's to check.
    if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith("/")) return [];
    const problem = (message: string) => [{ file, line, message: `link ${target}: ${message}` }];
    const hash = target.indexOf("#");
    const pathPart = decodeURIComponent(hash === -1 ? target : target.slice(0, hash));
    const fragment = hash === -1 ? undefined : decodeURIComponent(target.slice(hash + 1));
    const path =
      pathPart === "" ? file : posix.normalize(posix.join(posix.dirname(file), pathPart)).replace(/(.)\/$/, "$1");
    if (path.startsWith("../")) return problem("points outside the repository");
    if (!tree.exists(path)) return problem(`${path} does not exist`);
    if (fragment === undefined || !path.endsWith(".md")) return [];
    const text = path === file ? markdown : tree.markdown(path);
    if (text === undefined) return problem(`${path} cannot be read`);
    if (headings(text).some((heading) => heading.anchor === fragment)) return [];
    return problem(`${path} has no heading whose anchor is #${fragment}`);
  });
}

/**
 * Plain references to documents in any text: `docs/runbook.md`, `docs/runbook.md, "A rollout stopped"`,
 * `docs/runbook.md ("On call")`, `docs/ci-and-reviews.md ("Plan reviews", "CI from zero")`; quotes may be
 * escaped, as in a string literal.
 */
export function docReferences(
  text: string,
  docsDir = DOCS_DIR,
): { readonly path: string; readonly sections: readonly string[]; readonly line: number }[] {
  const quoted = String.raw`\\?"[^"\\\n]+\\?"`;
  const reference = new RegExp(
    String.raw`(?<![\w./-])(${escape(docsDir)}/[\w./-]+?\.md)(?:(?:,\s*|\s*\(\s*)(${quoted}(?:(?:,\s*|\s+and\s+)${quoted})*))?`,
    "g",
  );
  return [...text.matchAll(reference)].map((match) => ({
    path: match[1] ?? "",
    sections: [...(match[2] ?? "").matchAll(/\\?"([^"\\\n]+)\\?"/g)].map((m) => m[1] ?? ""),
    line: text.slice(0, match.index).split("\n").length,
  }));
}

/** The problems of one file's plain references to documents (paths are repository-relative). */
export function referenceProblems(file: string, text: string, tree: DocsTree, docsDir = DOCS_DIR): DocProblem[] {
  return docReferences(text, docsDir).flatMap(({ path, sections, line }): DocProblem[] => {
    const markdown = tree.markdown(path);
    if (markdown === undefined) return [{ file, line, message: `${path} does not exist` }];
    const titles = new Set(headings(markdown).flatMap((h) => [h.text, h.text.replace(/`/g, "")]));
    return sections
      .filter((section) => !titles.has(section))
      .map((section) => ({ file, line, message: `${path} has no heading "${section}"` }));
  });
}

/** The commands the first column of the table under `heading` names: `npm run deploy`, `make demo`. */
export function tableCommands(
  markdown: string,
  heading: string,
): { readonly command: string; readonly line: number }[] | undefined {
  const lines = linesOutsideCode(markdown);
  const start = lines.findIndex((l) => !l.code && new RegExp(`^#{1,6}\\s+${escape(heading)}\\s*$`).test(l.text));
  if (start === -1) return undefined;
  const section = lines.slice(start + 1);
  const end = section.findIndex((l) => !l.code && /^#{1,6}\s/.test(l.text));
  return (end === -1 ? section : section.slice(0, end))
    .filter((l) => !l.code && l.text.startsWith("|"))
    .flatMap(({ text, line }) => {
      const firstCell = text.split("|")[1] ?? "";
      return [...firstCell.matchAll(/`((?:npm run|make) [a-z][a-z0-9:-]*)/g)].map((m) => ({
        command: m[1] ?? "",
        line,
      }));
    });
}

/** The file an npm script runs as one of this project's commands (`node --import tsx FILE.ts`); undefined for others. */
export function commandFile(script: string): string | undefined {
  return /^node --import tsx (\S+\.ts)$/.exec(script)?.[1];
}

/** The npm scripts that are commands of this project (one definition each in cli/command.ts, run by tsx). */
export function projectCommands(scripts: Readonly<Record<string, string>>): string[] {
  return Object.entries(scripts)
    .filter(([, command]) => commandFile(command) !== undefined)
    .map(([name]) => name)
    .sort();
}

/** The Makefile's targets `make help` lists: those with a `## ` line above them. */
export function documentedMakeTargets(makefile: string): string[] {
  const lines = makefile.split("\n");
  return lines.flatMap((line, index) => {
    const target = /^([a-z][a-z0-9-]*):/.exec(line)?.[1];
    return target !== undefined && (lines[index - 1] ?? "").startsWith("## ") ? [target] : [];
  });
}

/** What `npm run --silent NAME -- --help` answered. */
export interface HelpAnswer {
  readonly status: number | null;
  readonly stdout: string;
}

/** Why a command's answer to --help is not its help, or undefined when it is: exit 0 and its usage line first. */
export function helpProblem(script: string, answer: HelpAnswer): string | undefined {
  const usage = `usage: npm run ${script}`;
  const first = answer.stdout.split("\n")[0] ?? "";
  if (answer.status === 0 && (first === usage || first.startsWith(`${usage} `))) return undefined;
  return (
    `npm run ${script} -- --help exited ${String(answer.status)} and printed ${first === "" ? "nothing" : `"${first}"`} ` +
    `where its usage ("${usage} …") belongs: define the command with cli/command.ts, or take it out of the table`
  );
}

/**
 * The README's command table against the project: each `npm run` command it lists is one of the project's
 * commands (whose --help is then asked for), each `make` target is one `make help` lists, and no command is
 * missing from it. Returns the problems and the npm scripts whose --help to ask for.
 */
export function commandTableProblems(
  readme: string,
  heading: string,
  scripts: Readonly<Record<string, string>>,
  makefile: string,
): { readonly problems: DocProblem[]; readonly helpToAsk: { readonly script: string; readonly line: number }[] } {
  const listed = tableCommands(readme, heading);
  if (listed === undefined) {
    return { problems: [{ file: "README.md", line: 1, message: `no "${heading}" section` }], helpToAsk: [] };
  }
  const commands = projectCommands(scripts);
  const targets = documentedMakeTargets(makefile);
  const problems: DocProblem[] = [];
  const helpToAsk: { script: string; line: number }[] = [];
  for (const { command, line } of listed) {
    const [tool, , name = ""] = command.split(" ");
    if (tool === "make" && !targets.includes(command.slice("make ".length))) {
      problems.push({ file: "README.md", line, message: `${command}: not a target make help lists` });
    } else if (tool === "npm" && !(name in scripts)) {
      problems.push({ file: "README.md", line, message: `${command}: package.json has no script ${name}` });
    } else if (tool === "npm" && !helpToAsk.some((asked) => asked.script === name)) {
      helpToAsk.push({ script: name, line });
    }
  }
  const missing = commands.filter((name) => !helpToAsk.some((asked) => asked.script === name));
  if (missing.length > 0) {
    problems.push({
      file: "README.md",
      line: listed[0]?.line ?? 1,
      message: `the "${heading}" table leaves out ${missing.map((name) => `npm run ${name}`).join(", ")}`,
    });
  }
  return { problems, helpToAsk };
}
