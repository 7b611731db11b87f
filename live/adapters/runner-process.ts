import { spawn } from "node:child_process";
import { existsSync, mkdirSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { RegionShape } from "../../fleet/shape";
import { httpGet } from "../../cli/http";
import { PROJECT } from "../../terraform/adapters/context";
import type { Endpoints } from "../endpoints";
import { LiveFleet } from "./runner";
import { balancersNotServing, type LiveStatus } from "../status";
import { ALARM_MINUTE_SETTING } from "../metrics";
import { LOCAL_MINUTE_SECONDS } from "../../fleet/rehearsal";

/*
 * The live fleet's runner as a process of its own (live/main.ts), as `make demo` starts it and `make teardown`
 * stops it: detached, its pid and log in its directory.
 */

export const LIVE_MAIN = join(__dirname, "..", "main.ts");

/** Where the live fleet keeps its instances, proxies and published files unless CLOUDRIM_LIVE_DIR says. */
export function liveDirectory(env: NodeJS.ProcessEnv): string {
  return env.CLOUDRIM_LIVE_DIR ?? join(PROJECT, ".local", "live");
}

/**
 * The local AWS's settings for a live fleet whose runner keeps `directory`: it answers the load balancers' health
 * from the runner's checks (local-aws/fixes/live_health.py), and evaluates the alarms on the local minute the runner
 * puts its metrics on (local-aws/fixes/alarm_evaluation.py).
 */
export function liveAwsSettings(directory: string): NodeJS.ProcessEnv {
  return {
    CLOUDRIM_LOCAL_AWS_LIVE_HEALTH: LiveFleet.healthFile(directory),
    [ALARM_MINUTE_SETTING]: String(LOCAL_MINUTE_SECONDS),
  };
}

export function pidFile(directory: string): string {
  return join(directory, "runner.pid");
}

export function logFile(directory: string): string {
  return join(directory, "runner.log");
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // Started through sudo: it runs, as root.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The running runner's pid, if one runs. */
export function runnerPid(directory: string): number | undefined {
  if (!existsSync(pidFile(directory))) return undefined;
  const pid = Number(readFileSync(pidFile(directory), "utf8"));
  return Number.isInteger(pid) && pid > 0 && alive(pid) ? pid : undefined;
}

/** How this process would run live/main.ts: the same node and TypeScript loader. */
export function runnerCommand(): string[] {
  return [process.execPath, ...process.execArgv, LIVE_MAIN];
}

/** Starts the runner (`command`: its argv) unless one runs. */
export function startRunner(directory: string, env: NodeJS.ProcessEnv, command = runnerCommand()): number {
  const running = runnerPid(directory);
  if (running !== undefined) return running;
  mkdirSync(directory, { recursive: true });
  const log = openSync(logFile(directory), "a");
  const [file = process.execPath, ...args] = command;
  const child = spawn(file, args, {
    env: { ...env, CLOUDRIM_LIVE_DIR: directory },
    detached: true,
    stdio: ["ignore", log, log],
  });
  closeSync(log);
  child.unref();
  writeFileSync(pidFile(directory), String(child.pid));
  return child.pid ?? 0;
}

/** Stops the runner (it stops every instance and proxy and removes every namespace), waiting up to `timeoutMs`. */
export async function stopRunner(directory: string, timeoutMs = 60_000): Promise<boolean> {
  const pid = runnerPid(directory);
  if (pid === undefined) return false;
  process.kill(pid, "SIGTERM");
  const deadline = Date.now() + timeoutMs;
  while (alive(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
  if (alive(pid)) process.kill(pid, "SIGKILL");
  rmSync(pidFile(directory), { force: true });
  return true;
}

export function readStatus(directory: string): LiveStatus | undefined {
  try {
    return JSON.parse(readFileSync(LiveFleet.statusFile(directory), "utf8")) as LiveStatus;
  } catch {
    return undefined;
  }
}

/** Waits until every load balancer serves (see {@link balancersNotServing}); the ones that still do not. */
export async function waitUntilServing(
  directory: string,
  regions: readonly RegionShape[],
  timeoutMs: number,
  every = false,
): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const waiting = balancersNotServing(readStatus(directory), regions, every);
    if (waiting.length === 0 || Date.now() > deadline) return waiting;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** One GET: whether it answered 200, and its body or why there was none. */
export async function fetchText(url: string, timeoutMs = 2000): Promise<{ ok: boolean; text: string }> {
  try {
    const { status, body } = await httpGet(url, timeoutMs);
    return { ok: status === 200, text: body.trim() };
  } catch (error) {
    return { ok: false, text: error instanceof Error ? error.message : String(error) };
  }
}

/** A few real answers through each regional entry: what `make demo` ends with. */
export async function sampleAnswers(endpoints: Endpoints, perRegion: number): Promise<string[]> {
  const lines: string[] = [];
  const global = Object.values(endpoints).find((e) => e.global !== undefined)?.global;
  for (let i = 0; global !== undefined && i < perRegion; i++) {
    const answer = await fetchText(global);
    lines.push(`every region ${global} → ${answer.ok ? answer.text : `failed: ${answer.text}`}`);
  }
  for (const [region, e] of Object.entries(endpoints)) {
    for (let i = 0; i < perRegion; i++) {
      const answer = await fetchText(e.regional);
      lines.push(`${region} ${e.regional} → ${answer.ok ? answer.text : `failed: ${answer.text}`}`);
    }
  }
  return lines;
}
