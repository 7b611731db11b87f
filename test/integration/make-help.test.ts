import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";

const ROOT = join(__dirname, "..", "..");

describe("make help", () => {
  // The Makefile's `##` lines are the targets' documentation; help prints them (one make run each, ~10 ms).
  const makefile = readFileSync(join(ROOT, "Makefile"), "utf8");
  const documented = [...makefile.matchAll(/^## (.*)\n(?:## .*\n)*([a-z][a-z0-9-]*):/gm)].map((m) => [m[2], m[1]]);
  const make = (...args: string[]) =>
    spawnSync("make", ["--no-print-directory", ...args], { cwd: ROOT, encoding: "utf8" });

  it("lists every documented target with its description, and is what a bare make prints", () => {
    const help = make("help");
    expect(help.status).toBe(0);
    expect(documented.map(([target]) => target)).toEqual(
      expect.arrayContaining(["help", "synth", "demo", "teardown", "check", "test", "test-fast", "test-e2e"]),
    );
    for (const [target, description] of documented) {
      expect(help.stdout).toContain(`make ${target ?? ""}`.padEnd(16) + (description ?? ""));
    }
    expect(make().stdout).toBe(help.stdout);
  });
});
