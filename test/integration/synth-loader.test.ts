import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { appCommand, synthesize } from "../../terraform/adapters/synth";
import { PROJECT } from "../../terraform/adapters/context";

const SWC_REGISTER = join(PROJECT, "test", "e2e", "swc-register.js");

// Two synths side by side: seconds on a loaded machine.
jest.setTimeout(60_000);

describe("the app a synth runs (main.ts)", () => {
  it("runs under tsx, as cdktf.json runs it, unless CLOUDRIM_TS_LOADER names a CommonJS loader", () => {
    expect(appCommand({})).toEqual({
      command: join(PROJECT, "node_modules", ".bin", "tsx"),
      args: [join(PROJECT, "main.ts")],
    });
    expect(appCommand({ CLOUDRIM_TS_LOADER: "" }).command).toBe(join(PROJECT, "node_modules", ".bin", "tsx"));
    expect(appCommand({ CLOUDRIM_TS_LOADER: SWC_REGISTER })).toEqual({
      command: process.execPath,
      args: ["--enable-source-maps", "-r", SWC_REGISTER, join(PROJECT, "main.ts")],
    });
  });

  it("writes the same Terraform under the scenarios' loader as under tsx", async () => {
    const dirs = [mkdtempSync(join(tmpdir(), "cloudrim-tsx-")), mkdtempSync(join(tmpdir(), "cloudrim-swc-"))];
    try {
      const env = { PATH: process.env.PATH, HOME: process.env.HOME, CI: "true" };
      const [tsx, swc] = await Promise.all(
        dirs.map((outdir, i) =>
          synthesize({ env: i === 0 ? env : { ...env, CLOUDRIM_TS_LOADER: SWC_REGISTER }, outdir, workDir: PROJECT }),
        ),
      );
      expect(swc).toEqual(tsx);
      expect(tsx?.length).toBeGreaterThan(1);
      for (const { name } of tsx ?? []) {
        const written = dirs.map((dir) => readFileSync(join(dir, "stacks", name, "cdk.tf.json"), "utf8"));
        expect({ name, json: written[1] }).toEqual({ name, json: written[0] });
      }
    } finally {
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    }
  });
});
