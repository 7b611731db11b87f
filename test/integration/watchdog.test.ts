import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { instanceApiLibrary, instanceApiPath } from "../../instance/instance-api";
import {
  HAND_OVER_RECHECK_SECONDS,
  probeInterval,
  standDownAt,
  supervisedServices,
  WATCHDOG_LINES,
  watchdogScript,
  watchdogService,
  type WatchdogSpec,
} from "../../instance/watchdog";

const spec: WatchdogSpec = {
  service: "shop",
  ports: [9000, 9001, 9002],
  probePath: "/live",
  requireSuccess: true,
  probeTimeoutSeconds: 3,
  failAfterSeconds: 30,
  maxRestarts: 3,
  windowMinutes: 15,
  handOverAfterSeconds: 600,
  maxHandOvers: 1,
  gracePeriodSeconds: 300,
};

const START = 1_000_000;

/**
 * Runs the watchdog script in a root of its own, on a clock of its own, with stand-ins for what it talks
 * to: `curl` (a port listed in `silent` does not answer), `sv` (a restart answers again unless the port is
 * listed in `wedged`), `date` and `sleep` (virtual seconds: `sleep` advances the clock, and ends the run at
 * `seconds`), and the instance API (its group has one other instance out of service until `busyUntil`;
 * every hand-over is recorded with its time).
 */
