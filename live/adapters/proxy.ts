import { spawn, type ChildProcess } from "node:child_process";
import { createConnection } from "node:net";
import { writeFileSync, renameSync } from "node:fs";
import { join } from "node:path";

/**
 * One region's haproxy, in master-worker mode: each new configuration is written, then the master reloads
 * (SIGUSR2), starting a worker on it that takes over the listening sockets while the old worker finishes the
 * connections it has, so a change never refuses or cuts a connection.
 */
export class RegionProxyProcess {
  private current = "";

  private constructor(
    private readonly configFile: string,
    private readonly master: ChildProcess,
    private readonly errors: { text: string },
  ) {}

  static start(directory: string, region: string, config: string): RegionProxyProcess {
    const configFile = join(directory, `haproxy-${region}.cfg`);
    writeFileSync(configFile, config);
    const errors = { text: "" };
    const master = spawn("haproxy", ["-W", "-db", "-f", configFile], { stdio: ["ignore", "ignore", "pipe"] });
    master.stderr.on("data", (chunk: Buffer) => {
      errors.text = `${errors.text}${chunk.toString()}`.slice(-4000);
    });
    const proxy = new RegionProxyProcess(configFile, master, errors);
    proxy.current = config;
    return proxy;
  }

  get running(): boolean {
    return this.master.exitCode === null && this.master.signalCode === null;
  }

  /** What haproxy last said on stderr (why it could not bind, a bad configuration). */
  get lastErrors(): string {
    return this.errors.text;
  }

  /** Loads `config` if it differs from the one running. */
  apply(config: string): boolean {
    if (config === this.current) return false;
    const next = `${this.configFile}.next`;
    writeFileSync(next, config);
    renameSync(next, this.configFile);
    this.current = config;
    this.master.kill("SIGUSR2");
    return true;
  }

  stop(): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise((resolve) => {
      this.master.once("exit", () => {
        resolve();
      });
      this.master.kill("SIGTERM");
    });
  }
}

/** haproxy's `show stat` from its stats socket (CSV), within `timeoutMs`: it answers one command and closes. */
export function readStats(socket: string, timeoutMs = 1000): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    const connection = createConnection(socket, () => {
      connection.write("show stat\n");
    });
    connection.setTimeout(timeoutMs, () => {
      connection.destroy(new Error(`no answer from ${socket} in ${timeoutMs} ms`));
    });
    connection.on("data", (chunk: Buffer) => {
      text += chunk.toString();
    });
    connection.on("error", reject);
    connection.on("close", () => {
      resolve(text);
    });
  });
}
