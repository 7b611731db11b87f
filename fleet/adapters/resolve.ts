import { existsSync, readFileSync } from "node:fs";
import { isAbsolute, join, relative } from "node:path";
import {
  applyImageLock,
  EMPTY_LOCK,
  lockFileFor,
  parseImageLock,
  unlockedWarning,
  type ImageLock,
  type UnlockedImages,
} from "../../images/lock";
import { loadFleetInput } from "./load";
import type { FleetShape } from "../shape";
import { adaptToTarget, formatSubstitution, type Substitution } from "../rehearsal";
import { targetFromEnv, type BuiltInFleets, type Target } from "../target";
import { formatProblems, formatWarning, validateFleet } from "../validate";
import type { Problem } from "../validate/problems";
import { readDefaultApp } from "../../instance/adapters/default-app";

export type ResolvedFleet =
  | {
      readonly ok: true;
      readonly target: Target;
      /** What the target deploys: the production plan, or its local rehearsal. */
      readonly shape: FleetShape;
      /** The plan as the fleet file says it, before the image lock and the local target's substitutions. */
      readonly written: FleetShape;
      /** What the local target changed to make the fleet apply on the emulator (none on AWS). */
      readonly substitutions: readonly Substitution[];
      /** Valid settings that will not do what they suggest. */
      readonly warnings: readonly Problem[];
      readonly source: string;
      /** The image lock file of this fleet file (`prod.json` → `prod.lock.json`), whether or not it exists. */
      readonly lockFile: string;
      /** The regions whose looked-up image the lock does not answer (on AWS): their plan keeps the lookup. */
      readonly unlocked: UnlockedImages;
    }
  | { readonly ok: false; readonly message: string };

/** The project's root: built-in fleets (`regions/default.ts`) are named relative to it. */
const PROJECT = join(__dirname, "..", "..");

export interface ResolveOptions {
  /**
   * `locked` (plans, deploys, synth): on AWS every looked-up image the lock file answers comes from it; a
   * region it does not answer keeps its lookup and is listed in `unlocked`. `as-written`: the lookups stay
   * (commands that launch nothing: releases, the lock's own update). @default "locked"
   */
  readonly images?: "locked" | "as-written";
}

/**
 * The edge: target and fleet definition from the environment, validated as written, its images locked
 * (on AWS), then adapted to the target; or every problem as text.
 */
export function resolveFleet(
  env: NodeJS.ProcessEnv,
  cwd: string,
  builtIn: BuiltInFleets,
  options: ResolveOptions = {},
): ResolvedFleet {
  const target = targetFromEnv(env);
  if (!target.ok) return { ok: false, message: formatProblems(target.problems, "the environment") };
  const loaded = loadFleetInput(env, cwd, target.target, builtIn);
  if (!loaded.ok) return { ok: false, message: `${loaded.source}: ${formatProblems(loaded.problems)}` };
  const validation = validateFleet(loaded.input, readDefaultApp());
  if (!validation.ok) return { ok: false, message: `${loaded.source}: ${formatProblems(validation.problems)}` };
  const lockFile = lockFileFor(isAbsolute(loaded.source) ? loaded.source : join(PROJECT, loaded.source));
  let shape = validation.shape;
  let unlocked: UnlockedImages = { lockFile: shown(lockFile, cwd), regions: [] };
  // The local target replaces every image with the emulator's, so only AWS reads the lock.
  if (target.target.kind === "aws" && (options.images ?? "locked") === "locked") {
    const lock = readImageLock(lockFile);
    if (!lock.ok) return { ok: false, message: `${shown(lockFile, cwd)}: ${lock.message}` };
    ({ shape, unlocked } = applyImageLock(shape, lock.lock, shown(lockFile, cwd)));
  }
  const adapted = adaptToTarget(shape, target.target);
  return {
    ok: true,
    target: target.target,
    source: loaded.source,
    lockFile,
    unlocked,
    written: validation.shape,
    warnings: validation.warnings,
    ...adapted,
  };
}

/** The lock file's contents; a missing file is an empty lock (every lookup then unanswered). */
export function readImageLock(file: string): { ok: true; lock: ImageLock } | { ok: false; message: string } {
  if (!existsSync(file)) return { ok: true, lock: EMPTY_LOCK };
  return parseImageLock(readFileSync(file, "utf8"));
}

/** A path as a person reads it: relative to where they run the command, when that is shorter. */
function shown(file: string, cwd: string): string {
  const rel = relative(cwd, file);
  return rel.startsWith("..") ? file : rel;
}

/**
 * What a command prints once before it starts: the fleet's warnings, the regions whose image is not locked,
 * then the local target's substitutions.
 */
export function noticeLines(fleet: {
  readonly warnings: readonly Problem[];
  readonly unlocked?: UnlockedImages;
  readonly substitutions: readonly Substitution[];
}): string[] {
  const images = fleet.unlocked === undefined ? undefined : unlockedWarning(fleet.unlocked);
  return [
    ...fleet.warnings.map(formatWarning),
    ...(images === undefined ? [] : [images]),
    ...fleet.substitutions.map(formatSubstitution),
  ];
}
