const Sequencer = require("@jest/test-sequencer").default;

// The projects whose files take minutes go first, so the short ones fill the workers around them instead of
// an end-to-end scenario starting last: e2e (each file a scenario of minutes, mostly waiting on Terraform),
// then host, synth, integration, unit. Within a project jest's own order stands: a file that failed last
// time first, then the slowest it remembers, else the largest.
const FIRST = ["e2e", "host", "synth", "integration", "unit"];

class SlowProjectsFirst extends Sequencer {
  sort(tests) {
    const rank = (test) => {
      const index = FIRST.indexOf(test.context.config.displayName?.name ?? "");
      return index === -1 ? FIRST.length : index;
    };
    return [...super.sort(tests)].sort((a, b) => rank(a) - rank(b));
  }
}

module.exports = SlowProjectsFirst;
