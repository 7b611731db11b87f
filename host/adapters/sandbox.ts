import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { App } from "cdktf";
import { addFleet } from "../../constructs/fleet";
import { UserFacingError } from "../../cli/console";
import { run } from "../../cli/run";
import { httpGet as getUrl } from "../../cli/http";
import type { FleetShape, RegionShape } from "../../fleet/shape";
import { decodeUserData } from "../../instance/user-data";
import { watchdogService } from "../../instance/watchdog";
import {
  inRoot,
  PACKAGE_COMMANDS,
  parseCloudConfig,
  sandboxCommand,
  serviceUsers,
  type CloudConfig,
} from "../cloud-config";
import { PINNED_NODE, type NodeArch } from "../../instance/release";
import { AUTOSCALING_PATH, MachineServices, type AutoScalingCall, type GroupPeer } from "./machine";
import { cacheDir, nodeTarball } from "../../instance/adapters/node-cache";
import { haproxyConfig, standInLayout, type StandInLayout } from "../stand-in";

/** This machine's architecture, as the boot script sees it (`uname -m`). */
export function hostNodeArch(): NodeArch {
  return process.arch === "arm64" ? "arm64" : "x64";
}

export class HostError extends UserFacingError {}

/**
 * The user data a region's launch template really carries: the fleet is synthesized as `cdktf synth`
 * would, and the base64 `user_data` is read back from the region stack's JSON.
 */
