import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { HostSandbox, launchTemplateUserData, whoServes } from "../host/adapters/sandbox";
import { HAPROXY_PREAMBLE } from "../host/stand-in";
import { shapeOrThrow } from "../fleet/validate";
import { readDefaultApp } from "../instance/adapters/default-app";
import { defineCommand, startCommand } from "../cli/command";
import { UserFacingError } from "../cli/console";
import { median, parseWrk, type Sample } from "./wrk";

const REPETITIONS = 3;
const DURATION = "5s";
const CONNECTIONS = 20;
const PATH = "/work?rounds=2000";
const BASE = 29000;

const LIMITS = [
  "What limits the per-port set-up here: everything shares the same 2 cores. wrk (one thread) and haproxy",
  "copy every request and response in user space, and the stand-in's regional entry does it twice (the weighted",
  "choice, then the port's load balancer), which costs the node processes CPU they would otherwise use; the",
  "cluster module hands connections to its workers without a proxy in the data path. One hop instead of two",
  "recovers part of the gap. On AWS the weighted choice is DNS and the load balancers run on their own hosts, so",
  "an instance gives all of its cores to the n+1 node processes and this proxy cost disappears.",
].join("\n");

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function wrk(port: number): Sample {
  const result = spawnSync(
    "wrk",
    ["-t1", `-c${CONNECTIONS}`, `-d${DURATION}`, "--latency", `http://127.0.0.1:${port}${PATH}`],
    { encoding: "utf8", timeout: 30_000 },
  );
  if (result.status !== 0) {
    throw new UserFacingError(
      `wrk failed (${result.error?.message ?? `exit ${result.status ?? "by signal"}`}): ${result.stderr.trim()}; install wrk (apt-get install wrk)`,
    );
  }
  return parseWrk(result.stdout);
}

async function waitFor(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if ((await whoServes(port)) !== undefined) return;
    await sleep(100);
  }
  throw new UserFacingError(`port ${port} never answered within 10 s`);
}

function startNode(script: string, env: Record<string, string>): ChildProcess {
  return spawn("node", [script], { env: { ...process.env, ...env }, stdio: "ignore" });
}

