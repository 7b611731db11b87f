import { parseWrk } from "../../../bench/wrk";

describe("reading wrk's report", () => {
  it("takes requests per second and the 99th percentile latency in milliseconds", () => {
    const output = [
      "Running 5s test @ http://127.0.0.1:29000/work?rounds=2000",
      "  1 threads and 20 connections",
      "  Latency Distribution",
      "     50%    9.12ms",
      "     75%   10.01ms",
      "     90%   11.52ms",
      "     99%   14.87ms",
      "  10741 requests in 5.00s, 1.83MB read",
      "Requests/sec:   2147.61",
    ].join("\n");
    expect(parseWrk(output)).toEqual({ rps: 2147.61, p99ms: 14.87 });
    expect(parseWrk(output.replace("14.87ms", "870.00us")).p99ms).toBeCloseTo(0.87);
    expect(parseWrk(output.replace("14.87ms", "1.20s")).p99ms).toBeCloseTo(1200);
  });
});
