/** `cloudrim-prod-*` → a whole-name match; `*` is any run of characters, `?` one character. */
export function globToRegExp(glob: string): RegExp {
  const pattern = glob
    .split("")
    .map((ch) => (ch === "*" ? ".*" : ch === "?" ? "." : ch.replace(/[.+^${}()|[\]\\]/g, "\\$&")))
    .join("");
  return new RegExp(`^${pattern}$`);
}

export type Selection =
  | { readonly ok: true; readonly stacks: readonly string[] }
  | { readonly ok: false; readonly error: string };

/** The stacks matching any glob (all when none is given); a glob that matches nothing is an error. */
export function selectStacks(all: readonly string[], globs: readonly string[]): Selection {
  if (globs.length === 0) return { ok: true, stacks: [...all].sort() };
  const unmatched = globs.filter((glob) => !all.some((name) => globToRegExp(glob).test(name)));
  if (unmatched.length > 0) {
    return {
      ok: false,
      error: `no stack matches ${unmatched.map((g) => `"${g}"`).join(", ")}; the stacks are: ${[...all].sort().join(", ")}`,
    };
  }
  return { ok: true, stacks: all.filter((name) => globs.some((glob) => globToRegExp(glob).test(name))).sort() };
}

/** Runs `task` over `items` with at most `limit` at a time; results keep the items' order. */
export async function mapWithLimit<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}

export interface StackNode {
  readonly name: string;
  readonly dependencies: readonly string[];
}

/**
 * Stacks in waves: each wave depends only on earlier ones, so a wave can run in parallel (deploy);
 * reverse the waves to destroy. Dependencies outside `stacks` count as met.
 */
export function stackWaves(stacks: readonly StackNode[]): string[][] {
  const names = new Set(stacks.map((s) => s.name));
  const done = new Set<string>();
  const waves: string[][] = [];
  let remaining = [...stacks];
  while (remaining.length > 0) {
    const ready = remaining.filter((s) => s.dependencies.every((d) => done.has(d) || !names.has(d)));
    if (ready.length === 0) {
      throw new Error(`stack dependencies form a cycle: ${remaining.map((s) => s.name).join(", ")}`);
    }
    waves.push(ready.map((s) => s.name).sort());
    for (const s of ready) done.add(s.name);
    remaining = remaining.filter((s) => !done.has(s.name));
  }
  return waves;
}
