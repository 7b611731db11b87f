const Sequencer = require("@jest/test-sequencer").default;

// The files that take minutes, slowest first, as measured on this machine kind (docs/testing.md): they start
// first, so the short ones fill the workers around them and none of them starts last. Jest's own order
// follows for the rest (a file that failed last time first, then the slowest it remembers, else the
// largest); a list out of date only costs time.
const SLOWEST = [
  "e2e/deployed-fleet.e2e.test.ts",
  "e2e/planned-fleet.e2e.test.ts",
  "e2e/interrupted.e2e.test.ts",
  "e2e/review-merge-apply.e2e.test.ts",
  "e2e/rollout-and-retire.e2e.test.ts",
  "e2e/fresh-account.e2e.test.ts",
  "e2e/confirmation.e2e.test.ts",
  "host/github-runner.test.ts",
  "e2e/plan-time-checks.e2e.test.ts",
  "e2e/no-refresh.e2e.test.ts",
  "host/watchdog.test.ts",
  "synth/terraform-validate.test.ts",
  "host/release.test.ts",
];

class SlowestFirst extends Sequencer {
  sort(tests) {
    const rank = (test) => {
      const index = SLOWEST.findIndex((file) => test.path.endsWith(`/test/${file}`));
      return index === -1 ? SLOWEST.length : index;
    };
    return [...super.sort(tests)].sort((a, b) => rank(a) - rank(b));
  }
}

module.exports = SlowestFirst;
