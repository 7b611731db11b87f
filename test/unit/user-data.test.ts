import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import {
  decodeUserData,
  defaultAppFiles,
  encodeUserData,
  renderUserData,
  runitServices,
  SVLOGD_CONFIG,
  type UserDataSpec,
} from "../../lib/user-data";

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
  appFiles: defaultAppFiles(),
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

  it("installs runit (with the systemd unit that starts runsvdir) and Node.js", () => {
    expect(config.packages).toEqual(["runit", "runit-run", "nodejs"]);
  });

  it("creates the service user as an unprivileged system user without a login shell", () => {
    expect(config.users).toContainEqual(
      expect.objectContaining({ name: "cloudrim", system: true, shell: "/usr/sbin/nologin" }),
    );
  });

  it("ships the default app into the app directory", () => {
    expect(fileAt(config, "/opt/cloudrim/server.js").content).toBe(defaultAppFiles()["server.js"]);
  });

  it("writes exactly one runit service per port, and nothing for other ports", () => {
    const runScripts = config.write_files.filter((f) => /^\/etc\/sv\/[^/]+\/run$/.test(f.path)).map((f) => f.path);
    expect(runScripts).toEqual(["/etc/sv/cloudrim-9000/run", "/etc/sv/cloudrim-9001/run", "/etc/sv/cloudrim-9002/run"]);
  });

  it.each([9000, 9001, 9002])("runs the app on port %i as the service user", (port) => {
    const run = fileAt(config, `/etc/sv/cloudrim-${port}/run`);
    expect(run.permissions).toBe("0755");
    expect(run.content).toMatch(/^#!\/bin\/sh\n/);
    expect(run.content).toContain("exec 2>&1\n");
    expect(run.content).toContain(`PORT=${port}\nexport PORT\n`);
    expect(run.content).toContain('cd "${CLOUDRIM_ROOT:-}"/opt/cloudrim || exit 1\n');
    expect(run.content).toMatch(/\nexec chpst -u cloudrim node server\.js\n$/);
  });

  it.each([9000, 9001, 9002])("logs port %i through svlogd into its own rotated directory", (port) => {
    const logRun = fileAt(config, `/etc/sv/cloudrim-${port}/log/run`);
    expect(logRun.permissions).toBe("0755");
    expect(logRun.content).toContain(
      `exec chpst -u cloudrim svlogd -tt "\${CLOUDRIM_ROOT:-}"/var/log/cloudrim/cloudrim-${port}\n`,
    );
    expect(fileAt(config, `/var/log/cloudrim/cloudrim-${port}/config`).content).toBe(SVLOGD_CONFIG);
  });

  it("gives each process the load balancers' health check path, when the fleet has one, quoted for sh", () => {
    const withPath = cloudConfig(renderUserData({ ...spec, healthPath: "/healthz?deep='1'" }));
    const run = fileAt(withPath, "/etc/sv/cloudrim-9001/run").content;
    expect(run).toContain("export PORT HEALTH_PATH\n");
    const assignment = run.split("\n").find((line) => line.startsWith("HEALTH_PATH=")) ?? "";
    expect(execFileSync("sh", ["-c", `${assignment}\nprintf %s "$HEALTH_PATH"`], { encoding: "utf8" })).toBe(
      "/healthz?deep='1'",
    );
    expect(fileAt(config, "/etc/sv/cloudrim-9001/run").content).not.toContain("HEALTH_PATH");
  });

  it("enables every service by linking it into /etc/service after creating its log directory", () => {
    expect(config.runcmd).toEqual([["/usr/local/sbin/cloudrim-enable-services"]]);
    const enable = fileAt(config, "/usr/local/sbin/cloudrim-enable-services").content;
    expect(enable).toContain("for name in cloudrim-9000 cloudrim-9001 cloudrim-9002; do");
    expect(enable.indexOf("install -d -o cloudrim")).toBeLessThan(enable.indexOf("ln -sfn"));
  });

  it("renders the same bytes for the same spec", () => {
    expect(renderUserData(spec)).toBe(renderUserData({ ...spec }));
  });

  it("quotes nothing into YAML that would change on a round trip", () => {
    const custom = { ...spec, command: "node --max-old-space-size=512 app.js --name 'x: y'" };
    const run = fileAt(cloudConfig(renderUserData(custom)), "/etc/sv/cloudrim-9000/run");
    expect(run.content).toContain("exec chpst -u cloudrim node --max-old-space-size=512 app.js --name 'x: y'\n");
  });

  it("round-trips through base64", () => {
    const text = renderUserData(spec);
    expect(decodeUserData(encodeUserData(text))).toBe(text);
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

  it("passes cloud-init's own schema validation", () => {
    const dir = mkdtempSync(join(tmpdir(), "cloudrim-user-data-"));
    try {
      const file = join(dir, "user-data.yaml");
      writeFileSync(file, renderUserData(spec));
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
