/*
 * make teardown / npm run teardown: destroys the local fleet in reverse order (regions in parallel,
 * then the hosted zone, then the state bucket, emptied first), then stops the moto_server the demo
 * started.
 */
import { handleInterrupts } from "../ops/interrupt";
import { existsSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { progressPrinter, runMain, UserFacingError } from "../ops/console";
import { outcomeReport, synthesize } from "../ops/fleet-ops";
import { destroyStacks } from "../ops/stack-runs";
import { localFleet, MOTO_PID_FILE } from "../ops/local-setup";
import { probeEndpoint } from "../ops/local-aws";

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

async function main(): Promise<number> {
  const progress = progressPrinter("teardown");
  handleInterrupts(progress);
  const fleet = localFleet(progress);

  if ((await probeEndpoint(fleet.target.endpoint)) !== "moto") {
    progress(`no local AWS answers at ${fleet.target.endpoint}: nothing to destroy`);
  } else {
    const stacks = await synthesize(fleet.context);
    const outcomes = await destroyStacks(fleet.context, stacks);
    const failed = outcomes.filter((o) => !o.ok);
    if (failed.length > 0) {
      for (const f of failed) process.stderr.write(`${outcomeReport(f)}\n`);
      throw new UserFacingError(`${failed.length} stack(s) failed to destroy; the local AWS is left running to retry`);
    }
  }
  stopMotoWeStarted(progress);
  // Local state the project's earlier layout kept describes a bucket that no longer exists.
  for (const file of readdirSync(fleet.context.workDir).filter((f) =>
    f.startsWith(`terraform.${fleet.plan.state.stackName}.tfstate`),
  )) {
    rmSync(join(fleet.context.workDir, file));
  }
  progress("done");
  return 0;
}

if (require.main === module) runMain(main, "teardown");
