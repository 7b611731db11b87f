/*
 * Pure: a stack's state lock as an operator needs to read it. Terraform's S3 backend (use_lockfile) keeps
 * the lock as a JSON object beside the state, `{key}.tflock`, and prints the same fields under "Lock Info:"
 * when it cannot take the lock. Who holds it, doing what, since when, and the one command that releases it.
 */
import { ROLLOUT_LOCK_NAME } from "./rollout-lock";

export interface StateLock {
  readonly id: string;
  /** `OperationTypeApply`, `OperationTypePlan`, … as Terraform writes it. */
  readonly operation: string;
  /** `user@host` of the Terraform that took it. */
  readonly who: string;
  readonly version: string;
  readonly created: Date;
  /** `bucket/key` of the state. */
  readonly path: string;
}

/** The lock object's JSON (`{key}.tflock`). */
export function parseLockObject(json: string): StateLock | undefined {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const text = (value: unknown) => (typeof value === "string" ? value : "");
  const created = new Date(text(raw.Created));
  if (typeof raw.ID !== "string" || Number.isNaN(created.getTime())) return undefined;
  return {
    id: raw.ID,
    operation: text(raw.Operation),
    who: text(raw.Who),
    version: text(raw.Version),
    created,
    path: text(raw.Path),
  };
}

/** The "Lock Info:" block of Terraform's "Error acquiring the state lock". */
export function parseLockInfo(output: string): StateLock | undefined {
  const block = /Lock Info:\n((?: {2}\w+:.*\n?)+)/.exec(output)?.[1];
  if (block === undefined) return undefined;
  const field = (name: string) => new RegExp(`^ {2}${name}: +(.*)$`, "m").exec(block)?.[1]?.trim() ?? "";
  // `2026-11-25 00:00:00.123456 +0000 UTC`: Go's time format.
  const created = new Date(field("Created").replace(/^(\S+) (\S+) ([+-]\d{4}).*$/, "$1T$2$3"));
  const id = field("ID");
  if (id === "" || Number.isNaN(created.getTime())) return undefined;
  return {
    id,
    operation: field("Operation"),
    who: field("Who"),
    version: field("Version"),
    created,
    path: field("Path"),
  };
}

/** `OperationTypeApply` → `apply`. */
export function operationName(operation: string): string {
  const name = operation.replace(/^OperationType/, "").toLowerCase();
  return name === "" ? "an unknown operation" : name;
}

/** `6 d 3 h`, `12 min`, `40 s`: how long a lock has been held. */
export function formatAge(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours} h ${minutes % 60} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

/** The host part of `user@host`. */
export function lockHost(lock: StateLock): string {
  return lock.who.includes("@") ? lock.who.slice(lock.who.lastIndexOf("@") + 1) : "";
}

/**
 * What this checkout's runner records when it starts Terraform for a stack (`.local/locks/{stack}.json`):
 * Terraform's lock names only `user@host`, never the process, so the pid that may take the lock is kept
 * beside it. The last start wins: a stack's runs in one checkout never overlap.
 */
export interface LockHolderRecord {
  readonly stack: string;
  /** The Terraform process's own pid. */
  readonly pid: number;
  readonly host: string;
  readonly started: Date;
  /** How long after `started` that Terraform may take the lock: its lock timeout and its start-up. */
  readonly lockWithinSeconds: number;
}

/** The seconds a Terraform needs from its start to asking for the lock (reading its configuration and backend). */
export const TERRAFORM_START_UP_SECONDS = 120;

export function lockHolderRecord(
  stack: string,
  pid: number,
  host: string,
  started: Date,
  lockTimeoutSeconds: number,
): LockHolderRecord {
  return { stack, pid, host, started, lockWithinSeconds: lockTimeoutSeconds + TERRAFORM_START_UP_SECONDS };
}

/** The seconds of `-lock-timeout=60s` among a Terraform's arguments: only a run given one takes the lock. */
export function lockTimeoutOf(args: readonly string[]): number | undefined {
  for (const arg of args) {
    const seconds = /^-lock-timeout=(\d+)s$/.exec(arg)?.[1];
    if (seconds !== undefined) return Number(seconds);
  }
  return undefined;
}