export function launchTemplateUserData(shape: FleetShape, region: RegionShape): string {
  const outdir = mkdtempSync(join(tmpdir(), "cloudrim-host-synth-"));
  try {
    const app = new App({ outdir });
    addFleet(app, shape);
    app.synth();
    const json = JSON.parse(readFileSync(join(outdir, "stacks", region.stackName, "cdk.tf.json"), "utf8")) as {
      resource: { aws_launch_template: Record<string, { user_data: string }> };
    };
    const templates = Object.values(json.resource.aws_launch_template);
    if (templates.length !== 1 || templates[0] === undefined) throw new HostError("expected one launch template");
    return decodeUserData(templates[0].user_data);
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

function commandExists(command: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" }).status === 0;
}

/** Stands in for the package install: the commands each package provides must already be here. */
export function missingPackageCommands(config: CloudConfig): string[] {
  return config.packages.flatMap((pkg) => (PACKAGE_COMMANDS[pkg] ?? []).filter((c) => !commandExists(c)));
}

/** One HTTP GET of `path` on a loopback port. */
export function httpGet(port: number, path = "/", timeoutMs = 2000): Promise<{ status: number; body: string }> {
  return getUrl(`http://127.0.0.1:${port}${path}`, timeoutMs);
}

/** What the default app answers: its port and pid. */
export async function whoServes(port: number, path = "/"): Promise<{ port: number; pid: number } | undefined> {
  try {
    const { status, body } = await httpGet(port, path);
    return status === 200 ? (JSON.parse(body) as { port: number; pid: number }) : undefined;
  } catch {
    return undefined;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The service users the user data creates, created on this machine when missing; then its files, under `root`. */
export function applyCloudConfigFiles(root: string, config: CloudConfig): void {
  for (const user of serviceUsers(config)) {
    if (spawnSync("id", ["-u", user.name], { stdio: "ignore" }).status !== 0) {
      const created = spawnSync(
        "useradd",
        ["--system", "--no-create-home", "--shell", user.shell ?? "/usr/sbin/nologin", user.name],
        { encoding: "utf8" },
      );
      // Another instance booting at the same moment may have created it first.
      if (created.status !== 0 && spawnSync("id", ["-u", user.name], { stdio: "ignore" }).status !== 0) {
        throw new HostError(`useradd ${user.name} failed: ${created.stderr}`);
      }
    }
  }
  for (const file of config.write_files) {
    const path = inRoot(root, file.path);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, file.content);
    chmodSync(path, parseInt(file.permissions, 8));
  }
}

/**
 * cloud-init's runcmd, in order, each entry through `wrap` (e.g. into a network namespace), until one fails.
 * Asynchronously: the metadata and mirror stand-ins may answer from this very process.
 */
export async function runBootCommands(
  root: string,
  config: CloudConfig,
  env: NodeJS.ProcessEnv,
  wrap: (argv: string[]) => string[] = (argv) => argv,
): Promise<BootResult> {
  const written = new Set(config.write_files.map((f) => f.path));
  let boot: BootResult = { status: 0, output: "" };
  for (const entry of config.runcmd) {
    const argv = sandboxCommand(entry, root, written);
    if (argv.length === 0) continue;
    const [command, ...args] = wrap(argv);
    if (command === undefined) continue;
    const result = await run(command, args, { env });
    boot = { status: result.code, output: `${boot.output}${result.stdout}${result.stderr}` };
    if (result.code !== 0) return { ...boot, failed: argv.join(" ") };
  }
  return boot;
}

/**
 * Stops every service an instance runs, then its runsvdir (nothing when it already ended). Services are told to exit while runsvdir still runs,
 * so it reaps every runsv (killed out of order they would be left as zombies); then runsvdir stops, and a
 * SIGKILL to its process group catches anything left.
 */
export async function stopSupervision(
  root: string,
  region: Pick<RegionShape, "service" | "ports">,
  runsvdir: ChildProcess,
): Promise<void> {
  const running = () => runsvdir.exitCode === null && runsvdir.signalCode === null;
  if (!running()) return;
  // Every service the instance runs: the ports' and the watchdog's (the watchdog first, so it restarts nothing).
  const services = [watchdogService(region.service).name, ...region.ports.map((p) => p.runitService)];
  for (const name of services) {
    const service = inRoot(root, `/etc/sv/${name}`);
    rmSync(inRoot(root, `/etc/service/${name}`), { force: true });
    if (existsSync(service)) spawnSync("sv", ["exit", service, `${service}/log`], { stdio: "ignore", timeout: 5000 });
  }
  await sleep(300);
  runsvdir.kill("SIGTERM");
  const deadline = Date.now() + 5000;
  while (running() && Date.now() < deadline) await sleep(50);
  try {
    if (runsvdir.pid !== undefined) process.kill(-runsvdir.pid, "SIGKILL");
  } catch {
    // the whole group is gone already
  }
}

export interface BootOptions {
  readonly region: RegionShape;
  /** The #cloud-config to apply (from {@link launchTemplateUserData}). */
  readonly userData: string;
  /** First stand-in port. @default the listener port + 1000 */
  readonly standInBase?: number;
  /** The S3 endpoint a release is fetched from (path style): a local AWS. @default none (no release) */
  readonly s3Endpoint?: string;
  /**
   * The endpoint the app's secrets are read from, SSM parameters and Secrets Manager secrets alike: a local
   * AWS (moto serves both on one port). @default none (no secrets)
   */
  readonly secretsEndpoint?: string;
  /** Keep the sandbox when the boot script fails (a release that does not verify), to inspect it. @default false */
  readonly tolerateBootFailure?: boolean;
  /** Seconds the boot waits for every port to answer (CLOUDRIM_READY_SECONDS). @default the plan's */
  readonly readySeconds?: number;
}

/** What the boot step printed, and how it ended. */
export interface BootResult {
  readonly status: number;
  readonly output: string;
  /** The runcmd entry that failed, if one did. */
  readonly failed?: string;
}

/**
 * One instance booted on this machine: the user data applied under a sandbox root, runsvdir supervising
 * its services, and haproxy standing in for the region's load balancers. Needs root (it creates the
 * service user, and chpst switches to it).
 */
export class HostSandbox {
  private constructor(
    readonly root: string,
    readonly region: RegionShape,
    readonly config: CloudConfig,
    readonly layout: StandInLayout,
    readonly boot: BootResult,
    private readonly runsvdir: ChildProcess,
    private readonly haproxy: ChildProcess,
    private readonly machine: MachineServices,
  ) {}

  /** Every call the instance made to the Auto Scaling API (its launch hook, its health), in order. */
  get autoScalingCalls(): readonly AutoScalingCall[] {
    return this.machine.autoScalingCalls;
  }

  /** The group's other instances from now on, as the instance reads them (DescribeAutoScalingGroups). */
  setGroupPeers(peers: readonly GroupPeer[]): void {
    this.machine.groupPeers = peers;
  }

  static async start(options: BootOptions): Promise<HostSandbox> {
    if (process.getuid?.() !== 0) {
      throw new HostError("booting the sandbox needs root: it creates the service user and runs services as it");
    }
    const config = parseCloudConfig(options.userData);
    const missing = missingPackageCommands(config);
    if (!commandExists("haproxy")) missing.push("haproxy");
    if (missing.length > 0) {
      throw new HostError(
        `missing commands: ${missing.join(", ")}; install them with scripts/setup.sh (Debian: runit, curl, haproxy)`,
      );
    }
    // The pinned Node.js the boot script installs, served from the cache (downloaded once).
    nodeTarball(hostNodeArch(), PINNED_NODE.version);
    const machine = await MachineServices.start({
      role: options.region.instance.role.name,
      credentials: { accessKeyId: "sandbox", secretAccessKey: "sandbox-secret", token: "sandbox-session" },
      nodeTarballs: join(cacheDir(), "node"),
    });
    const layout = standInLayout(options.region, options.standInBase);
    const root = mkdtempSync(join(tmpdir(), "cloudrim-host-"));
    // The service user must be able to reach the app inside the sandbox.
    chmodSync(root, 0o755);
    let runsvdir: ChildProcess | undefined;
    try {
      applyCloudConfigFiles(root, config);
      const env = {
        ...process.env,
        CLOUDRIM_ROOT: root,
        // The endpoints an instance reaches, here on loopback; unset on an instance.
        CLOUDRIM_IMDS_ENDPOINT: machine.endpoint,
        CLOUDRIM_NODE_MIRROR: machine.endpoint,
        CLOUDRIM_AUTOSCALING_ENDPOINT: `${machine.endpoint}${AUTOSCALING_PATH}`,
        ...(options.s3Endpoint === undefined ? {} : { CLOUDRIM_S3_ENDPOINT: options.s3Endpoint }),
        ...(options.secretsEndpoint === undefined
          ? {}
          : {
              CLOUDRIM_SSM_ENDPOINT: options.secretsEndpoint,
              CLOUDRIM_SECRETSMANAGER_ENDPOINT: options.secretsEndpoint,
            }),
        ...(options.readySeconds === undefined ? {} : { CLOUDRIM_READY_SECONDS: String(options.readySeconds) }),
        CLOUDRIM_RETRY_SECONDS: "0",
      };
      // runsvdir runs before the boot, as runit-run starts it at boot on an instance: the boot enables the
      // services, then waits for every port to answer. The app binds loopback only here (HOST); on an
      // instance HOST is unset and it binds every interface.
      mkdirSync(inRoot(root, "/etc/service"), { recursive: true });
      runsvdir = spawn("runsvdir", [inRoot(root, "/etc/service")], {
        env: { ...env, HOST: "127.0.0.1" },
        detached: true,
        stdio: "ignore",
      });
      const boot = await runBootCommands(root, config, env);
      if (boot.status !== 0 && options.tolerateBootFailure !== true) {
        throw new HostError(`runcmd ${boot.failed ?? ""} failed: ${boot.output}`);
      }
      const haproxyFile = join(root, "haproxy.cfg");
      writeFileSync(haproxyFile, haproxyConfig(layout, options.region.healthCheck));
      const haproxy = spawn("haproxy", ["-db", "-f", haproxyFile], { stdio: ["ignore", "ignore", "pipe"] });
      return new HostSandbox(root, options.region, config, layout, boot, runsvdir, haproxy, machine);
    } catch (error) {
      if (runsvdir?.pid !== undefined) process.kill(-runsvdir.pid, "SIGKILL");
      rmSync(root, { recursive: true, force: true });
      await machine.stop();
      throw error;
    }
  }

  get ports(): number[] {
    return this.region.ports.map((p) => p.port);
  }

  private serviceName(port: number): string {
    const name = this.region.ports.find((p) => p.port === port)?.runitService;
    if (name === undefined) throw new HostError(`no service for port ${port}`);
    return name;
  }

  serviceDir(port: number): string {
    return inRoot(this.root, `/etc/service/${this.serviceName(port)}`);
  }

  /** svlogd's current log file of the service on `port`. */
  logFile(port: number): string {
    return inRoot(this.root, `/var/log/${this.region.service}/${this.serviceName(port)}/current`);
  }

  /** `sv status` of one service: `run: <dir>: (pid 123) 4s; run: log: (pid 122) 4s`. */
  svStatus(port: number): string {
    return this.svStatusOf(this.serviceName(port));
  }

  /** `sv status` of the service linked as `/etc/service/{name}` (a port's, or the watchdog). */
  svStatusOf(name: string): string {
    return spawnSync("sv", ["status", inRoot(this.root, `/etc/service/${name}`)], { encoding: "utf8" }).stdout.trim();
  }

  /** `sv -w 7 restart` of the service linked as `/etc/service/{name}`: stopped, then started again. */
  svRestart(name: string): void {
    const restarted = spawnSync("sv", ["-w", "7", "restart", inRoot(this.root, `/etc/service/${name}`)], {
      encoding: "utf8",
    });
    if (restarted.status !== 0) throw new HostError(`sv restart ${name}: ${restarted.stdout}${restarted.stderr}`);
  }

  /**
   * Waits until every given instance port answers with its own port and, when all ports are awaited,
   * every load balancer stand-in answers from its instance port too.
   */
  async waitUntilServing(
    ports: readonly number[] = this.ports,
    timeoutMs = 30_000,
    throughStandIns = ports.length === this.ports.length,
  ): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const standIns = throughStandIns ? this.layout.balancers : [];
    let waiting = [
      ...ports.map((port) => ({ what: `port ${port}`, port, expected: port })),
      ...standIns.map((b) => ({ what: `stand-in ${b.frontendPort}`, port: b.frontendPort, expected: b.instancePort })),
    ];
    while (waiting.length > 0) {
      if (this.runsvdir.exitCode !== null) throw new HostError("runsvdir exited");
      if (this.haproxy.exitCode !== null) throw new HostError("haproxy exited (is a stand-in port taken?)");
      const answers = await Promise.all(waiting.map(async (w) => (await whoServes(w.port))?.port === w.expected));
      waiting = waiting.filter((_, i) => answers[i] !== true);
      if (waiting.length === 0) break;
      if (Date.now() > deadline) {
        throw new HostError(
          `${waiting.map((w) => w.what).join(", ")} did not answer within ${timeoutMs / 1000} s (is a port taken?)`,
        );
      }
      await sleep(100);
    }
  }

  /**
   * Waits until a round of requests to the regional entry is answered, every one, by exactly `ports`
   * (the stand-in's health checks run once a second); returns the ports that answered the last round.
   */
  async waitUntilRegionalAnswers(ports: readonly number[], timeoutMs = 15_000, round = 24): Promise<number[]> {
    const deadline = Date.now() + timeoutMs;
    const want = [...ports].sort((a, b) => a - b).join();
    let seen: number[] = [];
    for (;;) {
      const answers = await Promise.all(
        Array.from({ length: round }, () => whoServes(this.layout.regionalPort).catch(() => undefined)),
      );
      const all = answers.every((a) => a !== undefined);
      seen = [...new Set(answers.flatMap((a) => (a === undefined ? [] : [a.port])))].sort((a, b) => a - b);
      if ((all && seen.join() === want) || Date.now() > deadline) return seen;
      await sleep(200);
    }
  }

  /**
   * Stops haproxy and every supervised process, then removes the sandbox. Services are told to exit
   * while runsvdir still runs, so it reaps every runsv (killed out of order they would be left as
   * zombies); then runsvdir stops, and a SIGKILL to its process group catches anything left.
   */
  async stop(): Promise<void> {
    this.haproxy.kill("SIGTERM");
    await stopSupervision(this.root, this.region, this.runsvdir);
    await this.machine.stop();
    rmSync(this.root, { recursive: true, force: true });
  }
}
