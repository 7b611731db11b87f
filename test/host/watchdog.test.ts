import { existsSync, readFileSync } from "node:fs";
import { HostSandbox, launchTemplateUserData, whoServes } from "../../host/adapters/sandbox";
import { inRoot } from "../../host/cloud-config";
import { BOOT_HOOK_NAME } from "../../instance/instance-api";
import { AGENT_CONFIG_PATH } from "../../instance/log-shipping";
import { shapeOrThrow } from "../../fleet/validate";
import { WATCHDOG_LINES, watchdogService } from "../../instance/watchdog";
import { baseFleet, DEFAULT_APP } from "../fixtures";
import { freeBase } from "./free-ports";

// Real runit: the boot's launch hook, and the liveness watchdog judging processes wedged with SIGSTOP
// (alive, connections accepted by the kernel, no answer), as a blocked event loop is. Needs root.
jest.setTimeout(180_000);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const WATCHDOG = { failAfterSeconds: 10, probeTimeoutSeconds: 2, maxRestarts: 2, windowMinutes: 15 };

describe("an instance with a liveness watchdog (fail after 10 s, hand over after 2 restarts in 15 minutes)", () => {
  let sandbox: HostSandbox;
  let base = 0;
  let ports: number[] = [];

  const watchdogLog = () => {
    const file = inRoot(sandbox.root, `${watchdogService("cloudrim").logDirectory}/current`);
    return existsSync(file) ? readFileSync(file, "utf8") : "";
  };
  const pidOf = async (port: number) => (await whoServes(port))?.pid;
  const calls = (action: string) => sandbox.autoScalingCalls.filter((c) => c.params.Action === action);

  /** Waits until `port` answers from a process other than `pid`; counts failed answers of `others` meanwhile. */
  async function restartOf(port: number, pid: number | undefined, others: readonly number[], timeoutMs: number) {
    const started = Date.now();
    let othersFailed = 0;
    for (;;) {
      const [answer, ...rest] = await Promise.all([port, ...others].map((p) => whoServes(p)));
      othersFailed += rest.filter((a, i) => a?.port !== others[i]).length;
      if (answer?.pid !== undefined && answer.pid !== pid) return { afterMs: Date.now() - started, othersFailed };
      if (Date.now() - started > timeoutMs) return { afterMs: Number.POSITIVE_INFINITY, othersFailed };
      await sleep(250);
    }
  }

  beforeAll(async () => {
    base = await freeBase(4);
    ports = [base, base + 1, base + 2, base + 3];
    const shape = shapeOrThrow(
      {
        ...baseFleet({ basePort: base, listenerPort: base, processes: 4, regions: [{ region: "us-east-1" }] }),
        watchdog: WATCHDOG,
      },
      DEFAULT_APP,
    );
    const region = shape.regions[0];
    if (region === undefined) throw new Error("no region");
    sandbox = await HostSandbox.start({ region, userData: launchTemplateUserData(shape, region) });
    await sandbox.waitUntilServing();
    // runsvdir looks for new services every 5 s: the boot linked the watchdog once every port answered.
    for (let i = 0; i < 100 && !/^run: /.test(sandbox.svStatusOf(watchdogService("cloudrim").name)); i++) {
      await sleep(100);
    }
  });

  afterAll(async () => {
    await sandbox.stop();
  });

  it("enters service only after every port answered: the boot completes its launch hook with CONTINUE, signed", () => {
    expect(sandbox.boot.output).toContain("cloudrim-boot: every port answers: entering service");
    expect(sandbox.autoScalingCalls).toEqual([
      {
        params: {
          Action: "CompleteLifecycleAction",
          AutoScalingGroupName: sandbox.region.autoScaling.name,
          InstanceId: "i-0sandbox0000000000",
          LifecycleActionResult: "CONTINUE",
          LifecycleHookName: BOOT_HOOK_NAME,
          Version: "2011-01-01",
        },
        signed: true,
      },
    ]);
  });

  it("configures the log agent with every port's log, the watchdog's and the boot's, each in its own stream", () => {
    const config = JSON.parse(readFileSync(inRoot(sandbox.root, AGENT_CONFIG_PATH), "utf8")) as {
      logs: { logs_collected: { files: { collect_list: { file_path: string; log_stream_name: string }[] } } };
    };
    const collected = config.logs.logs_collected.files.collect_list;
    expect(collected.map((c) => c.log_stream_name)).toEqual([
      "{instance_id}/boot",
      ...ports.map((port) => `{instance_id}/${port}`),
      "{instance_id}/watchdog",
    ]);
    // Each port's entry is the file its svlogd really writes.
    for (const port of ports) {
      const entry = collected.find((c) => c.log_stream_name === `{instance_id}/${port}`);
      expect(inRoot(sandbox.root, entry?.file_path ?? "")).toBe(sandbox.logFile(port));
      expect(existsSync(sandbox.logFile(port))).toBe(true);
    }
  });

  it("restarts a process that stops answering after 10 s, while every other port keeps answering", async () => {
    const [victim, ...others] = ports as [number, ...number[]];
    const pid = await pidOf(victim);
    process.kill(pid ?? 0, "SIGSTOP");
    const { afterMs, othersFailed } = await restartOf(victim, pid, others, 40_000);
    process.stdout.write(`port ${victim} answered again ${afterMs} ms after SIGSTOP\n`);
    expect(afterMs).toBeGreaterThanOrEqual(WATCHDOG.failAfterSeconds * 1000);
    expect(afterMs).toBeLessThan(WATCHDOG.failAfterSeconds * 1000 + 15_000);
    expect(othersFailed).toBe(0);
    expect(watchdogLog()).toMatch(
      new RegExp(`watchdog: port ${victim}: no answer on / within 2 s for \\d+ s; ${WATCHDOG_LINES.restart}`),
    );
    expect(calls("SetInstanceHealth")).toEqual([]);
  });

  it("hands the instance to its group (SetInstanceHealth Unhealthy, signed) when restarts do not help", async () => {
    const [victim, ...others] = ports as [number, ...number[]];
    const pid = await pidOf(victim);
    process.kill(pid ?? 0, "SIGSTOP");
    const { othersFailed } = await restartOf(victim, pid, others, 40_000);
    expect(othersFailed).toBe(0);
    for (let i = 0; i < 100 && calls("SetInstanceHealth").length === 0; i++) await sleep(100);
    expect(calls("SetInstanceHealth")).toEqual([
      {
        params: {
          Action: "SetInstanceHealth",
          HealthStatus: "Unhealthy",
          InstanceId: "i-0sandbox0000000000",
          ShouldRespectGracePeriod: "true",
          Version: "2011-01-01",
        },
        signed: true,
      },
    ]);
    expect(watchdogLog()).toContain(`port ${victim}: restarted 2 times in 15 minutes; this host cannot recover it`);
  });

  it("restarts none when most ports stop answering together, and watches each again once they answer", async () => {
    const wedged = ports.slice(1);
    const pids = await Promise.all(wedged.map(pidOf));
    for (const pid of pids) process.kill(pid ?? 0, "SIGSTOP");
    await sleep((WATCHDOG.failAfterSeconds + 6) * 1000);
    for (const pid of pids) process.kill(pid ?? 0, "SIGCONT");
    expect(watchdogLog()).toContain("3 of 4 ports do not answer: the instance or its load, not one wedged process");
    expect(await Promise.all(wedged.map(pidOf))).toEqual(pids);
    for (let i = 0; i < 100 && !watchdogLog().includes("watching each again"); i++) await sleep(100);
    expect(watchdogLog()).toMatch(/ports do not answer; watching each again/);
    expect(watchdogLog().match(new RegExp(WATCHDOG_LINES.restart, "g"))).toHaveLength(2);
  });
});
