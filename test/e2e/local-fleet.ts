import { BUILT_IN_FLEETS } from "../../regions";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FleetConfig } from "../../fleet/schema";
import { resolveFleet } from "../../fleet/adapters/resolve";
import type { FleetShape } from "../../fleet/shape";
import type { StackNode } from "../../terraform/stack-selection";
import type { Target } from "../../fleet/target";
import { terraformEnv } from "../../terraform/adapters/env";
import { fleetContext, PROJECT, type FleetContext } from "../../terraform/adapters/context";
import { outcomeReport } from "../../terraform/outcome";
import { synthesize } from "../../terraform/adapters/synth";
import { startMoto } from "../../local-aws/adapters/emulator";
import { run, type RunResult } from "../../cli/run";
import { deployStacks } from "../../rollout/adapters/stack-runs";
import { regionClients } from "../../fleet/adapters/aws-clients";
import { CreateHostedZoneCommand } from "@aws-sdk/client-route-53";
import { CreateBucketCommand } from "@aws-sdk/client-s3";
import { LIVE_MAIN, liveAwsSettings, startRunner, stopRunner } from "../../live/adapters/runner-process";

/** How the scenarios' commands and their synths load TypeScript (the file says why not tsx). */
const SWC_REGISTER = join(__dirname, "swc-register.js");

/** A port nothing listens on right now (the kernel picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => {
        resolve(typeof address === "object" && address !== null ? address.port : 0);
      });
    });
  });
}

/**
 * A private local AWS and working directory for one test file: its own moto_server on a free loopback
 * port, its own synth output, state files and fleet config, all removed by `stop()`.
 */
export class LocalFleet {
  private configured?: { shape: FleetShape; target: Target; stacks: StackNode[] };

  private constructor(
    readonly endpoint: string,
    readonly dir: string,
    private readonly moto: ChildProcess,
    private readonly live: boolean,
  ) {}

