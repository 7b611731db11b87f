import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { createHash } from "node:crypto";
import { basename, join, resolve } from "node:path";
import { DeleteObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import type { FleetShape } from "../../fleet/shape";
import {
  lockHolderRecord,
  lockHolderRecordJson,
  lockReport,
  parseLockHolderRecord,
  parseLockObject,
  unlockVerdict,
  type LockHolderRecord,
  type StateLock,
} from "../lock";
import type { Target } from "../../fleet/target";
import { readObjectText, regionClients } from "../../fleet/adapters/aws-clients";
import { UserFacingError } from "../../cli/console";
import { ROLLOUT_LOCK_NAME, rolloutLockStateKey } from "../rollout-lock";

/** `{key}.tflock`: where Terraform's S3 backend (use_lockfile) keeps a state's lock. */
export function lockKeyOf(state: { readonly key: string }): string {
  return `${state.key}.tflock`;
}

/** The lock object at `key`, read as state/lock.ts reads it; undefined when there is none. */
export async function readStateLock(s3: S3Client, bucket: string, key: string): Promise<StateLock | undefined> {
  const text = await readObjectText(s3, bucket, key);
  return text === undefined ? undefined : parseLockObject(text);
}

/** Where a stack of the fleet keeps its state (and so its lock, `{key}.tflock`). */
export function stateOf(shape: FleetShape, stack: string): { bucket: string; region: string; key: string } {
  if (stack === shape.state.stackName) return shape.state;
  // The fleet's rollout lock (state/rollout-lock.ts): a lock like a stack's, with no state of its own.
  if (stack === ROLLOUT_LOCK_NAME) return { ...shape.state, key: rolloutLockStateKey(shape.state.key) };
  if (stack === shape.hostedZone?.stackName) return shape.hostedZone.state;
  const region = shape.regions.find((r) => r.stackName === stack);
  if (region !== undefined) return region.state;
  const stacks = [shape.state.stackName, ...(shape.hostedZone === undefined ? [] : [shape.hostedZone.stackName])];
  throw new UserFacingError(
    `${stack} is not a stack of this fleet; its stacks: ${[...stacks, ...shape.regions.map((r) => r.stackName)].join(", ")}`,
  );
}

/** `.local/locks`: where a checkout records the Terraform it starts for each stack. */
export function lockRecordDir(project: string): string {
  return join(project, ".local", "locks");
}

/**
 * `.local/locks/{stack}.{digest}.json`: the Terraform this checkout last started in a stack's directory. Keyed
 * by the directory, not only the stack's name: two synth outputs (another --outdir, a test's fleet) may hold
 * stacks of the same name with state elsewhere.
 */
export function lockHolderFile(recordDir: string, stackDir: string): string {
  const digest = createHash("sha256").update(resolve(stackDir)).digest("hex").slice(0, 12);
  return join(recordDir, `${basename(stackDir)}.${digest}.json`);
}

/**
 * Records the Terraform just started in `stackDir` with `args` when it may take the state lock (it was given
 * a lock timeout), replacing the stack's previous record; written whole, then renamed.
 */
export function recordLockHolder(recordDir: string, stackDir: string, pid: number, lockTimeoutSeconds: number): void {
  mkdirSync(recordDir, { recursive: true });
  const file = lockHolderFile(recordDir, stackDir);
  const record = lockHolderRecord(basename(stackDir), pid, hostname(), new Date(), lockTimeoutSeconds);
  writeFileSync(`${file}.${process.pid}`, lockHolderRecordJson(record));
  renameSync(`${file}.${process.pid}`, file);
}

export function readLockHolder(recordDir: string, stackDir: string): LockHolderRecord | undefined {
  try {
    return parseLockHolderRecord(readFileSync(lockHolderFile(recordDir, stackDir), "utf8"));
  } catch {
    return undefined;
  }
}

/**
 * Whether a process with this pid runs on this machine (one we may not signal runs too). A zombie, dead
 * and not yet reaped by whoever inherited it, runs no more.
 */
export function pidRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
  return !zombie(pid);
}

/** `Z` in /proc/{pid}/stat's state field (Linux); elsewhere, or once it is gone, not a zombie. */
function zombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) === "Z";
  } catch {
    return false;
  }
}

export interface UnlockOutcome {
  readonly lines: readonly string[];
  /** 0: released, or there was no lock; 1: held, and not released. */
  readonly code: 0 | 1;
}

/**
 * Shows who holds a stack's lock, and releases it only with `force`, or without it when its holder is
 * provably gone: the Terraform this checkout recorded taking it (`recordDir`) runs no more on this machine
 * (state/lock.ts, `unlockVerdict`). Never on a guess: the lock is read again just before it is deleted,
 * and left alone if it changed hands.
 */
export async function unlockStack(
  shape: FleetShape,
  target: Target,
  stack: string,
  options: {
    readonly force: boolean;
    /** Where this checkout records the Terraform it starts (`lockRecordDir`). */
    readonly recordDir: string;
    /** The stack's directory, where the runner started its Terraform. */
    readonly stackDir: string;
    readonly now?: Date;
    readonly host?: string;
  },
): Promise<UnlockOutcome> {
  const state = stateOf(shape, stack);
  const s3 = regionClients(target, state.region).s3;
  const lockKey = lockKeyOf(state);
  const read = () => readStateLock(s3, state.bucket, lockKey);
  const lock = await read();
  if (lock === undefined) return { code: 0, lines: [`${stack}: not locked (s3://${state.bucket}/${lockKey})`] };
  const [held, release] = lockReport(stack, lock, options.now ?? new Date());
  const record = readLockHolder(options.recordDir, options.stackDir);
  const verdict = unlockVerdict(
    lock,
    options.host ?? hostname(),
    record,
    record !== undefined && pidRunning(record.pid),
  );
  if (!options.force && !verdict.release) {
    return { code: 1, lines: [held ?? "", release ?? "", `${stack}: not released without --force: ${verdict.why}`] };
  }
  const again = await read();
  if (again?.id !== lock.id) {
    return { code: 1, lines: [held ?? "", `${stack}: the lock changed hands while it was read; nothing was released`] };
  }
  await s3.send(new DeleteObjectCommand({ Bucket: state.bucket, Key: lockKey }));
  const why = options.force ? "--force" : verdict.why;
  return { code: 0, lines: [held ?? "", `${stack}: released lock ${lock.id} (${why})`] };
}
