import { API_CURL } from "./instance-api";
import { runitServiceName } from "../fleet/names";
import { watchdogService } from "./watchdog";

/*
 * Pure: how an instance's logs leave it. svlogd stays the local buffer (a log survives the agent, and the
 * agent catches up after a restart); AWS's CloudWatch agent ships each port's log, the watchdog's and the
 * boot's to the region's log group, one stream per instance and source. The agent is the one AWS keeps
 * for exactly this (files to CloudWatch Logs, rotation followed, IMDSv2 credentials); it is installed at
 * boot from AWS's bucket in the instance's own region, its package checked against AWS's signing key.
 */

/** The region's log group: every instance's logs, and Session Manager's sessions. */
export function logGroupName(stackName: string): string {
  return `/${stackName}`;
}

/** The EventBridge events of the region's Auto Scaling group (CloudWatch Logs targets must live under /aws/events/). */
export function eventLogGroupName(stackName: string): string {
  return `/aws/events/${stackName}`;
}

/** Where cloud-init copies the boot script's output. */
export const BOOT_LOG = "/var/log/cloud-init-output.log";

export const AGENT_CONFIG_PATH = "/opt/aws/amazon-cloudwatch-agent/etc/amazon-cloudwatch-agent.json";
const AGENT_CTL = "/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl";

/** AWS's key that signs the CloudWatch agent's packages (AWS's documentation: "Verify the signature"). */
export const CLOUDWATCH_AGENT_KEY_FINGERPRINT = "937616F3450B7D806CBD9725D58167303B789C72";

/** svlogd's `-tt` stamps, `2026-12-01_05:00:00.12345`, in the agent's notation. */
export const SVLOGD_TIMESTAMP_FORMAT = "%Y-%m-%d_%H:%M:%S.%f";

export interface LogShippingSpec {
  readonly service: string;
  readonly region: string;
  readonly logGroup: string;
  readonly ports: readonly number[];
}

/** One stream per instance and source: `{instance_id}/9000`, `{instance_id}/watchdog`, `{instance_id}/boot`. */
export interface LogSource {
  readonly file: string;
  readonly stream: string;
  readonly svlogd: boolean;
}

function portLogSource(service: string, port: number | string): LogSource {
  return {
    file: `/var/log/${service}/${runitServiceName(service, port)}/current`,
    stream: `{instance_id}/${port}`,
    svlogd: true,
  };
}

const BOOT_SOURCE: LogSource = { file: BOOT_LOG, stream: "{instance_id}/boot", svlogd: false };

function watchdogSource(service: string): LogSource {
  return { file: `${watchdogService(service).logDirectory}/current`, stream: "{instance_id}/watchdog", svlogd: true };
}

export function logSources(service: string, ports: readonly number[]): LogSource[] {
  return [BOOT_SOURCE, ...ports.map((port) => portLogSource(service, port)), watchdogSource(service)];
}

function collected(logGroup: string, source: LogSource): object {
  return {
    file_path: source.file,
    log_group_name: logGroup,
    log_stream_name: source.stream,
    ...(source.svlogd ? { timestamp_format: SVLOGD_TIMESTAMP_FORMAT } : {}),
  };
}

/** The agent's configuration: logs only (no metrics: detailed monitoring covers the instance). */
export function agentConfig(spec: LogShippingSpec): object {
  return {
    agent: { run_as_user: "root" },
    logs: {
      logs_collected: {
        files: { collect_list: logSources(spec.service, spec.ports).map((source) => collected(spec.logGroup, source)) },
      },
    },
  };
}

/**
 * Shell that writes `agentConfig(spec)` to "$config": one entry per port from a loop, so the user data
 * grows by a few bytes per port, not by an entry (EC2 allows 16 KiB of user data).
 */
function writeAgentConfig(spec: LogShippingSpec): string[] {
  const PLACEHOLDER = "@PORT@";
  const [head, tail] = JSON.stringify({ ...agentConfig({ ...spec, ports: [] }) }).split(
    JSON.stringify(collected(spec.logGroup, watchdogSource(spec.service))),
  );
  const portEntry = JSON.stringify(collected(spec.logGroup, portLogSource(spec.service, PLACEHOLDER)));
  return [
    "{",
    `  printf '%s' '${head ?? ""}'`,
    `  for port in ${spec.ports.join(" ")}; do printf '%s,' '${portEntry}' | sed "s/${PLACEHOLDER}/$port/g"; done`,
    `  printf '%s\n' '${JSON.stringify(collected(spec.logGroup, watchdogSource(spec.service)))}${tail ?? ""}'`,
    '} >"$config"',
  ];
}

export function logShippingScriptPath(service: string): string {
  return `/usr/local/sbin/${service}-ship-logs`;
}

/**
 * Writes the agent's configuration, then installs and starts the agent. A failure to install is logged
 * and leaves the boot to go on: the service matters more than its logs, and svlogd keeps them on the
 * instance. In the host sandbox (CLOUDRIM_ROOT set) only the configuration is written.
 */
export function logShippingScript(spec: LogShippingSpec): string {
  const agent = `https://amazoncloudwatch-agent-${spec.region}.s3.${spec.region}.amazonaws.com`;
  return [
    "#!/bin/sh",
    `# Written by cloud-init (cloudrim-fleet): ship ${spec.service}'s logs to ${spec.logGroup} with AWS's CloudWatch agent.`,
    "set -u",
    'root="${CLOUDRIM_ROOT:-}"',
    'say() { echo "cloudrim-logs: $*" >&2; }',
    `config="$root${AGENT_CONFIG_PATH}"`,
    'mkdir -p "$(dirname "$config")"',
    ...writeAgentConfig(spec),
    'if [ -n "$root" ]; then say "sandbox: configuration written, agent not installed"; exit 0; fi',
    // Debian's amd64 package; AWS publishes arm64 under ubuntu/ (a static binary either way).
    'case "$(uname -m)" in aarch64 | arm64) path=ubuntu/arm64 ;; *) path=debian/amd64 ;; esac',
    "work=$(mktemp -d) || exit 0",
    'GNUPGHOME="$work/gnupg" && export GNUPGHOME && mkdir -m 0700 "$GNUPGHOME"',
    `if ${API_CURL} -o "$work/agent.gpg" "${agent}/assets/amazon-cloudwatch-agent.gpg" &&`,
    `  ${API_CURL.replace("--max-time 30", "--max-time 300")} -o "$work/agent.deb" "${agent}/$path/latest/amazon-cloudwatch-agent.deb" &&`,
    `  ${API_CURL} -o "$work/agent.deb.sig" "${agent}/$path/latest/amazon-cloudwatch-agent.deb.sig" &&`,
    '  gpg --batch --quiet --import "$work/agent.gpg" 2>/dev/null &&',
    `  gpg --batch --with-colons --fingerprint | grep -q "^fpr:::::::::${CLOUDWATCH_AGENT_KEY_FINGERPRINT}:" &&`,
    '  gpg --batch --quiet --verify "$work/agent.deb.sig" "$work/agent.deb" 2>/dev/null &&',
    '  dpkg -i -E "$work/agent.deb" >/dev/null; then',
    `  ${AGENT_CTL} -a fetch-config -m ec2 -s -c "file:$config" >/dev/null && say "shipping to ${spec.logGroup}"`,
    "else",
    `  say "the CloudWatch agent could not be installed (download, or its signature by AWS's key ${CLOUDWATCH_AGENT_KEY_FINGERPRINT}); logs stay in /var/log/${spec.service}"`,
    "fi",
    'rm -rf "$work"',
    "exit 0",
    "",
  ].join("\n");
}
