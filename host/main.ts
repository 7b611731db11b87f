import { BUILT_IN_FLEETS } from "../regions";
import { resolveFleet } from "../fleet/adapters/resolve";
import { defineCommand, FLEET_ENVIRONMENT, startCommand } from "../cli/command";
import { UsageError } from "../cli/console";
import { HostError, HostSandbox, launchTemplateUserData } from "./adapters/sandbox";

export const command = defineCommand({
  name: "host",
  summary: "Boots one instance of a region on this machine: its real user data, runit, haproxy for the balancers.",
  description: [
    "The user data the region's launch template really carries, applied to a sandbox directory, runit supervising one service per port, haproxy standing in for the load balancers. Prints the layout and `ready`; Ctrl-C (or SIGTERM) stops everything and removes the sandbox. It needs root (it creates the service user) and changes nothing in AWS.",
  ],
  options: {
    region: {
      type: "string",
      value: "REGION",
      description: "the region whose instance to boot (default: the fleet's first)",
    },
  },
  environment: FLEET_ENVIRONMENT,
  exitCodes: [
    { code: 0, meaning: "stopped by Ctrl-C or SIGTERM, the sandbox removed" },
    { code: 1, meaning: "it could not boot (the message says why)" },
  ],
  onInterrupt: "finish",
  run: async ({ values }, { signal }) => {
    const fleet = resolveFleet(process.env, process.cwd(), BUILT_IN_FLEETS, { images: "as-written" });
    if (!fleet.ok) throw new HostError(fleet.message);
    const region =
      values.region === undefined
        ? fleet.shape.regions[0]
        : fleet.shape.regions.find((r) => r.region === values.region);
    if (region === undefined) {
      throw new UsageError(
        `--region: got "${values.region ?? ""}"; the fleet's regions are ${fleet.shape.regions.map((r) => r.region).join(", ")}`,
      );
    }
    if (region.instance.release !== undefined && fleet.target.kind !== "local") {
      throw new HostError(
        "this fleet runs a release from S3: boot it against the local AWS (CLOUDRIM_TARGET=local, the release uploaded there with npm run release), since the sandbox's instance credentials only work there",
      );
    }
    if (region.instance.secrets.length > 0 && fleet.target.kind !== "local") {
      throw new HostError(
        "this fleet reads app.secrets at boot: boot it against the local AWS (CLOUDRIM_TARGET=local, the parameters and secrets created there), since the sandbox's instance credentials only work there",
      );
    }
    const sandbox = await HostSandbox.start({
      region,
      userData: launchTemplateUserData(fleet.shape, region),
      ...(fleet.target.kind === "local"
        ? { s3Endpoint: fleet.target.endpoint, secretsEndpoint: fleet.target.endpoint }
        : {}),
    });
    // The first Ctrl-C (or SIGTERM) stops the sandbox: the way this command ends.
    const stopped = new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      signal.addEventListener("abort", () => {
        resolve();
      });
    });
    try {
      await sandbox.waitUntilServing();
    } catch (error) {
      await sandbox.stop();
      throw error;
    }
    const { layout } = sandbox;
    const lines = [
      `${region.region}: one instance in ${sandbox.root}, ${region.ports.length} runit services`,
      `  ${region.regionalName} (weighted set) → 127.0.0.1:${layout.regionalPort}`,
      ...layout.balancers.map(
        (b, i) =>
          `    weight ${b.weight}: ${region.ports[i]?.aliasName ?? ""} → load balancer ${b.name} 127.0.0.1:${b.frontendPort} → instance port ${b.instancePort}`,
      ),
      "ready",
    ];
    process.stdout.write(`${lines.join("\n")}\n`);
    await stopped;
    await sandbox.stop();
    process.stdout.write("stopped; sandbox removed\n");
    return 0;
  },
});

if (require.main === module) startCommand(command);
