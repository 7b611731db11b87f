import { readdirSync, readlinkSync } from "node:fs";
import { hostname } from "node:os";
import { DeleteObjectCommand, GetObjectCommand } from "@aws-sdk/client-s3";
import type { FleetShape } from "../../fleet/shape";
import { lockReport, parseLockObject, provablyAbandoned, type StateLock } from "../lock";
import type { Target } from "../../fleet/target";
import { regionClients } from "../../fleet/adapters/aws-clients";
import { UserFacingError } from "../../cli/console";

/** Where a stack of the fleet keeps its state (and so its lock, `{key}.tflock`). */
export function stateOf(shape: FleetShape, stack: string): { bucket: string; region: string; key: string } {
  if (stack === shape.state.stackName) return shape.state;
  if (stack === shape.hostedZone?.stackName) return shape.hostedZone.state;
  const region = shape.regions.find((r) => r.stackName === stack);
  if (region !== undefined) return region.state;
  const stacks = [shape.state.stackName, ...(shape.hostedZone === undefined ? [] : [shape.hostedZone.stackName])];
  throw new UserFacingError(
    `${stack} is not a stack of this fleet; its stacks: ${[...stacks, ...shape.regions.map((r) => r.stackName)].join(", ")}`,
  );
}

/** Whether a Terraform of this machine is working in `dir` now (its process's working directory). */
export function terraformRunningIn(dir: string): boolean {
  for (const pid of readdirSync("/proc").filter((entry) => /^\d+$/.test(entry))) {
    try {
      const exe = readlinkSync(`/proc/${pid}/exe`);
      if (/\/terraform$/.test(exe) && readlinkSync(`/proc/${pid}/cwd`) === dir) return true;
    } catch {
      // gone, or not ours to read
    }
  }
  return false;
}

export interface UnlockOutcome {
  readonly lines: readonly string[];
  /** 0: released, or there was no lock; 1: held, and not released. */
  readonly code: 0 | 1;
}

/**
 * Shows who holds a stack's lock, and releases it only with `force`, or without it when its holder ran on
 * this machine and no Terraform works in the stack's directory any more. Never on a guess: the lock is
 * read again just before it is deleted, and left alone if it changed hands.
 */
export async function unlockStack(
  shape: FleetShape,
  target: Target,
  stack: string,
  options: { readonly force: boolean; readonly stackDir: string; readonly now?: Date; readonly host?: string },
): Promise<UnlockOutcome> {
  const state = stateOf(shape, stack);
  const s3 = regionClients(target, state.region).s3;
  const lockKey = `${state.key}.tflock`;
  const read = async (): Promise<StateLock | undefined> => {
    try {
      const object = await s3.send(new GetObjectCommand({ Bucket: state.bucket, Key: lockKey }));
      return parseLockObject((await object.Body?.transformToString()) ?? "");
    } catch (error) {
      if ((error as { name?: string }).name === "NoSuchKey") return undefined;
      throw error;
    }
  };
  const lock = await read();
  if (lock === undefined) return { code: 0, lines: [`${stack}: not locked (s3://${state.bucket}/${lockKey})`] };
  const [held, release] = lockReport(stack, lock, options.now ?? new Date());
  const abandoned = provablyAbandoned(lock, options.host ?? hostname(), terraformRunningIn(options.stackDir));
  if (!options.force && !abandoned) return { code: 1, lines: [held ?? "", release ?? ""] };
  const again = await read();
  if (again?.id !== lock.id) {
    return { code: 1, lines: [held ?? "", `${stack}: the lock changed hands while it was read; nothing was released`] };
  }
  await s3.send(new DeleteObjectCommand({ Bucket: state.bucket, Key: lockKey }));
  const why = options.force ? "--force" : "its holder ran on this machine and no Terraform works in the stack any more";
  return { code: 0, lines: [held ?? "", `${stack}: released lock ${lock.id} (${why})`] };
}
