import { DEPLOY_JOB_MINUTES } from "../../rollout/budget";
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import type { FleetConfig } from "../../fleet/schema";
import { dnsStackName } from "../../fleet/names";
import { selectStacks } from "../../terraform/stack-selection";
import type { Layout } from "../../tools/layout-check";
import { shapeOrThrow } from "../../fleet/validate";
import { baseFleet, readmeFleet, DEFAULT_APP } from "../fixtures";

const ROOT = join(__dirname, "..", "..");
const WORKFLOWS = join(ROOT, ".github", "workflows");

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
  if?: string;
}
interface Job {
  steps: Step[];
  needs?: string | string[];
  if?: string;
  environment?: string;
  permissions?: Record<string, string>;
  outputs?: Record<string, string>;
  "timeout-minutes"?: number;
}
interface Workflow {
  on: Record<string, { paths?: string[]; branches?: string[] }>;
  env: Record<string, string>;
  permissions: Record<string, string>;
  concurrency: { group: string; "cancel-in-progress": boolean };
  jobs: Record<string, Job>;
}

const text = (file: string) => readFileSync(join(WORKFLOWS, file), "utf8");
const workflow = (file: string) => parse(text(file)) as Workflow;
/**
 * The folders whose code a plan or a deploy runs, from the code layout (tools/layout.json): every layer but the
 * tests' and the checks', outside the host sandbox, the live fleet and the benchmark, which only run on this machine.
 */
const DEPLOYED_FOLDERS = [
  ...new Set(
    (JSON.parse(readFileSync(join(ROOT, "tools", "layout.json"), "utf8")) as Layout).paths
      .filter(
        ([path, layer]) => path.endsWith("/") && !["fixtures", "test-support", "unit-tests", "tests"].includes(layer),
      )
      .map(([path]) => `${path.split("/")[0] ?? ""}/`)
      .filter((folder) => !["host/", "live/", "bench/", "tools/", "test/"].includes(folder)),
  ),
];

const scripts = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> })
  .scripts;
const makeTargets = readFileSync(join(ROOT, "Makefile"), "utf8")
  .split("\n")
  .flatMap((line) => /^([a-z][a-z0-9-]*):/.exec(line)?.[1] ?? []);

function runCommands(wf: Workflow): string[] {
  return Object.values(wf.jobs).flatMap((job) => job.steps.flatMap((step) => step.run ?? []));
}
const stepIndex = (job: Job, match: (step: Step) => boolean) => job.steps.findIndex(match);
const uses = (prefix: string) => (step: Step) => step.uses?.startsWith(prefix) === true;
const runs = (fragment: string) => (step: Step) => step.run?.includes(fragment) === true;

