import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { join } from "node:path";
import { connect } from "node:net";
import { CloudWatchClient, DeleteAlarmsCommand, PutCompositeAlarmCommand } from "@aws-sdk/client-cloudwatch";
import { clientConfig } from "../../fleet/adapters/aws-clients";
import { httpGet } from "../../cli/http";
import { endpointPort, LOCAL_AWS_COMMAND } from "../../fleet/target";

/** What answers on the local AWS endpoint. */
export type EndpointState = "free" | "moto" | "other";

export class LocalAwsError extends Error {}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => {
      resolve(false);
    });
  });
}

/** moto serves its dashboard at /moto-api/ (titled "Moto"); anything else on the port is not ours. */
export async function probeEndpoint(endpoint: string): Promise<EndpointState> {
  if (!(await portOpen(endpointPort(endpoint)))) return "free";
  try {
    const { status, body } = await httpGet(`${endpoint}/moto-api/`, 3000);
    return status === 200 && body.includes("<title>Moto</title>") ? "moto" : "other";
  } catch {
    return "other";
  }
}

/** The Python that runs the local AWS and its own tests: the python3 first on PATH (CI puts moto's venv first). */
export const PYTHON = "python3";

/** moto with the fixes our stacks need (local-aws/moto_server.py, local-aws/fixes/), run by PYTHON. */
const MOTO_LAUNCHER = join(__dirname, "..", "moto_server.py");

const PROBE_ALARM = "cloudrim-local-aws-probe";

/**
 * Whether the moto on the endpoint has local-aws/moto_server.py's fixes: a plain moto_server answers
 * PutCompositeAlarm with "not implemented", and the AWS provider retries that for many minutes. Creates
 * and deletes one composite alarm.
 */
export async function hasFleetFixes(endpoint: string): Promise<boolean> {
  const cloudWatch = new CloudWatchClient({
    ...clientConfig({ kind: "local", endpoint }, "us-east-1"),
    maxAttempts: 1,
  });
  try {
    await cloudWatch.send(new PutCompositeAlarmCommand({ AlarmName: PROBE_ALARM, AlarmRule: "FALSE" }));
    await cloudWatch.send(new DeleteAlarmsCommand({ AlarmNames: [PROBE_ALARM] }));
    return true;
  } catch {
    return false;
  } finally {
    cloudWatch.destroy();
  }
}

/** The refusal for a local AWS that lacks the fixes. */
export function plainMotoMessage(endpoint: string): string {
  return (
    `the local AWS at ${endpoint} is a plain moto_server, without the fixes the fleet's alarms and scaling policy need ` +
    `(local-aws/moto_server.py; docs/local-aws.md): stop it and run \`make demo\`, or start it with \`${LOCAL_AWS_COMMAND}\``
  );
}

export function motoServerInstalled(): boolean {
  return spawnSync(PYTHON, ["-c", "import moto.server"], { stdio: "ignore" }).status === 0;
}

/**
 * How long moto_server may take to answer once started: about 3 s of CPU to import moto and its backends, which
 * a machine starting a dozen such things at once (the test suite's first minute on two cores) stretches well past
 * 20 s.
 */
const MOTO_START_SECONDS = 90;

/**
 * Starts moto_server (with local-aws/moto_server.py's fixes) on the endpoint's loopback port. `detached` keeps it running after this process
 * exits (the demo; `teardown` stops it); tests keep it attached and kill it themselves.
 */
export async function startMoto(
  endpoint: string,
  logFile: string,
  detached: boolean,
  /** The emulator's own settings (CLOUDRIM_LOCAL_AWS_…, docs/local-aws-internals.md). */
  settings: NodeJS.ProcessEnv = {},
): Promise<ChildProcess> {
  if (!motoServerInstalled()) {
    throw new LocalAwsError(
      "moto_server is not installed: install the local AWS with `pip install 'moto[server]==5.2.1'` (Python 3; the version local-aws/moto_server.py patches), then run this again",
    );
  }
  const state = await probeEndpoint(endpoint);
  if (state === "other") {
    throw new LocalAwsError(
      `port ${endpointPort(endpoint)} is taken by something that is not moto; stop it, or set CLOUDRIM_LOCAL_ENDPOINT to another loopback port (e.g. http://127.0.0.1:5056)`,
    );
  }
  const log = openSync(logFile, "a");
  const child = spawn(PYTHON, [MOTO_LAUNCHER, "-H", "127.0.0.1", "-p", String(endpointPort(endpoint))], {
    // AWS's managed policies (Session Manager's, for the instance role) exist only when moto loads them.
    env: { ...process.env, ...settings, MOTO_IAM_LOAD_MANAGED_POLICIES: "true" },
    detached,
    stdio: ["ignore", log, log],
  });
  closeSync(log); // the child has its own copy
  if (detached) child.unref();
  const deadline = Date.now() + MOTO_START_SECONDS * 1000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new LocalAwsError(`moto_server exited at start (code ${child.exitCode}); see ${logFile}`);
    if ((await probeEndpoint(endpoint)) === "moto") return child;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  child.kill("SIGKILL");
  throw new LocalAwsError(`moto_server did not answer on ${endpoint} within ${MOTO_START_SECONDS} s; see ${logFile}`);
}
