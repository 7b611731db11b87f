import { loadFleetInput } from "./load-config";
import type { FleetPlan } from "./plan";
import { targetFromEnv, type Target } from "./target";
import { formatProblems, validateFleet } from "./validate";

export type ResolvedFleet =
  | { readonly ok: true; readonly target: Target; readonly plan: FleetPlan; readonly source: string }
  | { readonly ok: false; readonly message: string };

/** The edge: target and fleet definition from the environment, validated, or every problem as text. */
export function resolveFleet(env: NodeJS.ProcessEnv, cwd: string): ResolvedFleet {
  const target = targetFromEnv(env);
  if (!target.ok) return { ok: false, message: formatProblems(target.problems, "the environment") };
  const loaded = loadFleetInput(env, cwd, target.target);
  if (!loaded.ok) return { ok: false, message: `${loaded.source}: ${formatProblems(loaded.problems)}` };
  const validation = validateFleet(loaded.input);
  if (!validation.ok) return { ok: false, message: `${loaded.source}: ${formatProblems(validation.problems)}` };
  return { ok: true, target: target.target, plan: validation.plan, source: loaded.source };
}
