/*
 * The state stack keeps its own state in the bucket it creates. The first deploy cannot: the bucket
 * does not exist yet. So it bootstraps: a backend override file points the stack at a local state file,
 * Terraform creates the bucket, and `terraform init -migrate-state` moves that state into the bucket
 * (at `state.key`, locked like every other stack's). From then on any working copy, a fresh clone
 * included, plans the state stack against the state in the bucket. Destroying it (the local target's
 * teardown) runs the same steps backwards.
 */
import { existsSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
} from "@aws-sdk/client-s3";
import type { StateShape } from "../../fleet/shape";
import { ROLLOUT_RECORD_SUFFIX } from "../rollout-lock";
import type { Target } from "../../fleet/target";
import { regionClients } from "../../fleet/adapters/aws-clients";
import { applyStack, finish, init, terraform } from "../../terraform/adapters/runner";
import { stackDir, type FleetContext } from "../../terraform/adapters/context";
import type { StackOutcome } from "../../terraform/outcome";

/** Terraform reads `*_override.tf.json` after the stack's own file; this one replaces the backend. */
export const BACKEND_OVERRIDE = "cloudrim_local_backend_override.tf.json";

export type BucketStatus =
  /** No bucket of that name: the first deploy bootstraps it. */
  | { readonly kind: "missing" }
  /** Another account's bucket, or one these credentials may not read. */
  | { readonly kind: "forbidden" }
  /** Ours; `hasState` says whether the state stack's own state is in it yet. */
  | { readonly kind: "exists"; readonly hasState: boolean };

function statusCode(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
}

export async function stateBucketStatus(target: Target, state: StateShape): Promise<BucketStatus> {
  const { s3 } = regionClients(target, state.region);
  try {
    await s3.send(new HeadBucketCommand({ Bucket: state.bucket }));
  } catch (error) {
    const code = statusCode(error);
    if (code === 404) return { kind: "missing" };
    if (code === 403 || code === 301) return { kind: "forbidden" };
    throw error;
  }
  const hasState = await s3.send(new HeadObjectCommand({ Bucket: state.bucket, Key: state.key })).then(
    () => true,
    (error: unknown) => {
      if (statusCode(error) === 404) return false;
      throw error;
    },
  );
  return { kind: "exists", hasState };
}

export function forbiddenBucketMessage(state: StateShape): string {
  return (
    `state.bucket: "${state.bucket}" exists but these credentials may not use it (403): it belongs to another ` +
    "AWS account (bucket names are global) or your role lacks access; choose a name of your own or fix the role"
  );
}

/** Points the stack at a local state file until the override is removed. */
function overrideBackend(dir: string, statePath: string): void {
  writeFileSync(
    join(dir, BACKEND_OVERRIDE),
    `${JSON.stringify({ terraform: { backend: { local: { path: statePath } } } }, null, 2)}\n`,
  );
}

function removeOverride(dir: string): void {
  rmSync(join(dir, BACKEND_OVERRIDE), { force: true });
}

/**
 * Local state the state stack may have left: an interrupted bootstrap's or teardown's, or the file the
 * project's earlier layout kept in the working directory.
 */
export function localStateFiles(ctx: FleetContext, stack: string): string[] {
  const dir = stackDir(ctx, stack);
  return [
    join(dir, "bootstrap.tfstate"),
    join(dir, "teardown.tfstate"),
    join(ctx.workDir, `terraform.${stack}.tfstate`),
  ].filter((file) => existsSync(file));
}

/**
 * Moves the state in `localState` into the bucket: init against the local file, drop the override,
 * then `init -migrate-state -force-copy`. The local file is kept as `.migrated` until the copy is done.
 */
async function migrateIntoBucket(ctx: FleetContext, stack: string, log: string, localState: string) {
  const dir = stackDir(ctx, stack);
  overrideBackend(dir, localState);
  const local = await init(ctx, stack, log, ["-reconfigure"]);
  removeOverride(dir);
  if (local.code !== 0) return local;
  const moved = await init(ctx, stack, log, ["-migrate-state", "-force-copy"]);
  if (moved.code === 0) {
    for (const file of [localState, `${localState}.backup`]) {
      if (existsSync(file)) renameSync(file, `${file}.migrated`);
    }
  }
  return moved;
}

