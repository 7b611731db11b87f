import {
  commandFile,
  commandTableProblems,
  docReferences,
  headingAnchor,
  headings,
  helpProblem,
  linkProblems,
  referenceProblems,
  type DocsTree,
} from "../../../tools/docs-check";

// The fixtures keep their documents in manual/, so that the check, which reads this file too, never takes them
// for references to the project's own docs.
const RUNBOOK = [
  "# Runbook",
  "",
  "## A rollout stopped",
  "",
  "## On call: alarms and logs",
  "",
  "## `npm run deploy` or `cdktf deploy '*'`",
  "",
  "```markdown",
  "## Not a heading: inside a fence",
  "```",
].join("\n");

/** A repository of README.md, manual/runbook.md and one image. */
const tree: DocsTree = {
  exists: (path) => ["README.md", "manual", "manual/runbook.md", "manual/dashboard.png"].includes(path),
  markdown: (path) => (path === "manual/runbook.md" ? RUNBOOK : undefined),
};

const answer = (status: number | null, stdout: string) => ({ status, stdout });

describe("headings and their anchors", () => {
  it("are GitHub's: lowercase, punctuation dropped, spaces as hyphens, a repeat numbered", () => {
    expect(headingAnchor("Review, merge, apply (CI)")).toBe("review-merge-apply-ci");
    expect(headingAnchor("`npm run deploy` or `cdktf deploy '*'`")).toBe("npm-run-deploy-or-cdktf-deploy-");
    expect(headingAnchor("Node.js ≥ 20: what [the SDK](https://aws.amazon.com) says")).toBe(
      "nodejs--20-what-the-sdk-says",
    );
    expect(headings("# Notes\n## Notes\n## Notes").map((h) => h.anchor)).toEqual(["notes", "notes-1", "notes-2"]);
  });

  it("are never taken from a fenced example", () => {
    expect(headings(RUNBOOK).map((h) => h.text)).toEqual([
      "Runbook",
      "A rollout stopped",
      "On call: alarms and logs",
      "`npm run deploy` or `cdktf deploy '*'`",
    ]);
  });
});

describe("relative links", () => {
  it("pass when the file exists and a fragment names one of its headings", () => {
    const readme = [
      "See [the runbook](manual/runbook.md#a-rollout-stopped), [deploying](./manual/runbook.md#npm-run-deploy-or-cdktf-deploy-),",
      "![the dashboard](manual/dashboard.png), [the manual](manual/), [on GitHub](https://github.com/x/y#z) and [the top](#readme).",
      "",
      "# Readme",
      "",
      "[runbook]: manual/runbook.md",
    ].join("\n");
    expect(linkProblems("README.md", readme, tree)).toEqual([]);
  });

  it("fail on a missing file, a fragment no heading has and a path out of the repository, naming each", () => {
    const readme = [
      "# Readme",
      "",
      "A [dead link](manual/gone.md), [a stale section](manual/runbook.md#on-call) and [a sibling](../other/README.md).",
      "[a heading this file lacks](#usage)",
    ].join("\n");
    expect(linkProblems("README.md", readme, tree)).toEqual([
      { file: "README.md", line: 3, message: "link manual/gone.md: manual/gone.md does not exist" },
      {
        file: "README.md",
        line: 3,
        message: "link manual/runbook.md#on-call: manual/runbook.md has no heading whose anchor is #on-call",
      },
      { file: "README.md", line: 3, message: "link ../other/README.md: points outside the repository" },
      { file: "README.md", line: 4, message: "link #usage: README.md has no heading whose anchor is #usage" },
    ]);
  });

  it("resolve from the linking file's directory, and are not looked for in code", () => {
    const page = [
      "Back to [the runbook](runbook.md#a-rollout-stopped); `[in code](gone.md)` is not a link.",
      "```",
      "[in a fence](gone.md)",
      "```",
    ].join("\n");
    expect(linkProblems("manual/guide.md", page, tree)).toEqual([]);
  });
});

