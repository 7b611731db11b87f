import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { shellScripts, parseCloudConfig } from "../../host/cloud-config";
import { HostSandbox, httpGet, type BootOptions, launchTemplateUserData, whoServes } from "../../host/adapters/sandbox";
import type { FleetConfig } from "../../fleet/schema";
import { instanceApiPath } from "../../instance/instance-api";
import type { RegionShape } from "../../fleet/shape";
import { shapeOrThrow } from "../../fleet/validate";
import { baseFleet, DEFAULT_APP } from "../fixtures";
import { freeBase } from "./free-ports";

// Real runsvdir, runsv, chpst, svlogd, node and haproxy on loopback; needs root (as CI is).
jest.setTimeout(120_000);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function fleet(basePort: number, processes: number, weights: number[]): FleetConfig {
  return baseFleet({ basePort, listenerPort: basePort, processes, weights, regions: [{ region: "us-east-1" }] });
}

async function boot(
  config: FleetConfig,
  options: Partial<BootOptions> = {},
): Promise<{ sandbox: HostSandbox; region: RegionShape }> {
  const shape = shapeOrThrow(config, DEFAULT_APP);
  const region = shape.regions[0];
  if (region === undefined) throw new Error("no region");
  const userData = launchTemplateUserData(shape, region);
  return { sandbox: await HostSandbox.start({ ...options, region, userData }), region };
}

/** Processes whose command line mentions the sandbox: none may outlive it. */
function processesIn(root: string): string[] {
  return readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .flatMap((pid) => {
      try {
        const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ");
        return cmdline.includes(root) ? [`${pid}: ${cmdline}`] : [];
      } catch {
        return [];
      }
    });
}

function uidOf(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, "utf8")
    .split("\n")
    .find((l) => l.startsWith("Uid:"));
  return Number(line?.split(/\s+/)[1]);
}

