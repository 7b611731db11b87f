import { BUILT_IN_FLEETS } from "../regions";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { counts } from "../review/changes";
import { changesOf } from "../terraform/plan-json";
import { defineCommand, FLEET_ENVIRONMENT, startCommand } from "../cli/command";
import { UserFacingError } from "../cli/console";
import { LOCAL_DIR, localFleet, MOTO_PID_FILE } from "../local-aws/adapters/local-setup";
import { outcomeReport } from "../terraform/outcome";
import { synthesize } from "../terraform/adapters/synth";
import {
  hasFleetFixes,
  LocalAwsError,
  plainMotoMessage,
  probeEndpoint,
  startMoto,
} from "../local-aws/adapters/emulator";
import { planStacks } from "../review/adapters/plan-stacks";
import { parallelismOf } from "../rollout/adapters/region";
import { deployStacks } from "../rollout/adapters/stack-runs";
import { formatRegion, observeRegion } from "../inspect/adapters/readback";
import { endpointLines, localEndpoints } from "../live/endpoints";
import { liveFleetUnavailable } from "../live/adapters/namespace";
import {
  liveAwsSettings,
  liveDirectory,
  logFile,
  sampleAnswers,
  startRunner,
  waitUntilServing,
} from "../live/adapters/runner-process";

/** How long the demo waits, after the deploy, for every load balancer to have a healthy instance. */
const SERVING_SECONDS = 120;

async function demo(progress: (line: string) => void): Promise<number> {
  const fleet = localFleet(progress, BUILT_IN_FLEETS);
  const { context: ctx } = fleet;
  const endpoint = fleet.target.endpoint;

  const liveDir = liveDirectory(fleet.env);
  const unavailable = liveFleetUnavailable();
  if (unavailable !== undefined) progress(`the control plane only, no instance runs: ${unavailable}`);

  const state = await probeEndpoint(endpoint);
  if (state === "moto") {
    if (!(await hasFleetFixes(endpoint))) throw new UserFacingError(plainMotoMessage(endpoint));
    progress(`using the local AWS already running at ${endpoint}`);
  } else {
    progress(`starting the local AWS (moto_server) at ${endpoint}`);
    try {
      // Without the live fleet nothing puts metrics: alarms would judge missing data, so they are not evaluated.
      const settings = unavailable === undefined ? liveAwsSettings(liveDir) : {};
      const moto = await startMoto(endpoint, join(LOCAL_DIR, "moto.log"), true, settings);
      writeFileSync(MOTO_PID_FILE, String(moto.pid));
    } catch (error) {
      if (error instanceof LocalAwsError) throw new UserFacingError(error.message);
      throw error;
    }
  }

  if (unavailable === undefined) {
    const pid = startRunner(liveDir, fleet.env);
    progress(`the live fleet runs every instance the local AWS launches (pid ${pid}, log ${logFile(liveDir)})`);
  }

  progress("synthesizing");
  const stacks = await synthesize(ctx);
  const outcomes = await deployStacks(ctx, stacks);
  const failed = outcomes.filter((o) => o.status !== "succeeded");
  if (failed.length > 0) {
    for (const f of failed) process.stderr.write(`${outcomeReport(f)}\n`);
    throw new UserFacingError(`${failed.length} stack(s) failed to deploy; the others are up. Fix and run again.`);
  }

  progress("reading back what exists");
  const summaries = await Promise.all(
    fleet.shape.regions.map(async (region) => formatRegion(region, await observeRegion(fleet.target, region))),
  );
  process.stdout.write(`\n${summaries.join("\n\n")}\n\n`);

  progress("planning every stack again (expecting no changes)");
  const plans = await planStacks(
    { ...ctx, progress: () => undefined },
    stacks.map((s) => s.name),
    parallelismOf(ctx),
  );
  let clean = true;
  for (const plan of plans) {
    if (plan.status === "failed") {
      clean = false;
      process.stdout.write(`plan ${plan.stack}: failed\n${plan.error}\n`);
      continue;
    }
    const c = counts(changesOf(plan.plan));
    const total = c.create + c.update + c.replace + c.delete;
    if (total > 0) clean = false;
    process.stdout.write(
      `plan ${plan.stack}: ${total === 0 ? "no changes" : `${c.create} to add, ${c.update} to change, ${c.replace} to replace, ${c.delete} to destroy`}\n`,
    );
  }
  let serving = true;
  if (unavailable === undefined) {
    progress("waiting for every load balancer to have a healthy instance");
    const waiting = await waitUntilServing(liveDir, fleet.shape.regions, SERVING_SECONDS * 1000);
    serving = waiting.length === 0;
    if (!serving) {
      process.stdout.write(
        `\nno healthy instance after ${SERVING_SECONDS} s behind: ${waiting.join(", ")}; see ${logFile(liveDir)}\n`,
      );
    }
    const endpoints = localEndpoints(fleet.shape.regions);
    process.stdout.write(`\nEndpoints (npm run endpoints):\n${endpointLines(endpoints).join("\n")}\n`);
    process.stdout.write(
      `\nAnswers through the global name and each regional entry:\n${(await sampleAnswers(endpoints, 3)).join("\n")}\n`,
    );
  }
  process.stdout.write(`\nThe fleet is up on ${endpoint}. Tear it down with: make teardown\n`);
  return clean && serving ? 0 : 3;
}

export const command = defineCommand({
  name: "demo",
  summary: "The fleet on a local AWS (moto), end to end: deployed, read back, planned again.",
  description: [
    "make demo runs it. It starts the local AWS (moto_server) unless one runs and, as root on Linux, the live fleet (npm run live: every instance the local AWS launches boots in a network namespace of its own, behind real per-port load balancers on loopback addresses), deploys the state bucket, the hosted zone and every region, prints what exists per region, plans every stack again to show that nothing would change, then waits for every load balancer to have a healthy instance and prints the endpoints and a few answers through them. make teardown undoes all of it. It only ever works on the local AWS (whatever CLOUDRIM_TARGET says), so it never asks.",
  ],
  options: {},
  environment: FLEET_ENVIRONMENT.filter((e) => e.name !== "CLOUDRIM_TARGET"),
  exitCodes: [
    { code: 0, meaning: "the fleet is up, and planning again shows no changes" },
    { code: 1, meaning: "a stack failed to deploy, or the local AWS could not start" },
    {
      code: 3,
      meaning:
        "the fleet is up, but planning it again shows changes (or fails), or a load balancer has no healthy instance",
    },
  ],
  onInterrupt: "finish",
  run: (_args, { progress }) => demo(progress),
});

if (require.main === module) startCommand(command);
