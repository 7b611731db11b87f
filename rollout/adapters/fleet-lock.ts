/*
 * Takes and releases the fleet's rollout lock (state/rollout-lock.ts) in the state bucket. A deploy that finds
 * it held stops before it changes anything, saying who holds it and how to release it.
 */
import { randomUUID } from "node:crypto";
import { hostname, userInfo } from "node:os";
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import type { FleetShape } from "../../fleet/shape";
import { regionClients } from "../../fleet/adapters/aws-clients";
import { UserFacingError } from "../../cli/console";
import { lockReport, parseLockObject } from "../../state/lock";
import { ROLLOUT_LOCK_NAME, rolloutLockObject, rolloutLockStateKey } from "../../state/rollout-lock";
import { lockRecordDir, recordLockHolder } from "../../state/adapters/unlock";
import { PROJECT, stackDir, type FleetContext } from "../../terraform/adapters/context";

export interface HeldRolloutLock {
  readonly release: () => Promise<void>;
}

function lockLocation(shape: FleetShape) {
  return {
    bucket: shape.state.bucket,
    region: shape.state.region,
    key: `${rolloutLockStateKey(shape.state.key)}.tflock`,
  };
}

/**
 * Takes the rollout lock, or throws naming its holder. The deploy's own pid is recorded as its holder, so
 * `npm run unlock -- rollout` releases it without --force once this process is gone (a runner that died).
 */
export async function takeRolloutLock(
  ctx: Pick<FleetContext, "shape" | "target" | "outdir">,
): Promise<HeldRolloutLock> {
  const { bucket, region, key } = lockLocation(ctx.shape);
  const s3 = regionClients(ctx.target, region).s3;
  const id = randomUUID();
  recordLockHolder(lockRecordDir(PROJECT), stackDir(ctx, ROLLOUT_LOCK_NAME), process.pid, ["-lock-timeout=0s"]);
  const body = rolloutLockObject(
    { id, who: `${userInfo().username}@${hostname()}`, created: new Date(), path: `${bucket}/${key}` },
    "cloudrim-fleet",
  );
  try {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, IfNoneMatch: "*" }));
  } catch (error) {
    const name = (error as { name?: string }).name;
    // A fresh account: the deploy is about to create the bucket, and no other deploy can have started in it.
    if (name === "NoSuchBucket") return { release: () => Promise.resolve() };
    if (name !== "PreconditionFailed" && name !== "ConditionalRequestConflict") throw error;
    const held = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key })).catch(() => undefined);
    const lock = parseLockObject((await held?.Body?.transformToString()) ?? "");
    const lines =
      lock === undefined
        ? [`another deploy holds the fleet's rollout lock (s3://${bucket}/${key})`]
        : lockReport(ROLLOUT_LOCK_NAME, lock, new Date());
    throw new UserFacingError(
      `another rollout of this fleet is running: two rollouts must not interleave; nothing was changed.\n${lines.join("\n")}`,
    );
  }
  return {
    release: async () => {
      // Only our own: a lock released by hand and taken by another deploy since is not ours to delete.
      const current = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key })).catch(() => undefined);
      if (parseLockObject((await current?.Body?.transformToString()) ?? "")?.id !== id) return;
      await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    },
  };
}
