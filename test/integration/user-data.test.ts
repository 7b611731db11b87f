import { readDefaultApp } from "../../instance/adapters/default-app";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import {
  decodeUserData,
  encodeUserData,
  renderUserData,
  runitServices,
  SVLOGD_CONFIG,
  type UserDataSpec,
} from "../../instance/user-data";
import { PINNED_NODE } from "../../instance/release";
import { FLEET_VARIABLE_NAMES, planSecrets } from "../../instance/app-environment";
import { changeId } from "../../instance/change-id";

interface CloudConfig {
  packages: string[];
  users: (string | { name: string; system: boolean; shell: string })[];
  write_files: { path: string; permissions: string; content: string }[];
  runcmd: string[][];
}

const spec: UserDataSpec = {
  service: "cloudrim",
  user: "cloudrim",
  command: "node server.js",
  ports: [9000, 9001, 9002],
  runtime: { kind: "pinned", version: PINNED_NODE.version, sha256: PINNED_NODE.sha256 },
  appFiles: readDefaultApp(),
  region: "eu-west-1",
  groupName: "cloudrim-prod-eu-west-1",
  logGroup: "/cloudrim-prod-eu-west-1",
  readySeconds: 300,
  watchdog: {
    probePath: "/",
    requireSuccess: false,
    failAfterSeconds: 30,
    probeTimeoutSeconds: 3,
    maxRestarts: 3,
    windowMinutes: 15,
    handOverAfterSeconds: 600,
    maxHandOvers: 1,
    gracePeriodSeconds: 300,
  },
};
const release = {
  bucket: "acme-releases",
  key: "releases/cloudrim/0123abcd.tgz",
  region: "eu-west-1",
  sha256: "a".repeat(64),
};
const releaseSpec: UserDataSpec = { ...spec, runtime: { kind: "release", release }, appFiles: undefined };
/** A service with its own configuration: two plain variables, a parameter and a secret. */
const configuredSpec: UserDataSpec = {
  ...spec,
  environment: { LOG_LEVEL: "info", GREETING: "it's $HOME\nsecond line" },
  secrets: planSecrets(
    {
      DB_PASSWORD: "arn:aws:ssm:{region}:123456789012:parameter/shop/db-password",
      API_KEY: "arn:aws:secretsmanager:{region}:123456789012:secret:shop/api-key-AbCdEf",
    },
    "eu-west-1",
  ),
};

function cloudConfig(text: string): CloudConfig {
  expect(text.startsWith("#cloud-config\n")).toBe(true);
  return parse(text) as CloudConfig;
}

function fileAt(config: CloudConfig, path: string): { permissions: string; content: string } {
  const file = config.write_files.find((f) => f.path === path);
  if (file === undefined) throw new Error(`user data writes no ${path}`);
  return file;
}