/**
 * Deploys the state stack: bootstraps the bucket on the first run, moves local state left by an
 * interrupted bootstrap (or by the old layout) into the bucket, and otherwise applies like any stack.
 */
export async function deployStateStack(ctx: FleetContext): Promise<StackOutcome> {
  const { state } = ctx.shape;
  const stack = state.stackName;
  const status = await stateBucketStatus(ctx.target, state);
  if (status.kind === "forbidden") {
    ctx.progress(`${stack}: ${forbiddenBucketMessage(state)}`);
    return { stack, status: "failed", summary: `failed: ${forbiddenBucketMessage(state)}`, log: "", seconds: 0 };
  }
  if (status.kind === "exists" && status.hasState) return applyStack(ctx, "deploy", stack);

  const started = Date.now();
  const log = join(ctx.logDir, `${stack}.deploy.log`);
  const dir = stackDir(ctx, stack);
  const leftover = localStateFiles(ctx, stack)[0];
  if (status.kind === "exists") {
    if (leftover === undefined) {
      const summary =
        `failed: state.bucket "${state.bucket}" exists but holds no state for its stack at s3://${state.bucket}/${state.key}, ` +
        `and this working copy has none either; if the bucket is this fleet's, adopt it (docs/state-and-locks.md, "Adopt an existing state bucket")`;
      ctx.progress(`${stack}: ${summary}`);
      return { stack, status: "failed", summary, log: "", seconds: 0 };
    }
    ctx.progress(`${stack}: moving its local state (${leftover}) into s3://${state.bucket}/${state.key}`);
    const moved = await migrateIntoBucket(ctx, stack, log, leftover);
    if (moved.code !== 0) return finish(ctx, stack, started, log, moved);
    return applyStack(ctx, "deploy", stack);
  }

  ctx.progress(`${stack}: bootstrapping: creating ${state.bucket} with local state, then moving the state into it`);
  const bootstrapState = join(dir, "bootstrap.tfstate");
  overrideBackend(dir, bootstrapState);
  const initialised = await init(ctx, stack, log, ["-reconfigure"]);
  const applied =
    initialised.code === 0
      ? await terraform(ctx, stack, log, ["apply", "-auto-approve", "-input=false", "-no-color"])
      : initialised;
  removeOverride(dir);
  if (applied.code !== 0) return finish(ctx, stack, started, log, applied);
  const moved = await init(ctx, stack, log, ["-migrate-state", "-force-copy"]);
  if (moved.code !== 0) return finish(ctx, stack, started, log, moved);
  for (const file of [bootstrapState, `${bootstrapState}.backup`]) rmSync(file, { force: true });
  ctx.progress(`${stack}: its state now lives in s3://${state.bucket}/${state.key}`);
  return finish(ctx, stack, started, log, { code: 0, output: applied.output });
}

/**
 * What in the bucket still belongs to another stack: a state file that still lists resources (a destroyed
 * stack leaves an empty one behind), a held lock, or any object that is not state at all. A region's rollout
 * record (`{state key}.rollout.json`) belongs to its state, and goes with the bucket.
 */
export async function otherStateKeys(target: Target, state: StateShape): Promise<string[]> {
  const { s3 } = regionClients(target, state.region);
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: state.bucket, ContinuationToken: token }));
    keys.push(...(page.Contents ?? []).map((o) => o.Key ?? ""));
    token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  const others = keys
    .filter((key) => key !== state.key && key !== `${state.key}.tflock` && !key.endsWith(ROLLOUT_RECORD_SUFFIX))
    .sort();
  const holding = await Promise.all(
    others.map(async (key) => {
      if (!key.endsWith(".tfstate")) return true;
      const object = await s3.send(new GetObjectCommand({ Bucket: state.bucket, Key: key }));
      return stateHasResources(await (object.Body?.transformToString() ?? "{}"));
    }),
  );
  return others.filter((_, i) => holding[i] === true);
}

