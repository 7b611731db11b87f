import { execFileSync, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PutParameterCommand } from "@aws-sdk/client-ssm";
import { HostSandbox, launchTemplateUserData, whoServes } from "../../host/adapters/sandbox";
import { inRoot, parseCloudConfig, shellScripts } from "../../host/cloud-config";
import type { FleetConfig } from "../../fleet/schema";
import { shapeOrThrow } from "../../fleet/validate";
import { regionClients } from "../../fleet/adapters/aws-clients";
import { startMoto } from "../../local-aws/adapters/emulator";
import { freePort } from "../e2e/local-fleet";
import { baseFleet, DEFAULT_APP } from "../fixtures";
import { freeBase } from "./free-ports";

// Real runit, node and curl: an instance boots with the app's own configuration, its secrets read from a
// private local AWS (moto) with the role's credentials from an IMDSv2 stand-in, and its processes see them.
jest.setTimeout(180_000);

const REGION = "us-east-1";
/** Values no quoting mistake would carry intact: quotes, shell syntax, several lines, trailing blanks. */
const DB_PASSWORD = "p@ss 'word' $(id)\nsecond line  ";
const API_KEY = '{"user":"shop","key":"`whoami` \\\\ done"}';
const GREETING = "hello, world";

/** One signed call to the local Secrets Manager, as curl signs the instance's own: creates a secret, returns its ARN. */
function createSecret(endpoint: string, name: string, value: string): string {
  const answer = execFileSync(
    "curl",
    [
      "-sS",
      "--fail-with-body",
      "--max-time",
      "10",
      "--aws-sigv4",
      `aws:amz:${REGION}:secretsmanager`,
      "--user",
      "test:test",
      "-H",
      "X-Amz-Target: secretsmanager.CreateSecret",
      "-H",
      "Content-Type: application/x-amz-json-1.1",
      "--data-binary",
      JSON.stringify({ Name: name, SecretString: value }),
      `${endpoint}/`,
    ],
    { encoding: "utf8" },
  );
  return (JSON.parse(answer) as { ARN: string }).ARN;
}

/** The environment a running process sees, from /proc. */
function environmentOf(pid: number): Record<string, string> {
  return Object.fromEntries(
    readFileSync(`/proc/${pid}/environ`, "utf8")
      .split("\0")
      .filter((entry) => entry !== "")
      .map((entry) => [entry.slice(0, entry.indexOf("=")), entry.slice(entry.indexOf("=") + 1)]),
  );
}

