/*
 * What validation reports: a problem names the field, the value found there and the fix. Problems of a
 * region's checks carry the region, so a fleet-wide setting wrong in several regions is one problem.
 */

/** One thing wrong with the config: where, what was there, and what is allowed instead. */
export interface Problem {
  readonly path: string;
  readonly value: unknown;
  readonly message: string;
}

/** A problem found while checking one region's plan; `regional` ones are prefixed with the regions they affect. */
export interface RegionProblem extends Problem {
  readonly region?: string;
}

/**
 * Collects one region's problems: `add` for a rule every region breaks alike (reported once), `addRegional`
 * for one whose outcome depends on the region's own settings (prefixed with the regions it affects).
 */
export function regionProblems(region: string) {
  const problems: RegionProblem[] = [];
  return {
    problems,
    add: (path: string, value: unknown, message: string) => {
      problems.push({ path, value, message });
    },
    addRegional: (path: string, value: unknown, message: string) => {
      problems.push({ path, value, message, region });
    },
  };
}

/**
 * A fleet-wide setting that is wrong in every region is one problem, not one per region: merge
 * problems with the same path and message, naming the regions they occur in.
 */
export function mergeRegions(problems: readonly RegionProblem[]): Problem[] {
  const merged = new Map<string, { problem: RegionProblem; regions: string[] }>();
  for (const problem of problems) {
    const key = `${problem.path}\u0000${problem.message}`;
    const seen = merged.get(key);
    if (seen === undefined) merged.set(key, { problem, regions: problem.region === undefined ? [] : [problem.region] });
    else if (problem.region !== undefined && !seen.regions.includes(problem.region)) seen.regions.push(problem.region);
  }
  return [...merged.values()].map(({ problem, regions }) => ({
    path: problem.path,
    value: problem.value,
    message: regions.length === 0 ? problem.message : `in ${regions.join(", ")}: ${problem.message}`,
  }));
}
