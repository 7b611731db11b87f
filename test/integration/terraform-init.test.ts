import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { shapeOrThrow } from "../../fleet/validate";
import { terraformEnv } from "../../terraform/adapters/env";
import { fleetContext, PROJECT, type FleetContext } from "../../terraform/adapters/context";
import { init } from "../../terraform/adapters/runner";
import { baseFleet, DEFAULT_APP } from "../fixtures";

/*
 * A stack directory's `terraform init`, run for real (the provider from the mirror, a local backend: no AWS),
 * as on AWS, where a changed backend must stop the run: skipped when it would change nothing, run again when
 * anything it depends on changed.
 */
const STACK = "shop-prod-us-east-1";

// Real terraform init and plan runs: seconds each, more on a loaded machine.
jest.setTimeout(120_000);

describe("terraform init of a stack directory", () => {
  let dir: string;
  let ctx: FleetContext;
  const stackFile = () => join(dir, "stacks", STACK, "cdk.tf.json");
  const synthesize = (statePath: string) => {
    writeFileSync(
      stackFile(),
      JSON.stringify({
        terraform: {
          required_providers: { aws: { source: "aws", version: "5.100.0" } },
          backend: { local: { path: statePath } },
        },
      }),
    );
  };
  const log = () => join(dir, "logs", `${STACK}.deploy.log`);

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "cloudrim-init-"));
    mkdirSync(join(dir, "stacks", STACK), { recursive: true });
    ctx = fleetContext({
      env: terraformEnv(PROJECT),
      outdir: dir,
      logDir: join(dir, "logs"),
      progress: () => undefined,
      shape: shapeOrThrow(baseFleet(), DEFAULT_APP),
      target: { kind: "aws" },
    });
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("is skipped when the last one ran on the same backend, providers and lock file, and says so in the log", async () => {
    synthesize("a.tfstate");
    const first = await init(ctx, STACK, log());
    expect({ code: first.code, output: first.output }).toMatchObject({
      code: 0,
      output: expect.stringContaining("Terraform has been successfully initialized") as unknown,
    });
    const second = await init(ctx, STACK, log());
    expect(second).toEqual({
      code: 0,
      output: "terraform init skipped: the stack's backend, providers and lock file are as its last init left them",
    });
    expect(readFileSync(log(), "utf8")).toContain(second.output);
  });

  it("runs again on another backend, and Terraform stops there as before", async () => {
    synthesize("a.tfstate");
    expect((await init(ctx, STACK, log())).code).toBe(0);
    synthesize("b.tfstate");
    const moved = await init(ctx, STACK, log());
    expect(moved.code).toBe(1);
    expect(moved.output).toContain("Backend configuration changed");
  });

  it("runs again after an init that left another backend (the state stack's bootstrap, with its override file)", async () => {
    // On the local target, where init reconfigures: the bootstrap's local backend, then the bucket's again.
    const local = { ...ctx, reconfigure: true };
    synthesize("a.tfstate");
    expect((await init(local, STACK, log())).code).toBe(0);
    const override = join(dir, "stacks", STACK, "cloudrim_local_backend_override.tf.json");
    writeFileSync(override, JSON.stringify({ terraform: { backend: { local: { path: "bootstrap.tfstate" } } } }));
    expect((await init(local, STACK, log(), ["-reconfigure"])).code).toBe(0);
    rmSync(override);
    const after = await init(local, STACK, log());
    expect(after.code).toBe(0);
    expect(after.output).toContain("Terraform has been successfully initialized");
    expect((await init(local, STACK, log())).output).toMatch(/^terraform init skipped/);
  });
});
