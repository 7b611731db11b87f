/*
 * npm run deploy -- [--outdir DIR] [stack globs...]
 *
 * Deploys the selected stacks (all by default) to the configured target (real AWS, or the local AWS
 * with CLOUDRIM_TARGET=local), wave by wave: the state bucket, the hosted zone, then every region in
 * parallel. `cdktf deploy '*'` cannot do this on a fresh account: cdktf 0.21 runs `terraform init`
 * for every selected stack before it deploys any, and a region's S3 backend cannot initialise before
 * its bucket exists. A region selected without the state stack is checked for its bucket first, so the
 * user reads which stack to deploy instead of Terraform's backend error.
 */
import { HeadBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { resolveFleet } from "../lib/fleet-input";
import type { FleetPlan } from "../lib/plan";
import { selectStacks } from "../lib/stack-selection";
import type { Target } from "../lib/target";
import { terraformEnv } from "../lib/terraform-env";
import { clientConfig } from "./aws-clients";
import { progressPrinter, runMain, UserFacingError } from "./console";
import {
  deployStacks,
  fleetContext,
  outcomeReport,
  PROJECT,
  synthesize,
  type FleetContext,
  type StackOutcome,
} from "./fleet-ops";
import { probeEndpoint } from "./local-aws";
import { terraformProblem } from "./terraform-check";

export interface StateBucket {
  readonly bucket: string;
  readonly region: string;
  readonly stackName: string;
}

/**
 * The state bucket that must already exist for this selection: every stack but the state stack keeps
 * its state there, so selecting any of them without the state stack needs the bucket in place.
 */
export function requiredStateBucket(plan: FleetPlan, selected: readonly string[]): StateBucket | undefined {
  const { state } = plan;
  const usesBucket = selected.some((name) => name !== state.stackName);
  return usesBucket && !selected.includes(state.stackName) ? state : undefined;
}

export function missingBucketMessage(state: StateBucket): string {
  return (
    `state.bucket: "${state.bucket}" does not exist in ${state.region}, and the selected stacks keep their state there; ` +
    `deploy the state stack first (npm run deploy -- ${state.stackName}) or add it to the selection`
  );
}

/** HeadBucket: 404 means missing; any other answer (403: someone else's) is left for Terraform to report. */
export async function bucketExists(target: Target, bucket: string, region: string): Promise<boolean> {
  const s3 = new S3Client(clientConfig(target, region));
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
    return true;
  } catch (error) {
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    return status !== 404;
  } finally {
    s3.destroy();
  }
}

/** Synth, select, check the state bucket, deploy in waves. Throws UserFacingError before deploying anything. */
export async function deployFleet(
  ctx: FleetContext,
  plan: FleetPlan,
  target: Target,
  globs: readonly string[],
): Promise<StackOutcome[]> {
  if (target.kind === "local" && (await probeEndpoint(target.endpoint)) !== "moto") {
    throw new UserFacingError(
      `no local AWS answers at ${target.endpoint}: start one with \`make demo\`, or run moto_server -H 127.0.0.1 -p <port> and set CLOUDRIM_LOCAL_ENDPOINT`,
    );
  }
  ctx.progress("synthesizing");
  const stacks = await synthesize(ctx);
  const selection = selectStacks(
    stacks.map((s) => s.name),
    globs,
  );
  if (!selection.ok) throw new UserFacingError(selection.error);
  const state = requiredStateBucket(plan, selection.stacks);
  if (state !== undefined && !(await bucketExists(target, state.bucket, state.region))) {
    throw new UserFacingError(missingBucketMessage(state));
  }
  return deployStacks(
    ctx,
    stacks.filter((s) => selection.stacks.includes(s.name)),
  );
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { outdir: { type: "string", default: process.env.CDKTF_OUTDIR ?? "cdktf.out" } },
  });
  const problem = terraformProblem();
  if (problem !== undefined) throw new UserFacingError(problem);
  const env = terraformEnv(PROJECT);
  const fleet = resolveFleet(env, process.cwd());
  if (!fleet.ok) throw new UserFacingError(fleet.message);
  const ctx = fleetContext(env, resolve(values.outdir), progressPrinter("deploy"), process.cwd());
  const outcomes = await deployFleet(ctx, fleet.plan, fleet.target, positionals);
  for (const o of outcomes) process.stdout.write(`${outcomeReport(o)}\n`);
  const failed = outcomes.filter((o) => !o.ok).length;
  if (failed > 0) throw new UserFacingError(`${failed} stack(s) failed; the others are deployed. Fix and run again.`);
  return 0;
}

if (require.main === module) runMain(main, "deploy");
