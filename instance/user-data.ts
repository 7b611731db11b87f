import { gunzipSync, gzipSync } from "fflate";
import { stringify } from "yaml";
import {
  FLEET_VARIABLES,
  readSecretsLines,
  secretReaderPath,
  secretReaderScript,
  secretsFilePath,
  type SecretSource,
} from "./app-environment";
import { API_CURL, instanceApiLibrary, instanceApiPath } from "./instance-api";
import { logShippingScript, logShippingScriptPath } from "./log-shipping";
import { runitServiceName } from "../fleet/names";
import { changeId } from "./change-id";
import { appPaths, RELEASE_RUNTIME_DIR, type NodeArch, type ReleaseLocation } from "./release";
import { watchdogScript, watchdogService, type WatchdogSpec } from "./watchdog";

/**
 * What the instance must run: one runit service per port, all running the same command as the same
 * unprivileged user, on a Node.js the fleet chose (never Debian's).
 */
export interface UserDataSpec {
  /** Service name; prefixes the runit services (`cloudrim-9000`) and names `/opt/{service}`. */
  readonly service: string;
  /** Unprivileged user the app and its loggers run as (created as a system user). */
  readonly user: string;
  /** Shell command that starts one process; it reads its port from `PORT`. */
  readonly command: string;
  /** One runit service per entry, in order. */
  readonly ports: readonly number[];
  /** The load balancers' HTTP health check path, given to each process as `HEALTH_PATH`. @default none (TCP checks) */
  readonly healthPath?: string;
  /** The instance's region: its Auto Scaling API, its log agent's download. */
  readonly region: string;
  /** The instance's own Auto Scaling group: the boot completes its launch hook, the watchdog may hand it over. */
  readonly groupName: string;
  /** The region's log group the agent ships to. */
  readonly logGroup: string;
  /** Seconds the boot waits for every port to answer before it abandons the launch. */
  readonly readySeconds: number;
  /** The liveness watchdog's settings. @default none: no watchdog */
  readonly watchdog?: Omit<WatchdogSpec, "service" | "ports">;
  /**
   * Where the code and its Node.js come from: a release fetched from S3 and verified (it carries its own
   * Node.js), or the pinned Node.js installed and verified at boot for the code already on the instance.
   */
  readonly runtime: ReleaseRuntime | PinnedRuntime;
  /** Files shipped into `/opt/{service}`, e.g. the bundled `server.js` (pinned runtime only). */
  readonly appFiles?: Readonly<Record<string, string>>;
  /** Debian packages to install. */
  readonly packages?: readonly string[];
  /** Plain variables every process gets; not secret (they are in the user data). @default none */
  readonly environment?: Readonly<Record<string, string>>;
  /**
   * Variables every process gets from SSM parameters or Secrets Manager secrets, read at boot with the
   * instance role's credentials: only their names and ARNs are in the user data. @default none
   */
  readonly secrets?: readonly SecretSource[];
}

export interface ReleaseRuntime {
  readonly kind: "release";
  readonly release: ReleaseLocation;
}

export interface PinnedRuntime {
  readonly kind: "pinned";
  readonly version: string;
  /** sha256 of each architecture's tarball. */
  readonly sha256: Readonly<Record<NodeArch, string>>;
}

export interface RunitService {
  readonly name: string;
  readonly port: number;
  readonly directory: string;
  readonly logDirectory: string;
}

/**
 * Debian's runit (`runit-run` starts runsvdir on /etc/service under systemd), curl for the boot script and
 * the watchdog, gpg to check the log agent's signature.
 */
export const DEFAULT_PACKAGES: readonly string[] = ["runit", "runit-run", "curl", "ca-certificates", "gpg"];

/** Seconds the boot waits for every port to answer: half the launch hook's time, at most five minutes. */
export function readySeconds(bootTimeoutSeconds: number): number {
  return Math.min(300, Math.floor(bootTimeoutSeconds / 2));
}

/** svlogd rotates at 1 MiB and keeps 10 files per service. */
export const SVLOGD_CONFIG = "s1048576\nn10\n";

/** The boot's messages that metric filters count (instance/log-counts.ts). */
export const BOOT_LINES = { abandon: "abandoning the launch" } as const;

/** How many times the boot script tries a download before it gives up (starting nothing). */
export const BOOT_ATTEMPTS = 5;

