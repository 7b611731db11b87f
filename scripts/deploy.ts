/*
 * npm run deploy -- [--outdir DIR] [--stall-after SECONDS] [stack globs...]
 *
 * Deploys the selected stacks (all by default) to the configured target (real AWS, or the local AWS
 * with CLOUDRIM_TARGET=local), wave by wave: the state bucket, the hosted zone, then every region in
 * parallel. This is the one-command bootstrap: on a fresh account the state stack creates its bucket
 * and moves its own state into it before any other stack initialises its backend there. A region
 * selected without the state stack is checked for its bucket first, so the user reads which stack to
 * deploy instead of Terraform's backend error.
 */
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { resolveFleet, substitutionLines } from "../lib/fleet-input";
import type { FleetPlan, StatePlan } from "../lib/plan";
import { selectStacks } from "../lib/stack-selection";
import { terraformEnv } from "../lib/terraform-env";
import { progressPrinter, runMain, UserFacingError } from "./console";
import { fleetContext, outcomeReport, PROJECT, synthesize, type FleetContext, type StackOutcome } from "./fleet-ops";
import { probeEndpoint } from "./local-aws";
import { deployStacks } from "./stack-runs";
import { forbiddenBucketMessage, stateBucketStatus } from "./state-stack";
import { terraformProblem } from "./terraform-check";

/**
 * The state bucket that must already exist for this selection: every stack but the state stack keeps
 * its state there, so selecting any of them without the state stack needs the bucket in place.
 */
export function requiredStateBucket(plan: FleetPlan, selected: readonly string[]): StatePlan | undefined {
  const { state } = plan;
  const usesBucket = selected.some((name) => name !== state.stackName);
  return usesBucket && !selected.includes(state.stackName) ? state : undefined;
}

export function missingBucketMessage(state: StatePlan): string {
  return (
    `state.bucket: "${state.bucket}" does not exist in ${state.region}, and the selected stacks keep their state there; ` +
    `deploy the state stack first (npm run deploy -- ${state.stackName}) or add it to the selection`
  );
}

/** Refuses, before anything runs, when the target or the state bucket cannot take this selection. */
export async function checkBeforeDeploy(ctx: FleetContext, selected: readonly string[]): Promise<void> {
  const { target, plan } = ctx;
  if (target.kind === "local" && (await probeEndpoint(target.endpoint)) !== "moto") {
    throw new UserFacingError(
      `no local AWS answers at ${target.endpoint}: start one with \`make demo\`, or run moto_server -H 127.0.0.1 -p <port> and set CLOUDRIM_LOCAL_ENDPOINT`,
    );
  }
  const status = await stateBucketStatus(target, plan.state);
  if (status.kind === "forbidden") throw new UserFacingError(forbiddenBucketMessage(plan.state));
  const required = requiredStateBucket(plan, selected);
  if (required !== undefined && status.kind === "missing") throw new UserFacingError(missingBucketMessage(required));
}

/** Synth, select, check the state bucket, deploy in waves. Throws UserFacingError before deploying anything. */
export async function deployFleet(ctx: FleetContext, globs: readonly string[]): Promise<StackOutcome[]> {
  ctx.progress("synthesizing");
  const stacks = await synthesize(ctx);
  const selection = selectStacks(
    stacks.map((s) => s.name),
    globs,
  );
  if (!selection.ok) throw new UserFacingError(selection.error);
  await checkBeforeDeploy(ctx, selection.stacks);
  return deployStacks(
    ctx,
    stacks.filter((s) => selection.stacks.includes(s.name)),
  );
}

/** `--stall-after 300`: whole seconds, at least 1. */
export function parseSeconds(option: string, value: string): number {
  const seconds = Number(value);
  if (!Number.isInteger(seconds) || seconds < 1) {
    throw new UserFacingError(`${option}: got "${value}"; must be a whole number of seconds, at least 1`);
  }
  return seconds;
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      outdir: { type: "string", default: process.env.CDKTF_OUTDIR ?? "cdktf.out" },
      "stall-after": { type: "string", default: "300" },
    },
  });
  const problem = terraformProblem();
  if (problem !== undefined) throw new UserFacingError(problem);
  const env = terraformEnv(PROJECT);
  const fleet = resolveFleet(env, process.cwd());
  if (!fleet.ok) throw new UserFacingError(fleet.message);
  const progress = progressPrinter("deploy");
  for (const line of substitutionLines(fleet)) progress(line);
  const ctx = fleetContext({
    env,
    outdir: resolve(values.outdir),
    progress,
    plan: fleet.plan,
    target: fleet.target,
    workDir: process.cwd(),
    stallSeconds: parseSeconds("--stall-after", values["stall-after"]),
  });
  const outcomes = await deployFleet(ctx, positionals);
  for (const o of outcomes) process.stdout.write(`${outcomeReport(o)}\n`);
  const failed = outcomes.filter((o) => !o.ok).length;
  if (failed > 0) {
    throw new UserFacingError(
      `${failed} stack(s) failed; the others are deployed. Fix and run again (logs: ${ctx.logDir}).`,
    );
  }
  return 0;
}

if (require.main === module) runMain(main, "deploy");
