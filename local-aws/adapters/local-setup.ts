import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { noticeLines, resolveFleet } from "../../fleet/adapters/resolve";
import type { BuiltInFleets } from "../../fleet/target";
import type { FleetShape } from "../../fleet/shape";
import { terraformEnv } from "../../terraform/adapters/env";
import { UserFacingError } from "../../cli/console";
import { fleetContext, PROJECT, type FleetContext } from "../../terraform/adapters/context";
import { terraformProblem } from "../../terraform/adapters/version";

/** Where the demo keeps what it starts and writes: moto's pid and log, per-run logs. */
export const LOCAL_DIR = join(PROJECT, ".local");
export const MOTO_PID_FILE = join(LOCAL_DIR, "moto.pid");

export interface LocalFleet {
  readonly env: NodeJS.ProcessEnv;
  readonly shape: FleetShape;
  readonly target: { readonly kind: "local"; readonly endpoint: string };
  readonly context: FleetContext;
}

/**
 * What `make demo` and `make teardown` share: checked tools, the local target, the validated fleet
 * (CLOUDRIM_CONFIG when set: a user's own fleet rehearses unchanged), its substitutions printed once.
 */
export function localFleet(progress: (line: string) => void, builtIn: BuiltInFleets): LocalFleet {
  const problem = terraformProblem();
  if (problem !== undefined) throw new UserFacingError(problem);
  const env = terraformEnv(PROJECT, { ...process.env, CLOUDRIM_TARGET: "local" });
  const fleet = resolveFleet(env, process.cwd(), builtIn);
  if (!fleet.ok) throw new UserFacingError(fleet.message);
  if (fleet.target.kind !== "local") throw new UserFacingError("internal: expected the local target");
  for (const line of noticeLines(fleet)) progress(line);
  mkdirSync(LOCAL_DIR, { recursive: true });
  const context = fleetContext({
    env,
    outdir: join(PROJECT, "cdktf.out"),
    progress,
    shape: fleet.shape,
    target: fleet.target,
    workDir: process.cwd(),
  });
  return { env, shape: fleet.shape, target: fleet.target, context };
}