function runWatchdog(
  watchdog: WatchdogSpec,
  scene: { silent: readonly number[]; wedged?: readonly number[]; busyUntil?: number; seconds: number },
) {
  const root = mkdtempSync(join(tmpdir(), "watchdog-"));
  try {
    const bin = join(root, "bin");
    mkdirSync(bin);
    const stub = (name: string, body: string) => {
      writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`);
      chmodSync(join(bin, name), 0o755);
    };
    const file = (name: string, text: string) => {
      mkdirSync(join(root, name, ".."), { recursive: true });
      writeFileSync(join(root, name), text);
    };
    file("clock", `${START}\n`);
    file("silent", scene.silent.map((p) => `${p}\n`).join(""));
    file("wedged", (scene.wedged ?? []).map((p) => `${p}\n`).join(""));
    for (const port of watchdog.ports) file(`etc/service/${watchdog.service}-${port}/supervise/stat`, "run\n");
    stub("date", `cat "${root}/clock"`);
    stub(
      "sleep",
      `now=$(($(cat "${root}/clock") + $1)); echo "$now" >"${root}/clock"\n[ "$now" -ge ${START + scene.seconds} ] && kill "$PPID"\nexit 0`,
    );
    stub(
      "curl",
      `port=$(echo "$*" | sed -n 's|.*127.0.0.1:\\([0-9]*\\)/.*|\\1|p')\n! grep -qx "$port" "${root}/silent"`,
    );
    stub(
      "sv",
      `port=\${4##*-}\necho "restart $port at $(date)" >>"${root}/calls"\n` +
        `grep -qx "$port" "${root}/wedged" || { grep -vx "$port" "${root}/silent" >"${root}/s"; mv "${root}/s" "${root}/silent"; }`,
    );
    file(
      instanceApiPath(watchdog.service),
      [
        "instance_id() { echo i-self; }",
        `group_out_of_service() { date +%s >>"${root}/asks"; if [ "$(date +%s)" -lt ${START + (scene.busyUntil ?? 0)} ]; then echo 1; else echo 0; fi; }`,
        `hand_over() { echo "hand_over $1 at $(date +%s)" >>"${root}/calls"; }`,
        "",
      ].join("\n"),
    );
    const run = spawnSync("sh", ["-c", watchdogScript(watchdog)], {
      env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ""}`, CLOUDRIM_ROOT: root },
      encoding: "utf8",
      // Only a safety net: the stand-in `sleep` ends every run at `seconds` of virtual time. Under a loaded
      // machine (the whole suite on two cores) a run of 1,000 virtual seconds has taken over a minute of
      // real time, and a run cut short must fail as such, not as a missing call.
      timeout: 600_000,
    });
    if (run.error) throw new Error(`the watchdog did not reach ${scene.seconds} virtual seconds: ${run.error.message}`);
    const read = (name: string) => (existsSync(join(root, name)) ? readFileSync(join(root, name), "utf8") : "");
    const calls = read("calls");
    // Times relative to the start, so a test reads `hand_over i-self at 600`.
    const relative = (text: string) => text.replace(/\b1\d{6}\b/g, (t) => String(Number(t) - START));
    const lines = (text: string) => relative(text).trim().split("\n").filter(Boolean);
    /** When the watchdog read its group's instances out of service (virtual seconds). */
    const asks = lines(read("asks")).map(Number);
    return { log: run.stdout, calls: lines(calls), asks };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** The virtual seconds of each call `what` (`restart`, `hand_over`). */
const timesOf = (calls: readonly string[], what: string) =>
  calls.filter((c) => c.startsWith(`${what} `)).map((c) => Number(/ at (\d+)$/.exec(c)?.[1]));

/** The first round of probes at or after `seconds`: rounds start every probe interval (the stand-ins answer at once). */
const firstRoundFrom = (seconds: number) => Math.ceil(seconds / probeInterval(spec)) * probeInterval(spec);

describe("the liveness watchdog", () => {
  it("is one more runit service beside the ports', logged by svlogd like them", () => {
    expect(watchdogService("shop")).toEqual({
      name: "shop-watchdog",
      directory: "/etc/sv/shop-watchdog",
      logDirectory: "/var/log/shop/shop-watchdog",
      scriptPath: "/usr/local/lib/shop/watchdog",
    });
    expect(supervisedServices("shop", [9000, 9001])).toEqual(["shop-9000", "shop-9001", "shop-watchdog"]);
  });

  it("probes often enough that three rounds, each waiting out its timeout, fit in the time a port may stay silent", () => {
    expect(probeInterval({ failAfterSeconds: 30, probeTimeoutSeconds: 3 })).toBe(7);
    expect(probeInterval({ failAfterSeconds: 600, probeTimeoutSeconds: 3 })).toBe(10);
    expect(probeInterval({ failAfterSeconds: 10, probeTimeoutSeconds: 3 })).toBe(1);
    // Between 1 and 10 s whatever the settings: a long silence allowed is no reason to look rarely.
    expect(probeInterval({ failAfterSeconds: 30, probeTimeoutSeconds: 10 })).toBe(1);
  });

  it("stands down from at least 2 failing ports that are more than half: a one-port fleet's port is restarted", () => {
    expect([1, 2, 3, 4, 5, 37].map(standDownAt)).toEqual([2, 2, 2, 3, 3, 19]);
  });

  it("requires a success from a liveness path, and any HTTP answer from the readiness path or /", () => {
    expect(watchdogScript(spec)).toContain(
      'probe() { curl -s -o /dev/null --max-time 3 -f "http://127.0.0.1:$1/live"; }',
    );
    expect(watchdogScript({ ...spec, probePath: "/", requireSuccess: false })).toContain(
      'probe() { curl -s -o /dev/null --max-time 3 "http://127.0.0.1:$1/"; }',
    );
  });

  it("is a POSIX shell script", () => {
    const result = spawnSync("sh", ["-n"], { input: watchdogScript(spec), encoding: "utf8" });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
  });

  describe("run with stand-ins, on a clock of its own", () => {
    it("restarts the one port of a one-port fleet once it has been silent for failAfterSeconds", () => {
      const { log, calls } = runWatchdog({ ...spec, ports: [9000] }, { silent: [9000], seconds: 120 });
      expect(timesOf(calls, "restart")).toEqual([firstRoundFrom(30)]);
      expect(log).toContain(
        `port 9000: no successful answer on /live within 3 s for ${firstRoundFrom(30)} s; ${WATCHDOG_LINES.restart}`,
      );
      expect(log).not.toContain("restarting none");
    });

    it("restarts one silent port of three, and none when two of three are silent together", () => {
      expect(runWatchdog(spec, { silent: [9001], seconds: 120 }).calls).toEqual([
        `restart 9001 at ${firstRoundFrom(30)}`,
      ]);
      const { log, calls } = runWatchdog(spec, { silent: [9001, 9002], seconds: 300 });
      expect(calls).toEqual([]);
      expect(log).toContain(
        "2 of 3 ports do not answer: the instance or its load, not one wedged process; restarting none",
      );
    });

    it("hands a one-port instance over after maxRestarts restarts that do not help", () => {
      const { log, calls } = runWatchdog(
        { ...spec, ports: [9000], gracePeriodSeconds: 0 },
        { silent: [9000], wedged: [9000], seconds: 400 },
      );
      const restarts = timesOf(calls, "restart");
      expect(restarts.slice(0, 3)).toHaveLength(3);
      expect(timesOf(calls, "hand_over")).toHaveLength(1);
      // Handed over right after the third restart's wait for an answer (failAfterSeconds) runs out.
      expect(timesOf(calls, "hand_over")[0]).toBe((restarts[2] ?? 0) + spec.failAfterSeconds);
      expect(log).toContain(
        `port 9000: restarted 3 times in 15 minutes; this host cannot recover it: ${WATCHDOG_LINES.handOver}`,
      );
    });

    it("hands the whole instance over once most ports have been silent for handOverAfterSeconds, once", () => {
      const { log, calls } = runWatchdog(spec, { silent: [9000, 9001, 9002], seconds: 1500 });
      expect(calls).toEqual([`hand_over i-self at ${firstRoundFrom(600)}`]);
      expect(log).toContain(
        `3 of 3 ports have not answered for ${firstRoundFrom(600)} s: the whole instance is wedged; ${WATCHDOG_LINES.handOver} (SetInstanceHealth Unhealthy)`,
      );
      expect(log.match(new RegExp(WATCHDOG_LINES.handOver, "g"))).toHaveLength(1);
    });

    it("waits while maxHandOvers other instances of its group are out of service, then hands over", () => {
      const { log, calls, asks } = runWatchdog(spec, { silent: [9000, 9001, 9002], busyUntil: 900, seconds: 1000 });
      // It asks its group when it would hand over, then again every HAND_OVER_RECHECK_SECONDS at most, and
      // hands over at the first answer with room.
      expect(asks[0]).toBe(firstRoundFrom(600));
      for (const [i, t] of asks.slice(1).entries()) {
        expect(t - (asks[i] ?? 0)).toBeGreaterThanOrEqual(HAND_OVER_RECHECK_SECONDS);
        expect(t - (asks[i] ?? 0)).toBeLessThan(HAND_OVER_RECHECK_SECONDS + probeInterval(spec));
      }
      const roomAt = asks.find((t) => t >= 900);
      expect(calls).toEqual([`hand_over i-self at ${roomAt}`]);
      expect(
        log.match(
          /this instance is to be handed over, but 1 other instance\(s\) of the group are out of service or Unhealthy, the most at a time \(watchdog.maxHandOvers 1\): waiting until fewer are/g,
        ),
      ).toHaveLength(1);
      // With room for two, it does not wait for the one.
      expect(
        runWatchdog({ ...spec, maxHandOvers: 2 }, { silent: [9000, 9001, 9002], busyUntil: 900, seconds: 700 }).calls,
      ).toEqual([`hand_over i-self at ${firstRoundFrom(600)}`]);
    });

    it("sends a hand-over sent inside the grace period again once the period ends, and only then", () => {
      const { log, calls } = runWatchdog(
        { ...spec, handOverAfterSeconds: 60, gracePeriodSeconds: 300 },
        { silent: [9000, 9001, 9002], seconds: 900 },
      );
      expect(calls).toEqual([
        `hand_over i-self at ${firstRoundFrom(60)}`,
        `hand_over i-self at ${firstRoundFrom(300)}`,
      ]);
      expect(log).toContain(
        `sent inside the group's health check grace period (300 s, ${300 - firstRoundFrom(60)} s left), which AWS may ignore: ${WATCHDOG_LINES.handOverAgain} once it ends`,
      );
      expect(log).toContain(`the group's health check grace period has ended: ${WATCHDOG_LINES.handOverAgain}`);
      // The second is the same hand-over, not counted as another.
      expect(log.match(new RegExp(WATCHDOG_LINES.handOver, "g"))).toHaveLength(1);
    });
  });
});