export function lockHolderRecordJson(record: LockHolderRecord): string {
  return `${JSON.stringify({ ...record, started: record.started.toISOString() }, null, 2)}\n`;
}

/** A record's JSON, or undefined for anything else (a record that cannot be read proves nothing). */
export function parseLockHolderRecord(json: string): LockHolderRecord | undefined {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const started = new Date(typeof raw.started === "string" ? raw.started : Number.NaN);
  const { stack, pid, host, lockWithinSeconds } = raw;
  if (typeof stack !== "string" || typeof host !== "string" || Number.isNaN(started.getTime())) return undefined;
  if (typeof pid !== "number" || !Number.isInteger(pid) || pid <= 0) return undefined;
  if (typeof lockWithinSeconds !== "number" || lockWithinSeconds < 0) return undefined;
  return { stack, pid, host, started, lockWithinSeconds };
}

export interface UnlockVerdict {
  /** Whether the lock may be released without --force. */
  readonly release: boolean;
  /** Why: the proof that its holder is gone, or what keeps it from being one. */
  readonly why: string;
}

/**
 * Whether a lock is provably abandoned: it was taken on this machine, by the Terraform this checkout's
 * runner recorded for the stack (started before the lock was taken, and the lock taken within that run's
 * lock wait), and that pid runs no more. Anything less is a guess: another checkout's or another user's
 * Terraform on this machine, or one elsewhere, may still be writing the state.
 */
export function unlockVerdict(
  lock: StateLock,
  thisHost: string,
  record: LockHolderRecord | undefined,
  recordedPidRunning: boolean,
): UnlockVerdict {
  const host = lockHost(lock);
  const holder = record?.stack === ROLLOUT_LOCK_NAME ? "npm run deploy" : "Terraform";
  if (host !== thisHost) {
    return {
      release: false,
      why: `it was taken on ${host === "" ? "an unknown host" : host}, not on this machine (${thisHost})`,
    };
  }
  if (record?.host !== thisHost) {
    return {
      release: false,
      why: "no Terraform of this checkout is recorded for the stack on this machine: it may be another checkout's or user's",
    };
  }
  const takenAfterStart = (lock.created.getTime() - record.started.getTime()) / 1000;
  if (takenAfterStart < 0 || takenAfterStart > record.lockWithinSeconds) {
    return {
      release: false,
      why: `it was not taken by this checkout's last ${holder} for the stack (pid ${record.pid}, started ${record.started.toISOString()}): it may be another checkout's or user's`,
    };
  }
  if (recordedPidRunning) {
    return { release: false, why: `its holder, ${holder} pid ${record.pid} on this machine, is still running` };
  }
  return { release: true, why: `its holder, ${holder} pid ${record.pid} on this machine, is no longer running` };
}

/** One line on who holds a stack's lock, and one on the command that releases it. */
export function lockReport(stack: string, lock: StateLock, now: Date): string[] {
  const doing =
    lock.operation === "OperationTypeRollout"
      ? "npm run deploy's rollout of the fleet"
      : `${operationName(lock.operation)}, Terraform ${lock.version === "" ? "?" : lock.version}`;
  return [
    `${stack}: its state is locked by ${lock.who === "" ? "an unknown holder" : lock.who} (${doing}) ` +
      `since ${lock.created.toISOString()}, ${formatAge(now.getTime() - lock.created.getTime())} ago; lock ${lock.id}`,
    `release it once that run is gone: npm run unlock -- ${stack} --force (docs/runbook.md, "A deploy was interrupted")`,
  ];
}

/** A failed run's fix line for a held lock: the holder, since when, and what to do. */
export function lockHint(stack: string, lock: StateLock, now: Date): string {
  return (
    `another run holds this stack's state lock: ${lock.who === "" ? "an unknown holder" : lock.who} (${operationName(lock.operation)}) ` +
    `since ${lock.created.toISOString()}, ${formatAge(now.getTime() - lock.created.getTime())} ago; wait for it to finish, ` +
    `or once it is gone: npm run unlock -- ${stack} --force`
  );
}
