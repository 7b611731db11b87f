import type { ESLint } from "eslint";

/** The project's root, which tools/layout.json's paths are relative to. */
export const ROOT: string;
/** Why `importer` (an absolute path) may not import `specifier`; undefined when it may. */
export function refusal(importer: string, specifier: string): string | undefined;
/** The row of tools/layout.json a project path (posix, relative) belongs to: the longest path holding it. */
export function rowOf(
  path: string,
  rows?: readonly (readonly [string, string, string])[],
): readonly [string, string, string] | undefined;
/** The eslint plugin with the `boundaries` rule. */
export const plugin: ESLint.Plugin;
