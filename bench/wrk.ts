/** One wrk run: requests per second and the 99th percentile latency. */
export interface Sample {
  readonly rps: number;
  readonly p99ms: number;
}

/** The middle sample (the mean of the two middle ones for an even count). */
export const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
};

/** Parses wrk's `Requests/sec:` and the 99% line of `--latency`. */
export function parseWrk(output: string): Sample {
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(output)?.[1]);
  const p99 = /^\s+99%\s+([\d.]+)(us|ms|s)\s*$/m.exec(output);
  const unit = p99?.[2] === "us" ? 0.001 : p99?.[2] === "s" ? 1000 : 1;
  return { rps, p99ms: Number(p99?.[1]) * unit };
}
