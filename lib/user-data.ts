import { readFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { runitServiceName } from "./names";
import { appPaths, RELEASE_RUNTIME_DIR, type NodeArch, type ReleaseLocation } from "./release";

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
  /**
   * Where the code and its Node.js come from: a release fetched from S3 and verified (it carries its own
   * Node.js), or the pinned Node.js installed and verified at boot for the code already on the instance.
   */
  readonly runtime: ReleaseRuntime | PinnedRuntime;
  /** Files shipped into `/opt/{service}`, e.g. the bundled `server.js` (pinned runtime only). */
  readonly appFiles?: Readonly<Record<string, string>>;
  /** Debian packages to install. */
  readonly packages?: readonly string[];
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

/** Debian's runit (`runit-run` starts runsvdir on /etc/service under systemd), and curl for the boot script. */
export const DEFAULT_PACKAGES: readonly string[] = ["runit", "runit-run", "curl", "ca-certificates"];

/** svlogd rotates at 1 MiB and keeps 10 files per service. */
export const SVLOGD_CONFIG = "s1048576\nn10\n";

/** How many times the boot script tries a download before it gives up (starting nothing). */
export const BOOT_ATTEMPTS = 5;

/**
 * Every path the scripts touch is prefixed with `${CLOUDRIM_ROOT:-}`: unset on an instance (so the
 * paths are the real ones), set to a sandbox directory when the host suite boots the user data
 * locally. The host sandbox also sets CLOUDRIM_IMDS_ENDPOINT, CLOUDRIM_S3_ENDPOINT, CLOUDRIM_NODE_MIRROR
 * and CLOUDRIM_RETRY_SECONDS; on an instance they are unset and the real endpoints are used.
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
 * One process. runsv starts it in the service's directory, whose `env/PORT` (an envdir, written by the
 * enable script) says which port: one script for every port keeps the user data small whatever the
 * count (EC2 allows 16 KiB).
 */
export function runScript(spec: UserDataSpec): string {
  return [
    "#!/bin/sh",
    `# One process of ${spec.service}; its port is in ./env/PORT (runsv runs this in /etc/sv/${spec.service}-<port>).`,
    "exec 2>&1",
    'env="$PWD/env"',
    `cd ${ROOT}${workingDirectory(spec)} || exit 1`,
    // The boot script points /opt/{service}/node at the Node.js for this machine's architecture.
    `PATH=${ROOT}${appPaths(spec.service).base}/node/bin:$PATH`,
    ...(spec.healthPath === undefined
      ? ["export PATH"]
      : [`HEALTH_PATH=${shellQuote(spec.healthPath)}`, "export PATH HEALTH_PATH"]),
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
    '  printf \'%s\\n\' "$port" >"$sv/env/PORT"',
    `  printf '#!/bin/sh\\nexec chpst -u ${spec.user} svlogd -tt "%s"\\n' "$log" >"$sv/log/run"`,
    '  chmod 0755 "$sv/log/run"',
    `  install -d -o ${spec.user} -g "$group" -m 0750 "$log"`,
    `  printf '${svlogdConfig}' >"$log/config"`,
    '  ln -sfn "$sv" "$root/etc/service/$name"',
    "done",
    "# On an instance, make sure runsvdir is up (runit-run starts it; this is idempotent).",
    'if [ -z "$root" ] && command -v systemctl >/dev/null 2>&1; then',
    "  systemctl enable --now runit.service",
    "fi",
    "",
  ].join("\n");
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
    `# Written by cloud-init (cloudrim-fleet): ${spec.runtime.kind === "release" ? "fetch and verify the release" : "install and verify Node.js"}, then enable the services.`,
    "set -u",
    'root="${CLOUDRIM_ROOT:-}"',
    'say() { echo "cloudrim-boot: $*" >&2; }',
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
    `  [ "$attempt" -ge ${BOOT_ATTEMPTS} ] && { say "giving up: nothing was started"; exit 1; }`,
    "  sleep $((attempt * ${CLOUDRIM_RETRY_SECONDS:-5}))",
    "  attempt=$((attempt + 1))",
    "done",
  ];
  const enable = [`exec "$root${enableScriptPath(spec.service)}"`, ""];
  if (spec.runtime.kind === "pinned") {
    const { version, sha256 } = spec.runtime;
    const runtime = `${paths.runtime}/node-linux-$arch`;
    return [
      ...common,
      `case "$arch" in arm64) want=${sha256.arm64} ;; *) want=${sha256.x64} ;; esac`,
      `what="node-linux-$arch ${version}"`,
      `url="\${CLOUDRIM_NODE_MIRROR:-https://registry.npmjs.org}/node-linux-$arch/-/node-linux-$arch-${version}.tgz"`,
      'fetch() { curl -fsS --retry 2 --connect-timeout 10 -o "$1" "$url"; }',
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
    'imds="${CLOUDRIM_IMDS_ENDPOINT:-http://169.254.169.254}"',
    // Path style against the host sandbox's local S3; virtual-hosted against AWS.
    `if [ -n "\${CLOUDRIM_S3_ENDPOINT:-}" ]; then url="$CLOUDRIM_S3_ENDPOINT/${bucket}/${key}"; else url="https://${bucket}.s3.${region}.amazonaws.com/${key}"; fi`,
    'field() { sed -n "s/.*\\"$1\\" *: *\\"\\([^\\"]*\\)\\".*/\\1/p"; }',
    "fetch() {",
    "  token=$(curl -fsS -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 300' \"$imds/latest/api/token\") || return 1",
    '  meta="$imds/latest/meta-data/iam/security-credentials/"',
    '  role=$(curl -fsS -H "X-aws-ec2-metadata-token: $token" "$meta") || return 1',
    '  creds=$(curl -fsS -H "X-aws-ec2-metadata-token: $token" "$meta$role") || return 1',
    "  # The secret and the session token reach curl on stdin (-K -), never on a command line.",
    `  printf 'user = "%s:%s"\\nheader = "x-amz-security-token: %s"\\n' "$(echo "$creds" | field AccessKeyId)" "$(echo "$creds" | field SecretAccessKey)" "$(echo "$creds" | field Token)" |`,
    `    curl -fsS -K - --aws-sigv4 "aws:amz:${region}:s3" -H 'x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' -o "$1" "$url"`,
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
      file(sharedRunScriptPath(spec.service), "0755", runScript(spec)),
      file(enableScriptPath(spec.service), "0755", enableScript(spec)),
      file(bootScriptPath(spec.service), "0755", bootScript(spec)),
    ],
    runcmd: [[bootScriptPath(spec.service)]],
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
