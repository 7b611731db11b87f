/*
 * make teardown / npm run teardown: destroys the local fleet in reverse order (regions in parallel,
 * then the hosted zone, then the state bucket, emptied first), then stops the moto_server the demo
 * started.
 */
import { existsSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { DeleteObjectsCommand, ListObjectVersionsCommand } from "@aws-sdk/client-s3";
import type { FleetPlan } from "../lib/plan";
import type { StackNode } from "../lib/stack-selection";
import type { Target } from "../lib/target";
import { regionClients } from "./aws-clients";
import { progressPrinter, runMain, UserFacingError } from "./console";
import { destroyStacks, outcomeReport, PROJECT, synthesize, type FleetContext, type StackOutcome } from "./fleet-ops";
import { localFleet, MOTO_PID_FILE } from "./local-setup";
import { probeEndpoint } from "./local-aws";

/** A versioned bucket only deletes when every version is gone; the state stack's destroy needs that. */
export async function emptyBucket(target: Target, region: string, bucket: string): Promise<number> {
  const s3 = regionClients(target, region).s3;
  let deleted = 0;
  for (;;) {
    const listing = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket })).catch(() => undefined);
    const objects = [...(listing?.Versions ?? []), ...(listing?.DeleteMarkers ?? [])].map((v) => ({
      Key: v.Key ?? "",
      VersionId: v.VersionId,
    }));
    if (objects.length === 0) return deleted;
    await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: objects } }));
    deleted += objects.length;
  }
}

/**
 * Destroys the fleet's stacks in reverse waves (regions, zone, state bucket), emptying the versioned
 * state bucket just before its own stack goes.
 */
export function destroyFleet(
  ctx: FleetContext,
  plan: FleetPlan,
  target: Target,
  stacks: readonly StackNode[],
): Promise<StackOutcome[]> {
  return destroyStacks(ctx, stacks, async (wave) => {
    if (wave.includes(plan.state.stackName)) {
      const count = await emptyBucket(target, plan.state.region, plan.state.bucket);
      ctx.progress(`emptied the state bucket (${count} object versions)`);
    }
  });
}

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
  const fleet = localFleet(progress);

  if ((await probeEndpoint(fleet.target.endpoint)) !== "moto") {
    progress(`no local AWS answers at ${fleet.target.endpoint}: nothing to destroy`);
  } else {
    const stacks = await synthesize(fleet.context);
    const outcomes = await destroyFleet(fleet.context, fleet.plan, fleet.target, stacks);
    const failed = outcomes.filter((o) => !o.ok);
    if (failed.length > 0) {
      for (const f of failed) process.stderr.write(`${outcomeReport(f)}\n`);
      throw new UserFacingError(`${failed.length} stack(s) failed to destroy; the local AWS is left running to retry`);
    }
  }
  stopMotoWeStarted(progress);
  // The state stack's local state describes a bucket that no longer exists.
  for (const file of readdirSync(PROJECT).filter((f) =>
    f.startsWith(`terraform.${fleet.plan.state.stackName}.tfstate`),
  )) {
    rmSync(join(PROJECT, file));
  }
  progress("done");
  return 0;
}

if (require.main === module) runMain(main, "teardown");
