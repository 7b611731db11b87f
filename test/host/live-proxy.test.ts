import { createServer, request, type Server } from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readStats, RegionProxyProcess } from "../../live/adapters/proxy";
import { countedSince, parseStats } from "../../live/metrics";
import { proxyConfig, type RegionProxy } from "../../live/proxy-config";
import { freePort } from "../e2e/local-fleet";

// Real haproxy, as the live fleet runs one per region: what it counts is what the metrics put (live/metrics.ts).
jest.setTimeout(60_000);

/** A GET through `port` on `address`: its status. */
function get(address: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const asked = request({ host: address, port, path: "/", timeout: 2000, agent: false }, (answer) => {
      answer.resume();
      answer.on("end", () => {
        resolve(answer.statusCode ?? 0);
      });
    });
    asked.on("error", reject);
    asked.end();
  });
}

async function until<T>(what: () => Promise<T>, ok: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      const value = await what();
      if (ok(value) || Date.now() > deadline) return value;
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe("a live region's proxy, counted", () => {
  const dir = mkdtempSync(join(tmpdir(), "cloudrim-live-proxy-"));
  const socket = join(dir, "haproxy.sock");
  let app: Server;
  let proxy: RegionProxyProcess;
  let spec: RegionProxy;

  beforeAll(async () => {
    const appPort = await freePort();
    app = createServer((_request, answer) => answer.end("ok"));
    await new Promise<void>((resolve) => app.listen(appPort, "127.0.0.1", resolve));
    const [regionalPort, balancerPort] = [await freePort(), await freePort()];
    spec = {
      listeners: {
        region: "us-east-1",
        regional: { address: "127.0.0.1", port: regionalPort },
        balancers: [{ name: "shop-9000", instancePort: appPort, address: "127.0.0.1", port: balancerPort }],
      },
      servers: new Map([["shop-9000", [{ instanceId: "i-1", address: "127.0.0.1", serving: true, healthy: true }]]]),
      weights: new Map([["shop-9000", 1]]),
    };
    proxy = RegionProxyProcess.start(dir, "us-east-1", proxyConfig(spec, socket));
  });

  afterAll(async () => {
    await proxy.stop();
    await new Promise((resolve) => app.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  it("counts each connection a load balancer sends to an instance, read from its stats socket", async () => {
    const balancer = spec.listeners.balancers[0];
    if (balancer === undefined) throw new Error("one balancer");
    expect(
      await until(
        () => get(balancer.address, balancer.port),
        (status) => status === 200,
      ),
    ).toBe(200);
    const before = parseStats(await readStats(socket)).get("shop-9000-instances");
    for (let i = 0; i < 5; i++) expect(await get(balancer.address, balancer.port)).toBe(200);
    const after = parseStats(await readStats(socket)).get("shop-9000-instances");
    expect(before).toBeDefined();
    expect(after && before && countedSince(before, after).sessions).toBe(5);
    expect(after?.connectErrors).toBe(0);
  });

  it("counts a connection to a stopped instance as a connection error", async () => {
    const balancer = spec.listeners.balancers[0];
    if (balancer === undefined) throw new Error("one balancer");
    const before = parseStats(await readStats(socket)).get("shop-9000-instances");
    await new Promise((resolve) => app.close(resolve));
    await get(balancer.address, balancer.port).catch(() => 0);
    const after = parseStats(await readStats(socket)).get("shop-9000-instances");
    expect(after && before && countedSince(before, after).connectErrors).toBeGreaterThan(0);
  });
});
