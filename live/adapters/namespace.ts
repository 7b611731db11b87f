import { spawnSync } from "node:child_process";
import { LIVE_NETWORK, NAMESPACE_PREFIX, type InstanceLink } from "../network";

/*
 * Network namespaces for the live fleet's instances (`ip netns`, veth pairs): root on Linux only. Every
 * namespace this creates is named with NAMESPACE_PREFIX, and only those are ever removed.
 */

export class NamespaceError extends Error {}

function ip(args: readonly string[], tolerate = false): string {
  const result = spawnSync("ip", args, { encoding: "utf8", timeout: 10_000 });
  if (result.status !== 0 && !tolerate) {
    throw new NamespaceError(
      `ip ${args.join(" ")}: ${result.stderr !== "" ? result.stderr : (result.error?.message ?? "failed")}`.trim(),
    );
  }
  return result.stdout;
}

/**
 * Whether this machine can run the live fleet: root, and network namespaces that work (made and removed once).
 * The reason when it cannot, in words for the one line the local target prints.
 */
export function liveFleetUnavailable(): string | undefined {
  if (process.platform !== "linux") return "network namespaces need Linux";
  if (process.getuid?.() !== 0) return "booting instances needs root (network namespaces, the service user)";
  for (const command of ["ip", "runsvdir", "haproxy", "curl"]) {
    if (spawnSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" }).status !== 0) {
      return `${command} is missing (scripts/setup.sh installs it)`;
    }
  }
  const probe = `${NAMESPACE_PREFIX}probe-${process.pid}`;
  const made = spawnSync("ip", ["netns", "add", probe], { encoding: "utf8" });
  if (made.status !== 0) return `network namespaces do not work here: ${made.stderr.trim()}`;
  spawnSync("ip", ["netns", "delete", probe]);
  return undefined;
}

/** The live fleet's namespaces that exist now (a crashed runner's included). */
export function liveNamespaces(): string[] {
  return ip(["netns", "list"], true)
    .split("\n")
    .map((line) => line.split(" ")[0] ?? "")
    .filter((name) => name.startsWith(NAMESPACE_PREFIX));
}

const RANGE = `${LIVE_NETWORK.first}/${LIVE_NETWORK.prefix}`;

/**
 * Makes the range unreachable from this machine except through an instance's own link (whose /30 route is more
 * specific): a connection to an instance that is gone fails here instead of leaving through the default route.
 * Refuses a range some other route of this machine already covers.
 */
export function claimNetwork(): void {
  const routes = ip(["route", "show", "match", LIVE_NETWORK.first]).split("\n").filter(Boolean);
  // The default route, this range's own unreachable route and a link of our own (a crashed runner's) are ours.
  const foreign = routes.filter(
    (r) => !r.startsWith("default") && !r.startsWith(`unreachable ${RANGE}`) && !/ dev crh\d+ /.test(r),
  );
  if (foreign.length > 0) {
    throw new NamespaceError(
      `${RANGE}, the live fleet's instance range, is already routed on this machine (${foreign.join("; ")}): the live fleet would take another network's addresses`,
    );
  }
  if (!routes.some((r) => r.startsWith(`unreachable ${RANGE}`))) ip(["route", "add", "unreachable", RANGE]);
}

export function releaseNetwork(): void {
  ip(["route", "del", "unreachable", RANGE], true);
}

/** A namespace with its link up: the instance's address inside, this machine's on the other end; no default route. */
export function createNamespace(link: InstanceLink): void {
  removeNamespace(link.namespace);
  ip(["link", "del", link.hostDevice], true);
  ip(["netns", "add", link.namespace]);
  try {
    ip(["link", "add", link.hostDevice, "type", "veth", "peer", "name", link.instanceDevice]);
    ip(["link", "set", link.instanceDevice, "netns", link.namespace]);
    ip(["addr", "add", `${link.hostAddress}/30`, "dev", link.hostDevice]);
    ip(["link", "set", link.hostDevice, "up"]);
    ip(["-n", link.namespace, "addr", "add", `${link.instanceAddress}/30`, "dev", link.instanceDevice]);
    ip(["-n", link.namespace, "link", "set", link.instanceDevice, "up"]);
    ip(["-n", link.namespace, "link", "set", "lo", "up"]);
  } catch (error) {
    removeNamespace(link.namespace);
    throw error;
  }
}

/** Kills whatever still runs in the namespace, then removes it (its veth pair goes with it). */
export function removeNamespace(namespace: string): void {
  if (!liveNamespaces().includes(namespace)) return;
  for (const pid of ip(["netns", "pids", namespace], true).split("\n").filter(Boolean)) {
    try {
      process.kill(Number(pid), "SIGKILL");
    } catch {
      // already gone
    }
  }
  ip(["netns", "delete", namespace], true);
}

/** argv run inside the namespace. */
export function inNamespace(namespace: string, argv: readonly string[]): string[] {
  return ["ip", "netns", "exec", namespace, ...argv];
}