/**
 * Every path the scripts touch is prefixed with `${CLOUDRIM_ROOT:-}`: unset on an instance (so the
 * paths are the real ones), set to a sandbox directory when the host suite boots the user data
 * locally. The host sandbox also sets CLOUDRIM_IMDS_ENDPOINT, CLOUDRIM_S3_ENDPOINT, CLOUDRIM_NODE_MIRROR,
 * CLOUDRIM_SSM_ENDPOINT, CLOUDRIM_SECRETSMANAGER_ENDPOINT and CLOUDRIM_RETRY_SECONDS; on an instance they are
 * unset and the real endpoints are used.
 */
const ROOT = '"${CLOUDRIM_ROOT:-}"';

export function appDirectory(service: string): string {
  return appPaths(service).base;
}

export function bootScriptPath(service: string): string {
  return `/usr/local/sbin/${service}-boot`;
}

export function enableScriptPath(service: string): string {
  return `/usr/local/sbin/${service}-enable-services`;
}

export function runitServices(service: string, ports: readonly number[]): RunitService[] {
  return ports.map((port) => {
    const name = runitServiceName(service, port);
    return { name, port, directory: `/etc/sv/${name}`, logDirectory: `/var/log/${service}/${name}` };
  });
}

/** The directory a process runs in: the verified release, or the app directory of code on the image. */
function workingDirectory(spec: UserDataSpec): string {
  const paths = appPaths(spec.service);
  return spec.runtime.kind === "release" ? paths.current : paths.base;
}

function shellQuote(value: string): string {
  return `'${value.replaceAll("'", "'\\''")}'`;
}

/** The run script every port's service shares (`/usr/local/lib/{service}/run`). */
export function sharedRunScriptPath(service: string): string {
  return `/usr/local/lib/${service}/run`;
}

/**
 * One process. runsv starts it (as root) in the service's directory, whose `env/PORT` (an envdir, written
 * by the enable script) says which port: one script for every port keeps the user data small whatever the
 * count (EC2 allows 16 KiB). The app's own variables are exported first, then its secrets are loaded from
 * the file only root can read, then the fleet's variables; chpst then drops to the service user.
 */