/** Whether a Terraform state document still tracks anything. */
export function stateHasResources(text: string): boolean {
  try {
    const parsed = JSON.parse(text) as { resources?: unknown[] };
    return (parsed.resources ?? []).length > 0;
  } catch {
    return true; // not state we can read: keep it
  }
}

/** A versioned bucket only deletes when every version is gone. */
export async function emptyBucket(target: Target, state: StateShape): Promise<number> {
  const { s3 } = regionClients(target, state.region);
  let deleted = 0;
  for (;;) {
    const listing = await s3.send(new ListObjectVersionsCommand({ Bucket: state.bucket }));
    const objects = [...(listing.Versions ?? []), ...(listing.DeleteMarkers ?? [])].map((v) => ({
      Key: v.Key ?? "",
      VersionId: v.VersionId,
    }));
    if (objects.length === 0) return deleted;
    await s3.send(new DeleteObjectsCommand({ Bucket: state.bucket, Delete: { Objects: objects } }));
    deleted += objects.length;
  }
}

/**
 * Destroys the state stack and its bucket: refused while the bucket is protected (AWS) or holds any
 * other stack's state; otherwise the state moves out to a local file, the bucket is emptied of every
 * version, and Terraform destroys it.
 */
export async function destroyStateStack(ctx: FleetContext): Promise<StackOutcome> {
  const { state } = ctx.shape;
  const stack = state.stackName;
  const refuse = (summary: string): StackOutcome => {
    ctx.progress(`${stack}: ${summary}`);
    return { stack, status: "failed", summary, log: "", seconds: 0 };
  };
  if (state.preventDestroy) {
    return refuse(
      `refused: the state bucket ${state.bucket} is protected (prevent_destroy); docs/deploy-and-rollout.md ("Retire a deployment") says how to remove it on purpose`,
    );
  }
  const status = await stateBucketStatus(ctx.target, state);
  if (status.kind === "missing") {
    ctx.progress(`${stack}: the bucket ${state.bucket} is already gone`);
    return {
      stack,
      status: "succeeded",
      summary: "nothing to destroy: the bucket is already gone",
      log: "",
      seconds: 0,
    };
  }
  if (status.kind === "forbidden") return refuse(`failed: ${forbiddenBucketMessage(state)}`);
  const others = await otherStateKeys(ctx.target, state);
  if (others.length > 0) {
    return refuse(
      `refused: the bucket still holds other stacks' state (${others.join(", ")}); destroy those stacks first`,
    );
  }

  const started = Date.now();
  ctx.progress(`${stack}: destroying`);
  const log = join(ctx.logDir, `${stack}.destroy.log`);
  const dir = stackDir(ctx, stack);
  const localState = localStateFiles(ctx, stack)[0] ?? join(dir, "teardown.tfstate");
  const steps = async () => {
    // Into the bucket's backend first (a fresh working copy has none), then out to a local file.
    if (status.hasState) {
      const remote = await init(ctx, stack, log);
      if (remote.code !== 0) return remote;
      overrideBackend(dir, localState);
      const out = await init(ctx, stack, log, ["-migrate-state", "-force-copy"]);
      if (out.code !== 0) return out;
    } else {
      overrideBackend(dir, localState);
      const local = await init(ctx, stack, log, ["-reconfigure"]);
      if (local.code !== 0) return local;
    }
    const count = await emptyBucket(ctx.target, state);
    ctx.progress(`${stack}: emptied the state bucket (${count} object versions)`);
    return terraform(ctx, stack, log, ["destroy", "-auto-approve", "-input=false", "-no-color"]);
  };
  const destroyed = await steps();
  removeOverride(dir);
  if (destroyed.code === 0) for (const file of [localState, `${localState}.backup`]) rmSync(file, { force: true });
  return finish(ctx, stack, started, log, destroyed);
}