describe("a service's own configuration: plain variables, an SSM parameter and a Secrets Manager secret", () => {
  let dir: string;
  let moto: ChildProcess;
  let endpoint: string;
  let secretArn: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "cloudrim-app-config-"));
    endpoint = `http://127.0.0.1:${await freePort()}`;
    moto = await startMoto(endpoint, join(dir, "moto.log"), false);
    await regionClients({ kind: "local", endpoint }, REGION).ssm.send(
      new PutParameterCommand({ Name: "/cloudrim/db-password", Type: "SecureString", Value: DB_PASSWORD }),
    );
    secretArn = createSecret(endpoint, "cloudrim/api-key", API_KEY);
  });

  afterAll(async () => {
    const exited = new Promise((resolve) => moto.once("exit", resolve));
    moto.kill("SIGTERM");
    await exited;
    rmSync(dir, { recursive: true, force: true });
  });

  async function boot(secrets: Record<string, string>) {
    const port = await freeBase(2);
    const config: FleetConfig = {
      ...baseFleet({ basePort: port, listenerPort: port, processes: 2, regions: [{ region: REGION }] }),
      app: { environment: { GREETING }, secrets },
    };
    const shape = shapeOrThrow(config, DEFAULT_APP);
    const region = shape.regions[0];
    if (region === undefined) throw new Error("no region");
    const userData = launchTemplateUserData(shape, region);
    const sandbox = await HostSandbox.start({
      region,
      userData,
      secretsEndpoint: endpoint,
      tolerateBootFailure: true,
    });
    return { sandbox, userData };
  }

  const parameterArn = (name: string) => `arn:aws:ssm:{region}:123456789012:parameter/cloudrim/${name}`;

  it("boots, and every process sees the variable, the parameter and the secret exactly, none of them in the user data or the boot's log", async () => {
    // The secret's ARN as a fleet file writes it: each region reads its own copy.
    const { sandbox, userData } = await boot({
      DB_PASSWORD: parameterArn("db-password"),
      API_KEY: secretArn.replace(`:${REGION}:`, ":{region}:"),
    });
    try {
      expect(sandbox.boot.status).toBe(0);
      expect(sandbox.boot.output).toContain(
        "cloudrim-boot: read 2 secrets into /etc/cloudrim/secrets: API_KEY, DB_PASSWORD\n",
      );
      await sandbox.waitUntilServing(sandbox.ports, 30_000, false);
      const serviceUid = execFileSync("id", ["-u", "cloudrim"], { encoding: "utf8" }).trim();
      for (const port of sandbox.ports) {
        const pid = (await whoServes(port))?.pid ?? 0;
        expect(environmentOf(pid)).toMatchObject({ GREETING, DB_PASSWORD, API_KEY, PORT: String(port) });
        expect(readFileSync(`/proc/${pid}/status`, "utf8")).toMatch(new RegExp(`^Uid:\\t${serviceUid}\\t`, "m"));
      }
      // Only root may read the values on the instance; nothing else the boot wrote holds them.
      const file = inRoot(sandbox.root, "/etc/cloudrim/secrets");
      expect((statSync(file).mode & 0o777).toString(8)).toBe("600");
      expect((statSync(inRoot(sandbox.root, "/etc/cloudrim")).mode & 0o777).toString(8)).toBe("700");
      expect(statSync(file).uid).toBe(0);
      expect(readdirSync(inRoot(sandbox.root, "/etc/cloudrim"))).toEqual(["secrets"]);
      for (const value of [DB_PASSWORD, API_KEY, "p@ss", "whoami"]) {
        expect({ value, inUserData: userData.includes(value) }).toEqual({ value, inUserData: false });
        expect({ value, inBootLog: sandbox.boot.output.includes(value) }).toEqual({ value, inBootLog: false });
      }
      expect(userData).toContain(`export GREETING='${GREETING}'`);
    } finally {
      await sandbox.stop();
    }
  });

  it("writes only shell scripts that pass shellcheck when the app has variables and secrets", () => {
    const config: FleetConfig = {
      ...baseFleet({ regions: [{ region: REGION }] }),
      app: { environment: { GREETING }, secrets: { DB_PASSWORD: parameterArn("db-password"), API_KEY: secretArn } },
    };
    const shape = shapeOrThrow(config, DEFAULT_APP);
    const scripts = shellScripts(parseCloudConfig(shape.regions[0]?.instance.userData ?? ""));
    expect(scripts.map((s) => s.path)).toContain("/usr/local/sbin/cloudrim-boot");
    for (const script of scripts) {
      const result = spawnSync("shellcheck", ["--shell=sh", "-"], { input: script.content, encoding: "utf8" });
      expect(result.error).toBeUndefined();
      expect({ path: script.path, findings: result.stdout }).toEqual({ path: script.path, findings: "" });
    }
  });

  it("abandons the launch, naming the parameter it could not read, and starts nothing", async () => {
    const missing = parameterArn("missing").replace("{region}", REGION);
    const { sandbox } = await boot({ DB_PASSWORD: parameterArn("db-password"), TOKEN: parameterArn("missing") });
    try {
      expect(sandbox.boot.status).toBe(1);
      const attempts = sandbox.boot.output.split("\n").filter((line) => line.startsWith("cloudrim-boot: secret TOKEN"));
      expect(attempts).toHaveLength(5);
      expect(attempts[0]).toBe(
        `cloudrim-boot: secret TOKEN (${missing}): ParameterNotFound (HTTP 400) (attempt 1 of 5)`,
      );
      expect(sandbox.boot.output).toContain(
        `cloudrim-boot: abandoning the launch: secret TOKEN could not be read from ${missing}: ParameterNotFound (HTTP 400)\n`,
      );
      expect(sandbox.autoScalingCalls.map((c) => [c.params.LifecycleActionResult, c.signed])).toEqual([
        ["ABANDON", true],
      ]);
      expect(readdirSync(inRoot(sandbox.root, "/etc/service"))).toEqual([]);
      // Neither the half-read file nor the one value that was read is left behind.
      expect(readdirSync(inRoot(sandbox.root, "/etc/cloudrim"))).toEqual([]);
      expect(existsSync(inRoot(sandbox.root, "/etc/cloudrim/secrets"))).toBe(false);
      expect(sandbox.boot.output).not.toContain("p@ss");
      for (const port of sandbox.ports) expect(await whoServes(port)).toBeUndefined();
    } finally {
      await sandbox.stop();
    }
  });
});
