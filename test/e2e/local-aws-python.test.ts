import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { PYTHON } from "../../local-aws/adapters/emulator";

const PROJECT = join(__dirname, "..", "..");

// local-aws/tests: the local AWS's own unittest suite (the instance refresh's rules directly, each fix against
// moto in process), run by the Python that runs the local AWS. Here rather than in integration because it needs
// moto, as this project does (`make test-fast` runs where moto is not installed). ~5 s.
jest.setTimeout(120_000);

describe("the local AWS's own tests (local-aws/tests)", () => {
  it("pass, each one run and none skipped", () => {
    const run = spawnSync(PYTHON, ["-m", "unittest", "discover", "-s", "local-aws/tests", "-v"], {
      cwd: PROJECT,
      encoding: "utf8",
      // No __pycache__ written into the source tree.
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1" },
    });
    const output = `${run.stdout}${run.stderr}`;
    expect({
      status: run.status,
      failed: output.split("\n").filter((line) => /^(FAIL|ERROR): /.test(line)),
      // unittest's last line: "OK", "OK (skipped=1)" or "FAILED (failures=1)"; a skipped test hides a failure.
      verdict: output.trimEnd().split("\n").at(-1),
    }).toEqual({ status: 0, failed: [], verdict: "OK" });
    expect(Number(/^Ran (\d+) tests? in /m.exec(output)?.[1] ?? 0)).toBeGreaterThan(0);
  });
});