async function bench(): Promise<number> {
  const n = cpus().length;
  const processes = n + 1;
  const appScript = join(__dirname, "..", "app", "server.js");

  const one = startNode(appScript, { PORT: String(BASE), HOST: "127.0.0.1" });
  const cluster = startNode(join(__dirname, "cluster.js"), {
    PORT: String(BASE + 1),
    HOST: "127.0.0.1",
    WORKERS: String(processes),
  });
  const shape = shapeOrThrow(
    {
      deployment: "bench",
      domain: "bench.test",
      allowedCidrs: ["127.0.0.0/8"],
      basePort: BASE + 100,
      listenerPort: BASE + 100,
      processes,
      state: { bucket: "cloudrim-bench", region: "us-east-1" },
      regions: [{ region: "us-east-1" }],
    },
    readDefaultApp(),
  );
  const region = shape.regions[0];
  if (region === undefined) throw new Error("no region");
  const sandbox = await HostSandbox.start({ region, userData: launchTemplateUserData(shape, region) });
  try {
    await Promise.all([waitFor(BASE), waitFor(BASE + 1), sandbox.waitUntilServing()]);
    const oneHopPort = BASE + 2;
    const oneHopConfig = join(sandbox.root, "onehop.cfg");
    writeFileSync(
      oneHopConfig,
      [
        ...HAPROXY_PREAMBLE,
        "frontend onehop",
        `  bind 127.0.0.1:${oneHopPort}`,
        "  default_backend ports",
        "backend ports",
        "  balance roundrobin",
        ...region.ports.map((p) => `  server port-${p.port} 127.0.0.1:${p.port} weight ${p.weight}`),
        "",
      ].join("\n"),
    );
    const oneHop = spawn("haproxy", ["-db", "-f", oneHopConfig], { stdio: "ignore" });
    await waitFor(oneHopPort);
    const targets = { one: BASE, runit: sandbox.layout.regionalPort, onehop: oneHopPort, cluster: BASE + 1 } as const;
    const samples: Record<keyof typeof targets, Sample[]> = { one: [], runit: [], onehop: [], cluster: [] };
    for (const name of Object.keys(targets) as (keyof typeof targets)[]) wrk(targets[name]); // warm-up
    for (let rep = 0; rep < REPETITIONS; rep++) {
      for (const name of Object.keys(targets) as (keyof typeof targets)[]) {
        const sample = wrk(targets[name]);
        samples[name].push(sample);
        process.stderr.write(
          `bench: ${name} #${rep + 1}: ${sample.rps.toFixed(0)} req/s, p99 ${sample.p99ms.toFixed(1)} ms\n`,
        );
      }
    }

    const recoveries: number[] = [];
    const victim = region.ports[0]?.port ?? 0;
    for (let trial = 0; trial < 20; trial++) {
      await sleep(1500); // runsv waits 1 s before restarting a process that died within a second of starting
      const before = await whoServes(victim);
      const killedAt = process.hrtime.bigint();
      process.kill(before?.pid ?? 0, "SIGKILL");
      let after = await whoServes(victim);
      while (after === undefined || after.pid === before?.pid) {
        await sleep(2);
        after = await whoServes(victim);
      }
      recoveries.push(Number(process.hrtime.bigint() - killedAt) / 1e6);
    }

    const baseline = median(samples.one.map((s) => s.rps));
    const row = (name: keyof typeof samples, label: string) => {
      const rps = median(samples[name].map((s) => s.rps));
      const p99 = median(samples[name].map((s) => s.p99ms));
      return `| ${label} | ${rps.toFixed(0)} | ${p99.toFixed(1)} | ${(rps / baseline).toFixed(2)}x |`;
    };
    const nodeVersion = process.version;
    const cpuModel = cpus()[0]?.model ?? "unknown";
    const report = [
      "# Benchmark results",
      "",
      `Measured by \`npm run bench\` (as root) on ${new Date().toISOString().slice(0, 10)}: ${n} cores (${cpuModel}), Node ${nodeVersion},`,
      `wrk ${spawnSync("wrk", ["-v"], { encoding: "utf8" }).stdout.split("\n")[0]?.trim() ?? ""}, haproxy ${/version ([\d.]+)/.exec(spawnSync("haproxy", ["-v"], { encoding: "utf8" }).stdout)?.[1] ?? "?"}.`,
      "",
      `Load: \`wrk -t1 -c${CONNECTIONS} -d${DURATION} --latency http://127.0.0.1:PORT${PATH}\` (pbkdf2, 2000 rounds per request),`,
      `the set-ups interleaved, ${REPETITIONS} runs each after a warm-up run; medians.`,
      "",
      `| set-up | req/s | p99 ms | vs one process |`,
      `| --- | ---: | ---: | ---: |`,
      row("one", "one process, direct"),
      row("runit", `${processes} runit services behind the per-port haproxy stand-in (regional entry: 2 proxy hops)`),
      row("onehop", `${processes} runit services behind one haproxy hop picking a port by weight (as DNS does)`),
      row("cluster", `node cluster, ${processes} workers on one port`),
      "",
      LIMITS,
      "",
      `Crash recovery (kill -9 of the process on port ${victim} until a new pid answers), 20 trials:`,
      `min ${Math.min(...recoveries).toFixed(0)} ms, median ${median(recoveries).toFixed(0)} ms, max ${Math.max(...recoveries).toFixed(0)} ms.`,
      "",
    ].join("\n");
    oneHop.kill();
    process.stdout.write(report);
    writeFileSync(join(__dirname, "RESULTS.md"), report);
  } finally {
    one.kill();
    cluster.kill("SIGTERM");
    await sandbox.stop();
  }
  return 0;
}

export const command = defineCommand({
  name: "bench",
  summary: "Measures n+1 supervised processes behind per-port balancing against one process and node's cluster.",
  description: [
    "The claim: n+1 supervised processes behind per-port balancing serve close to n times one process. Side by side, interleaved, in one run, against the CPU-bound /work handler: one (one node process, wrk straight at it); runit (n+1 processes under runit, the real user data, wrk at the regional haproxy stand-in: two proxy hops, the weighted choice and the port's load balancer); onehop (the same processes behind one haproxy hop that picks a port by weight, as DNS does on AWS at no per-request cost); cluster (node's cluster module, n+1 workers on one port). Then crash recovery: kill -9 of one supervised process until its port answers again, 20 times.",
    "Writes bench/RESULTS.md. Run it as root (it boots the runit sandbox), with wrk and haproxy installed, on a machine doing nothing else. It changes nothing in AWS.",
  ],
  options: {},
  environment: [],
  exitCodes: [
    { code: 0, meaning: "measured; bench/RESULTS.md written" },
    { code: 1, meaning: "it could not measure (the message says why)" },
  ],
  onInterrupt: "exit",
  run: () => bench(),
});

if (require.main === module) startCommand(command);
