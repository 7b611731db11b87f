import { BUILT_IN_FLEETS } from "../regions";
import { existsSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { defineCommand, FLEET_ENVIRONMENT, startCommand } from "../cli/command";
import { UserFacingError } from "../cli/console";
import { outcomeReport } from "../terraform/outcome";
import { synthesize } from "../terraform/adapters/synth";
import { destroyStacks } from "../rollout/adapters/stack-runs";
import { localFleet, MOTO_PID_FILE } from "../local-aws/adapters/local-setup";
import { probeEndpoint } from "../local-aws/adapters/emulator";
import { liveDirectory, stopRunner } from "../live/adapters/runner-process";

function stopMotoWeStarted(progress: (line: string) => void): void {
  if (!existsSync(MOTO_PID_FILE)) return;
  const pid = Number(readFileSync(MOTO_PID_FILE, "utf8"));
  try {
    // The demo started it detached, as the leader of its own process group: stop the whole group.
    process.kill(-pid, "SIGTERM");
    progress(`stopped the local AWS (pid ${pid})`);
  } catch {
    progress(`the local AWS (pid ${pid}) had already stopped`);
  }
  rmSync(MOTO_PID_FILE, { force: true });
}

async function teardown(progress: (line: string) => void): Promise<number> {
  const fleet = localFleet(progress, BUILT_IN_FLEETS);

  if ((await probeEndpoint(fleet.target.endpoint)) !== "moto") {
    progress(`no local AWS answers at ${fleet.target.endpoint}: nothing to destroy`);
  } else {
    const stacks = await synthesize(fleet.context);
    const outcomes = await destroyStacks(fleet.context, stacks);
    const failed = outcomes.filter((o) => o.status !== "succeeded");
    if (failed.length > 0) {
      for (const f of failed) process.stderr.write(`${outcomeReport(f)}\n`);
      throw new UserFacingError(`${failed.length} stack(s) failed to destroy; the local AWS is left running to retry`);
    }
  }
  // After the destroy: the runner has stopped the instances the groups terminated; it stops the rest and the proxies.
  if (await stopRunner(liveDirectory(fleet.env)))
    progress("stopped the live fleet: no instance, proxy or namespace left");
  stopMotoWeStarted(progress);
  // Local state the project's earlier layout kept describes a bucket that no longer exists.
  for (const file of readdirSync(fleet.context.workDir).filter((f) =>
    f.startsWith(`terraform.${fleet.shape.state.stackName}.tfstate`),
  )) {
    rmSync(join(fleet.context.workDir, file));
  }
  progress("done");
  return 0;
}

export const command = defineCommand({
  name: "teardown",
  summary: "Destroys what make demo deployed on the local AWS, and stops the local AWS the demo started.",
  description: [
    "make teardown runs it. It destroys the local fleet in reverse order (the regions in parallel, then the hosted zone, then the state bucket, emptied first), including what an interrupted apply created but never recorded, then stops the live fleet (every instance, proxy and network namespace) and the moto_server the demo started. It only ever works on the local AWS (whatever CLOUDRIM_TARGET says), so it never asks.",
  ],
  options: {},
  environment: FLEET_ENVIRONMENT.filter((e) => e.name !== "CLOUDRIM_TARGET"),
  exitCodes: [
    { code: 0, meaning: "torn down (or no local AWS answered: nothing to destroy)" },
    { code: 1, meaning: "a stack failed to destroy (the local AWS is left running to retry)" },
  ],
  onInterrupt: "finish",
  run: (_args, { progress }) => teardown(progress),
});

if (require.main === module) startCommand(command);