export function runScript(spec: UserDataSpec): string {
  const { port, healthPath, path, release } = FLEET_VARIABLES;
  const environment = Object.entries(spec.environment ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return [
    "#!/bin/sh",
    `# One process of ${spec.service}; its port is in ./env/${port} (runsv runs this in /etc/sv/${spec.service}-<port>).`,
    "exec 2>&1",
    'env="$PWD/env"',
    `cd ${ROOT}${workingDirectory(spec)} || exit 1`,
    ...environment.map(([name, value]) => `export ${name}=${shellQuote(value)}`),
    ...((spec.secrets ?? []).length === 0
      ? []
      : ["# shellcheck source=/dev/null", `. ${ROOT}${secretsFilePath(spec.service)} || exit 1`]),
    // The boot script points /opt/{service}/node at the Node.js for this machine's architecture.
    `${path}=${ROOT}${appPaths(spec.service).base}/node/bin:$${path}`,
    `${release}=${shellQuote(changeId(spec))}`,
    ...(spec.healthPath === undefined
      ? [`export ${path} ${release}`]
      : [`${healthPath}=${shellQuote(spec.healthPath)}`, `export ${path} ${release} ${healthPath}`]),
    `exec chpst -e "$env" -u ${spec.user} ${spec.command}`,
    "",
  ].join("\n");
}

/**
 * Writes one runit service per port (its run script, its envdir with PORT, its svlogd logger and log
 * directory owned by the service user) and links each into /etc/service, where runsvdir starts it.
 */
export function enableScript(spec: UserDataSpec): string {
  const services = runitServices(spec.service, spec.ports);
  const svlogdConfig = SVLOGD_CONFIG.replaceAll("\n", "\\n");
  return [
    "#!/bin/sh",
    "# Written by cloud-init (cloudrim-fleet): one runit service per port.",
    "set -eu",
    'root="${CLOUDRIM_ROOT:-}"',
    `group="$(id -gn ${spec.user})"`,
    'mkdir -p "$root/etc/service"',
    `for port in ${services.map((s) => s.port).join(" ")}; do`,
    `  name="${spec.service}-$port"`,
    '  sv="$root/etc/sv/$name"',
    `  log="$root/var/log/${spec.service}/$name"`,
    '  mkdir -p "$sv/env" "$sv/log"',
    `  ln -sfn "$root${sharedRunScriptPath(spec.service)}" "$sv/run"`,
    `  printf '%s\\n' "$port" >"$sv/env/${FLEET_VARIABLES.port}"`,
    `  printf '%s\\n' "\${${FLEET_VARIABLES.instance}:-}" >"$sv/env/${FLEET_VARIABLES.instance}"`,
    `  printf '#!/bin/sh\\nexec chpst -u ${spec.user} svlogd -tt "%s"\\n' "$log" >"$sv/log/run"`,
    '  chmod 0755 "$sv/log/run"',
    `  install -d -o ${spec.user} -g "$group" -m 0750 "$log"`,
    `  printf '${svlogdConfig}' >"$log/config"`,
    '  ln -sfn "$sv" "$root/etc/service/$name"',
    "done",
    ...(spec.watchdog === undefined ? [] : watchdogServiceLines(spec)),
    "# On an instance, make sure runsvdir is up (runit-run starts it; this is idempotent).",
    'if [ -z "$root" ] && command -v systemctl >/dev/null 2>&1; then',
    "  systemctl enable --now runit.service",
    "fi",
    "",
  ].join("\n");
}

/**
 * The watchdog's runit service, written but not yet linked into /etc/service: the boot links it once
 * every port has answered, so a slow first start is never taken for a wedge.
 */
function watchdogServiceLines(spec: UserDataSpec): string[] {
  const watchdog = watchdogService(spec.service);
  return [
    `sv="$root${watchdog.directory}"`,
    `log="$root${watchdog.logDirectory}"`,
    'mkdir -p "$sv/log"',
    `ln -sfn "$root${watchdog.scriptPath}" "$sv/run"`,
    `printf '#!/bin/sh\nexec chpst -u ${spec.user} svlogd -tt "%s"\n' "$log" >"$sv/log/run"`,
    'chmod 0755 "$sv/log/run"',
    `install -d -o ${spec.user} -g "$group" -m 0750 "$log"`,
    `printf '${SVLOGD_CONFIG.replaceAll("\n", "\\n")}' >"$log/config"`,
  ];
}

/** Shell that succeeds when a process answers on "$port": its health check, as the load balancer sees it. */
function readyProbe(spec: UserDataSpec): string {
  return spec.healthPath === undefined
    ? 'curl -s -o /dev/null --max-time 3 "http://127.0.0.1:$port/"'
    : `curl -s -o /dev/null --max-time 3 -f "http://127.0.0.1:$port${spec.healthPath}"`;
}

/**
 * The one boot step cloud-init runs: get the code's runtime (fetch and verify the release, or install
 * and verify the pinned Node.js), and only then enable the services. A download that fails or does not
 * match its sha256 is retried a bounded number of times, each failure logged as one line naming the
 * expected and actual digest (cloud-init copies runcmd's output to the console log); after the last,
 * the script exits 1 and nothing starts, so the instance fails its health checks and the Auto Scaling
 * group replaces it. Unverified code never runs.
 */
export function bootScript(spec: UserDataSpec): string {
  const paths = appPaths(spec.service);
  const common = [
    "#!/bin/sh",
    `# Written by cloud-init (cloudrim-fleet): ${spec.runtime.kind === "release" ? "fetch and verify the release" : "install and verify Node.js"}, enable the services, and`,
    "# enter service (the launch lifecycle hook) only once every port answers; otherwise abandon the launch.",
    "set -u",
    'root="${CLOUDRIM_ROOT:-}"',
    'say() { echo "cloudrim-boot: $*" >&2; }',
    "# shellcheck source=/dev/null",
    `. "$root${instanceApiPath(spec.service)}"`,
    'instance=$(instance_id) || { instance=""; say "no instance id from the metadata service: the launch hook will time out"; }',
    "# abandon REASON: the launch ends here and never enters service; the group launches another.",
    "abandon() {",
    `  say "${BOOT_LINES.abandon}: $*"`,
    '  [ -n "$instance" ] && { complete_boot ABANDON "$instance" || say "the Auto Scaling API did not answer; the launch hook times out instead"; }',
    "  exit 1",
    "}",
    'case "$(uname -m)" in aarch64 | arm64) arch=arm64 ;; x86_64 | amd64) arch=x64 ;; *) say "unsupported architecture $(uname -m)"; exit 1 ;; esac',
    `mkdir -p "$root${paths.base}"`,
    `tmp="$root${paths.base}/.download"`,
  ];
  // fetch FILE: one download attempt; retry: until the digest matches, at most BOOT_ATTEMPTS times.
  const retry = [
    "attempt=1",
    "while :; do",
    '  if fetch "$tmp"; then',
    "    got=$(sha256sum \"$tmp\" | cut -d ' ' -f 1)",
    '    [ "$got" = "$want" ] && break',
    `    say "$what: sha256 mismatch: expected $want, got $got (attempt $attempt of ${BOOT_ATTEMPTS})"`,
    "  else",
    `    say "$what: download failed (attempt $attempt of ${BOOT_ATTEMPTS})"`,
    "  fi",
    '  rm -f "$tmp"',
    `  [ "$attempt" -ge ${BOOT_ATTEMPTS} ] && { say "giving up: nothing was started"; abandon "$what could not be fetched and verified"; }`,
    "  sleep $((attempt * ${CLOUDRIM_RETRY_SECONDS:-5}))",
    "  attempt=$((attempt + 1))",
    "done",
  ];
  const ports = spec.ports.join(" ");
  const enable = [
    ...readSecretsLines(spec.service, spec.secrets ?? []),
    `"$root${logShippingScriptPath(spec.service)}"`,
    `${FLEET_VARIABLES.instance}="$instance" "$root${enableScriptPath(spec.service)}" || abandon "the runit services could not be written"`,
    `deadline=$(($(date +%s) + \${CLOUDRIM_READY_SECONDS:-${spec.readySeconds}}))`,
    `for port in ${ports}; do`,
    `  until ${readyProbe(spec)}; do`,
    `    [ "$(date +%s)" -ge "$deadline" ] && abandon "port $port did not answer ${spec.healthPath === undefined ? "http://127.0.0.1:$port/" : `http://127.0.0.1:$port${spec.healthPath}`} in \${CLOUDRIM_READY_SECONDS:-${spec.readySeconds}} s; its log: /var/log/${spec.service}/${spec.service}-$port/current"`,
    "    sleep 1",
    "  done",
    "done",
    ...(spec.watchdog === undefined
      ? []
      : [
          `ln -sfn "$root${watchdogService(spec.service).directory}" "$root/etc/service/${watchdogService(spec.service).name}"`,
        ]),
    'say "every port answers: entering service"',
    'if [ -n "$instance" ]; then complete_boot CONTINUE "$instance" || say "the Auto Scaling API did not answer: the launch hook times out and abandons this launch"; fi',
    "",
  ];
  if (spec.runtime.kind === "pinned") {
    const { version, sha256 } = spec.runtime;
    const runtime = `${paths.runtime}/node-linux-$arch`;
    return [
      ...common,
      `case "$arch" in arm64) want=${sha256.arm64} ;; *) want=${sha256.x64} ;; esac`,
      `what="node-linux-$arch ${version}"`,
      `url="\${CLOUDRIM_NODE_MIRROR:-https://registry.npmjs.org}/node-linux-$arch/-/node-linux-$arch-${version}.tgz"`,
      `fetch() { ${API_CURL.replace("--max-time 30", "--max-time 300")} -o "$1" "$url"; }`,
      ...retry,
      `mkdir -p "$root${runtime}"`,
      `tar -xzf "$tmp" -C "$root${runtime}" --strip-components=1 --no-same-owner package/bin/node || exit 1`,
      'rm -f "$tmp"',
      `ln -sfn "runtime/node-linux-$arch" "$root${paths.base}/node"`,
      `say "$what verified: $want"`,
      ...enable,
    ].join("\n");
  }
  const { bucket, key, region, sha256 } = spec.runtime.release;
  const release = `${paths.releases}/${sha256}`;
  return [
    ...common,
    `want=${sha256}`,
    `what="s3://${bucket}/${key}"`,
    // Path style against the host sandbox's local S3; virtual-hosted against AWS.
    `if [ -n "\${CLOUDRIM_S3_ENDPOINT:-}" ]; then url="$CLOUDRIM_S3_ENDPOINT/${bucket}/${key}"; else url="https://${bucket}.s3.${region}.amazonaws.com/${key}"; fi`,
    "fetch() {",
    "  creds=$(role_credentials) || return 1",
    `  echo "$creds" | ${API_CURL.replace("--max-time 30", "--max-time 300")} -K - --aws-sigv4 "aws:amz:${region}:s3" -H 'x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' -o "$1" "$url"`,
    "}",
    ...retry,
    `rm -rf "$root${release}.unpack" && mkdir -p "$root${release}.unpack" || exit 1`,
    `tar -xzf "$tmp" -C "$root${release}.unpack" --no-same-owner || exit 1`,
    `rm -rf "$root${release}" && mv "$root${release}.unpack" "$root${release}" && rm -f "$tmp" || exit 1`,
    `ln -sfn "releases/${sha256}" "$root${paths.base}/current.new" && mv -T "$root${paths.base}/current.new" "$root${paths.current}" || exit 1`,
    `ln -sfn "current/${RELEASE_RUNTIME_DIR}/node-linux-$arch" "$root${paths.base}/node"`,
    `say "$what verified: $want"`,
    ...enable,
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
  const file = (path: string, permissions: string, content: string): WriteFile => ({
    path,
    permissions,
    owner: "root:root",
    content,
  });
  const appFiles = Object.entries(spec.appFiles ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, content]) => file(`${appDirectory(spec.service)}/${name}`, "0644", content));
  const document = {
    package_update: true,
    packages: [...(spec.packages ?? DEFAULT_PACKAGES)],
    users: [
      "default",
      { name: spec.user, system: true, shell: "/usr/sbin/nologin", no_create_home: true, lock_passwd: true },
    ],
    write_files: [
      ...appFiles,
      file(
        instanceApiPath(spec.service),
        "0644",
        instanceApiLibrary({ region: spec.region, groupName: spec.groupName }),
      ),
      file(sharedRunScriptPath(spec.service), "0755", runScript(spec)),
      ...((spec.secrets ?? []).length === 0
        ? []
        : [file(secretReaderPath(spec.service), "0644", secretReaderScript())]),
      ...(spec.watchdog === undefined
        ? []
        : [
            file(
              watchdogService(spec.service).scriptPath,
              "0755",
              watchdogScript({ ...spec.watchdog, service: spec.service, ports: spec.ports }),
            ),
          ]),
      file(enableScriptPath(spec.service), "0755", enableScript(spec)),
      file(
        logShippingScriptPath(spec.service),
        "0755",
        logShippingScript({ service: spec.service, region: spec.region, logGroup: spec.logGroup, ports: spec.ports }),
      ),
      file(bootScriptPath(spec.service), "0755", bootScript(spec)),
    ],
    runcmd: [[bootScriptPath(spec.service)]],
  };
  return `#cloud-config\n${stringify(document, { lineWidth: 0 })}`;
}