describe("GitHub Actions workflows", () => {
  const files = readdirSync(WORKFLOWS).filter((f) => f.endsWith(".yml"));

  it("are the plan and deploy workflows", () => {
    expect(files.sort()).toEqual(["deploy.yml", "plan.yml"]);
  });

  it.each(files)("%s pins every action by commit, with its tag beside it", (file) => {
    const lines = text(file)
      .split("\n")
      .filter((line) => /^\s*(- )?uses:/.test(line));
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line).toMatch(/uses: [\w.-]+\/[\w.-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$/);
  });

  it.each(files)("%s only runs npm scripts, make targets and repository scripts that exist", (file) => {
    const commands = runCommands(workflow(file)).join("\n");
    const npmScripts = [...commands.matchAll(/npm run (?:--silent )?([a-z:-]+)/g)].map((m) => m[1] ?? "");
    const repoScripts = [...commands.matchAll(/(?:^|\s)(scripts\/[\w.-]+)/g)].map((m) => m[1] ?? "");
    const targets = [...commands.matchAll(/\bmake ([a-z0-9-]+)/g)].map((m) => m[1] ?? "");
    // Every workflow checks its fleet file with a repository script, and runs npm scripts or make targets.
    expect(repoScripts.length).toBeGreaterThan(0);
    expect(npmScripts.length + targets.length).toBeGreaterThan(0);
    const missing = [
      ...repoScripts.filter((script) => !existsSync(join(ROOT, script))),
      ...npmScripts.filter((script) => !Object.keys(scripts).includes(script)).map((script) => `npm run ${script}`),
      ...targets.filter((target) => !makeTargets.includes(target)).map((target) => `make ${target}`),
    ];
    expect(missing).toEqual([]);
  });

  it.each(files)(
    "%s grants nothing by default, and lets exactly one job mint AWS tokens, from a repository variable",
    (file) => {
      const wf = workflow(file);
      expect(wf.permissions).toEqual({});
      const minting = Object.entries(wf.jobs).filter(([, job]) => job.permissions?.["id-token"] === "write");
      expect(minting).toHaveLength(1);
      const [, job] = minting[0] ?? ["", { steps: [] }];
      const credentials = job.steps.find(uses("aws-actions/configure-aws-credentials@"));
      expect(String(credentials?.with?.["role-to-assume"])).toMatch(/^\$\{\{ vars\.AWS_[A-Z_]+_ROLE_ARN \}\}$/);
      expect(JSON.stringify(wf)).not.toMatch(/aws-access-key-id|AWS_SECRET_ACCESS_KEY/);
      // In that job no package's install script runs, and the token is asked for after the packages are in.
      const install = stepIndex(job, runs("npm ci"));
      expect(job.steps[install]?.run).toBe("npm ci --ignore-scripts");
      expect(stepIndex(job, uses("aws-actions/configure-aws-credentials@"))).toBeGreaterThan(install);
      expect(JSON.stringify(job.steps)).not.toMatch(/make test|jest/);
    },
  );

  it.each(files)("%s checks out without keeping the token, and checks the fleet file first", (file) => {
    const checkingOut = Object.values(workflow(file).jobs).filter((job) => job.steps.some(uses("actions/checkout@")));
    expect(checkingOut.length).toBeGreaterThan(0);
    for (const job of checkingOut) {
      expect(job.steps.find(uses("actions/checkout@"))?.with?.["persist-credentials"]).toBe(false);
      expect(job.steps[1]?.run).toBe("scripts/check-fleet-file.sh");
    }
  });

  it.each(files)(
    "%s runs when the fleet file or the code changes, and passes CLOUDRIM_CONFIG from a repository variable",
    (file) => {
      const wf = workflow(file);
      const paths = wf.on.pull_request?.paths ?? wf.on.push?.paths ?? [];
      expect(DEPLOYED_FOLDERS).toEqual(expect.arrayContaining(["fleet/", "rollout/", "scripts/", "regions/", "app/"]));
      expect(paths).toEqual(expect.arrayContaining(["main.ts", ...DEPLOYED_FOLDERS.map((folder) => `${folder}**`)]));
      expect(wf.env.CLOUDRIM_CONFIG).toBe("${{ vars.CLOUDRIM_CONFIG }}");
    },
  );

  it.each(files)("%s runs a Node.js the AWS SDK supports without warnings, and npm without its banner", (file) => {
    const steps = Object.values(workflow(file).jobs).flatMap((job) => job.steps);
    const setups = steps.filter(uses("actions/setup-node@"));
    expect(setups.length).toBeGreaterThan(0);
    for (const node of setups) expect(Number(node.with?.["node-version"])).toBeGreaterThanOrEqual(22);
    const npmRuns = runCommands(workflow(file)).filter((c) => c.includes("npm run"));
    expect(npmRuns.length).toBeGreaterThan(0);
    for (const command of npmRuns) expect(command).toMatch(/npm run --silent /);
  });

  it("plan and deploy select the same stacks: every stack of the fleet file unless PLAN_STACKS narrows them", () => {
    const planned = workflow("plan.yml").env.PLAN_STACKS;
    expect(workflow("deploy.yml").env.DEPLOY_STACKS).toBe(planned);
    const [, variable, fallback = ""] = /^\$\{\{ vars\.(\w+) \|\| '([^']*)' \}\}$/.exec(planned ?? "") ?? [];
    expect(variable).toBe("PLAN_STACKS");
    // Whatever the fleet's service and deployment are called, the default leaves none of its stacks out.
    const stacksOf = (fleet: FleetConfig) => {
      const shape = shapeOrThrow(fleet, DEFAULT_APP);
      return [shape.state.stackName, dnsStackName(shape), ...shape.regions.map((region) => region.stackName)];
    };
    for (const fleet of [readmeFleet(), baseFleet({ service: "shop", deployment: "staging" })]) {
      expect(selectStacks(stacksOf(fleet), [fallback])).toEqual({ ok: true, stacks: [...stacksOf(fleet)].sort() });
    }
  });

  describe("plan.yml", () => {
    const wf = workflow("plan.yml");
    const { checks, suites, plan, comment } = wf.jobs;

    it("tests without root where root is not needed, and with the runner's sudo only for the host suite", () => {
      expect(checks?.steps.at(-1)?.run).toBe("make test-fast");
      const e2e = stepIndex(suites ?? { steps: [] }, runs("make test-e2e"));
      const host = stepIndex(suites ?? { steps: [] }, runs("make test-host"));
      expect(suites?.steps[e2e]?.run).toBe("make test-e2e");
      expect(suites?.steps[host]?.run).toMatch(/^sudo --preserve-env=PATH[^ ]* env "PATH=\$PATH" make test-host$/);
      expect(JSON.stringify(wf.jobs)).not.toMatch(/make test"|"make test$/);
    });

    it("installs the local AWS into an environment whose python3 comes first on PATH, not with pipx", () => {
      const install = suites?.steps.find(runs("moto[server]"))?.run ?? "";
      expect(install).toMatch(/python3 -m venv "\$RUNNER_TEMP\/local-aws"/);
      expect(install).toContain('echo "$RUNNER_TEMP/local-aws/bin" >> "$GITHUB_PATH"');
      expect(install).not.toContain("pipx");
      expect(stepIndex(suites ?? { steps: [] }, runs("moto[server]"))).toBeLessThan(
        stepIndex(suites ?? { steps: [] }, runs("make test-e2e")),
      );
    });

    it("plans only after both test jobs passed, without the state lock, saving the plans under the reviewed head", () => {
      expect(plan?.needs).toEqual(["checks", "suites"]);
      const run = plan?.steps.find(runs("npm run --silent plan"));
      expect(run?.run).toContain("--no-lock");
      expect(run?.run).toContain('--commit "$HEAD"');
      expect(run?.env?.HEAD).toBe("${{ github.event.pull_request.head.sha }}");
      expect(run?.run).toContain('test "$code" -ne 1');
      const upload = plan?.steps.find((s) => s.with?.path === "reviewed-plans/");
      expect(upload?.with).toMatchObject({ name: "reviewed-plans-${{ github.event.pull_request.head.sha }}" });
    });

    it("comments a report cut to GitHub's limit, from a job that runs no pull request code and may only comment", () => {
      const run = plan?.steps.find(runs("npm run --silent plan"))?.run ?? "";
      expect(run).toContain("--comment plan-comment.md");
      expect(run).toContain('--whole-report-at "report.md in the artifact reviewed-plans-$HEAD"');
      expect(comment?.permissions).toEqual({ "pull-requests": "write" });
      expect(comment?.needs).toBe("plan");
      expect(comment?.steps.some(uses("actions/checkout@"))).toBe(false);
      expect(comment?.steps.some((s) => s.run !== undefined)).toBe(false);
      expect(comment?.steps.find(uses("marocchino/sticky-pull-request-comment@"))?.with).toEqual({
        header: "terraform-plan",
        path: "plan-comment.md",
      });
    });

    it("cancels a superseded run, which is safe because its plans hold no lock", () => {
      expect(wf.concurrency["cancel-in-progress"]).toBe(true);
      expect(plan?.steps.find(runs("npm run --silent plan"))?.run).toContain("--no-lock");
    });
  });

  describe("deploy.yml", () => {
    const wf = workflow("deploy.yml");
    const [job] = Object.values(wf.jobs);
    const steps = job?.steps ?? [];

    it("deploys pushes to main, gated by the production environment, one at a time and never cancelled", () => {
      expect(wf.on.push?.branches).toEqual(["main"]);
      expect(job?.environment).toBe("production");
      expect(wf.concurrency).toEqual({ group: "deploy-production", "cancel-in-progress": false });
    });

    it("finds every merge since the last deploy and its reviewed plans, then deploys only what they reviewed", () => {
      const checkout = steps.find(uses("actions/checkout@"));
      expect(checkout?.with?.["fetch-depth"]).toBe(0);
      const find = stepIndex(job ?? { steps: [] }, runs("scripts/reviewed-merges.sh reviewed"));
      const deploy = stepIndex(job ?? { steps: [] }, runs("npm run --silent deploy"));
      expect(find).toBeGreaterThan(0);
      expect(deploy).toBeGreaterThan(find);
      expect(steps[deploy]?.run).toContain("mapfile -t reviewed < reviewed/flags");
      expect(steps[deploy]?.run).toContain(
        'npm run --silent deploy -- "${reviewed[@]}" --report deploy-report.md "$DEPLOY_STACKS"',
      );
      expect(job?.permissions?.actions).toBe("read");
    });

    it("gives the deploy the time its rollout may take: the forward budget, a stop's cancel and rollback, Terraform", () => {
      expect(job?.["timeout-minutes"]).toBeGreaterThanOrEqual(DEPLOY_JOB_MINUTES);
    });

    it("posts what stopped it on every pull request it includes", () => {
      const post = steps.find(runs("gh pr comment"));
      expect(post?.if).toBe("failure() && hashFiles('deploy-report.md') != ''");
      expect(post?.run).toContain('gh pr comment "$pr" --body-file deploy-report.md');
      expect(post?.run).toContain("reviewed/prs");
    });
  });

  describe("the merges a deploy includes (scripts/reviewed-merges.sh)", () => {
    let dir: string;
    let repo: string;
    const git = (...args: string[]) => spawnSync("git", args, { cwd: repo, encoding: "utf8" }).stdout.trim();
    /** A stand-in for GitHub's CLI: answers from a table, records the downloads. */
    function fakeGh(answers: Record<string, string>) {
      const bin = join(dir, "bin");
      mkdirSync(bin, { recursive: true });
      writeFileSync(join(dir, "answers.json"), JSON.stringify(answers));
      writeFileSync(
        join(bin, "gh"),
        `#!/usr/bin/env node
const answers = require(${JSON.stringify(join(dir, "answers.json"))});
const args = process.argv.slice(2);
if (args[0] === "run" && args[1] === "download") {
  const fs = require("fs"); const out = args[args.indexOf("--dir") + 1]; fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(out + "/manifest.json", JSON.stringify({ run: args[2], name: args[args.indexOf("--name") + 1] }));
  process.exit(0);
}
const key = args.join(" ");
const found = Object.keys(answers).find((k) => key.includes(k));
if (found === undefined) { process.stderr.write("gh stand-in: no answer for " + key + "\\n"); process.exit(2); }
process.stdout.write(answers[found] + "\\n");
`,
      );
      chmodSync(join(bin, "gh"), 0o755);
      return bin;
    }
    function reviewedMerges(bin: string, sha: string) {
      return spawnSync(join(ROOT, "scripts", "reviewed-merges.sh"), [join(dir, "reviewed")], {
        cwd: repo,
        encoding: "utf8",
        env: { PATH: `${bin}:${process.env.PATH ?? ""}`, GITHUB_REPOSITORY: "acme/fleet", GITHUB_SHA: sha },
      });
    }

    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), "cloudrim-merges-"));
      repo = join(dir, "repo");
      mkdirSync(repo);
      git("init", "-q", "-b", "main");
      for (const n of [1, 2, 3]) {
        writeFileSync(join(repo, "f"), String(n));
        git("add", "f");
        git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", `merge ${n}`);
      }
    });
    afterEach(() => {
      rmSync(dir, { recursive: true, force: true });
    });

    it("includes every merge since the last successful deploy, each with its own reviewed plans", () => {
      const [third, second, first] = git("log", "--format=%H").split("\n");
      const bin = fakeGh({
        "run list --workflow deploy.yml": first ?? "",
        [`commits/${second ?? ""}/pulls`]: "12",
        [`commits/${third ?? ""}/pulls`]: "13",
        "pulls/12": "aaaa12",
        "pulls/13": "bbbb13",
        "--commit aaaa12": "901",
        "--commit bbbb13": "902",
      });
      const result = reviewedMerges(bin, third ?? "");
      expect({ status: result.status, stderr: result.stderr }).toMatchObject({ status: 0 });
      expect(result.stdout.trim().split("\n")).toEqual([
        `#12 (head aaaa12, plan run 901): merged as ${(second ?? "").slice(0, 7)}; its own deploy was superseded, so this one applies it`,
        "#13 (head bbbb13, plan run 902): this merge",
      ]);
      expect(
        readFileSync(join(dir, "reviewed", "flags"), "utf8")
          .trim()
          .split("\n"),
      ).toEqual(["--reviewed", join(dir, "reviewed", "12"), "--reviewed", join(dir, "reviewed", "13")]);
      expect(readFileSync(join(dir, "reviewed", "prs"), "utf8")).toBe("12\n13\n");
      expect(JSON.parse(readFileSync(join(dir, "reviewed", "13", "manifest.json"), "utf8"))).toEqual({
        run: "902",
        name: "reviewed-plans-bbbb13",
      });
    });

    it("stops when a merge came from no pull request, or its head has no successful plan: nothing reviewed", () => {
      const [third] = git("log", "--format=%H").split("\n");
      const none = reviewedMerges(fakeGh({ "run list --workflow deploy.yml": "", "/pulls": "" }), third ?? "");
      expect(none.status).toBe(1);
      expect(none.stderr).toContain("came from no pull request: nothing was reviewed, so nothing is applied");
      const unplanned = reviewedMerges(
        fakeGh({
          "run list --workflow deploy.yml": "",
          [`commits/${third ?? ""}/pulls`]: "13",
          "pulls/13": "bbbb13",
          "--commit bbbb13": "",
        }),
        third ?? "",
      );
      expect(unplanned.status).toBe(1);
      expect(unplanned.stderr).toContain(
        "no successful plan run for bbbb13, the reviewed head of #13: nothing is applied",
      );
    });
  });

  describe("the fleet file check every job runs first", () => {
    const check = (config?: string) =>
      spawnSync(join(ROOT, "scripts", "check-fleet-file.sh"), {
        cwd: ROOT,
        encoding: "utf8",
        env: { PATH: process.env.PATH, ...(config === undefined ? {} : { CLOUDRIM_CONFIG: config }) },
      });

    it("accepts no fleet file (the default fleet) and an existing file under regions/", () => {
      expect(check().status).toBe(0);
      expect(check("regions/default.ts").stdout).toContain("the fleet is regions/default.ts");
    });

    it("refuses a file outside regions/, whose changes would run neither workflow, and a missing one", () => {
      const outside = check("fleet.json");
      expect(outside.status).toBe(1);
      expect(outside.stderr).toContain("CLOUDRIM_CONFIG=fleet.json is outside regions/");
      expect(check("regions/../fleet.json").status).toBe(1);
      expect(check("regions/nope.json").stderr).toContain("does not exist in this commit");
    });
  });
});
