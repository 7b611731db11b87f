import { spawn } from "node:child_process";
import { pidRunning } from "../../state/adapters/unlock";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// `npm run unlock` releases a lock without --force only when its recorded holder runs no more; a holder
// killed with the runner that started it may linger as a zombie until whoever inherited it reaps it.
describe("whether a lock's recorded holder still runs", () => {
  it("is yes for a running process, and no once it has exited", async () => {
    const child = spawn("sleep", ["30"]);
    const pid = child.pid ?? 0;
    expect(pidRunning(pid)).toBe(true);
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGKILL");
    await exited;
    expect(pidRunning(pid)).toBe(false);
  });

  it("is no for a zombie: killed, and not reaped by its parent", async () => {
    // The shell starts a sleep, then becomes another sleep, which never reaps it.
    const parent = spawn("sh", ["-c", "sleep 30 & echo $!; exec sleep 60"]);
    try {
      const pid = await new Promise<number>((resolve) =>
        parent.stdout.once("data", (d: Buffer) => {
          resolve(Number(d));
        }),
      );
      expect(pidRunning(pid)).toBe(true);
      process.kill(pid, "SIGKILL");
      for (let i = 0; i < 50 && pidRunning(pid); i++) await sleep(100);
      expect(pidRunning(pid)).toBe(false);
      // Still there to be signalled: a zombie, not a vanished pid.
      expect(() => {
        process.kill(pid, 0);
      }).not.toThrow();
    } finally {
      parent.kill("SIGKILL");
    }
  });
});