/**
 * What EC2 gets: the document gzipped (cloud-init unpacks gzipped user data), then base64. EC2 counts
 * its 16 KiB before base64, so the compressed size is what must fit. fflate, not node:zlib: the same text
 * must give the same bytes on every machine (a plan made on a laptop is compared with one made in CI),
 * and Node's zlib is built with CPU-specific code paths; fflate is plain JavaScript. No timestamp in the
 * header, OS Unix.
 */
export function compressUserData(userData: string): Uint8Array {
  return gzipSync(new TextEncoder().encode(userData), { level: 9, mtime: 0 });
}

/** Rendered at synth time, so a plan shows the value EC2 gets. */
export function encodeUserData(userData: string): string {
  return Buffer.from(compressUserData(userData)).toString("base64");
}

/** The document back from a launch template's `user_data`: gzipped, or plain (templates of earlier releases). */
export function decodeUserData(base64: string): string {
  const bytes = Buffer.from(base64, "base64");
  const gzipped = bytes[0] === 0x1f && bytes[1] === 0x8b;
  return new TextDecoder().decode(gzipped ? gunzipSync(bytes) : bytes);
}

/**
 * An app's files by name, written to the instance when the fleet names neither a release nor a command:
 * the default app shipped with this repository (app/, read by instance/adapters/default-app.ts).
 */
export type AppFiles = Readonly<Record<string, string>>;
