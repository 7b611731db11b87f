/*
 * npm run host -- [--region R]
 *
 * Boots one instance of a region on this machine: the user data its launch template really carries,
 * applied to a sandbox directory, runit supervising one service per port, haproxy standing in for the
 * load balancers. Prints the layout and `ready`; Ctrl-C (or SIGTERM) stops everything and removes the
 * sandbox. CLOUDRIM_CONFIG is honoured; the default region is the fleet's first.
 */
import { parseArgs } from "node:util";
import { resolveFleet } from "../lib/fleet-input";
import { runMain } from "../ops/console";
import { HostError, HostSandbox, launchTemplateUserData } from "./sandbox";

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { region: { type: "string" } } });
  const fleet = resolveFleet(process.env, process.cwd(), { images: "as-written" });
  if (!fleet.ok) throw new HostError(fleet.message);
  const region =
    values.region === undefined ? fleet.plan.regions[0] : fleet.plan.regions.find((r) => r.region === values.region);
  if (region === undefined) {
    throw new HostError(
      `--region: got "${values.region ?? ""}"; the fleet's regions are ${fleet.plan.regions.map((r) => r.region).join(", ")}`,
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
    userData: launchTemplateUserData(fleet.plan, region),
    ...(fleet.target.kind === "local"
      ? { s3Endpoint: fleet.target.endpoint, secretsEndpoint: fleet.target.endpoint }
      : {}),
  });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n${signal}: stopping\n`);
    void sandbox.stop().then(() => {
      process.stdout.write("stopped; sandbox removed\n");
      process.exit(0);
    });
  };
  process.on("SIGINT", () => {
    stop("SIGINT");
  });
  process.on("SIGTERM", () => {
    stop("SIGTERM");
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
  return await new Promise<number>(() => undefined);
}

if (require.main === module) runMain(main, "host");
