import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { HostSandbox, launchTemplateUserData, whoServes } from "../../host/adapters/sandbox";
import { inRoot } from "../../host/cloud-config";
import { BOOT_HOOK_NAME } from "../../instance/instance-api";
import { AGENT_CONFIG_PATH } from "../../instance/log-shipping";
import { shapeOrThrow } from "../../fleet/validate";
import { HAND_OVER_RECHECK_SECONDS, WATCHDOG_LINES, watchdogService } from "../../instance/watchdog";
import { baseFleet, DEFAULT_APP } from "../fixtures";
import { freeBase } from "./free-ports";

// Real runit: the boot's launch hook, and the liveness watchdog judging processes wedged with SIGSTOP
// (alive, connections accepted by the kernel, no answer), as a blocked event loop is. Needs root.
jest.setTimeout(180_000);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const WATCHDOG = {
  failAfterSeconds: 10,
  probeTimeoutSeconds: 2,
  maxRestarts: 2,
  windowMinutes: 15,
  handOverAfterSeconds: 20,
  maxHandOvers: 1,
};
/** Long enough that the hand-over after two restarts falls inside it (the watchdog starts as the instance enters service). */
const GRACE_PERIOD_SECONDS = 90;

const watchdogLogOf = (sandbox: HostSandbox) => {
  const file = inRoot(sandbox.root, `${watchdogService("cloudrim").logDirectory}/current`);
  return existsSync(file) ? readFileSync(file, "utf8") : "";
};

async function bootSandbox(processes: number, base: number): Promise<HostSandbox> {
  const shape = shapeOrThrow(
    {
      ...baseFleet({ basePort: base, listenerPort: base, processes, regions: [{ region: "us-east-1" }] }),
      healthCheckGracePeriod: GRACE_PERIOD_SECONDS,
      watchdog: WATCHDOG,
    },
    DEFAULT_APP,
  );
  const region = shape.regions[0];
  if (region === undefined) throw new Error("no region");
  const sandbox = await HostSandbox.start({ region, userData: launchTemplateUserData(shape, region) });
  await sandbox.waitUntilServing();
  // runsvdir looks for new services every 5 s: the boot linked the watchdog once every port answered.
  for (let i = 0; i < 100 && !/^run: /.test(sandbox.svStatusOf(watchdogService("cloudrim").name)); i++) {
    await sleep(100);
  }
  return sandbox;
}

