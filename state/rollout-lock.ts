/*
 * Pure: the fleet's rollout lock. Terraform locks one stack's state for one run; a rollout spans every stack
 * and waits between them (refreshes, bakes), so two deploys could interleave: the second sees "No changes." in
 * a region the first is still baking, and moves on. A deploy takes this lock for its whole run: one object in
 * the state bucket, in the format of Terraform's own lock objects (state/lock.ts reads both), created only if
 * it does not exist (S3's If-None-Match), and deleted when the deploy ends. `npm run unlock -- rollout`
 * shows and releases it like a stack's.
 */
import type { StateLock } from "./lock";

/** A region's rollout record (rollout/record.ts) sits beside its state: `{state key}.rollout.json`. */
export const ROLLOUT_RECORD_SUFFIX = ".rollout.json";

export function rolloutRecordKey(stateKey: string): string {
  return `${stateKey}${ROLLOUT_RECORD_SUFFIX}`;
}

/** The name `npm run unlock` knows the rollout lock by. */
export const ROLLOUT_LOCK_NAME = "rollout";

/**
 * `cloudrim/shop/prod/rollout`: the lock's "state" key, beside the state stack's (the lock object itself is
 * `{key}.tflock`, as Terraform's are).
 */
export function rolloutLockStateKey(stateStackKey: string): string {
  return `${stateStackKey.slice(0, stateStackKey.lastIndexOf("/") + 1)}${ROLLOUT_LOCK_NAME}`;
}

/** The lock object a deploy writes, in Terraform's lock format. */
export function rolloutLockObject(lock: Omit<StateLock, "operation" | "version">, version: string): string {
  return `${JSON.stringify(
    {
      ID: lock.id,
      Operation: "OperationTypeRollout",
      Info: "npm run deploy: every stack of the fleet, wave by wave",
      Who: lock.who,
      Version: version,
      Created: lock.created.toISOString(),
      Path: lock.path,
    },
    null,
    2,
  )}\n`;
}