  /**
   * A fleet on an emulator of its own, started with these emulator settings (CLOUDRIM_LOCAL_AWS_…). `live`: set up
   * for startLive(), as `make demo` is: the local AWS answers health from the live fleet's checks and evaluates its
   * alarms from the live fleet's metrics (without it, alarms change only by SetAlarmState).
   */
  static async start(settings: NodeJS.ProcessEnv = {}, { live = false } = {}): Promise<LocalFleet> {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), "cloudrim-e2e-"));
    const endpoint = `http://127.0.0.1:${port}`;
    const liveSettings = live ? liveAwsSettings(join(dir, "live")) : {};
    const moto = await startMoto(endpoint, join(dir, "moto.log"), false, { ...liveSettings, ...settings });
    return new LocalFleet(endpoint, dir, moto, live);
  }

  /** The live fleet's directory: its instances, proxies, status and log. */
  get liveDir(): string {
    return join(this.dir, "live");
  }

  /**
   * Runs the live fleet (live/main.ts) for the fleet last configured: every instance this emulator launches boots
   * in a network namespace, behind real load balancers. As root, or through sudo (GitHub's runner has it without
   * a password), as `make demo` needs root.
   */
  startLive(): void {
    if (this.configured === undefined) throw new Error("configure() a fleet first");
    if (!this.live)
      throw new Error("start the fleet with { live: true } first: its local AWS must follow the live fleet");
    const env: NodeJS.ProcessEnv = { ...this.env, CLOUDRIM_LIVE_DIR: this.liveDir };
    const node = [process.execPath, ...this.nodeArgs(LIVE_MAIN, [])];
    const passed = [
      "PATH",
      "HOME",
      "CLOUDRIM_TARGET",
      "CLOUDRIM_LOCAL_ENDPOINT",
      "CLOUDRIM_CONFIG",
      "CLOUDRIM_LIVE_DIR",
    ];
    const command =
      process.getuid?.() === 0
        ? node
        : ["sudo", "-n", "env", ...passed.map((name) => `${name}=${env[name] ?? ""}`), ...node];
    startRunner(this.liveDir, env, command);
  }

  get configFile(): string {
    return join(this.dir, "fleet.json");
  }

  /** Environment for synth, cdktf and terraform, exactly as the demo builds it. */
  get env(): NodeJS.ProcessEnv {
    return terraformEnv(PROJECT, {
      ...process.env,
      CLOUDRIM_TARGET: "local",
      CLOUDRIM_LOCAL_ENDPOINT: this.endpoint,
      CLOUDRIM_CONFIG: this.configFile,
      // Commands run as subprocesses log here, not in the project's .local/.
      CLOUDRIM_LOG_DIR: this.commandLogs,
      // main.ts, run for every synth, loads as the commands do here (terraform/adapters/synth.ts).
      CLOUDRIM_TS_LOADER: SWC_REGISTER,
    });
  }

  get outdir(): string {
    return join(this.dir, "cdktf.out");
  }

  /** The context the commands build, for the fleet last configured; logs go to this run's directory. */
  context(progress: (line: string) => void = () => undefined, overrides: Partial<FleetContext> = {}): FleetContext {
    if (this.configured === undefined) throw new Error("configure() a fleet first");
    return fleetContext({
      env: this.env,
      outdir: this.outdir,
      workDir: this.dir,
      logDir: join(this.dir, "logs"),
      progress,
      ...this.configured,
      ...overrides,
    });
  }

  /** Writes the fleet config, validates and adapts it like main.ts does, and synthesizes it. */
  async configure(
    config: FleetConfig,
  ): Promise<{ shape: FleetShape; target: Target; stacks: Awaited<ReturnType<typeof synthesize>> }> {
    writeFileSync(this.configFile, JSON.stringify(config, null, 2));
    const fleet = resolveFleet(this.env, this.dir, BUILT_IN_FLEETS);
    if (!fleet.ok) throw new Error(fleet.message);
    mkdirSync(join(this.dir, "logs"), { recursive: true });
    const stacks = await synthesize({ env: this.env, outdir: this.outdir, workDir: this.dir });
    this.configured = { shape: fleet.shape, target: fleet.target, stacks };
    return { shape: fleet.shape, target: fleet.target, stacks };
  }

  stackDir(stack: string): string {
    return join(this.outdir, "stacks", stack);
  }

  /**
   * Deploys the stacks of the fleet last configured (every one by default) as `npm run deploy` does, from a
   * fresh account (the state bucket bootstrapped first): a scenario's starting point. Throws with each failed
   * stack's report line and the end of its log.
   */
  async deploy(only?: readonly string[]): Promise<void> {
    if (this.configured === undefined) throw new Error("configure() a fleet first");
    const selected = this.configured.stacks.filter((s) => only === undefined || only.includes(s.name));
    const failed = (await deployStacks(this.context(), selected)).filter((o) => o.status !== "succeeded");
    if (failed.length > 0) {
      const logs = failed.map((o) =>
        o.log === "" ? "" : readFileSync(o.log, "utf8").split("\n").slice(-40).join("\n"),
      );
      throw new Error(["deploying the fleet failed:", ...failed.map(outcomeReport), ...logs].join("\n"));
    }
  }

  /**
   * The state bucket (the region stacks' backend) and the domain's public zone (their records' lookup), made
   * with the AWS SDK as the state and zone stacks make them on the local target: the account a scenario about
   * its regions needs. Deploying those two stacks costs some 20 s of CPU, and is what the scenarios about them
   * show (fresh-account, deployed-fleet, confirmation).
   */
  async stateBucketAndZone(): Promise<void> {
    if (this.configured === undefined) throw new Error("configure() a fleet first");
    const { shape, target } = this.configured;
    const { s3, route53 } = regionClients(target, shape.state.region);
    await s3.send(new CreateBucketCommand({ Bucket: shape.state.bucket }));
    await route53.send(
      new CreateHostedZoneCommand({
        Name: shape.domain,
        CallerReference: `${shape.domain}-e2e`,
        HostedZoneConfig: { Comment: "cloudrim-fleet" },
      }),
    );
  }

  /** The region stacks of the fleet last configured, deployed into {@link stateBucketAndZone}'s account. */
  async deployRegions(): Promise<void> {
    if (this.configured === undefined) throw new Error("configure() a fleet first");
    await this.stateBucketAndZone();
    await this.deploy(this.configured.shape.regions.map((r) => r.stackName));
  }

  /**
   * `npm run <name> -- <args>` as package.json runs it, in this working copy: one node process, the command's
   * TypeScript loaded by test/e2e/swc-register.js instead of tsx (the same source; a third less CPU per start).
   */
  command(
    name: string,
    args: readonly string[] = [],
    options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
  ): Promise<RunResult> {
    return run(process.execPath, this.commandArgs(name, args), {
      cwd: options.cwd ?? this.dir,
      env: { ...this.env, ...options.env },
    });
  }

  /**
   * The same command, started: `onLine` hears each line it prints on stderr (its progress) as it comes;
   * `detached` puts it in a process group of its own, as CI runs it (a cancelled job signals the group).
   * A command ended by a signal exits 128.
   */
  startCommand(
    name: string,
    args: readonly string[],
    options: { env?: NodeJS.ProcessEnv; detached?: boolean; onLine?: (line: string) => void } = {},
  ): { child: ChildProcess; done: Promise<RunResult> } {
    const child = spawn(process.execPath, this.commandArgs(name, args), {
      cwd: this.dir,
      env: { ...this.env, ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
      detached: options.detached ?? false,
    });
    let [stdout, stderr, partial] = ["", "", ""];
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
      const lines = (partial + chunk.toString()).split("\n");
      partial = lines.pop() ?? "";
      lines.forEach((line) => options.onLine?.(line));
    });
    const done = new Promise<RunResult>((resolve, reject) => {
      child.on("error", reject);
      child.on("close", (code, signal) => {
        resolve({ code: code ?? (signal === null ? 1 : 128), stdout, stderr });
      });
    });
    return { child, done };
  }

  private commandArgs(name: string, args: readonly string[]): string[] {
    return this.nodeArgs(join(PROJECT, "scripts", `${name}.ts`), args);
  }

  /** node's arguments for a TypeScript entry point, loaded as the commands here load it. */
  private nodeArgs(file: string, args: readonly string[]): string[] {
    return ["--enable-source-maps", "-r", SWC_REGISTER, file, ...args];
  }

  /** Where commands run as subprocesses write their logs: one directory per run. */
  get commandLogs(): string {
    return join(this.dir, "command-logs");
  }

  /** The log a command run as a subprocess wrote last under this name. */
  latestCommandLog(name: string): string {
    const runs = readdirSync(this.commandLogs).filter((d) => existsSync(join(this.commandLogs, d, name)));
    return readFileSync(join(this.commandLogs, runs.sort().at(-1) ?? "", name), "utf8");
  }

  /** Every Terraform state file the working copy holds: the stack directories' and its own. */
  localStateFiles(): string[] {
    const found: string[] = [];
    const walk = (path: string) => {
      for (const entry of readdirSync(path, { withFileTypes: true })) {
        if (entry.name === ".terraform" || entry.name === "logs") continue;
        const full = join(path, entry.name);
        if (entry.isDirectory()) walk(full);
        else if (/\.tfstate(\.backup)?$/.test(entry.name)) found.push(full);
      }
    };
    walk(this.dir);
    return found;
  }

  /** Runs argv as root: directly as root, otherwise through sudo (as the live fleet's processes run as root). */
  asRoot(argv: readonly string[]): RunResult {
    const [command = "true", ...args] = process.getuid?.() === 0 ? argv : ["sudo", "-n", ...argv];
    const result = spawnSync(command, args, { encoding: "utf8" });
    return { code: result.status ?? 1, stdout: result.stdout, stderr: result.stderr };
  }

  async stop(): Promise<void> {
    await stopRunner(this.liveDir);
    const running = () => this.moto.exitCode === null && this.moto.signalCode === null;
    if (running()) {
      const exited = new Promise((resolve) => this.moto.once("exit", resolve));
      this.moto.kill("SIGTERM");
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise((resolve) => (timer = setTimeout(resolve, 5000)))]);
      // A pending timer would keep jest waiting after the suite.
      clearTimeout(timer);
      if (running()) this.moto.kill("SIGKILL");
    }
    // CLOUDRIM_KEEP_E2E=1 keeps the logs, moto's log and the working copy, to read after a failure.
    if (process.env.CLOUDRIM_KEEP_E2E === undefined) rmSync(this.dir, { recursive: true, force: true });
  }
}