describe("an instance with a liveness watchdog (fail after 10 s, hand over after 2 restarts in 15 minutes)", () => {
  let sandbox: HostSandbox;
  let base = 0;
  let ports: number[] = [];

  const watchdogLog = () => watchdogLogOf(sandbox);
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
    sandbox = await bootSandbox(4, base);
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
    // As if the instance had entered service just now, however long the boot and the first restart took on a
    // loaded machine: the hand-over falls inside the grace period, which the next case needs. /run keeps the
    // restart counts across the watchdog's restart, as it keeps the start of service.
    writeFileSync(
      inRoot(sandbox.root, "/run/cloudrim-watchdog/in-service-since"),
      `${Math.floor(Date.now() / 1000)}\n`,
    );
    sandbox.svRestart(watchdogService("cloudrim").name);
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

  it("sends that hand-over again once the group's grace period ends, as AWS may have ignored it inside", async () => {
    // The call reaches the API before the watchdog, given its answer, logs where in the grace period it was sent.
    const insideGrace = new RegExp(
      `sent inside the group's health check grace period \\(${GRACE_PERIOD_SECONDS} s, \\d+ s left\\)`,
    );
    for (let i = 0; i < 100 && !insideGrace.test(watchdogLog()); i++) await sleep(100);
    expect(watchdogLog()).toMatch(insideGrace);
    for (let i = 0; i < 1200 && calls("SetInstanceHealth").length < 2; i++) await sleep(100);
    expect(calls("SetInstanceHealth")).toHaveLength(2);
    expect(calls("SetInstanceHealth")[1]?.params).toMatchObject({
      HealthStatus: "Unhealthy",
      ShouldRespectGracePeriod: "true",
    });
    expect(watchdogLog()).toContain(`the group's health check grace period has ended: ${WATCHDOG_LINES.handOverAgain}`);
    // Counted once: the second is the same hand-over.
    expect(watchdogLog().match(new RegExp(WATCHDOG_LINES.handOver, "g"))).toHaveLength(1);
    // Each hand-over first counted the group's instances out of service, signed.
    expect(calls("DescribeAutoScalingGroups").length).toBeGreaterThanOrEqual(2);
    expect(calls("DescribeAutoScalingGroups").every((c) => c.signed)).toBe(true);
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

  it("hands the whole instance over when every port stays silent for 20 s, once no other instance of its group is out of service", async () => {
    // As a fresh instance would be: not yet handed over. Another instance of the group is being replaced.
    for (const mark of ["handed-over", "handed-over-in-grace"]) {
      rmSync(inRoot(sandbox.root, `/run/cloudrim-watchdog/${mark}`), { force: true });
    }
    sandbox.setGroupPeers([
      { instanceId: "i-0peer00000000000000", lifecycleState: "Terminating", healthStatus: "Unhealthy" },
    ]);
    const handOvers = calls("SetInstanceHealth").length;
    const pids = await Promise.all(ports.map(pidOf));
    for (const pid of pids) process.kill(pid ?? 0, "SIGSTOP");
    try {
      const waiting =
        "1 other instance(s) of the group are out of service or Unhealthy, the most at a time (watchdog.maxHandOvers 1): waiting";
      for (let i = 0; i < 600 && !watchdogLog().includes(waiting); i++) await sleep(100);
      expect(watchdogLog()).toContain(waiting);
      expect(calls("SetInstanceHealth")).toHaveLength(handOvers);
      sandbox.setGroupPeers([]);
      // It looks at its group again within HAND_OVER_RECHECK_SECONDS and a round of probes (here 30 s at most).
      const deadline = Date.now() + (HAND_OVER_RECHECK_SECONDS + 30) * 1000;
      while (Date.now() < deadline && calls("SetInstanceHealth").length === handOvers) await sleep(100);
      expect(calls("SetInstanceHealth")).toHaveLength(handOvers + 1);
      expect(watchdogLog()).toMatch(
        new RegExp(
          `4 of 4 ports have not answered for \\d+ s: the whole instance is wedged; ${WATCHDOG_LINES.handOver}`,
        ),
      );
    } finally {
      for (const pid of pids) process.kill(pid ?? 0, "SIGCONT");
    }
    // Standing down, it restarted none of them.
    expect(await Promise.all(ports.map(pidOf))).toEqual(pids);
  });
});

describe("a one-port instance with a liveness watchdog", () => {
  let sandbox: HostSandbox;
  let port = 0;

  beforeAll(async () => {
    port = await freeBase(1);
    sandbox = await bootSandbox(1, port);
  });

  afterAll(async () => {
    await sandbox.stop();
  });

  it("restarts its only process when it stops answering, like any other", async () => {
    const pid = (await whoServes(port))?.pid;
    process.kill(pid ?? 0, "SIGSTOP");
    const started = Date.now();
    let answer = await whoServes(port);
    while ((answer?.pid === undefined || answer.pid === pid) && Date.now() - started < 40_000) {
      await sleep(250);
      answer = await whoServes(port);
    }
    expect(answer?.pid).not.toBe(pid);
    expect(answer?.pid).toBeDefined();
    expect(Date.now() - started).toBeGreaterThanOrEqual(WATCHDOG.failAfterSeconds * 1000);
    expect(watchdogLogOf(sandbox)).toMatch(
      new RegExp(`watchdog: port ${port}: no answer on / within 2 s for \\d+ s; ${WATCHDOG_LINES.restart}`),
    );
    expect(watchdogLogOf(sandbox)).not.toContain("restarting none");
  });
});
