import { BUILT_IN_FLEETS } from "../regions";
import { resolveFleet } from "../fleet/adapters/resolve";
import { defineCommand, FLEET_ENVIRONMENT, startCommand } from "../cli/command";
import { UserFacingError } from "../cli/console";
import { awsEndpoints, endpointLines, localEndpoints } from "../live/endpoints";
import { liveDirectory, runnerPid } from "../live/adapters/runner-process";

export const command = defineCommand({
  name: "endpoints",
  summary: "Prints, per region, the regional entry and each port's load balancer.",
  description: [
    "On the local AWS, the live fleet's loopback listeners (make demo starts it); on AWS, the names the fleet publishes in DNS. Each port is keyed by the instance port its load balancer forwards to.",
  ],
  options: {
    json: {
      type: "boolean",
      default: false,
      description: 'print {"<region>": {"regional": "<url>", "ports": {"<instance port>": "<url>"}}} instead',
    },
  },
  environment: [
    ...FLEET_ENVIRONMENT,
    { name: "CLOUDRIM_LIVE_DIR", description: "the live fleet's directory (default: .local/live)" },
  ],
  exitCodes: [
    { code: 0, meaning: "printed" },
    { code: 1, meaning: "the fleet is not valid (the message says why)" },
  ],
  onInterrupt: "exit",
  run: ({ values }, { progress }) => {
    const fleet = resolveFleet(process.env, process.cwd(), BUILT_IN_FLEETS, { images: "as-written" });
    if (!fleet.ok) throw new UserFacingError(fleet.message);
    const local = fleet.target.kind === "local";
    const endpoints = (local ? localEndpoints : awsEndpoints)(fleet.shape.regions);
    if (local && runnerPid(liveDirectory(process.env)) === undefined) {
      progress("the live fleet is not running on this machine (make demo starts it): nothing answers there now");
    }
    process.stdout.write(
      values.json ? `${JSON.stringify(endpoints, null, 2)}\n` : `${endpointLines(endpoints).join("\n")}\n`,
    );
    return Promise.resolve(0);
  },
});

if (require.main === module) startCommand(command);
