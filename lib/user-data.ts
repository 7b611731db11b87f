import { readFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { runitServiceName } from "./names";

/**
 * What the instance must run: one runit service per port, all running the same command as the
 * same unprivileged user.
 */
export interface UserDataSpec {
  /** Service name; prefixes the runit services (`cloudrim-9000`) and names the app directory `/opt/{service}`. */
  readonly service: string;
  /** Unprivileged user the app and its loggers run as (created as a system user). */
  readonly user: string;
  /** Shell command that starts one process; it reads its port from `PORT` and runs in `/opt/{service}`. */
  readonly command: string;
  /** One runit service per entry, in order. */
  readonly ports: readonly number[];
  /** The load balancers' HTTP health check path, given to each process as `HEALTH_PATH`. @default none (TCP checks) */
  readonly healthPath?: string;
  /** Files shipped into the app directory, e.g. the default `server.js`. */
  readonly appFiles?: Readonly<Record<string, string>>;
  /** Debian packages to install. */
  readonly packages?: readonly string[];
}

export interface RunitService {
  readonly name: string;
  readonly port: number;
  readonly directory: string;
  readonly logDirectory: string;
}

/** Debian's runit (`runit-run` starts runsvdir on /etc/service under systemd) and Node.js. */
export const DEFAULT_PACKAGES: readonly string[] = ["runit", "runit-run", "nodejs"];

/** svlogd rotates at 1 MiB and keeps 10 files per service. */
export const SVLOGD_CONFIG = "s1048576\nn10\n";

const ENABLE_SCRIPT = "/usr/local/sbin/cloudrim-enable-services";

/**
 * Every path the scripts touch is prefixed with `${CLOUDRIM_ROOT:-}`: unset on an instance (so the
 * paths are the real ones), set to a sandbox directory when the host suite boots the user data
 * locally.
 */
const ROOT = '"${CLOUDRIM_ROOT:-}"';

export function appDirectory(service: string): string {
  return `/opt/${service}`;
}

export function runitServices(service: string, ports: readonly number[]): RunitService[] {
  return ports.map((port) => {
    const name = runitServiceName(service, port);
    return { name, port, directory: `/etc/sv/${name}`, logDirectory: `/var/log/${service}/${name}` };
  });
}

export function runScript(spec: UserDataSpec, service: RunitService, index: number): string {
  return [
    "#!/bin/sh",
    `# ${service.name}: process ${index + 1} of ${spec.ports.length}, port ${service.port}`,
    "exec 2>&1",
    `cd ${ROOT}${appDirectory(spec.service)} || exit 1`,
    `PORT=${service.port}`,
    ...(spec.healthPath === undefined
      ? ["export PORT"]
      : [`HEALTH_PATH='${spec.healthPath.replaceAll("'", "'\\''")}'`, "export PORT HEALTH_PATH"]),
    `exec chpst -u ${spec.user} ${spec.command}`,
    "",
  ].join("\n");
}

export function logRunScript(spec: UserDataSpec, service: RunitService): string {
  return ["#!/bin/sh", `exec chpst -u ${spec.user} svlogd -tt ${ROOT}${service.logDirectory}`, ""].join("\n");
}

/** Creates the log directories (owned by the service user) and links the services into /etc/service. */
export function enableScript(spec: UserDataSpec): string {
  const services = runitServices(spec.service, spec.ports);
  return [
    "#!/bin/sh",
    "# Written by cloud-init (cloudrim-fleet): enables one runit service per port.",
    "set -eu",
    'root="${CLOUDRIM_ROOT:-}"',
    `group="$(id -gn ${spec.user})"`,
    'mkdir -p "$root/etc/service"',
    `install -d -m 0755 "$root${appDirectory(spec.service)}"`,
    `for name in ${services.map((s) => s.name).join(" ")}; do`,
    `  install -d -o ${spec.user} -g "$group" -m 0750 "$root/var/log/${spec.service}/$name"`,
    '  ln -sfn "$root/etc/sv/$name" "$root/etc/service/$name"',
    "done",
    "# On an instance, make sure runsvdir is up (runit-run starts it; this is idempotent).",
    'if [ -z "$root" ] && command -v systemctl >/dev/null 2>&1; then',
    "  systemctl enable --now runit.service",
    "fi",
    "",
  ].join("\n");
}

interface WriteFile {
  path: string;
  permissions: string;
  owner: string;
  content: string;
}

/** The `#cloud-config` document for one instance. Pure: the same spec always renders the same bytes. */
export function renderUserData(spec: UserDataSpec): string {
  const services = runitServices(spec.service, spec.ports);
  const file = (path: string, permissions: string, content: string): WriteFile => ({
    path,
    permissions,
    owner: "root:root",
    content,
  });
  const appFiles = Object.entries(spec.appFiles ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, content]) => file(`${appDirectory(spec.service)}/${name}`, "0644", content));
  const serviceFiles = services.flatMap((service, index) => [
    file(`${service.directory}/run`, "0755", runScript(spec, service, index)),
    file(`${service.directory}/log/run`, "0755", logRunScript(spec, service)),
    file(`${service.logDirectory}/config`, "0644", SVLOGD_CONFIG),
  ]);
  const document = {
    package_update: true,
    packages: [...(spec.packages ?? DEFAULT_PACKAGES)],
    users: [
      "default",
      { name: spec.user, system: true, shell: "/usr/sbin/nologin", no_create_home: true, lock_passwd: true },
    ],
    write_files: [...appFiles, ...serviceFiles, file(ENABLE_SCRIPT, "0755", enableScript(spec))],
    runcmd: [[ENABLE_SCRIPT]],
  };
  return `#cloud-config\n${stringify(document, { lineWidth: 0 })}`;
}

/** EC2 wants user data base64-encoded; rendered at synth time so plans show the literal value. */
export function encodeUserData(userData: string): string {
  return Buffer.from(userData, "utf8").toString("base64");
}

export function decodeUserData(base64: string): string {
  return Buffer.from(base64, "base64").toString("utf8");
}

/** The default app shipped with this repository (answers with its port and pid). */
export function defaultAppFiles(): Record<string, string> {
  return { "server.js": readFileSync(join(__dirname, "..", "app", "server.js"), "utf8") };
}
