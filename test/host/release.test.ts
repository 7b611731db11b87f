import { cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ChildProcess } from "node:child_process";
import { CreateBucketCommand } from "@aws-sdk/client-s3";
import { HostSandbox, launchTemplateUserData, whoServes } from "../../host/adapters/sandbox";
import type { FleetConfig } from "../../fleet/schema";
import { defaultReleaseKey, PINNED_NODE, type ReleaseLocation } from "../../instance/release";
import { shapeOrThrow } from "../../fleet/validate";
import { regionClients } from "../../fleet/adapters/aws-clients";
import { startMoto } from "../../local-aws/adapters/emulator";
import { packRelease, uploadRelease } from "../../instance/adapters/release-pack";
import { freePort } from "../e2e/local-fleet";
import { baseFleet, DEFAULT_APP } from "../fixtures";
import { freeBase } from "./free-ports";

// Real runit, node and curl: each boot fetches a release from a private local AWS (moto) with
// credentials from an IMDSv2 stand-in, verifies it and only then starts the services.
jest.setTimeout(180_000);

const BUCKET = "acme-releases";

describe("a team's own service, shipped as a release", () => {
  let dir: string;
  let moto: ChildProcess;
  let endpoint: string;
  const local = () => ({ kind: "local", endpoint }) as const;

  /** The fixture app at `version` (its server.js replaced by `server`), packed with the pinned Node.js and uploaded. */
  async function release(version: string, server?: string): Promise<ReleaseLocation> {
    const app = join(dir, `app-${version}`);
    cpSync(join(__dirname, "fixtures", "release-app"), app, { recursive: true });
    writeFileSync(join(app, "package.json"), JSON.stringify({ name: "release-app", version, private: true }));
    if (server !== undefined) writeFileSync(join(app, "server.js"), server);
    const file = join(dir, `${version}.tgz`);
    const sha256 = packRelease(app, ["x64"], PINNED_NODE.version, file);
    const location = { bucket: BUCKET, key: defaultReleaseKey("cloudrim", sha256), region: "us-east-1", sha256 };
    expect(await uploadRelease(local(), location, file)).toBe("uploaded");
    return location;
  }

  /** Whether the boot ended its launch hook with ABANDON, and only that, signed with the role's session. */
  const abandoned = (sandbox: HostSandbox) =>
    JSON.stringify(sandbox.autoScalingCalls.map((c) => [c.params.LifecycleActionResult, c.signed])) ===
    JSON.stringify([["ABANDON", true]]);

  async function boot(location: ReleaseLocation, sha256 = location.sha256, readySeconds?: number) {
    const port = await freeBase(3);
    const config: FleetConfig = {
      ...baseFleet({ basePort: port, listenerPort: port, processes: 3, regions: [{ region: "us-east-1" }] }),
      app: { release: { bucket: location.bucket, key: location.key, sha256 } },
    };
    const shape = shapeOrThrow(config, DEFAULT_APP);
    const region = shape.regions[0];
    if (region === undefined) throw new Error("no region");
    return HostSandbox.start({
      region,
      userData: launchTemplateUserData(shape, region),
      s3Endpoint: endpoint,
      tolerateBootFailure: true,
      ...(readySeconds === undefined ? {} : { readySeconds }),
    });
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "cloudrim-release-"));
    endpoint = `http://127.0.0.1:${await freePort()}`;
    moto = await startMoto(endpoint, join(dir, "moto.log"), false);
    await regionClients(local(), "us-east-1").s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  });

  afterAll(() => {
    // Undefined when the local AWS did not start: beforeAll's error is the one to read.
    (moto as ChildProcess | undefined)?.kill("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  });

  let first: ReleaseLocation;

  it("fetches the release with the role's credentials, verifies it, and serves it on every port on its own Node.js", async () => {
    first = await release("1.0.0");
    const sandbox = await boot(first);
    try {
      expect(sandbox.boot.status).toBe(0);
      expect(sandbox.boot.output).toContain(`cloudrim-boot: s3://${BUCKET}/${first.key} verified: ${first.sha256}`);
      await sandbox.waitUntilServing(sandbox.ports, 30_000, false);
      for (const port of sandbox.ports) {
        const answer = (await whoServes(port)) as unknown as { version: string; port: number; node: string };
        expect(answer).toMatchObject({ version: "1.0.0", port, node: `v${PINNED_NODE.version}` });
      }
    } finally {
      await sandbox.stop();
    }
  });

  it("starts nothing when the digest does not match, and says which digest it expected and which it got", async () => {
    const wrong = "0".repeat(64);
    const sandbox = await boot(first, wrong);
    try {
      expect(sandbox.boot.status).toBe(1);
      const mismatches = sandbox.boot.output.split("\n").filter((line) => line.includes("sha256 mismatch"));
      expect(mismatches).toHaveLength(5);
      expect(mismatches[0]).toBe(
        `cloudrim-boot: s3://${BUCKET}/${first.key}: sha256 mismatch: expected ${wrong}, got ${first.sha256} (attempt 1 of 5)`,
      );
      expect(sandbox.boot.output).toContain("cloudrim-boot: giving up: nothing was started");
      expect(sandbox.boot.output).toContain(
        `cloudrim-boot: abandoning the launch: s3://${BUCKET}/${first.key} could not be fetched and verified`,
      );
      expect(abandoned(sandbox)).toBe(true);
      expect(readdirSync(join(sandbox.root, "etc/service"))).toEqual([]);
      expect(readdirSync(join(sandbox.root, "opt/cloudrim"))).not.toContain("current");
      for (const port of sandbox.ports) expect(await whoServes(port)).toBeUndefined();
    } finally {
      await sandbox.stop();
    }
  });

  it("abandons the launch, saying which port did not answer, when the release's processes never answer", async () => {
    // Listening, then wedged: the kernel accepts connections, nothing ever answers (a blocked event loop).
    const wedged = await release(
      "1.0.1-wedged",
      'require("node:net").createServer().listen(Number(process.env.PORT), process.env.HOST, () => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0));\n',
    );
    const sandbox = await boot(wedged, wedged.sha256, 5);
    try {
      expect(sandbox.boot.status).toBe(1);
      expect(sandbox.boot.output).toContain(`cloudrim-boot: s3://${BUCKET}/${wedged.key} verified: ${wedged.sha256}`);
      expect(sandbox.boot.output).toMatch(
        /cloudrim-boot: abandoning the launch: port \d+ did not answer http:\/\/127\.0\.0\.1:\d+\/ in 5 s; its log: \/var\/log\/cloudrim\/cloudrim-\d+\/current\n/,
      );
      expect(sandbox.boot.output).not.toContain("entering service");
      expect(abandoned(sandbox)).toBe(true);
    } finally {
      await sandbox.stop();
    }
  });

  it("serves the new version when a second release is booted", async () => {
    const second = await release("2.0.0");
    expect(second.sha256).not.toBe(first.sha256);
    const sandbox = await boot(second);
    try {
      await sandbox.waitUntilServing(sandbox.ports, 30_000, false);
      for (const port of sandbox.ports) {
        expect(((await whoServes(port)) as unknown as { version: string }).version).toBe("2.0.0");
      }
    } finally {
      await sandbox.stop();
    }
  });
});
