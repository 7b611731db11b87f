import { FleetSchema, type ParsedFleetConfig } from "./schema";
import { duplicateProblems } from "./duplicates";
import { resolveSettings } from "./region-settings";
import { fleetShape, type FleetShape } from "./shape";
import { checkAppVariables, checkReleaseBuckets, checkUserDataSize } from "./validate/app";
import { checkHostedZone, checkRecordSettings } from "./validate/dns";
import { checkHealthCheckRanges, checkHealthCheckTiming, checkWatchdog } from "./validate/health-checks";
import { checkDeletionProtection } from "./validate/ports";
import { mergeRegions, type Problem, type RegionProblem } from "./validate/problems";
import { checkRegion } from "./validate/region";
import { checkRollout } from "./validate/rollout";
import { isWithin, problemsFromIssue } from "./validate/schema-issues";
import { warningsOf } from "./validate/warnings";
import type { AppFiles } from "../instance/user-data";

/*
 * The one entry point for untrusted config. The checks that relate fields to each other run on the
 * computed shape and live in fleet/validate/, by topic; this file runs them in order and formats what they find.
 */

export type Validation =
  | {
      readonly ok: true;
      readonly config: ParsedFleetConfig;
      readonly shape: FleetShape;
      /** Settings that are valid but will not do what they suggest; printed, never fatal. */
      readonly warnings: readonly Problem[];
    }
  | { readonly ok: false; readonly problems: readonly Problem[] };

export class FleetConfigError extends Error {
  constructor(readonly problems: readonly Problem[]) {
    super(formatProblems(problems));
    this.name = "FleetConfigError";
  }
}

/**
 * The one entry point for untrusted config: checks the shape, computes the plan, then checks the
 * plan. Every problem is collected; nothing is created unless the list is empty. Repeated list entries
 * are reported at either stage: they are read from the input as written.
 */
export function validateFleet(input: unknown, defaultApp: AppFiles): Validation {
  const repeats = duplicateProblems(FleetSchema, input);
  const parsed = FleetSchema.safeParse(input, { reportInput: true });
  if (!parsed.success) {
    const shape = parsed.error.issues.flatMap((issue) => problemsFromIssue(issue, FleetSchema));
    // An entry that is malformed is reported as such; that it repeats another malformed one adds nothing.
    const unlessMalformed = repeats.filter((repeat) => !shape.some((p) => isWithin(repeat.path, p.path)));
    return { ok: false, problems: [...shape, ...unlessMalformed] };
  }
  const shape = fleetShape(parsed.data, defaultApp);
  const problems = [...repeats, ...mergeRegions(checkShape(parsed.data, shape))];
  return problems.length === 0
    ? { ok: true, config: parsed.data, shape, warnings: mergeRegions(warningsOf(parsed.data, shape)) }
    : { ok: false, problems };
}

/** Like {@link validateFleet}, but throws a {@link FleetConfigError} listing every problem. */
export function shapeOrThrow(input: unknown, defaultApp: AppFiles): FleetShape {
  const result = validateFleet(input, defaultApp);
  if (!result.ok) throw new FleetConfigError(result.problems);
  return result.shape;
}

/** Every problem once: the same problem reached twice (from two regions, two rules) is printed once, and counted once. */
export function formatProblems(problems: readonly Problem[], subject = "fleet config"): string {
  const distinct = new Map(problems.map((p) => [`${p.path}\u0000${JSON.stringify(p.value)}\u0000${p.message}`, p]));
  const lines = [...distinct.values()].map((p) => `  - ${formatProblem(p)}`);
  return [`${subject} has ${lines.length} problem${lines.length === 1 ? "" : "s"}:`, ...lines].join("\n");
}

/** `warning: capacity: got …; …`: a line a command prints once, before it starts. */
export function formatWarning(warning: Problem): string {
  return `warning: ${formatProblem(warning)}`;
}

export function formatProblem(problem: Problem): string {
  return `${problem.path === "" ? "(config)" : problem.path}: got ${describe(problem.value)}; ${problem.message}`;
}

function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** Every check of a parsed config's shape, fleet-wide first, then region by region. */
function checkShape(config: ParsedFleetConfig, shape: FleetShape): RegionProblem[] {
  return [
    ...checkHostedZone(config),
    ...checkRecordSettings(config, shape),
    ...checkRollout(config),
    ...checkWatchdog(config),
    ...checkUserDataSize(config, shape),
    ...checkHealthCheckRanges(config, shape),
    ...checkHealthCheckTiming(config),
    ...checkReleaseBuckets(config),
    ...checkAppVariables(config),
    ...checkDeletionProtection(config, shape),
    ...shape.regions.flatMap((region, index) => checkRegion(config, region, index, resolveSettings(config, index))),
  ];
}
