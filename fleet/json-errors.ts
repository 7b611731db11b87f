/*
 * Where a fleet file stops being JSON, as an editor shows it: line, column, and the line itself with a caret.
 * JSON.parse only says so in its message, worded by the V8 of the Node.js release: Node 20 writes
 * "… in JSON at position 21", Node 22 "… in JSON at position 21 (line 3 column 10)"; both write
 * "Unexpected end of JSON input" for a file cut short, and "Unexpected token ']', "…" is not valid JSON" (no
 * position at all) where a value was expected. That last one is found by parsing ever shorter prefixes.
 */

export type ParsedJson =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly error: string };

/** A fleet file's text as JSON (a leading byte order mark, which some editors write, is ignored). */
export function parseJson(text: string): ParsedJson {
  const json = text.startsWith("\uFEFF") ? text.slice(1) : text;
  try {
    return { ok: true, value: JSON.parse(json) as unknown };
  } catch (error) {
    return { ok: false, error: describeJsonError(json, (error as Error).message) };
  }
}

/**
 * `unexpected ']' at line 3, column 32:` and the line with a caret under that column, from JSON.parse's
 * message for `text`.
 */
export function describeJsonError(text: string, message: string): string {
  const offset = jsonErrorOffset(text, message);
  const { line, column } = lineAndColumn(text, offset);
  const [shown, caret] = excerpt(text.split("\n")[line - 1] ?? "", column);
  return `${reason(message)} at line ${line}, column ${column}:\n${shown}\n${caret}`;
}

/** The offset of the first character that is not JSON; for a file cut short, just after its last character. */
export function jsonErrorOffset(text: string, message: string): number {
  const stated = statedOffset(message, text);
  if (stated !== undefined) return stated;
  // The shortest prefix that is broken (not merely unfinished) ends with the offending character.
  let unfinished = 0;
  let broken = text.length;
  while (broken - unfinished > 1) {
    const middle = Math.floor((unfinished + broken) / 2);
    if (isBroken(text.slice(0, middle))) broken = middle;
    else unfinished = middle;
  }
  return broken - 1;
}

/** 1-based, as editors count; a tab is one column. */
export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const lineStart = before.lastIndexOf("\n") + 1;
  return { line: before.split("\n").length, column: offset - lineStart + 1 };
}

/** Where the message says; a position past the last character (the file ends early) is just after it. */
function statedOffset(message: string, text: string): number | undefined {
  const end = text.trimEnd().length;
  const position = /at position (\d+)/.exec(message)?.[1];
  if (position !== undefined) return Math.min(Number(position), end);
  if (message.startsWith("Unexpected end of JSON input")) return end;
  return undefined;
}

function isBroken(prefix: string): boolean {
  try {
    JSON.parse(prefix);
    return false;
  } catch (error) {
    const offset = statedOffset((error as Error).message, prefix);
    return offset === undefined || offset < prefix.trimEnd().length;
  }
}

/** V8's words without the position (given as line and column instead) or the quoted source. */
function reason(message: string): string {
  const unexpected = /^Unexpected token '(.+?)', /s.exec(message)?.[1];
  if (unexpected !== undefined) return `unexpected '${unexpected}'`;
  if (message.startsWith("Unexpected end of JSON input")) return "the file ends before the JSON does";
  const words = message.replace(/ in JSON at position \d+.*$/s, "");
  return words.charAt(0).toLowerCase() + words.slice(1);
}

const CONTEXT = 40;

/** The line (tabs as spaces so the caret lines up, at most 40 characters either side of the column) and the caret. */
function excerpt(line: string, column: number): [string, string] {
  const whole = line.replace(/\r$/, "").replaceAll("\t", " ");
  const start = Math.max(0, column - 1 - CONTEXT);
  const end = Math.min(whole.length, column - 1 + CONTEXT);
  const before = start > 0 ? "…" : "";
  const after = end < whole.length ? "…" : "";
  const indent = "      ";
  return [
    `${indent}${before}${whole.slice(start, end)}${after}`,
    `${indent}${" ".repeat(before.length + column - 1 - start)}^`,
  ];
}