describe("cloud-init user data", () => {
  const config = cloudConfig(renderUserData(spec));

  it("installs runit (with the systemd unit that starts runsvdir), curl and gpg, and never Debian's Node.js", () => {
    expect(config.packages).toEqual(["runit", "runit-run", "curl", "ca-certificates", "gpg"]);
    expect(renderUserData(spec)).not.toMatch(/nodejs/);
  });

  it("creates the service user as an unprivileged system user without a login shell", () => {
    expect(config.users).toContainEqual(
      expect.objectContaining({ name: "cloudrim", system: true, shell: "/usr/sbin/nologin" }),
    );
  });

  it("ships the default app into the app directory", () => {
    expect(fileAt(config, "/opt/cloudrim/server.js").content).toBe(readDefaultApp()["server.js"]);
  });

  it("writes one run script that every port's service shares, and no file per port", () => {
    const paths = config.write_files.map((f) => f.path);
    expect(paths).toEqual([
      "/opt/cloudrim/server.js",
      "/usr/local/lib/cloudrim/instance-api.sh",
      "/usr/local/lib/cloudrim/run",
      "/usr/local/lib/cloudrim/watchdog",
      "/usr/local/sbin/cloudrim-enable-services",
      "/usr/local/sbin/cloudrim-ship-logs",
      "/usr/local/sbin/cloudrim-boot",
    ]);
    const without = cloudConfig(renderUserData({ ...spec, watchdog: undefined })).write_files.map((f) => f.path);
    expect(without).not.toContain("/usr/local/lib/cloudrim/watchdog");
  });

  it("runs the app as the service user, with its port from the service's envdir and the fleet's Node.js first on PATH", () => {
    const run = fileAt(config, "/usr/local/lib/cloudrim/run");
    expect(run.permissions).toBe("0755");
    expect(run.content).toMatch(/^#!\/bin\/sh\n/);
    expect(run.content).toContain("exec 2>&1\n");
    expect(run.content).toContain('env="$PWD/env"\n');
    expect(run.content).toContain('cd "${CLOUDRIM_ROOT:-}"/opt/cloudrim || exit 1\n');
    expect(run.content).toContain(
      `PATH="\${CLOUDRIM_ROOT:-}"/opt/cloudrim/node/bin:$PATH\nCLOUDRIM_RELEASE='${changeId(spec)}'\nexport PATH CLOUDRIM_RELEASE\n`,
    );
    expect(run.content).toMatch(/\nexec chpst -e "\$env" -u cloudrim node server\.js\n$/);
  });

  it("creates one service per port when the enable script runs: run, envdir, logger, log directory, link", () => {
    const root = mkdtempSync(join(tmpdir(), "cloudrim-enable-"));
    try {
      // As a user that exists here; on an instance cloud-init creates the service user first.
      const me = userInfo().username;
      const enable = fileAt(
        cloudConfig(renderUserData({ ...spec, user: me })),
        "/usr/local/sbin/cloudrim-enable-services",
      );
      execFileSync("sh", ["-c", enable.content], { env: { ...process.env, CLOUDRIM_ROOT: root } });
      expect(readdirSync(join(root, "etc/service")).sort()).toEqual([
        "cloudrim-9000",
        "cloudrim-9001",
        "cloudrim-9002",
      ]);
      // The watchdog's service is written, and linked only by the boot, once every port answers.
      const watchdog = join(root, "etc/sv/cloudrim-watchdog");
      expect(readlinkSync(join(watchdog, "run"))).toBe(join(root, "usr/local/lib/cloudrim/watchdog"));
      expect(readFileSync(join(watchdog, "log/run"), "utf8")).toBe(
        `#!/bin/sh\nexec chpst -u ${me} svlogd -tt "${join(root, "var/log/cloudrim/cloudrim-watchdog")}"\n`,
      );
      for (const port of [9000, 9001, 9002]) {
        const sv = join(root, "etc/sv", `cloudrim-${port}`);
        expect(readlinkSync(join(sv, "run"))).toBe(join(root, "usr/local/lib/cloudrim/run"));
        expect(readFileSync(join(sv, "env/PORT"), "utf8")).toBe(`${port}\n`);
        const log = join(root, "var/log/cloudrim", `cloudrim-${port}`);
        expect(readFileSync(join(sv, "log/run"), "utf8")).toBe(`#!/bin/sh\nexec chpst -u ${me} svlogd -tt "${log}"\n`);
        expect(statSync(join(sv, "log/run")).mode & 0o777).toBe(0o755);
        expect(readFileSync(join(log, "config"), "utf8")).toBe(SVLOGD_CONFIG);
        expect(statSync(log).mode & 0o777).toBe(0o750);
        expect(readlinkSync(join(root, "etc/service", `cloudrim-${port}`))).toBe(sv);
      }
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("gives each process the load balancers' health check path, when the fleet has one, quoted for sh", () => {
    const withPath = cloudConfig(renderUserData({ ...spec, healthPath: "/healthz?deep='1'" }));
    const run = fileAt(withPath, "/usr/local/lib/cloudrim/run").content;
    expect(run).toContain("export PATH CLOUDRIM_RELEASE HEALTH_PATH\n");
    const assignment = run.split("\n").find((line) => line.startsWith("HEALTH_PATH=")) ?? "";
    expect(execFileSync("sh", ["-c", `${assignment}\nprintf %s "$HEALTH_PATH"`], { encoding: "utf8" })).toBe(
      "/healthz?deep='1'",
    );
    expect(fileAt(config, "/usr/local/lib/cloudrim/run").content).not.toContain("HEALTH_PATH");
  });

  it("sets for each process exactly the variables the fleet reserves for itself", () => {
    const withPath = cloudConfig(renderUserData({ ...spec, healthPath: "/healthz" }));
    const run = fileAt(withPath, "/usr/local/lib/cloudrim/run").content;
    const enable = fileAt(withPath, "/usr/local/sbin/cloudrim-enable-services").content;
    const assigned = [
      ...[...enable.matchAll(/>"\$sv\/env\/([A-Z_]+)"/g)].map((m) => m[1]),
      ...[...run.matchAll(/^([A-Z_]+)=/gm)].map((m) => m[1]),
    ];
    expect(assigned.sort()).toEqual([...FLEET_VARIABLE_NAMES].sort());
  });

  it("exports the app's plain variables in the run script, quoted for sh, before chpst drops to the service user", () => {
    const run = fileAt(cloudConfig(renderUserData(configuredSpec)), "/usr/local/lib/cloudrim/run").content;
    const exports = run.split("\n").filter((line) => line.startsWith("export ") && line.includes("="));
    expect(exports.map((line) => /^export ([A-Z_]+)=/.exec(line)?.[1])).toEqual(["GREETING", "LOG_LEVEL"]);
    // The GREETING value spans two lines: take the script up to the line that loads the secrets.
    const assignments = run.slice(run.indexOf("export GREETING"), run.indexOf("\n# shellcheck"));
    expect(
      execFileSync("sh", ["-c", `${assignments}\nprintf '%s|%s' "$GREETING" "$LOG_LEVEL"`], { encoding: "utf8" }),
    ).toBe("it's $HOME\nsecond line|info");
    expect(run.indexOf("export LOG_LEVEL")).toBeLessThan(run.indexOf("exec chpst"));
    expect(fileAt(config, "/usr/local/lib/cloudrim/run").content).not.toMatch(/^export [A-Z_]+=/m);
  });

  it("loads the app's secrets from a file only root reads, before chpst drops to the service user, only when it has some", () => {
    const configured = cloudConfig(renderUserData(configuredSpec));
    const run = fileAt(configured, "/usr/local/lib/cloudrim/run").content;
    const load = '. "${CLOUDRIM_ROOT:-}"/etc/cloudrim/secrets || exit 1\n';
    expect(run).toContain(load);
    expect(run.indexOf(load)).toBeLessThan(run.indexOf("exec chpst"));
    expect(fileAt(configured, "/usr/local/lib/cloudrim/read-secret.js").permissions).toBe("0644");
    expect(fileAt(config, "/usr/local/lib/cloudrim/run").content).not.toContain("secrets");
    expect(config.write_files.map((f) => f.path)).not.toContain("/usr/local/lib/cloudrim/read-secret.js");
    expect(fileAt(config, "/usr/local/sbin/cloudrim-boot").content).not.toContain("read_secret");
  });

  it("reads each secret at boot with the role's credentials, signed for its store and region, before any service starts", () => {
    const boot = fileAt(cloudConfig(renderUserData(configuredSpec)), "/usr/local/sbin/cloudrim-boot").content;
    expect(boot).toContain(
      "read_secret API_KEY secretsmanager eu-west-1 secretsmanager.eu-west-1.amazonaws.com 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:shop/api-key-AbCdEf'\n" +
        "read_secret DB_PASSWORD ssm eu-west-1 ssm.eu-west-1.amazonaws.com 'arn:aws:ssm:eu-west-1:123456789012:parameter/shop/db-password'\n",
    );
    expect(boot).toContain(
      'role_credentials | curl -sS --connect-timeout 5 --max-time 30 --retry 3 --retry-delay 2 -K - --aws-sigv4 "aws:amz:$3:$2"',
    );
    expect(boot).toContain('target=AmazonSSM.GetParameter body="{\\"Name\\":\\"$5\\",\\"WithDecryption\\":true}"');
    expect(boot).toContain('target=secretsmanager.GetSecretValue body="{\\"SecretId\\":\\"$5\\"}"');
    expect(boot).toContain('endpoint="${CLOUDRIM_SSM_ENDPOINT:-https://$4}"');
    expect(boot).toContain('endpoint="${CLOUDRIM_SECRETSMANAGER_ENDPOINT:-https://$4}"');
    // Into a directory only root enters; a failure abandons the launch naming the secret, never printing a value.
    expect(boot).toContain('{ mkdir -p "$root/etc/cloudrim" && chmod 0700 "$root/etc/cloudrim"');
    expect(boot).toContain('abandon "secret $1 could not be read from $5: $reason"');
    expect(boot).not.toMatch(/set -x|cat "\$secrets|echo "\$\(cat/);
    const order = [
      'ln -sfn "runtime/node-linux-$arch"',
      "read_secret API_KEY",
      'mv "$secrets.new" "$secrets"',
      'cloudrim-enable-services" || abandon',
    ].map((step) => boot.indexOf(step));
    expect(order.every((at) => at > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  it("boots in one step: get the runtime, verify it, ship logs, enable the services, and enter service once every port answers", () => {
    expect(config.runcmd).toEqual([["/usr/local/sbin/cloudrim-boot"]]);
    const boot = fileAt(config, "/usr/local/sbin/cloudrim-boot").content;
    const order = [
      '[ "$got" = "$want" ] && break',
      "tar -xzf",
      '"$root/usr/local/sbin/cloudrim-ship-logs"',
      '"$root/usr/local/sbin/cloudrim-enable-services" || abandon',
      "for port in 9000 9001 9002; do",
      'ln -sfn "$root/etc/sv/cloudrim-watchdog" "$root/etc/service/cloudrim-watchdog"',
      'complete_boot CONTINUE "$instance"',
    ].map((step) => boot.indexOf(step));
    expect(order.every((at) => at > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(boot).toContain("deadline=$(($(date +%s) + ${CLOUDRIM_READY_SECONDS:-300}))");
    expect(boot).toContain('until curl -s -o /dev/null --max-time 3 "http://127.0.0.1:$port/"; do');
  });

  it("abandons the launch, saying why, when the runtime cannot be fetched or a port does not answer", () => {
    const boot = fileAt(config, "/usr/local/sbin/cloudrim-boot").content;
    expect(boot).toContain('say "giving up: nothing was started"; abandon "$what could not be fetched and verified"');
    expect(boot).toContain('complete_boot ABANDON "$instance"');
    expect(boot).toMatch(/abandon "port \$port did not answer http:\/\/127\.0\.0\.1:\$port\/ in/);
    const withPath = fileAt(
      cloudConfig(renderUserData({ ...spec, healthPath: "/healthz" })),
      "/usr/local/sbin/cloudrim-boot",
    );
    expect(withPath.content).toContain(
      'until curl -s -o /dev/null --max-time 3 -f "http://127.0.0.1:$port/healthz"; do',
    );
  });

  it("bounds every network call of the boot: connect timeout, overall limit, retries", () => {
    const withRelease = cloudConfig(renderUserData(releaseSpec));
    for (const variant of [config, withRelease, cloudConfig(renderUserData(configuredSpec))]) {
      const calls = variant.write_files
        .filter((f) => f.content.startsWith("#!") || f.path.endsWith(".sh"))
        .flatMap((file) =>
          file.content
            .split("\n")
            // Every invocation, wherever it stands in its line (`if curl`, `{ curl`, `| curl`), not comments about it.
            .filter((line) => /\bcurl -/.test(line) && !line.trimStart().startsWith("#"))
            .map((line) => ({ file: file.path, line, local: line.includes("http://127.0.0.1:") })),
        );
      // Both kinds are there to check: downloads that leave the instance, and probes of its own ports.
      expect(calls.filter((call) => !call.local).length).toBeGreaterThan(0);
      expect(calls.filter((call) => call.local).length).toBeGreaterThan(0);
      // Probes of this instance's own ports only need --max-time; everything that leaves it has all three.
      const unbounded = calls.filter(
        ({ line, local }) =>
          !(/--max-time \d+/.test(line) && (local || (/--connect-timeout \d+/.test(line) && /--retry \d+/.test(line)))),
      );
      expect(unbounded).toEqual([]);
    }
  });

  it("installs the pinned Node.js for the machine's architecture, checking each tarball's sha256", () => {
    const boot = fileAt(config, "/usr/local/sbin/cloudrim-boot").content;
    expect(boot).toContain(
      `case "$arch" in arm64) want=${PINNED_NODE.sha256.arm64} ;; *) want=${PINNED_NODE.sha256.x64} ;; esac`,
    );
    expect(boot).toContain(
      'url="${CLOUDRIM_NODE_MIRROR:-https://registry.npmjs.org}/node-linux-$arch/-/node-linux-$arch-24.21.0.tgz"',
    );
    expect(boot).toContain('ln -sfn "runtime/node-linux-$arch" "$root/opt/cloudrim/node"');
  });

  it("fetches a release with the instance role's credentials, signed, then unpacks it and points current at it", () => {
    const withRelease = cloudConfig(renderUserData(releaseSpec));
    const boot = fileAt(withRelease, "/usr/local/sbin/cloudrim-boot").content;
    expect(boot).toContain(`want=${"a".repeat(64)}`);
    expect(boot).toContain('url="https://acme-releases.s3.eu-west-1.amazonaws.com/releases/cloudrim/0123abcd.tgz"');
    expect(boot).toContain('--aws-sigv4 "aws:amz:eu-west-1:s3"');
    expect(boot).toContain("creds=$(role_credentials) || return 1");
    expect(fileAt(withRelease, "/usr/local/lib/cloudrim/instance-api.sh").content).toContain(
      "X-aws-ec2-metadata-token-ttl-seconds",
    );
    expect(boot).toContain('ln -sfn "releases/' + "a".repeat(64) + '" "$root/opt/cloudrim/current.new"');
    expect(withRelease.write_files.map((f) => f.path)).not.toContain("/opt/cloudrim/server.js");
    const run = fileAt(withRelease, "/usr/local/lib/cloudrim/run").content;
    expect(run).toContain('cd "${CLOUDRIM_ROOT:-}"/opt/cloudrim/current || exit 1\n');
  });

  it("renders the same bytes for the same spec", () => {
    expect(renderUserData(spec)).toBe(renderUserData({ ...spec }));
  });

  it("quotes nothing into YAML that would change on a round trip", () => {
    const custom = { ...spec, command: "node --max-old-space-size=512 app.js --name 'x: y'" };
    const run = fileAt(cloudConfig(renderUserData(custom)), "/usr/local/lib/cloudrim/run");
    expect(run.content).toContain(
      "exec chpst -e \"$env\" -u cloudrim node --max-old-space-size=512 app.js --name 'x: y'\n",
    );
  });

  it("is gzipped for EC2 (cloud-init unpacks it), the same bytes every time, and reads back", () => {
    const text = renderUserData(spec);
    const encoded = encodeUserData(text);
    expect(Buffer.from(encoded, "base64").subarray(0, 10).toString("hex")).toBe("1f8b0800000000000203");
    expect(encodeUserData(text)).toBe(encoded);
    expect(decodeUserData(encoded)).toBe(text);
    // A launch template of an earlier release holds the document as plain base64.
    expect(decodeUserData(Buffer.from(text).toString("base64"))).toBe(text);
  });

  it("describes each service's directories", () => {
    expect(runitServices("cloudrim", [9000])).toEqual([
      {
        name: "cloudrim-9000",
        port: 9000,
        directory: "/etc/sv/cloudrim-9000",
        logDirectory: "/var/log/cloudrim/cloudrim-9000",
      },
    ]);
  });

  it.each([
    ["the pinned runtime", spec],
    ["a release", releaseSpec],
    ["an app's own variables and secrets", configuredSpec],
  ])("passes cloud-init's own schema validation, with %s", (_what, variant) => {
    const dir = mkdtempSync(join(tmpdir(), "cloudrim-user-data-"));
    try {
      const file = join(dir, "user-data.yaml");
      writeFileSync(file, renderUserData(variant));
      let output: string;
      try {
        output = execFileSync("cloud-init", ["schema", "--config-file", file], { encoding: "utf8" });
      } catch (error) {
        const failure = error as { code?: string; stdout?: string; stderr?: string };
        if (failure.code === "ENOENT") throw new Error("cloud-init is not installed: run scripts/setup.sh");
        throw new Error(`cloud-init rejected the user data:\n${failure.stdout ?? ""}${failure.stderr ?? ""}`);
      }
      expect(output).toMatch(/Valid cloud-config/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
