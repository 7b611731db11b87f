import { spawnSync } from "node:child_process";
import {
  mostPortsMayFail,
  probeInterval,
  supervisedServices,
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
};

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

  it("acts on a minority of ports only: when most fail together it is the instance or its load", () => {
    expect([1, 2, 3, 4, 5, 37].map(mostPortsMayFail)).toEqual([0, 1, 1, 2, 2, 18]);
  });

  it("requires a success from a liveness path, and any HTTP answer from the readiness path or /", () => {
    expect(watchdogScript(spec)).toContain(
      'probe() { curl -s -o /dev/null --max-time 3 -f "http://127.0.0.1:$1/live"; }',
    );
    expect(watchdogScript({ ...spec, probePath: "/", requireSuccess: false })).toContain(
      'probe() { curl -s -o /dev/null --max-time 3 "http://127.0.0.1:$1/"; }',
    );
  });

  it("restarts through runsv, one port at a time, and hands over after the configured restarts in the window", () => {
    const script = watchdogScript(spec);
    expect(script).toContain('sv -w 7 force-restart "$root/etc/service/shop-$1"');
    expect(script).toContain('if [ "$recent" -ge 3 ]');
    expect(script).toContain("since=$(($(date +%s) - 900))");
    expect(script).toContain('if [ "$count" -gt 1 ]; then');
    expect(script).toContain('ports="9000 9001 9002"');
  });

  it("is a POSIX shell script", () => {
    const result = spawnSync("sh", ["-n"], { input: watchdogScript(spec), encoding: "utf8" });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
  });
});
