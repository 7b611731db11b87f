/*
 * Pure: a stack's state lock as an operator needs to read it. Terraform's S3 backend (use_lockfile) keeps
 * the lock as a JSON object beside the state, `{key}.tflock`, and prints the same fields under "Lock Info:"
 * when it cannot take the lock. Who holds it, doing what, since when, and the one command that releases it.
 */

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
 * Whether the lock may be released without --force: its holder ran on this machine, and no Terraform
 * of this machine works in the stack's directory any more. A holder elsewhere may still be running.
 */
export function provablyAbandoned(lock: StateLock, thisHost: string, terraformRunningHere: boolean): boolean {
  return lockHost(lock) === thisHost && !terraformRunningHere;
}

/** One line on who holds a stack's lock, and one on the command that releases it. */
export function lockReport(stack: string, lock: StateLock, now: Date): string[] {
  return [
    `${stack}: its state is locked by ${lock.who === "" ? "an unknown holder" : lock.who} (${operationName(lock.operation)}, Terraform ${lock.version === "" ? "?" : lock.version}) ` +
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
