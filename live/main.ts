import { BUILT_IN_FLEETS } from "../regions";
import { resolveFleet } from "../fleet/adapters/resolve";
import { defineCommand, FLEET_ENVIRONMENT, startCommand } from "../cli/command";
import { UserFacingError } from "../cli/console";
import { LiveFleet, LiveFleetError } from "./adapters/runner";
import { liveFleetUnavailable } from "./adapters/namespace";
import { liveDirectory } from "./adapters/runner-process";
import { LOCAL_MINUTE_SECONDS } from "./metrics";

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
    await new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      signal.addEventListener("abort", () => {
        resolve();
      });
    });
    await live.stop();
    progress("live fleet stopped: every instance and proxy, every namespace removed");
    return 0;
  },
});

if (require.main === module) startCommand(command);
