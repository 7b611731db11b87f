import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Interrupted, interruption, requestInterrupt, resetInterruption } from "../../cli/interrupt";
import { realClock } from "../../rollout/adapters/observer";
import { runStreaming } from "../../cli/stream";

// Stands in for Terraform: on SIGINT it finishes what it is on, saves its state and exits; a second
// SIGINT would make it exit at once without saving, as Terraform does ("Two interrupts received").
const GRACEFUL = `
interrupts=0
trap 'interrupts=$((interrupts + 1)); if [ "$interrupts" -ge 2 ]; then echo "Two interrupts received. Exiting immediately."; exit 1; fi; stopping=1' INT
stopping=0
echo "Creating..."
while [ "$stopping" = 0 ]; do sleep 0.05; done
sleep 0.3
echo "state saved"
exit 1
`;

describe("an interruption (SIGINT, SIGTERM) during a run", () => {
  let dir: string;
  beforeEach(() => {
    resetInterruption();
    dir = mkdtempSync(join(tmpdir(), "cloudrim-interrupt-"));
  });
  afterEach(() => {
    resetInterruption();
    rmSync(dir, { recursive: true, force: true });
  });

  async function started(log: string): Promise<void> {
    for (let i = 0; i < 100 && !(existsSync(log) && readFileSync(log, "utf8").includes("Creating...")); i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  it("is forwarded once to each running Terraform, which stops cleanly and saves its state", async () => {
    const log = join(dir, "shop-us-east-1.deploy.log");
    const running = runStreaming("sh", ["-c", GRACEFUL], {
      cwd: dir,
      env: process.env,
      logFile: log,
      label: "shop-us-east-1",
    });
    await started(log);
    expect(requestInterrupt("SIGINT")).toBe(
      "SIGINT: stopping shop-us-east-1: each Terraform finishes the resource it is on, saves its state and releases its lock; nothing new starts (SIGINT again stops at once)",
    );
    const result = await running;
    expect(result.output).toContain("state saved");
    expect(result.output).not.toContain("Two interrupts received");
    expect(interruption()).toBe("SIGINT");
  });

  it("stops everything at once on a second signal", async () => {
    const log = join(dir, "shop-eu-west-1.deploy.log");
    const stubborn = `trap '' INT; echo "Creating..."; while :; do sleep 0.05; done`;
    const running = runStreaming("sh", ["-c", stubborn], {
      cwd: dir,
      env: process.env,
      logFile: log,
      label: "shop-eu-west-1",
    });
    await started(log);
    requestInterrupt("SIGTERM");
    expect(requestInterrupt("SIGTERM")).toBe(
      "SIGTERM again: stopped at once; shop-eu-west-1 may keep their state locks (npm run unlock -- <stack> says whose)",
    );
    expect((await running).code).toBe(1);
  });

  it("ends a rollout's wait within a second", async () => {
    const clock = realClock(60);
    const waiting = clock.sleep(60_000);
    setTimeout(() => requestInterrupt("SIGINT"), 100);
    const at = Date.now();
    await expect(waiting).rejects.toBeInstanceOf(Interrupted);
    expect(Date.now() - at).toBeLessThan(2000);
  });
});
