import { loadFleetInput } from "./load-config";
import type { FleetPlan } from "./plan";
import { adaptToTarget, formatSubstitution, type Substitution } from "./rehearsal";
import { targetFromEnv, type Target } from "./target";
import { formatProblems, formatWarning, validateFleet, type Problem } from "./validate";

export type ResolvedFleet =
  | {
      readonly ok: true;
      readonly target: Target;
      /** What the target deploys: the production plan, or its local rehearsal. */
      readonly plan: FleetPlan;
      /** What the local target changed to make the fleet apply on the emulator (none on AWS). */
      readonly substitutions: readonly Substitution[];
      /** Valid settings that will not do what they suggest. */
      readonly warnings: readonly Problem[];
      readonly source: string;
    }
  | { readonly ok: false; readonly message: string };

/**
 * The edge: target and fleet definition from the environment, validated as written, then adapted to
 * the target; or every problem as text.
 */
export function resolveFleet(env: NodeJS.ProcessEnv, cwd: string): ResolvedFleet {
  const target = targetFromEnv(env);
  if (!target.ok) return { ok: false, message: formatProblems(target.problems, "the environment") };
  const loaded = loadFleetInput(env, cwd, target.target);
  if (!loaded.ok) return { ok: false, message: `${loaded.source}: ${formatProblems(loaded.problems)}` };
  const validation = validateFleet(loaded.input);
  if (!validation.ok) return { ok: false, message: `${loaded.source}: ${formatProblems(validation.problems)}` };
  const adapted = adaptToTarget(validation.plan, target.target);
  return { ok: true, target: target.target, source: loaded.source, warnings: validation.warnings, ...adapted };
}

/** What a command prints once before it starts: the fleet's warnings, then the local target's substitutions. */
export function noticeLines(fleet: {
  readonly warnings: readonly Problem[];
  readonly substitutions: readonly Substitution[];
}): string[] {
  return [...fleet.warnings.map(formatWarning), ...fleet.substitutions.map(formatSubstitution)];
}