describe("plain references to a document's sections, in code and messages", () => {
  it("are read with their sections, in either form, from strings with escaped quotes too", () => {
    const code = [
      'throw new Error(`stopped. What to do: manual/runbook.md, "A rollout stopped" (logs: ${dir})`);',
      '"the rest (manual/runbook.md (\\"On call\\", \\"A rollout stopped\\"))"',
      "// see manual/runbook.md for the rest",
    ].join("\n");
    expect(docReferences(code, "manual")).toEqual([
      { path: "manual/runbook.md", sections: ["A rollout stopped"], line: 1 },
      { path: "manual/runbook.md", sections: ["On call", "A rollout stopped"], line: 2 },
      { path: "manual/runbook.md", sections: [], line: 3 },
    ]);
  });

  it("fail on a file that does not exist and on a section the file has no heading for", () => {
    const code = [
      'const hint = "manual/runbook.md, \\"A rollout stopped\\"";',
      'const moved = "manual/operations.md, \\"A rollout stopped\\"";',
      'const renamed = "manual/runbook.md (\\"On call\\")";',
    ].join("\n");
    expect(referenceProblems("rollout/adapters/deploy.ts", code, tree, "manual")).toEqual([
      { file: "rollout/adapters/deploy.ts", line: 2, message: "manual/operations.md does not exist" },
      { file: "rollout/adapters/deploy.ts", line: 3, message: 'manual/runbook.md has no heading "On call"' },
    ]);
  });
});

describe("an npm script that is one of the project's commands", () => {
  it("runs its file with tsx, and nothing else", () => {
    expect(commandFile("node --import tsx scripts/deploy.ts")).toBe("scripts/deploy.ts");
    expect(commandFile("tsc --noEmit")).toBeUndefined();
    expect(commandFile("node --import tsx scripts/deploy.ts --yes")).toBeUndefined();
    expect(commandFile("npx tsx scripts/deploy.ts")).toBeUndefined();
  });
});

describe("the README's command table", () => {
  const scripts = {
    deploy: "node --import tsx scripts/deploy.ts",
    plan: "node --import tsx scripts/plan.ts",
    typecheck: "tsc --noEmit",
  };
  const makefile = ["## The main job.", "demo: setup", "\tnpm run demo", "", "suites:", "\tjest"].join("\n");
  const readme = (rows: string[]) =>
    [
      "# Readme",
      "",
      "## Commands",
      "",
      "| command | what |",
      "| --- | --- |",
      ...rows,
      "",
      "## More",
      "",
      "| `npm run elsewhere` | |",
    ].join("\n");

  it("asks each listed command for its help, and accepts make targets that make help lists", () => {
    const result = commandTableProblems(
      readme(["| `npm run deploy` | deploy |", "| `npm run plan`, `make demo` | plan; the demo |"]),
      "Commands",
      scripts,
      makefile,
    );
    expect(result).toEqual({
      problems: [],
      helpToAsk: [
        { script: "deploy", line: 7 },
        { script: "plan", line: 8 },
      ],
    });
  });

  it("fails on a command the table leaves out, a script or target that does not exist, and no table at all", () => {
    const result = commandTableProblems(
      readme(["| `npm run deploy` | deploy |", "| `npm run deplyo` | typo |", "| `make suites` | undocumented |"]),
      "Commands",
      scripts,
      makefile,
    );
    expect(result.problems).toEqual([
      { file: "README.md", line: 8, message: "npm run deplyo: package.json has no script deplyo" },
      { file: "README.md", line: 9, message: "make suites: not a target make help lists" },
      { file: "README.md", line: 7, message: 'the "Commands" table leaves out npm run plan' },
    ]);
    expect(commandTableProblems("# Readme", "Commands", scripts, makefile).problems).toEqual([
      { file: "README.md", line: 1, message: 'no "Commands" section' },
    ]);
  });

  it("takes a command's help only as exit 0 with its own usage line first", () => {
    expect(
      helpProblem("deploy", answer(0, "usage: npm run deploy -- [--yes] [stack glob…]\n\nDeploys.")),
    ).toBeUndefined();
    expect(helpProblem("typecheck", answer(0, "Version 5.9.3\ntsc: The TypeScript Compiler"))).toBe(
      'npm run typecheck -- --help exited 0 and printed "Version 5.9.3" where its usage ("usage: npm run typecheck …") ' +
        "belongs: define the command with cli/command.ts, or take it out of the table",
    );
    expect(helpProblem("deploy", answer(2, "usage: npm run deploy -- [--yes]"))).toMatch(/exited 2/);
    expect(helpProblem("deploy", answer(0, "usage: npm run deployment"))).toMatch(
      /printed "usage: npm run deployment"/,
    );
    expect(helpProblem("deploy", answer(null, ""))).toMatch(/exited null and printed nothing/);
  });
});
