import { spawn, type ChildProcess } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Server } from "node:net";
import type { RegionShape } from "../../fleet/shape";
import { inRoot, parseCloudConfig } from "../../host/cloud-config";
import { MachineServices } from "../../host/adapters/machine";
import { applyCloudConfigFiles, runBootCommands, stopSupervision, type BootResult } from "../../host/adapters/sandbox";
import { cacheDir } from "../../instance/adapters/node-cache";
import type { InstanceLink } from "../network";
import { createNamespace, inNamespace, removeNamespace } from "./namespace";
import { startForwarder, stopServer } from "./forwarder";

/** What a live instance is given at launch. */
export interface LaunchSpec {
  readonly instanceId: string;
  readonly region: RegionShape;
  /** The #cloud-config it was launched with (EC2's user data, decoded). */
  readonly userData: string;
  readonly link: InstanceLink;
  /** How long its boot waits for every port to answer before it abandons the launch. */
  readonly readySeconds: number;
  /** The local AWS's loopback port: reached through a forwarder on this machine's side of the link. */
  readonly awsPort: number;
  /**
   * Where its root and its boot log live: a directory every user can reach (the service user runs the app
   * from inside it), made here.
   */
  readonly directory: string;
}

/**
 * One instance the local AWS launched, running on this machine: the user data applied under its own root, runsvdir
 * and the boot in its own network namespace (the processes bind every address there, as on an instance), a
 * metadata stand-in (its instance id, its role's credentials) and a forwarder to the local AWS on this machine's
 * side of its link. Its boot completes its launch lifecycle action against the local AWS, as on AWS.
 */
export class LiveInstance {
  /** How the boot ended, once it has. */
  boot: BootResult | undefined;

  private constructor(
    readonly spec: LaunchSpec,
    readonly root: string,
    private readonly runsvdir: ChildProcess,
    private readonly machine: MachineServices,
    private readonly forwarder: Server,
  ) {}

  get id(): string {
    return this.spec.instanceId;
  }

  get address(): string {
    return this.spec.link.instanceAddress;
  }

  static async launch(spec: LaunchSpec, onBoot: (boot: BootResult) => void = () => undefined): Promise<LiveInstance> {
    const config = parseCloudConfig(spec.userData);
    const root = join(spec.directory, "root");
    mkdirSync(root, { recursive: true });
    // The service user must be able to reach the app inside the root.
    chmodSync(spec.directory, 0o755);
    chmodSync(root, 0o755);
    createNamespace(spec.link);
    const started: { machine?: MachineServices; forwarder?: Server } = {};
    try {
      started.machine = await MachineServices.start({
        role: spec.region.instance.role.name,
        credentials: { accessKeyId: "live", secretAccessKey: "live-secret", token: "live-session" },
        nodeTarballs: join(cacheDir(), "node"),
        instanceId: spec.instanceId,
        host: spec.link.hostAddress,
      });
      started.forwarder = await startForwarder(spec.link.hostAddress, spec.awsPort);
      applyCloudConfigFiles(root, config);
      const aws = `http://${spec.link.hostAddress}:${spec.awsPort}`;
      const env: NodeJS.ProcessEnv = {
        PATH: process.env.PATH,
        LANG: "C.UTF-8",
        CLOUDRIM_ROOT: root,
        CLOUDRIM_IMDS_ENDPOINT: started.machine.endpoint,
        CLOUDRIM_NODE_MIRROR: started.machine.endpoint,
        CLOUDRIM_AUTOSCALING_ENDPOINT: aws,
        CLOUDRIM_S3_ENDPOINT: aws,
        CLOUDRIM_SSM_ENDPOINT: aws,
        CLOUDRIM_SECRETSMANAGER_ENDPOINT: aws,
        CLOUDRIM_RETRY_SECONDS: "1",
        CLOUDRIM_READY_SECONDS: String(spec.readySeconds),
      };
      mkdirSync(inRoot(root, "/etc/service"), { recursive: true });
      // runsvdir first, as runit-run starts it at boot on an instance; the boot then enables the services.
      const [command = "ip", ...args] = inNamespace(spec.link.namespace, ["runsvdir", inRoot(root, "/etc/service")]);
      const runsvdir = spawn(command, args, { env, detached: true, stdio: "ignore" });
      const instance = new LiveInstance(spec, root, runsvdir, started.machine, started.forwarder);
      void runBootCommands(root, config, env, (argv) => inNamespace(spec.link.namespace, argv)).then(
        (result) => {
          instance.boot = result;
          onBoot(result);
          // Terminated while it booted: its directory is gone, and so is what the log would be for.
          if (existsSync(spec.directory)) writeFileSync(join(spec.directory, "boot.log"), result.output);
        },
        (error: unknown) => {
          instance.boot = { status: 1, output: String(error) };
          onBoot(instance.boot);
        },
      );
      return instance;
    } catch (error) {
      if (started.forwarder !== undefined) await stopServer(started.forwarder);
      await started.machine?.stop();
      removeNamespace(spec.link.namespace);
      throw error;
    }
  }

  /** Stops everything it runs, removes its namespace, and forgets its root. */
  async terminate(): Promise<void> {
    await stopSupervision(this.root, this.spec.region, this.runsvdir);
    removeNamespace(this.spec.link.namespace);
    await stopServer(this.forwarder);
    await this.machine.stop();
    rmSync(this.spec.directory, { recursive: true, force: true });
  }
}
