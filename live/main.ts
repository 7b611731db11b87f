import { existsSync, statSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import { BUILT_IN_FLEETS } from "../regions";
import type { RegionShape } from "../fleet/shape";
import { resolveFleet } from "../fleet/adapters/resolve";
import { defineCommand, FLEET_ENVIRONMENT, startCommand } from "../cli/command";
import { UserFacingError } from "../cli/console";
import { LiveFleet, LiveFleetError } from "./adapters/runner";
import { liveFleetUnavailable } from "./adapters/namespace";
import { liveDirectory } from "./adapters/runner-process";
import { LOCAL_MINUTE_SECONDS } from "../fleet/rehearsal";

export const command = defineCommand({
  name: "live",
  summary: "Runs, on this machine, every instance the local AWS launches, behind real per-port load balancers.",
  description: [
    `make demo starts it beside the local AWS, and make teardown stops it. Each second it reads the local AWS: every instance its groups launch boots its launch template's user data in a network namespace of its own (runit, the release or the default app), each region's load balancers are one haproxy on loopback addresses, and each registered instance is checked as the fleet's health check says; what the load balancers would answer goes back to the local AWS, and each local minute (${LOCAL_MINUTE_SECONDS} s) their metrics and the groups' go to its CloudWatch, whose alarms it evaluates. SIGTERM (or Ctrl-C) stops every instance and proxy and removes every namespace. It needs root on Linux.`,
  ],
  options: {},
  environment: [
    ...FLEET_ENVIRONMENT.filter((e) => e.name !== "CLOUDRIM_TARGET"),
    { name: "CLOUDRIM_LIVE_DIR", description: "where it keeps what it runs and publishes (default: .local/live)" },
  ],
  exitCodes: [
    { code: 0, meaning: "stopped by SIGTERM or Ctrl-C, everything it ran stopped and removed" },
    { code: 1, meaning: "it cannot run here (the message says why)" },
  ],
  onInterrupt: "finish",
  run: async (_args, { signal, progress }) => {
    const unavailable = liveFleetUnavailable();
    if (unavailable !== undefined) throw new UserFacingError(`the live fleet cannot run here: ${unavailable}`);
    const env = { ...process.env, CLOUDRIM_TARGET: "local" };
    const fleet = resolveFleet(env, process.cwd(), BUILT_IN_FLEETS);
    if (!fleet.ok) throw new UserFacingError(fleet.message);
    if (fleet.target.kind !== "local") throw new UserFacingError("internal: expected the local target");
    const live = new LiveFleet({
      regions: fleet.shape.regions,
      endpoint: fleet.target.endpoint,
      directory: liveDirectory(env),
      minuteSeconds: LOCAL_MINUTE_SECONDS,
      log: (line) => {
        process.stdout.write(`${new Date().toISOString()} ${line}\n`);
      },
    });
    try {
      live.start();
    } catch (error) {
      if (error instanceof LiveFleetError) throw new UserFacingError(error.message);
      throw error;
    }
    progress(`live fleet: ${fleet.shape.regions.map((r) => r.region).join(", ")} on ${fleet.target.endpoint}`);
    live.run();
    const following = followFleetFile(
      fleet.source,
      env,
      (line) => {
        process.stdout.write(`${new Date().toISOString()} ${line}\n`);
      },
      (regions) => {
        live.follow(regions);
      },
    );
    await new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      signal.addEventListener("abort", () => {
        resolve();
      });
    });
    clearInterval(following);
    await live.stop();
    progress("live fleet stopped: every instance and proxy, every namespace removed");
    return 0;
  },
});

/** How often the fleet file is looked at for a change. */
const FOLLOW_MS = 2000;

/**
 * Reads the fleet again whenever its file changes, and hands its regions to `follow`: a deploy of a changed fleet
 * (a port added, a region added) finds the live fleet already serving what it creates. A built-in fleet has no
 * file to follow; a change that does not validate is said once and the last good fleet kept.
 */
function followFleetFile(
  source: string,
  env: NodeJS.ProcessEnv,
  log: (line: string) => void,
  follow: (regions: RegionShape[]) => void,
): NodeJS.Timeout | undefined {
  const path = isAbsolute(source) ? source : join(process.cwd(), source);
  const changedAt = () => (existsSync(path) ? statSync(path).mtimeMs : undefined);
  let seen = changedAt();
  if (seen === undefined) return undefined;
  return setInterval(() => {
    const now = changedAt();
    if (now === undefined || now === seen) return;
    seen = now;
    const fleet = resolveFleet(env, process.cwd(), BUILT_IN_FLEETS);
    if (!fleet.ok) {
      log(`${source} changed and does not validate; still running the fleet as it was: ${fleet.message}`);
      return;
    }
    log(`${source} changed: following it (${fleet.shape.regions.map((r) => r.region).join(", ")})`);
    follow([...fleet.shape.regions]);
  }, FOLLOW_MS);
}

if (require.main === module) startCommand(command);
