import { inRoot, parseCloudConfig, sandboxCommand, serviceUsers, shellScripts } from "../../../host/cloud-config";
import { haproxyConfig, standInLayout } from "../../../host/stand-in";
import { PINNED_NODE } from "../../../instance/release";
import type { RegionShape } from "../../../fleet/shape";
import { renderUserData } from "../../../instance/user-data";
import { shapeOrThrow } from "../../../fleet/validate";
import { baseFleet, DEFAULT_APP } from "../../fixtures";

const region = (overrides = {}) =>
  shapeOrThrow(
    baseFleet({ processes: 3, weights: [1, 2, 3], regions: [{ region: "us-east-1" }], ...overrides }),
    DEFAULT_APP,
  ).regions[0] as RegionShape;

describe("the load balancer stand-in layout", () => {
  it("puts the regional entry at listener + 1000 and load balancer i right after it", () => {
    expect(standInLayout(region())).toEqual({
      regionalPort: 10000,
      balancers: [
        { name: "cloudrim-prod-9000", frontendPort: 10001, instancePort: 9000, weight: 1 },
        { name: "cloudrim-prod-9001", frontendPort: 10002, instancePort: 9001, weight: 2 },
        { name: "cloudrim-prod-9002", frontendPort: 10003, instancePort: 9002, weight: 3 },
      ],
    });
  });

  it("refuses a base that would collide with the instance ports", () => {
    expect(() => standInLayout(region(), 8999)).toThrow(/overlap the instance ports 9000-9002/);
  });

  it("renders haproxy in TCP mode, loopback only, weighted like the Route 53 set", () => {
    const config = haproxyConfig(standInLayout(region()), {});
    expect(config).toContain("  mode tcp\n");
    expect(config.match(/bind (\S+)/g)).toEqual([
      "bind 127.0.0.1:10000",
      "bind 127.0.0.1:10001",
      "bind 127.0.0.1:10002",
      "bind 127.0.0.1:10003",
    ]);
    expect(config).toContain(
      "  server cloudrim-prod-9001 127.0.0.1:10002 weight 2 check addr 127.0.0.1 port 9001 inter 1s rise 1 fall 2\n",
    );
    expect(config).toContain("backend cloudrim-prod-9002-instances\n  server instance 127.0.0.1:9002 check");
    expect(config).not.toContain("httpchk");
  });

  it("sends the regional entry only to ports whose health check passes, over HTTP when the fleet has a path", () => {
    const config = haproxyConfig(standInLayout(region()), { path: "/healthz" });
    const regional = config.slice(
      config.indexOf("backend weighted-set"),
      config.indexOf("frontend cloudrim-prod-9000"),
    );
    expect(regional).toContain("  option httpchk GET /healthz\n  http-check expect status 200\n");
    for (const port of [9000, 9001, 9002]) expect(regional).toContain(`check addr 127.0.0.1 port ${port} `);
    expect(config.match(/option httpchk GET \/healthz/g)).toHaveLength(4);
  });
});

describe("applying cloud-config to a sandbox", () => {
  const config = parseCloudConfig(
    renderUserData({
      service: "cloudrim",
      user: "cloudrim",
      command: "node server.js",
      ports: [9000, 9001],
      runtime: { kind: "pinned", version: PINNED_NODE.version, sha256: PINNED_NODE.sha256 },
      region: "us-east-1",
      groupName: "cloudrim-prod-us-east-1",
      logGroup: "/cloudrim-prod-us-east-1",
      readySeconds: 300,
    }),
  );

  it("roots paths in the sandbox", () => {
    expect(inRoot("/tmp/box/", "/etc/sv/x/run")).toBe("/tmp/box/etc/sv/x/run");
  });

  it("runs commands the user data wrote from the sandbox copy, and others as they are", () => {
    const written = new Set(config.write_files.map((f) => f.path));
    expect(config.runcmd.map((entry) => sandboxCommand(entry, "/tmp/box", written))).toEqual([
      ["/tmp/box/usr/local/sbin/cloudrim-boot"],
    ]);
    expect(sandboxCommand(["systemctl", "start", "x"], "/tmp/box", written)).toEqual(["systemctl", "start", "x"]);
    expect(sandboxCommand("echo hi", "/tmp/box", written)).toEqual(["sh", "-c", "echo hi"]);
  });

  it("finds the service user and the shell scripts", () => {
    expect(serviceUsers(config)).toEqual([{ name: "cloudrim", shell: "/usr/sbin/nologin" }]);
    expect(shellScripts(config).map((script) => script.path)).toEqual([
      "/usr/local/lib/cloudrim/run",
      "/usr/local/sbin/cloudrim-enable-services",
      "/usr/local/sbin/cloudrim-ship-logs",
      "/usr/local/sbin/cloudrim-boot",
    ]);
  });

  it("rejects user data that is not cloud-config", () => {
    expect(() => parseCloudConfig("#!/bin/sh\necho hi\n")).toThrow(/not a #cloud-config/);
  });
});
