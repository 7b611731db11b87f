/*
 * Retired regions (state/retired.ts) as the state bucket shows them, and their retirement: a stack of that
 * region with its provider and backend and no resource, planned and (once shown and agreed to, where a
 * terminal asks) that saved plan applied, destroys everything its state holds; then the empty state goes.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { rolloutRecordKey } from "../rollout-lock";
import { App } from "cdktf";
import { RetiredRegionStack } from "../../constructs/retired-region-stack";
import { changeSummary } from "../../review/confirmation";
import type { FleetShape } from "../../fleet/shape";
import { fleetStatePrefix, retiredRegions, type RetiredRegion } from "../retired";
import type { Target } from "../../fleet/target";
import { regionClients } from "../../fleet/adapters/aws-clients";
import type { Answer, Ask } from "../../cli/confirm";
import { UserFacingError } from "../../cli/console";
import { finish, init, terraform } from "../../terraform/adapters/runner";
import { lockTimeoutFlag, type FleetContext } from "../../terraform/adapters/context";
import type { StackOutcome } from "../../terraform/outcome";
import { planTo } from "../../terraform/adapters/runner";
import { stateHasResources } from "./bootstrap";

/** Every state key of the fleet in the bucket, with the number of resources each holds; none without a bucket. */
export async function fleetStates(target: Target, shape: FleetShape): Promise<Map<string, number>> {
  const { s3 } = regionClients(target, shape.state.region);
  const states = new Map<string, number>();
  let token: string | undefined;
  try {
    do {
      const page = await s3.send(
        new ListObjectsV2Command({
          Bucket: shape.state.bucket,
          Prefix: fleetStatePrefix(shape),
          ContinuationToken: token,
        }),
      );
      for (const object of page.Contents ?? []) {
        const key = object.Key ?? "";
        if (!key.endsWith(".tfstate")) continue;
        const body = await s3.send(new GetObjectCommand({ Bucket: shape.state.bucket, Key: key }));
        const text = await (body.Body?.transformToString() ?? "{}");
        const resources = stateHasResources(text)
          ? ((JSON.parse(text) as { resources?: { mode?: string }[] }).resources ?? []).filter(
              (r) => r.mode === "managed",
            ).length
          : 0;
        states.set(key, resources);
      }
      token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
  } catch (error) {
    const code = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (code === 404) return states; // no bucket yet: nothing retired
    throw error;
  }
  return states;
}

export async function findRetiredRegions(target: Target, shape: FleetShape): Promise<RetiredRegion[]> {
  return retiredRegions(shape, await fleetStates(target, shape));
}

/**
 * Destroys what a retired region's state still holds: a stack of that region with no resource, at the same
 * state key, is planned (Terraform destroys everything not in its configuration, in dependency order), shown
 * and asked about when `ask` is given, and that saved plan applied; then the emptied state is deleted. Returns
 * the answer when it was not yes (nothing was changed).
 */
export async function retireRegion(
  ctx: FleetContext,
  region: string,
  ask?: Ask,
): Promise<StackOutcome | Exclude<Answer, "yes">> {
  const { shape } = ctx;
  if (shape.regions.some((r) => r.region === region)) {
    throw new UserFacingError(
      `${region} is in the fleet file: a region retires when you remove it from regions[] (and from rollout.waves), then run this`,
    );
  }
  const retired = (await findRetiredRegions(ctx.target, shape)).find((r) => r.region === region);
  if (retired === undefined) {
    throw new UserFacingError(
      `no state of a retired region ${region} in s3://${shape.state.bucket}/${fleetStatePrefix(shape)}*: nothing to retire`,
    );
  }
  const app = new App({ outdir: ctx.outdir });
  new RetiredRegionStack(app, { shape, region, target: ctx.target });
  app.synth();
  const stack = retired.stack;
  const started = Date.now();
  const log = join(ctx.logDir, `${stack}.retire.log`);
  mkdirSync(ctx.logDir, { recursive: true });
  ctx.progress(`${stack}: planning the destruction of the ${retired.resources} resources its state still holds`);
  const initialised = await init(ctx, stack, log);
  if (initialised.code !== 0) return finish(ctx, stack, started, log, initialised);
  const planned = await planTo(ctx, stack, log, "retire.tfplan", []);
  if (!planned.ok) return finish(ctx, stack, started, log, planned);
  const answer = ask === undefined ? "yes" : await ask(changeSummary([{ stack, region, plan: planned.plan }]));
  if (answer !== "yes") return answer;
  const applied = await terraform(ctx, stack, log, [
    "apply",
    "-input=false",
    "-no-color",
    lockTimeoutFlag(ctx),
    "retire.tfplan",
  ]);
  const outcome = finish(ctx, stack, started, log, applied);
  if (outcome.status !== "succeeded") return outcome;
  const key = retired.state.replace(`s3://${shape.state.bucket}/`, "");
  const { s3 } = regionClients(ctx.target, shape.state.region);
  for (const object of [key, rolloutRecordKey(key)]) {
    await s3.send(new DeleteObjectCommand({ Bucket: shape.state.bucket, Key: object }));
  }
  ctx.progress(`${stack}: retired; its empty state ${retired.state} is deleted`);
  writeFileSync(join(ctx.logDir, `${stack}.retired`), `${retired.state}\n`);
  rmSync(join(ctx.outdir, "stacks", stack), { recursive: true, force: true });
  return outcome;
}