describe("the user data the launch template carries", () => {
  const shape = shapeOrThrow(fleet(9000, 3, [1, 1, 1]), DEFAULT_APP);
  const userData = launchTemplateUserData(shape, shape.regions[0] as RegionShape);

  it("passes cloud-init's schema", () => {
    const dir = mkdtempSync(join(tmpdir(), "cloudrim-schema-"));
    try {
      writeFileSync(join(dir, "user-data"), userData);
      const result = spawnSync("cloud-init", ["schema", "--config-file", join(dir, "user-data")], { encoding: "utf8" });
      expect(result.error).toBeUndefined();
      expect(`${result.stdout}${result.stderr}`).toMatch(/Valid cloud-config/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("writes only shell scripts that pass shellcheck", () => {
    const scripts = shellScripts(parseCloudConfig(userData));
    expect(scripts.map((s) => s.path)).toEqual([
      "/usr/local/lib/cloudrim/run",
      "/usr/local/lib/cloudrim/watchdog",
      "/usr/local/sbin/cloudrim-enable-services",
      "/usr/local/sbin/cloudrim-ship-logs",
      "/usr/local/sbin/cloudrim-boot",
    ]);
    // The library the boot and the watchdog source has no #! of its own.
    const library = parseCloudConfig(userData).write_files.find((f) => f.path === instanceApiPath("cloudrim"));
    expect(library).toBeDefined();
    for (const script of [...scripts, { path: library?.path ?? "", content: library?.content ?? "" }]) {
      const result = spawnSync("shellcheck", ["--shell=sh", "-"], { input: script.content, encoding: "utf8" });
      expect(result.error).toBeUndefined();
      expect({ path: script.path, findings: result.stdout }).toEqual({ path: script.path, findings: "" });
    }
  });
});

describe.each([
  [2, [1, 3]],
  [5, [1, 2, 3, 0, 4]],
])("one instance with %i processes, booted from its user data", (processes, weights) => {
  let sandbox: HostSandbox;
  let region: RegionShape;
  let root = "";

  beforeAll(async () => {
    ({ sandbox, region } = await boot(fleet(await freeBase(processes), processes, weights)));
    root = sandbox.root;
    await sandbox.waitUntilServing();
  });

  afterAll(async () => {
    await sandbox.stop();
    expect(root).not.toBe("");
    expect(existsSync(root)).toBe(false);
    expect(processesIn(root)).toEqual([]);
  });

  it("answers on every port with that port and a pid of its own", async () => {
    const answers = await Promise.all(sandbox.ports.map((port) => whoServes(port)));
    expect(answers.map((a) => a?.port)).toEqual(sandbox.ports);
    expect(new Set(answers.map((a) => a?.pid)).size).toBe(processes);
  });

  it("supervises every service and its logger (sv status)", () => {
    for (const port of sandbox.ports) {
      expect(sandbox.svStatus(port)).toMatch(/^run: .*: \(pid \d+\) \d+s; run: log: \(pid \d+\) \d+s$/);
    }
  });

  it("runs the app as the unprivileged service user, never as root", async () => {
    const uid = Number(execFileSync("id", ["-u", "cloudrim"], { encoding: "utf8" }));
    expect(uid).toBeGreaterThan(0);
    for (const port of sandbox.ports) {
      const pid = (await whoServes(port))?.pid ?? 0;
      expect(uidOf(pid)).toBe(uid);
    }
  });

  it("logs each service through svlogd into its own directory", async () => {
    for (const port of sandbox.ports) {
      const file = sandbox.logFile(port);
      const deadline = Date.now() + 5000;
      while (
        !(existsSync(file) && readFileSync(file, "utf8").includes(`listening on port ${port}`)) &&
        Date.now() < deadline
      ) {
        await sleep(100);
      }
      expect(readFileSync(file, "utf8")).toMatch(
        new RegExp(`^\\d{4}-\\d{2}-\\d{2}_[\\d:.]+ cloudrim listening on port ${port} `, "m"),
      );
    }
  });

  it("brings a killed process back within moments while the other ports keep answering", async () => {
    const [victim, ...others] = sandbox.ports as [number, ...number[]];
    const before = await whoServes(victim);
    let othersFailed = 0;
    const watching = { on: true };
    const watcher = (async () => {
      while (watching.on) {
        const answers = await Promise.all(others.map((port) => whoServes(port)));
        othersFailed += answers.filter((a, i) => a?.port !== others[i]).length;
        await sleep(10);
      }
    })();
    const killedAt = process.hrtime.bigint();
    process.kill(before?.pid ?? 0, "SIGKILL");
    let after = await whoServes(victim);
    while (after?.pid === undefined || after.pid === before?.pid) {
      if (Number(process.hrtime.bigint() - killedAt) / 1e6 > 10_000) break;
      await sleep(5);
      after = await whoServes(victim);
    }
    const recoveryMs = Number(process.hrtime.bigint() - killedAt) / 1e6;
    watching.on = false;
    await watcher;
    process.stdout.write(
      `port ${victim} answered again ${recoveryMs.toFixed(0)} ms after kill -9 (new pid ${after?.pid ?? "none"})\n`,
    );
    expect(after?.port).toBe(victim);
    expect(after?.pid).not.toBe(before?.pid);
    expect(recoveryMs).toBeLessThan(5000);
    expect(othersFailed).toBe(0);
  });

  it("spreads requests to the regional stand-in over every port in proportion to the weights", async () => {
    // The stand-in's health checks saw the killed port go and come back; wait until it sends there again.
    const weighted = region.ports.filter((p) => p.weight > 0).map((p) => p.port);
    expect(await sandbox.waitUntilRegionalAnswers(weighted)).toEqual(weighted);
    const total = weights.reduce((a, b) => a + b, 0);
    const rounds = 20;
    const counts = new Map<number, number>();
    for (let i = 0; i < total * rounds; i++) {
      const { body } = await httpGet(sandbox.layout.regionalPort);
      const port = (JSON.parse(body) as { port: number }).port;
      counts.set(port, (counts.get(port) ?? 0) + 1);
    }
    region.ports.forEach((p) => {
      const expected = p.weight * rounds;
      const got = counts.get(p.port) ?? 0;
      expect({ port: p.port, got: Math.abs(got - expected) <= Math.max(2, expected * 0.1) }).toEqual({
        port: p.port,
        got: true,
      });
    });
  });

  it("sends each per-port load balancer stand-in to its own instance port only", async () => {
    await sandbox.waitUntilServing();
    for (const balancer of sandbox.layout.balancers) {
      const answers = await Promise.all([1, 2, 3].map(() => httpGet(balancer.frontendPort)));
      expect(answers.map((a) => (JSON.parse(a.body) as { port: number }).port)).toEqual([
        balancer.instancePort,
        balancer.instancePort,
        balancer.instancePort,
      ]);
    }
  });
});

describe("the regional entry follows health, as the weighted set of alias records does", () => {
  let sandbox: HostSandbox;
  let base = 0;

  let marker = "";

  beforeAll(async () => {
    // Made here, not when the file is collected: a run that filters these tests out leaves nothing behind.
    marker = join(mkdtempSync(join(tmpdir(), "cloudrim-sick-")), "sick");
    base = await freeBase(4);
    // Port base+3 answers 500 on the health path once the marker exists (after a healthy boot); base+1 is
    // stopped in the second test.
    const fixture = join(__dirname, "fixtures", "health-app.js");
    chmodSync(dirname(marker), 0o755);
    ({ sandbox } = await boot({
      ...fleet(base, 4, [1, 1, 1, 1]),
      healthCheck: { path: "/healthz" },
      app: { command: `env UNHEALTHY_PORT=${base + 3} SICK_MARKER=${marker} node ${fixture}` },
    }));
    await sandbox.waitUntilServing(sandbox.ports, 30_000, false);
    writeFileSync(marker, "");
  });

  afterAll(async () => {
    await sandbox.stop();
    if (marker !== "") rmSync(dirname(marker), { recursive: true, force: true });
  });

  /** The ports that answered `count` requests through the regional entry; fails if any request failed. */
  async function regionalAnswers(count: number): Promise<number[]> {
    const ports = new Set<number>();
    for (let i = 0; i < count; i++) {
      const { status, body } = await httpGet(sandbox.layout.regionalPort);
      expect(status).toBe(200);
      ports.add((JSON.parse(body) as { port: number }).port);
    }
    return [...ports].sort((a, b) => a - b);
  }

  it("takes out a process that is alive but answers 500 on the health path", async () => {
    expect((await httpGet(base + 3, "/")).status).toBe(200);
    expect((await httpGet(base + 3, "/healthz")).status).toBe(500);
    expect(await sandbox.waitUntilRegionalAnswers([base, base + 1, base + 2])).toEqual([base, base + 1, base + 2]);
    expect(await regionalAnswers(30)).toEqual([base, base + 1, base + 2]);
  });

  it("keeps answering from the remaining ports when one port's service is stopped for good (sv down)", async () => {
    const down = spawnSync("sv", ["-w", "7", "down", sandbox.serviceDir(base + 1)], { encoding: "utf8" });
    expect(down.status).toBe(0);
    expect(await whoServes(base + 1)).toBeUndefined();
    // Once its health check fails (as Route 53 drops an alias record whose load balancer has no healthy
    // instance), the regional entry answers from the other healthy ports only, every request.
    expect(await sandbox.waitUntilRegionalAnswers([base, base + 2])).toEqual([base, base + 2]);
    expect(await regionalAnswers(30)).toEqual([base, base + 2]);
  });
});

describe("a service whose app exits at once", () => {
  let sandbox: HostSandbox;
  let squatter: Server;

  afterAll(async () => {
    squatter.close();
    await sandbox.stop();
  });

  it("is restarted by runit until it can run, without taking down the others", async () => {
    const base = await freeBase(2);
    // Something else holds the second port, so that process exits at start (EADDRINUSE).
    squatter = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => squatter.listen(base + 1, "127.0.0.1", resolve));
    ({ sandbox } = await boot(fleet(base, 2, [1, 1]), { readySeconds: 10, tolerateBootFailure: true }));
    // The boot waits for every port to answer; this one never does, so the launch is abandoned, with the reason.
    expect(sandbox.boot.status).toBe(1);
    expect(sandbox.boot.output).toContain(
      `cloudrim-boot: abandoning the launch: port ${base + 1} did not answer http://127.0.0.1:${base + 1}/ in 10 s; its log: /var/log/cloudrim/cloudrim-${base + 1}/current`,
    );
    expect(sandbox.autoScalingCalls.map((c) => [c.params.Action, c.params.LifecycleActionResult, c.signed])).toEqual([
      ["CompleteLifecycleAction", "ABANDON", true],
    ]);
    await sandbox.waitUntilServing([base]);
    const log = sandbox.logFile(base + 1);
    const failures = () => (existsSync(log) ? (readFileSync(log, "utf8").match(/EADDRINUSE/g)?.length ?? 0) : 0);
    for (let i = 0; i < 30 && failures() < 3; i++) {
      expect((await whoServes(base))?.port).toBe(base);
      await sleep(100);
    }
    // runsv starts a process that died within a second of starting again once a second.
    expect(failures()).toBeGreaterThanOrEqual(3);
    expect(sandbox.svStatus(base + 1)).toMatch(/normally up|want up|^run:/);
    await new Promise((resolve) => squatter.close(resolve));
    await sandbox.waitUntilServing([base, base + 1], 10_000);
  });
});
