import { cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ChildProcess } from "node:child_process";
import { CreateBucketCommand } from "@aws-sdk/client-s3";
import { HostSandbox, launchTemplateUserData, whoServes } from "../../host/sandbox";
import type { FleetConfig } from "../../lib/config";
import { defaultReleaseKey, PINNED_NODE, type ReleaseLocation } from "../../lib/release";
import { planOrThrow } from "../../lib/validate";
import { regionClients } from "../../ops/aws-clients";
import { startMoto } from "../../ops/local-aws";
import { packRelease, uploadRelease } from "../../ops/release";
import { freePort } from "../e2e/local-fleet";
import { baseFleet } from "../fixtures";

// Real runit, node and curl: each boot fetches a release from a private local AWS (moto) with
// credentials from an IMDSv2 stand-in, verifies it and only then starts the services.
jest.setTimeout(180_000);

const BUCKET = "acme-releases";

describe("a team's own service, shipped as a release", () => {
  let dir: string;
  let moto: ChildProcess;
  let endpoint: string;
  const local = () => ({ kind: "local", endpoint }) as const;

  /** The fixture app at `version`, packed with the pinned Node.js and uploaded. */
  async function release(version: string): Promise<ReleaseLocation> {
    const app = join(dir, `app-${version}`);
    cpSync(join(__dirname, "fixtures", "release-app"), app, { recursive: true });
    writeFileSync(join(app, "package.json"), JSON.stringify({ name: "release-app", version, private: true }));
    const file = join(dir, `${version}.tgz`);
    const sha256 = packRelease(app, ["x64"], PINNED_NODE.version, file);
    const location = { bucket: BUCKET, key: defaultReleaseKey("cloudrim", sha256), region: "us-east-1", sha256 };
    expect(await uploadRelease(local(), location, file)).toBe("uploaded");
    return location;
  }

  async function boot(location: ReleaseLocation, sha256 = location.sha256) {
    const port = 30000 + Math.floor(Math.random() * 200) * 10;
    const config: FleetConfig = {
      ...baseFleet({ basePort: port, listenerPort: port, processes: 3, regions: [{ region: "us-east-1" }] }),
      app: { release: { bucket: location.bucket, key: location.key, sha256 } },
    };
    const plan = planOrThrow(config);
    const region = plan.regions[0];
    if (region === undefined) throw new Error("no region");
    return HostSandbox.start({
      region,
      userData: launchTemplateUserData(plan, region),
      s3Endpoint: endpoint,
      tolerateBootFailure: true,
    });
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "cloudrim-release-"));
    endpoint = `http://127.0.0.1:${await freePort()}`;
    moto = await startMoto(endpoint, join(dir, "moto.log"), false);
    await regionClients(local(), "us-east-1").s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  });

  afterAll(() => {
    moto.kill("SIGTERM");
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
      expect(readdirSync(join(sandbox.root, "etc/service"))).toEqual([]);
      expect(readdirSync(join(sandbox.root, "opt/cloudrim"))).not.toContain("current");
      for (const port of sandbox.ports) expect(await whoServes(port)).toBeUndefined();
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
