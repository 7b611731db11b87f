import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  AGENT_CONFIG_PATH,
  agentConfig,
  CLOUDWATCH_AGENT_KEY_FINGERPRINT,
  eventLogGroupName,
  logGroupName,
  logShippingScript,
  logSources,
} from "../../instance/log-shipping";

const spec = { service: "api", region: "eu-west-1", logGroup: "/api-prod-eu-west-1", ports: [9000, 9001, 9002] };

/** The script run for real in a scratch root, as the host sandbox runs it: it writes the configuration only. */
function writtenConfig(ports: readonly number[]): { config: unknown; stderr: string } {
  const root = mkdtempSync(join(tmpdir(), "cloudrim-logs-"));
  try {
    const { stderr, status } = spawnSync("sh", ["-c", logShippingScript({ ...spec, ports })], {
      env: { ...process.env, CLOUDRIM_ROOT: root },
      encoding: "utf8",
    });
    expect(status).toBe(0);
    return { config: JSON.parse(readFileSync(join(root, AGENT_CONFIG_PATH), "utf8")), stderr };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

describe("the logs that leave the instance", () => {
  it("go to one group per region, named after the stack; Auto Scaling's events to their own under /aws/events/", () => {
    expect(logGroupName("api-prod-eu-west-1")).toBe("/api-prod-eu-west-1");
    expect(eventLogGroupName("api-prod-eu-west-1")).toBe("/aws/events/api-prod-eu-west-1");
  });

  it("are the boot's output, each port's svlogd log and the watchdog's, one stream per instance and source", () => {
    expect(logSources("api", [9000, 9001])).toEqual([
      { file: "/var/log/cloud-init-output.log", stream: "{instance_id}/boot", svlogd: false },
      { file: "/var/log/api/api-9000/current", stream: "{instance_id}/9000", svlogd: true },
      { file: "/var/log/api/api-9001/current", stream: "{instance_id}/9001", svlogd: true },
      { file: "/var/log/api/api-watchdog/current", stream: "{instance_id}/watchdog", svlogd: true },
    ]);
  });

  it("are read with svlogd's timestamps, and nothing but logs is collected", () => {
    const config = agentConfig(spec) as {
      agent: object;
      logs: { logs_collected: { files: { collect_list: Record<string, string>[] } } };
      metrics?: object;
    };
    expect(config.metrics).toBeUndefined();
    expect(config.agent).toEqual({ run_as_user: "root" });
    const [boot, port9000] = config.logs.logs_collected.files.collect_list;
    expect(boot).toEqual({
      file_path: "/var/log/cloud-init-output.log",
      log_group_name: "/api-prod-eu-west-1",
      log_stream_name: "{instance_id}/boot",
    });
    expect(port9000).toEqual({
      file_path: "/var/log/api/api-9000/current",
      log_group_name: "/api-prod-eu-west-1",
      log_stream_name: "{instance_id}/9000",
      timestamp_format: "%Y-%m-%d_%H:%M:%S.%f",
    });
  });

  it.each([[[9000]], [[9000, 9001, 9002]], [Array.from({ length: 50 }, (_, i) => 9000 + i)]])(
    "writes exactly that configuration on the instance, from a loop over the ports (%j)",
    (ports) => {
      const { config, stderr } = writtenConfig(ports);
      expect(config).toEqual(agentConfig({ ...spec, ports }));
      expect(stderr).toBe("cloudrim-logs: sandbox: configuration written, agent not installed\n");
    },
  );

  it("grows the script by a few bytes per port, not by an entry", () => {
    const one = logShippingScript({ ...spec, ports: [9000] }).length;
    const fifty = logShippingScript({ ...spec, ports: Array.from({ length: 50 }, (_, i) => 9000 + i) }).length;
    expect((fifty - one) / 49).toBeLessThanOrEqual(5);
  });

  it("installs AWS's agent from the instance's own region, only if AWS's key signed it, and never fails the boot", () => {
    const script = logShippingScript(spec);
    expect(script).toContain(
      "https://amazoncloudwatch-agent-eu-west-1.s3.eu-west-1.amazonaws.com/assets/amazon-cloudwatch-agent.gpg",
    );
    expect(script).toContain(
      '"https://amazoncloudwatch-agent-eu-west-1.s3.eu-west-1.amazonaws.com/$path/latest/amazon-cloudwatch-agent.deb"',
    );
    expect(script).toContain(`grep -q "^fpr:::::::::${CLOUDWATCH_AGENT_KEY_FINGERPRINT}:"`);
    expect(script).toMatch(
      /gpg --batch --quiet --verify "\$work\/agent\.deb\.sig" "\$work\/agent\.deb" 2>\/dev\/null &&\n {2}dpkg -i/,
    );
    expect(script.trimEnd().split("\n").at(-1)).toBe("exit 0");
  });
});
