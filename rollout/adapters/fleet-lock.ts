/*
 * Takes and releases the fleet's rollout lock (state/rollout-lock.ts) in the state bucket. A deploy that finds
 * it held stops before it changes anything, saying who holds it and how to release it.
 */
import { randomUUID } from "node:crypto";
import { hostname, userInfo } from "node:os";
import { DeleteObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { regionClients } from "../../fleet/adapters/aws-clients";
import { UserFacingError } from "../../cli/console";
import { lockReport } from "../../state/lock";
import { ROLLOUT_LOCK_NAME, rolloutLockObject } from "../../state/rollout-lock";
import { lockKeyOf, lockRecordDir, readStateLock, recordLockHolder, stateOf } from "../../state/adapters/unlock";
import { PROJECT, stackDir, type FleetContext } from "../../terraform/adapters/context";

export interface HeldRolloutLock {
  readonly release: () => Promise<void>;
}

/**
 * Takes the rollout lock, or throws naming its holder. The deploy's own pid is recorded as its holder, so
 * `npm run unlock -- rollout` releases it without --force once this process is gone (a runner that died).
 */
export async function takeRolloutLock(
  ctx: Pick<FleetContext, "shape" | "target" | "outdir">,
): Promise<HeldRolloutLock> {
  // Where `npm run unlock -- rollout` looks for it: the same place as a stack's lock.
  const state = stateOf(ctx.shape, ROLLOUT_LOCK_NAME);
  const { bucket } = state;
  const key = lockKeyOf(state);
  const s3 = regionClients(ctx.target, state.region).s3;
  const id = randomUUID();
  // Taken at once or not at all: no lock wait.
  recordLockHolder(lockRecordDir(PROJECT), stackDir(ctx, ROLLOUT_LOCK_NAME), process.pid, 0);
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
    const lock = await readStateLock(s3, bucket, key);
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
      if ((await readStateLock(s3, bucket, key))?.id !== id) return;
      await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    },
  };
}
