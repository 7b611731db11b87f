/*
 * What `make check` holds the code layout to. tools/layout.json is the one source: eslint's boundary rule reads
 * it (tools/eslint-boundaries.cjs), and docs/architecture.md shows it as two tables that must say the same.
 */
import { rowOf as boundaryRowOf } from "./eslint-boundaries.cjs";

export interface LayerRules {
  readonly what: string;
  /** The layers this one may import (a row always may import its own files). */
  readonly mayImport: readonly string[];
  /** Pure layers import none of Node's I/O modules nor the AWS SDK. */
  readonly pure?: boolean;
}

export interface Layout {
  readonly layers: Readonly<Record<string, LayerRules>>;
  /** [path, layer, what]: a folder (ending in `/`) or a file; a file belongs to the longest path it starts with. */
  readonly paths: readonly (readonly [string, string, string])[];
}

/** Files whose layer the layout decides: code and scripts. */
const CODE = /\.(ts|js|cjs|mjs|py|sh)$/;

/** The row a file belongs to: the longest path that is the file itself or a folder holding it (as eslint decides). */
export function rowOf(layout: Layout, file: string): readonly [string, string, string] | undefined {
  return boundaryRowOf(file, layout.paths);
}

/** Problems of the layout itself, and of the tree against it. `files`: the project's files, relative, posix. */
export function treeProblems(layout: Layout, files: readonly string[]): string[] {
  const problems: string[] = [];
  const layers = new Set(Object.keys(layout.layers));
  for (const [name, rules] of Object.entries(layout.layers)) {
    for (const other of rules.mayImport) {
      if (!layers.has(other))
        problems.push(`tools/layout.json: layer ${name} may import "${other}", which is no layer`);
    }
  }
  const seen = new Set<string>();
  for (const [path, layer] of layout.paths) {
    if (seen.has(path)) problems.push(`tools/layout.json: ${path} has two rows; keep one`);
    seen.add(path);
    if (!layers.has(layer)) {
      problems.push(`tools/layout.json: ${path} is in layer "${layer}", which is none of ${[...layers].join(", ")}`);
    }
    const exists = path.endsWith("/") ? files.some((f) => f.startsWith(path)) : files.includes(path);
    if (!exists) problems.push(`tools/layout.json: ${path} is not in the tree; remove its row or restore it`);
  }
  for (const file of files) {
    // Configuration at the root (eslint, jest) is no layer's; main.ts has its row.
    if (!CODE.test(file) || (!file.includes("/") && rowOf(layout, file) === undefined)) continue;
    const row = rowOf(layout, file);
    if (row === undefined) {
      problems.push(`${file} belongs to no row of tools/layout.json; add its folder with its layer and what it holds`);
    } else if (/(^|\/)adapters\//.test(file) && row[1] !== "adapters") {
      problems.push(
        `${file} is an adapter, but its row ${row[0]} is ${row[1]}; give ${adapterFolder(file)} a row of its own`,
      );
    }
  }
  return problems;
}

function adapterFolder(file: string): string {
  return file.slice(0, file.indexOf("adapters/") + "adapters/".length);
}

const cell = (text: string) => text.replace(/\|/g, "\\|");

/** docs/architecture.md's table of paths, as the layout says it. */
export function pathTable(layout: Layout): string[] {
  return [
    "| path | layer | what |",
    "| --- | --- | --- |",
    ...layout.paths.map(([path, layer, what]) => `| \`${path}\` | ${layer} | ${cell(what)} |`),
  ];
}

/** docs/architecture.md's table of layers: what each holds and may import. */
export function layerTable(layout: Layout): string[] {
  return [
    "| layer | holds | may import |",
    "| --- | --- | --- |",
    ...Object.entries(layout.layers).map(
      ([name, rules]) =>
        `| ${name} | ${cell(rules.what)} | ${rules.mayImport.length === 0 ? "nothing of the project" : rules.mayImport.join(", ")} |`,
    ),
  ];
}

