import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";

const ROOT = join(__dirname, "..", "..");
const WORKFLOWS = join(ROOT, ".github", "workflows");

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  if?: string;
}
interface Workflow {
  on: Record<string, { paths?: string[]; branches?: string[] }>;
  env: Record<string, string>;
  permissions: Record<string, string>;
  jobs: Record<string, { steps: Step[]; environment?: string; "timeout-minutes"?: number }>;
}

const workflow = (file: string) => parse(readFileSync(join(WORKFLOWS, file), "utf8")) as Workflow;
const scripts = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> })
  .scripts;
const makeTargets = readFileSync(join(ROOT, "Makefile"), "utf8")
  .split("\n")
  .flatMap((line) => /^([a-z][a-z0-9-]*):/.exec(line)?.[1] ?? []);

function runCommands(wf: Workflow): string[] {
  return Object.values(wf.jobs).flatMap((job) => job.steps.flatMap((step) => step.run ?? []));
}

describe("GitHub Actions workflows", () => {
  const files = readdirSync(WORKFLOWS).filter((f) => f.endsWith(".yml"));

  it("are the plan and deploy workflows", () => {
    expect(files.sort()).toEqual(["deploy.yml", "plan.yml"]);
  });

  it.each(files)("%s only runs npm scripts and make targets that exist", (file) => {
    const commands = runCommands(workflow(file)).join("\n");
    const npmScripts = [...commands.matchAll(/npm run (?:--silent )?([a-z:-]+)/g)].map((m) => m[1] ?? "");
    const repoScripts = [...commands.matchAll(/(?:^|\s)(scripts\/[\w.-]+)/g)].map((m) => m[1] ?? "");
    for (const script of repoScripts) expect(existsSync(join(ROOT, script))).toBe(true);
    const targets = [...commands.matchAll(/\bmake ([a-z-]+)/g)].map((m) => m[1] ?? "");
    expect(npmScripts.length + targets.length).toBeGreaterThan(0);
    for (const script of npmScripts) expect(Object.keys(scripts)).toContain(script);
    for (const target of targets) expect(makeTargets).toContain(target);
  });

  it.each(files)("%s assumes its AWS role through OIDC, from a repository variable", (file) => {
    const wf = workflow(file);
    expect(wf.permissions["id-token"]).toBe("write");
    const steps = Object.values(wf.jobs).flatMap((job) => job.steps);
    const credentials = steps.find((s) => s.uses?.startsWith("aws-actions/configure-aws-credentials@") === true);
    expect(String(credentials?.with?.["role-to-assume"])).toMatch(/^\$\{\{ vars\.AWS_[A-Z_]+_ROLE_ARN \}\}$/);
    expect(JSON.stringify(wf)).not.toMatch(/aws-access-key-id|AWS_SECRET_ACCESS_KEY/);
  });

  it.each(files)(
    "%s runs when the fleet file changes, and passes CLOUDRIM_CONFIG from a repository variable",
    (file) => {
      const wf = workflow(file);
      const paths = wf.on.pull_request?.paths ?? wf.on.push?.paths ?? [];
      expect(paths).toEqual(expect.arrayContaining(["regions/**", "constructs/**", "lib/**", "main.ts"]));
      expect(wf.env.CLOUDRIM_CONFIG).toBe("${{ vars.CLOUDRIM_CONFIG }}");
      // A fleet file outside regions/ would change without running the workflow: the first step refuses it.
      const [job] = Object.values(wf.jobs);
      expect(job?.steps.slice(0, 2).map((s) => s.run ?? s.uses)).toEqual([
        "actions/checkout@v4",
        "scripts/check-fleet-file.sh",
      ]);
    },
  );

  it.each(files)("%s runs a Node.js the AWS SDK supports without warnings, and npm without its banner", (file) => {
    const steps = Object.values(workflow(file).jobs).flatMap((job) => job.steps);
    const node = steps.find((s) => s.uses?.startsWith("actions/setup-node@") === true);
    expect(Number(node?.with?.["node-version"])).toBeGreaterThanOrEqual(22);
    for (const command of runCommands(workflow(file)).filter((c) => c.includes("npm run"))) {
      expect(command).toMatch(/npm run --silent /);
    }
  });

  describe("plan.yml", () => {
    const wf = workflow("plan.yml");
    const steps = Object.values(wf.jobs).flatMap((job) => job.steps);

    it("tests, plans with a report, saves the plans as an artifact of the reviewed commit, and keeps one sticky comment", () => {
      const order = steps.map((s) => s.run ?? s.uses ?? "");
      const test = order.findIndex((s) => s.includes("make test"));
      const plan = order.findIndex((s) =>
        s.includes('npm run --silent plan -- --report plan-report.md --save reviewed-plans "$PLAN_STACKS"'),
      );
      const upload = order.findIndex((s) => s.startsWith("actions/upload-artifact@"));
      const comment = order.findIndex((s) => s.startsWith("marocchino/sticky-pull-request-comment@"));
      expect(test).toBeGreaterThanOrEqual(0);
      expect(plan).toBeGreaterThan(test);
      expect(upload).toBeGreaterThan(plan);
      expect(steps[upload]?.with).toMatchObject({
        name: "reviewed-plans-${{ github.event.pull_request.head.sha }}",
        path: "reviewed-plans/",
      });
      expect(comment).toBeGreaterThan(plan);
      expect(steps[comment]?.with).toEqual({ header: "terraform-plan", path: "plan-report.md" });
      expect(steps[comment]?.if).toContain("always()");
    });

    it("treats plan exit code 2 (changes) as success and 1 (failure) as failure", () => {
      const plan = steps.find((s) => s.run?.includes("npm run --silent plan") === true)?.run ?? "";
      expect(plan).toContain('test "$code" -ne 1');
    });
  });

  describe("deploy.yml", () => {
    const wf = workflow("deploy.yml");
    const [job] = Object.values(wf.jobs);
    const steps = job?.steps ?? [];

    it("deploys pushes to main, gated by the production environment", () => {
      expect(wf.on.push?.branches).toEqual(["main"]);
      expect(job?.environment).toBe("production");
    });

    it("fetches the merged pull request's reviewed plans, then deploys only if a fresh plan matches them", () => {
      const order = steps.map((s) => s.run ?? s.uses ?? "");
      const find = order.findIndex((s) => s.includes("gh run list --workflow plan.yml --commit"));
      const download = order.findIndex((s) => s.startsWith("actions/download-artifact@"));
      const deploy = order.findIndex((s) =>
        s.includes('npm run --silent deploy -- --reviewed reviewed-plans --report deploy-report.md "$DEPLOY_STACKS"'),
      );
      expect(find).toBeGreaterThanOrEqual(0);
      expect(download).toBeGreaterThan(find);
      expect(steps[download]?.with).toMatchObject({
        name: "reviewed-plans-${{ steps.review.outputs.head }}",
        "run-id": "${{ steps.review.outputs.run }}",
      });
      expect(deploy).toBeGreaterThan(download);
      expect(wf.permissions.actions).toBe("read");
    });

    it("refuses a push that came from no pull request: nothing reviewed, nothing applied", () => {
      expect(steps.find((s) => s.run?.includes("came from no pull request") === true)?.run).toMatch(/exit 1/);
    });

    it("posts the comparison to the pull request when the review is stale", () => {
      const post = steps.find((s) => s.run?.includes("gh pr comment") === true);
      expect(post?.if).toBe("failure() && hashFiles('deploy-report.md') != ''");
      expect(post?.run).toContain("--body-file deploy-report.md");
    });
  });

  describe("the fleet file check both workflows run first", () => {
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
