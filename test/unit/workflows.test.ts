import { readdirSync, readFileSync } from "node:fs";
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
    const npmScripts = [...commands.matchAll(/npm run ([a-z:-]+)/g)].map((m) => m[1] ?? "");
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

  describe("plan.yml", () => {
    const wf = workflow("plan.yml");
    const steps = Object.values(wf.jobs).flatMap((job) => job.steps);

    it("runs on pull requests that touch the infrastructure", () => {
      expect(wf.on.pull_request?.paths).toEqual(expect.arrayContaining(["constructs/**", "lib/**", "regions/**"]));
    });

    it("tests, then plans with a report, then keeps one sticky comment", () => {
      const order = steps.map((s) => s.run ?? s.uses ?? "");
      const test = order.findIndex((s) => s.includes("make test"));
      const plan = order.findIndex((s) => s.includes("npm run plan -- --report plan-report.md"));
      const comment = order.findIndex((s) => s.startsWith("marocchino/sticky-pull-request-comment@"));
      expect(test).toBeGreaterThanOrEqual(0);
      expect(plan).toBeGreaterThan(test);
      expect(comment).toBeGreaterThan(plan);
      expect(steps[comment]?.with).toEqual({ header: "terraform-plan", path: "plan-report.md" });
      expect(steps[comment]?.if).toContain("always()");
    });

    it("treats plan exit code 2 (changes) as success and 1 (failure) as failure", () => {
      const plan = steps.find((s) => s.run?.includes("npm run plan") === true)?.run ?? "";
      expect(plan).toContain('test "$code" -ne 1');
    });
  });

  describe("deploy.yml", () => {
    const wf = workflow("deploy.yml");
    const [job] = Object.values(wf.jobs);

    it("deploys pushes to main with npm run deploy, gated by the production environment", () => {
      expect(wf.on.push?.branches).toEqual(["main"]);
      expect(job?.environment).toBe("production");
      expect(runCommands(wf)).toContain('npm run deploy -- "$DEPLOY_STACKS"');
    });
  });
});