/** A table's rows with Prettier's padding taken out, so a formatted table compares equal to its source. */
export function normalizedRows(lines: readonly string[]): string[] {
  return lines.map((line) =>
    line
      .trim()
      .replace(/\s*\|\s*/g, " | ")
      .replace(/ \| -+ \| -+ \| -+ \|$/, " | --- | --- | --- |")
      .replace(/^\| -+ \|/, "| --- |")
      .trim(),
  );
}

/** The lines of the section titled `heading`: its heading's index, and where the next section of level 1 or 2 starts. */
function sectionOf(lines: readonly string[], heading: string): { start: number; end: number } | undefined {
  const start = lines.findIndex((line) => line.startsWith("#") && line.replace(/^#+\s*/, "") === heading);
  if (start === -1) return undefined;
  const next = lines.findIndex((line, i) => i > start && /^#{1,2} /.test(line));
  return { start, end: next === -1 ? lines.length : next };
}

/** The tables of the section `heading` of a Markdown document, each as its lines. */
export function tablesUnder(markdown: string, heading: string): string[][] {
  const lines = markdown.split("\n");
  const section = sectionOf(lines, heading);
  if (section === undefined) return [];
  const tables: string[][] = [];
  let current: string[] = [];
  for (const line of lines.slice(section.start + 1, section.end)) {
    if (line.trimStart().startsWith("|")) {
      current.push(line);
    } else if (current.length > 0) {
      tables.push(current);
      current = [];
    }
  }
  if (current.length > 0) tables.push(current);
  return tables;
}

/** Where the document and the layout disagree: each missing, extra or different row, with the row it should be. */
export function docProblems(layout: Layout, markdown: string, doc: string, heading: string): string[] {
  const tables = tablesUnder(markdown, heading).map(normalizedRows);
  const expected = [pathTable(layout), layerTable(layout)].map(normalizedRows);
  const problems: string[] = [];
  for (const table of expected) {
    const header = table[0] ?? "";
    const found = tables.find((t) => t[0] === header);
    if (found === undefined) {
      problems.push(`${doc}, "${heading}": no table "${header}"; it should read:\n${table.join("\n")}`);
      continue;
    }
    for (const row of table.slice(2)) {
      if (!found.includes(row)) problems.push(`${doc}, "${heading}": missing or different row; it should read: ${row}`);
    }
    for (const row of found.slice(2)) {
      if (!table.includes(row)) problems.push(`${doc}, "${heading}": row not in tools/layout.json: ${row}`);
    }
    const order = found.slice(2).filter((row) => table.includes(row));
    const wanted = table.slice(2).filter((row) => found.includes(row));
    if (order.join("\n") !== wanted.join("\n")) {
      problems.push(`${doc}, "${heading}": the rows of "${header}" are not in tools/layout.json's order`);
    }
  }
  return problems;
}

/**
 * The document with the section's two tables rewritten from the layout (its prose kept): what
 * `tools/check-layout.ts --write` saves. A table the section lacks is added at the section's end.
 */
export function withLayoutTables(layout: Layout, markdown: string, heading: string): string {
  const lines = markdown.split("\n");
  const found = sectionOf(lines, heading);
  if (found === undefined) throw new Error(`no section "${heading}"`);
  const { start, end } = found;
  const section = lines.slice(start, end);
  for (const table of [pathTable(layout), layerTable(layout)]) {
    const header = normalizedRows([table[0] ?? ""])[0];
    const first = section.findIndex((line) => normalizedRows([line])[0] === header);
    if (first === -1) {
      section.push("", ...table, "");
      continue;
    }
    let last = first;
    while (section[last + 1]?.trimStart().startsWith("|") === true) last++;
    section.splice(first, last - first + 1, ...table);
  }
  return [...lines.slice(0, start), ...section, ...lines.slice(end)].join("\n");
}
