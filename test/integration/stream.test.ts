import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runStreaming } from "../../cli/stream";

describe("running a command with its log written as it goes", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "cloudrim-stream-"));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("writes each line to the log while the command still runs, without colour codes", async () => {
    const log = join(dir, "a.log");
    const running = runStreaming("sh", ["-c", "printf '\\033[1mfirst\\033[0m\\n'; sleep 1; echo second >&2"], {
      cwd: dir,
      env: process.env,
      logFile: log,
    });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(readFileSync(log, "utf8")).toMatch(/first\n$/);
    const result = await running;
    expect(result).toEqual({ code: 0, output: "first\nsecond\n", lastLine: "second" });
    expect(readFileSync(log, "utf8")).toBe(
      `$ sh -c printf '\\033[1mfirst\\033[0m\\n'; sleep 1; echo second >&2\nfirst\nsecond\n`,
    );
  });

  it("reports a command that goes quiet, with its last line, and keeps it running", async () => {
    const stalls: string[] = [];
    const result = await runStreaming("sh", ["-c", "echo waiting for the lock; sleep 2.5; echo done; exit 3"], {
      cwd: dir,
      env: process.env,
      logFile: join(dir, "b.log"),
      stallSeconds: 1,
      onStall: (silent, lastLine) => stalls.push(`${silent}s: ${lastLine}`),
    });
    expect(result.code).toBe(3);
    expect(result.lastLine).toBe("done");
    expect(stalls.length).toBeGreaterThanOrEqual(1);
    expect(stalls[0]).toMatch(/^\d+s: waiting for the lock$/);
  });
});