describe("the instance's count of its group's instances out of service", () => {
  function outOfService(answer: string, self: string) {
    const script = [
      instanceApiLibrary({ region: "us-east-1", groupName: "shop-prod-us-east-1" }),
      `autoscaling_read() { case "$1" in *DescribeAutoScalingGroups*shop-prod-us-east-1*) printf '%s' '${answer}' ;; *) return 1 ;; esac; }`,
      `group_out_of_service ${self}`,
    ].join("\n");
    const run = spawnSync("sh", ["-c", script], { encoding: "utf8" });
    return { status: run.status, count: run.stdout.trim() };
  }
  const member = (fields: string) => `<member>${fields}</member>`;
  // DescribeAutoScalingGroups' XML: instances among the group's other lists, each instance's fields in any order.
  const answer = (instances: string[]) =>
    `<DescribeAutoScalingGroupsResponse><DescribeAutoScalingGroupsResult><AutoScalingGroups><member>
  <AvailabilityZones><member>us-east-1a</member></AvailabilityZones>
  <Instances>${instances.join("\n    ")}</Instances>
  <HealthCheckType>EC2</HealthCheckType>
  <Tags><member><ResourceId>shop-prod-us-east-1</ResourceId><Key>Name</Key><Value>shop</Value></member></Tags>
</member></AutoScalingGroups></DescribeAutoScalingGroupsResult></DescribeAutoScalingGroupsResponse>`;

  it("counts the other instances that are Unhealthy or not InService, never itself", () => {
    const instances = [
      member(
        "<InstanceId>i-self</InstanceId><LifecycleState>InService</LifecycleState><HealthStatus>Unhealthy</HealthStatus>",
      ),
      member(
        "<InstanceId>i-ok</InstanceId><AvailabilityZone>us-east-1a</AvailabilityZone><LifecycleState>InService</LifecycleState><HealthStatus>Healthy</HealthStatus>",
      ),
      member(
        "<HealthStatus>Unhealthy</HealthStatus><InstanceId>i-handed</InstanceId><LifecycleState>InService</LifecycleState>",
      ),
      member(
        "<InstanceId>i-new</InstanceId><LifecycleState>Pending:Wait</LifecycleState><HealthStatus>Healthy</HealthStatus>",
      ),
      member(
        "<InstanceId>i-old</InstanceId><LifecycleState>Terminating</LifecycleState><HealthStatus>Healthy</HealthStatus>",
      ),
    ];
    expect(outOfService(answer(instances), "i-self")).toEqual({ status: 0, count: "3" });
    expect(outOfService(answer(instances.slice(0, 2)), "i-self")).toEqual({ status: 0, count: "0" });
  });

  it("fails, rather than counting 0, when the group cannot be read", () => {
    const script = [
      instanceApiLibrary({ region: "us-east-1", groupName: "shop-prod-us-east-1" }),
      "autoscaling_read() { return 22; }",
      'group_out_of_service i-self && echo "counted"',
    ].join("\n");
    const run = spawnSync("sh", ["-c", script], { encoding: "utf8" });
    expect(run.stdout).toBe("");
    expect(run.status).not.toBe(0);
  });
});
