/*
 * "Did you mean …?" for a misspelled field. Written here rather than taken from a package: the libraries
 * (leven, fastest-levenshtein) count plain Levenshtein edits, in which two swapped letters, the commonest
 * typo, cost two; this is the same dozen lines with the swap as one edit.
 */

/**
 * Edits that turn `a` into `b`: inserting, deleting or replacing a character, or swapping two adjacent ones
 * (the optimal string alignment distance).
 */
export function editDistance(a: string, b: string): number {
  // rows[i][j]: edits between the first i characters of a and the first j of b.
  const rows = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number): number => rows[i]?.[j] ?? Number.POSITIVE_INFINITY;
  for (let i = 1; i <= a.length; i++) {
    const row = rows[i] ?? [];
    for (let j = 1; j <= b.length; j++) {
      const replace = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + replace);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, at(i - 2, j - 2) + 1);
      row[j] = best;
    }
  }
  return at(a.length, b.length);
}

/**
 * The known names `name` is most likely a typo of: those nearest to it, ignoring case, within a third of its
 * length in edits (at least one); none when nothing is that close.
 */
export function nearestNames(name: string, known: readonly string[]): string[] {
  const limit = Math.max(1, Math.floor(name.length / 3));
  const distances = known.map((candidate) => ({
    candidate,
    distance: editDistance(name.toLowerCase(), candidate.toLowerCase()),
  }));
  const best = Math.min(...distances.map((d) => d.distance));
  return best > limit ? [] : distances.filter((d) => d.distance === best).map((d) => d.candidate);
}
