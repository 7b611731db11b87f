import { readdirSync } from "node:fs";
import { join, relative, sep } from "node:path";

/** What no check reads: dependencies, build and test output, caches. */
const SKIPPED = new Set([
  "node_modules",
  ".git",
  "cdktf.out",
  ".local",
  "coverage",
  ".gen",
  ".terraform",
  "__pycache__",
]);

/**
 * The project's files below `root`, relative and posix, whose names pass `keep`: a walk, not `git ls-files`, so a
 * copy without .git (as CI's runner test makes) is checked as a clone is.
 */
export function projectFiles(root: string, keep: (name: string) => boolean = () => true): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return SKIPPED.has(entry.name) ? [] : walk(path);
      return entry.isFile() && keep(entry.name) ? [relative(root, path).split(sep).join("/")] : [];
    });
  return walk(root);
}
