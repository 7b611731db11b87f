import { spawn } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { App } from "cdktf";
import { addFleet } from "../../constructs/fleet";
import type { FleetConfig } from "../../fleet/schema";
import { changesOf } from "../../terraform/plan-json";
import type { Target } from "../../fleet/target";
import { regionClients } from "../../fleet/adapters/aws-clients";
import { planStack, planStacks } from "../../review/adapters/plan-stacks";
import { run } from "../../cli/run";
import { deployStacks } from "../../rollout/adapters/stack-runs";
import { LocalFleet } from "./local-fleet";
import { oneWave, REGION_STACKS, shopFleet, STATE, stateKey } from "./shop-fleet";

/*
 * What is planned against a deployed fleet: the plan command's report and exit codes, its state lock (held by
 * another run, released, contended by two applies) and its state key (changed under a working copy and a fresh
 * clone). A classic region of three weighted ports and a network one of two, their state bucket and zone made
 * with the AWS SDK; nothing is destroyed, as the scenario's local AWS goes with it.
 */
jest.setTimeout(10 * 60_000);

const SYDNEY = { region: "ap-southeast-2", processes: 2, loadBalancerType: "network" } as const;

describe("a deployed fleet, planned", () => {
  let local: LocalFleet;
  let target: Target;
  /** The fleet file as deployed. */
  const base = () => shopFleet({ regions: [{ region: "us-east-1", weights: [2, 1, 1] }, SYDNEY] });

  beforeAll(async () => {
    local = await LocalFleet.start();
    ({ target } = await local.configure(oneWave(base())));
    await local.deployRegions();
  });
  afterAll(async () => {
    await local.stop();
  });

  describe("the plan command (npm run plan)", () => {
    async function planCommand(
      config: FleetConfig,
      globs: readonly string[],
      locking: readonly string[] = ["--lock-timeout", "1"],
    ): Promise<{ code: number; report: string; stderr: string }> {
      writeFileSync(local.configFile, JSON.stringify(config));
      const reportFile = join(local.dir, "report.md");
      rmSync(reportFile, { force: true });
      const outdir = join(local.dir, "plan.out");
      const result = await local.command("plan", ["--report", reportFile, "--outdir", outdir, ...locking, ...globs]);
      return {
        code: result.code,
        report: existsSync(reportFile) ? readFileSync(reportFile, "utf8") : "",
        stderr: result.stderr,
      };
    }

    /** Five processes behind public load balancers, still plain TCP: accepted on purpose, as a team would record it. */
    const publicFleet = () =>
      shopFleet({
        processes: 5,
        internal: false,
        regions: [{ region: "us-east-1" }, { region: "ap-southeast-2", loadBalancerType: "network" }],
        baselineExceptions: [
          {
            rule: "listener-tls",
            resources: "shop-e2e-*/aws_*.balancers_port-*",
            reason: "the shop's clients speak TLS end to end to the service itself",
          },
        ],
      });

    const unlockCommand = (...args: string[]) => local.command("unlock", args);

    it("reports counts, topology and dangerous replacements, and with a stack it cannot plan exits 1 and says what to fix; --no-lock plans it; npm run unlock names the lock's holder and releases it with --force", async () => {
      // A stack whose state another run has locked (a lock object left behind) cannot be planned.
      const s3 = regionClients(target, "us-east-1").s3;
      const lockKey = `${stateKey("us-east-1")}.tflock`;
      const lock = {
        ID: "5f1c2d3e-e2e0-4000-8000-000000000001",
        Operation: "OperationTypeApply",
        Who: "someone@elsewhere",
        Version: "1.11.4",
        Created: "2026-11-25T00:00:00Z",
        Path: `${STATE}/${stateKey("us-east-1")}`,
      };
      await s3.send(new PutObjectCommand({ Bucket: STATE, Key: lockKey, Body: JSON.stringify(lock) }));
      let result: { code: number; report: string };
      let unlocked: { code: number; report: string };
      try {
        result = await planCommand(publicFleet(), [REGION_STACKS]);
        // A pull request's plan is never applied: it takes no lock, so it plans the locked stack and leaves the lock be.
        unlocked = await planCommand(publicFleet(), ["shop-e2e-us-east-1"], ["--no-lock"]);
        const held = await s3.send(new GetObjectCommand({ Bucket: STATE, Key: lockKey }));
        expect(JSON.parse(await (held.Body?.transformToString() ?? "{}"))).toEqual(lock);
        // npm run unlock names the holder and breaks nothing by default (it ran on another machine)…
        const shown = await unlockCommand("shop-e2e-us-east-1");
        expect(shown.code).toBe(1);
        expect(shown.stdout).toMatch(
          /^shop-e2e-us-east-1: its state is locked by someone@elsewhere \(apply, Terraform 1\.11\.4\) since 2026-11-25T00:00:00\.000Z, \d+ d \d+ h ago; lock 5f1c2d3e-e2e0-4000-8000-000000000001\nrelease it once that run is gone: npm run unlock -- shop-e2e-us-east-1 --force/,
        );
        // … and releases it when told.
        const released = await unlockCommand("shop-e2e-us-east-1", "--force");
        expect({ code: released.code, stdout: released.stdout }).toMatchObject({
          code: 0,
          stdout: expect.stringContaining(
            "shop-e2e-us-east-1: released lock 5f1c2d3e-e2e0-4000-8000-000000000001 (--force)",
          ) as string,
        });
        expect((await unlockCommand("shop-e2e-us-east-1")).stdout).toMatch(/^shop-e2e-us-east-1: not locked /);
      } finally {
        await s3.send(new DeleteObjectCommand({ Bucket: STATE, Key: lockKey }));
      }
      expect({ code: unlocked.code, report: unlocked.report.split("\n").slice(0, 8) }).toMatchObject({ code: 2 });
      expect(unlocked.report).not.toContain("failed");
      // The locked stack, planned without the lock: 3 → 5 classic load balancers, and internal → public
      // replaces each of the three there are.
      expect(unlocked.report).toContain("| instance ports | 9000-9002 | 9000-9004 | yes |");
      expect(unlocked.report).toContain("| aws_elb | 2 | 0 | 3 | 0 |");
      expect(unlocked.report).toContain(
        "| weights | us-east-1-port-9000=2, us-east-1-port-9001=1, us-east-1-port-9002=1 | us-east-1-port-9000=1, us-east-1-port-9001=1, us-east-1-port-9002=1, us-east-1-port-9003=1, us-east-1-port-9004=1 | yes |",
      );
      for (const port of [9000, 9001, 9002]) {
        expect(unlocked.report).toMatch(
          new RegExp(
            `> - \`shop-e2e-us-east-1\`: \`aws_elb\\.balancers_port-${port}_[0-9A-F]{8}\` \\(shop-e2e-${port}\\) replaces a load balancer \\(forced by internal\\)`,
          ),
        );
      }
      const { code, report } = result;
      expect(code).toBe(1);
      expect(report).toContain("## Terraform plan: 1 of 2 stacks change, 1 failed");
      expect(report).toContain("> Failed to plan: `shop-e2e-us-east-1`");
      expect(report).toContain("| shop-e2e-us-east-1 | failed | | | |");
      expect(report).toMatch(
        /### shop-e2e-us-east-1: failed\n\n\*\*Fix:\*\* another run holds this stack's state lock/,
      );
      expect(report).toMatch(/Error acquiring the state lock/);
      // The other is planned and reported in full. 2 → 5 processes: three more load balancers and records.
      expect(report).toContain("| instance ports | 9000-9001 | 9000-9004 | yes |");
      expect(report).toContain("| load balancers | 2 | 5 | yes |");
      expect(report).toContain("| weighted records | 2 (alias A) | 5 (alias A) | yes |");
      expect(report).toContain(
        "| weights | ap-southeast-2-port-9000=1, ap-southeast-2-port-9001=1 | ap-southeast-2-port-9000=1, ap-southeast-2-port-9001=1, ap-southeast-2-port-9002=1, ap-southeast-2-port-9003=1, ap-southeast-2-port-9004=1 | yes |",
      );
      // Generated names (the launch template's name_prefix) carry a timestamp: no label.
      expect(report).toMatch(/`aws_launch_template\.service_launch-template_[0-9A-F]{8}`: update/);
      // internal → public forces every existing network load balancer to be replaced, and its listener with
      // it: first.
      expect(report).toMatch(/^> \[!CAUTION\]\n> \*\*4 dangerous changes\*\*/m);
      for (const port of [9000, 9001]) {
        expect(report).toMatch(
          new RegExp(
            `> - \`shop-e2e-ap-southeast-2\`: \`aws_lb_listener\\.balancers_listener-${port}_[0-9A-F]{8}\` replaces a listener \\(forced by load_balancer_arn\\)`,
          ),
        );
        expect(report).toMatch(
          new RegExp(
            `> - \`shop-e2e-ap-southeast-2\`: \`aws_lb\\.balancers_port-${port}_[0-9A-F]{8}\` \\(shop-e2e-${port}\\) replaces a load balancer \\(forced by internal\\)`,
          ),
        );
      }
      expect(report).toContain("| aws_lb | 3 | 0 | 2 | 0 |");
      expect(report).toContain("| load balancer type | network | network |  |");
      // The exception is listed with its reason, for the reviewer to see.
      expect(report).toMatch(
        /\| listener-tls \(CKV_AWS_127, CKV_AWS_2, AWS-0054\) \| `shop-e2e-ap-southeast-2` `aws_lb\.balancers_port-9000_[0-9A-F]{8}`<br>.* \| the shop's clients speak TLS end to end to the service itself \|/,
      );
    });
  });

  it("refuses a second apply while the state lock is held, and loses nothing", async () => {
    // Change only a weight: a Route 53 update that holds the lock for ~15 s (and the ports' traffic shares).
    await local.configure(shopFleet({ regions: [{ region: "us-east-1", weights: [3, 1, 1] }, SYDNEY] }));
    const dir = local.stackDir("shop-e2e-us-east-1");
    const synthesized = Object.values(
      (JSON.parse(readFileSync(join(dir, "cdk.tf.json"), "utf8")) as { resource: Record<string, object> }).resource,
    ).reduce((sum, byName) => sum + Object.keys(byName).length, 0);
    const s3 = regionClients(target, "us-east-1").s3;
    const lockKey = `${stateKey("us-east-1")}.tflock`;
    const first = spawn("terraform", ["apply", "-auto-approve", "-input=false", "-no-color"], {
      cwd: dir,
      env: local.env,
      stdio: ["ignore", "pipe", "pipe"],
      // Bounded: a provider retrying an unimplemented emulator call would otherwise hang the suite.
      timeout: 180_000,
    });
    let firstOutput = "";
    let firstErrors = "";
    first.stdout.on("data", (chunk: Buffer) => {
      firstOutput += chunk.toString();
    });
    first.stderr.on("data", (chunk: Buffer) => {
      firstErrors += chunk.toString();
    });
    const firstDone = new Promise<number>((resolve) => {
      first.once("exit", (code) => {
        resolve(code ?? 1);
      });
    });
    try {
      const deadline = Date.now() + 60_000;
      let locked = false;
      while (!locked && Date.now() < deadline) {
        locked = await s3.send(new HeadObjectCommand({ Bucket: STATE, Key: lockKey })).then(
          () => true,
          () => false,
        );
        if (!locked) await new Promise((resolve) => setTimeout(resolve, 250));
      }
      expect(locked).toBe(true);
      const second = await run(
        "terraform",
        ["apply", "-auto-approve", "-input=false", "-no-color", "-lock-timeout=0s"],
        {
          cwd: dir,
          env: local.env,
        },
      );
      expect(second.code).toBe(1);
      expect(second.stderr).toMatch(/Error acquiring the state lock/);
    } finally {
      // With its output, so a failure of the apply that holds the lock says why.
      const code = await firstDone;
      expect({ code, errors: firstErrors, output: firstOutput.split("\n").slice(-20) }).toMatchObject({ code: 0 });
    }
    expect(firstOutput).toMatch(/Apply complete! Resources: 0 added, 4 changed, 0 destroyed/);
    const state = await s3.send(new GetObjectCommand({ Bucket: STATE, Key: stateKey("us-east-1") }));
    const resources = (
      JSON.parse(await (state.Body?.transformToString() ?? "{}")) as { resources: { mode: string }[] }
    ).resources.filter((res) => res.mode === "managed");
    // Every resource of the stack is still in its state: nothing was lost to the refused apply.
    expect(resources).toHaveLength(synthesized);
    const after = await planStack(local.context(), "shop-e2e-us-east-1");
    expect(after.status === "planned" ? changesOf(after.plan) : after.error).toEqual([]);
  });

  describe("a changed state key", () => {
    const moved = () => ({ ...base(), state: { bucket: STATE, region: "us-east-1", keyPrefix: "moved" } });

    it("stops plan and deploy in a working copy that knows the old backend, with the migration (reconfigure off)", async () => {
      await local.configure(moved());
      const guarded = local.context(() => undefined, { reconfigure: false });
      const [planned] = await planStacks(guarded, ["shop-e2e-us-east-1"], 1);
      expect(planned?.status === "failed" ? planned.error : "planned").toBe(
        "shop-e2e-us-east-1: its state backend changed from s3://shop-e2e-state/cloudrim/shop/e2e/us-east-1.tfstate (us-east-1) " +
          "to s3://shop-e2e-state/moved/shop/e2e/us-east-1.tfstate (us-east-1); nothing was planned or applied. Move the state with " +
          `\`terraform -chdir=${relative(process.cwd(), local.stackDir("shop-e2e-us-east-1"))} init -migrate-state\`, then run again (docs/state-and-locks.md, "Moving state")`,
      );
      const [deployed] = await deployStacks(guarded, [{ name: "shop-e2e-us-east-1", dependencies: [] }]);
      expect(deployed?.summary).toMatch(
        /^failed: its state backend changed from .* to .*moved\/shop\/e2e\/us-east-1\.tfstate/,
      );
    });

    it("stops a fresh clone too, which has no old backend to remember, naming where the state is", async () => {
      await local.configure(moved());
      const fresh = join(local.dir, "fresh-clone.out");
      const app = new App({ outdir: fresh });
      addFleet(app, local.context().shape, target);
      app.synth();
      const [planned] = await planStacks(
        local.context(() => undefined, { outdir: fresh }),
        ["shop-e2e-ap-southeast-2"],
        1,
      );
      expect(planned?.status === "failed" ? planned.error : "planned").toMatch(
        /^shop-e2e-ap-southeast-2: its state is not at s3:\/\/shop-e2e-state\/moved\/shop\/e2e\/ap-southeast-2\.tfstate but at s3:\/\/shop-e2e-state\/cloudrim\/shop\/e2e\/ap-southeast-2\.tfstate .* `aws s3 mv /,
      );
      const s3 = regionClients(target, "us-east-1").s3;
      for (const region of ["us-east-1", "ap-southeast-2"]) {
        await expect(
          s3.send(new HeadObjectCommand({ Bucket: STATE, Key: `moved/shop/e2e/${region}.tfstate` })),
        ).rejects.toThrow();
      }
    });
  });
});
