/** @type {import('jest').Config} */
// CLOUDRIM_CPU_BY_FILE=<file>: each file's CPU recorded there (test/cpu-by-file.ts; the unit project writes nothing).
const cpuByFile = process.env.CLOUDRIM_CPU_BY_FILE ? ["<rootDir>/test/cpu-by-file.ts"] : [];

const project = (displayName, testMatch, extra = {}) => ({
  displayName,
  // Type checking is `tsc --noEmit`'s job (run by `make check`): tests only need TypeScript transpiled, which
  // swc does in a fraction of ts-jest's CPU (the unit project from a cold cache: 23 s of CPU, 38 s with ts-jest;
  // every jest worker transpiles what it loads, and CI always starts cold).
  transform: { "^.+\\.ts$": ["@swc/jest", {}] },
  testEnvironment: "node",
  testMatch,
  setupFiles: ["<rootDir>/test/setup-env.ts"],
  setupFilesAfterEnv: ["<rootDir>/test/setup-jest.ts", ...(displayName === "unit" ? [] : cpuByFile)],
  ...extra,
});

module.exports = {
  // Each end-to-end scenario spends much of its time waiting (on Route 53's fixed 15 s per change, on
  // refreshes and bakes), and the host suites on real time, so the files that take minutes all start at once
  // (on 2 cores) with the short suites around them: none of them starts late and ends the run alone. Each
  // region's Terraform takes ~640 MiB. Measured in docs/testing.md.
  maxWorkers: 10,
  // The minutes-long files start first (test/sequencer.js).
  testSequencer: "<rootDir>/test/sequencer.js",
  projects: [
    // Pure functions only: no process, nothing written to disk (test/setup-pure.ts refuses both).
    project("unit", ["<rootDir>/test/unit/**/*.test.ts"], {
      setupFiles: ["<rootDir>/test/setup-env.ts", "<rootDir>/test/setup-pure.ts"],
    }),
    // What runs a process or writes to disk without root or a local AWS: scripts run in scratch
    // directories, the adapters (*/adapters/) with stand-ins.
    project("integration", ["<rootDir>/test/integration/**/*.test.ts"]),
    project("synth", ["<rootDir>/test/synth/**/*.test.ts"]),
    // Real runit, haproxy and node processes on loopback (issue 4).
    project("host", ["<rootDir>/test/host/**/*.test.ts"]),
    // Real terraform apply against a private moto_server (issue 3).
    project("e2e", ["<rootDir>/test/e2e/**/*.test.ts"]),
  ],
};
