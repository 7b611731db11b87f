import type { StackOutcome } from "../../terraform/outcome";
import { mapWithLimit, stackWaves, type StackNode } from "../../terraform/stack-selection";
import type { Action } from "../../terraform/adapters/runner";
import { interruption } from "../../cli/interrupt";

export type StackTask = (stack: string) => Promise<StackOutcome>;

/**
 * Runs `task` wave by wave, at most `limit` stacks of a wave at once. Deploying, waves go in dependency
 * order and a stack whose dependency failed (or stopped the rollout) is not started; destroying, waves
 * go in reverse and a stack is skipped while something that depends on it is still there (never the
 * state bucket under a region's state). `beforeWave` hears only the stacks that will run.
 */
export async function runInWaves(
  stacks: readonly StackNode[],
  action: Action,
  task: StackTask,
  beforeWave: (wave: readonly string[]) => Promise<void> = () => Promise.resolve(),
  limit = Number.POSITIVE_INFINITY,
): Promise<StackOutcome[]> {
  const waves = action === "deploy" ? stackWaves(stacks) : stackWaves(stacks).reverse();
  const blockersOf = (name: string): string[] =>
    action === "deploy"
      ? [...(stacks.find((s) => s.name === name)?.dependencies ?? [])]
      : stacks.filter((s) => s.dependencies.includes(name)).map((s) => s.name);
  const outcomes: StackOutcome[] = [];
  const failed = new Set<string>();
  const stopped = new Set<string>();
  for (const wave of waves) {
    const signal = interruption();
    if (signal !== undefined) {
      for (const name of wave) {
        outcomes.push({
          stack: name,
          ok: false,
          summary: `not started: interrupted by ${signal}`,
          log: "",
          seconds: 0,
        });
      }
      continue;
    }
    const runnable = wave.filter((name) => {
      const blockedBy = blockersOf(name).filter((b) => failed.has(b));
      if (blockedBy.length === 0) return true;
      const stoppers = blockedBy.filter((b) => stopped.has(b));
      outcomes.push({
        stack: name,
        ok: false,
        summary:
          stoppers.length > 0
            ? `not started: the rollout stopped at ${stoppers.join(", ")}`
            : `skipped: ${blockedBy.join(", ")} failed`,
        log: "",
        seconds: 0,
        ...(stoppers.length > 0 ? { stopped: true } : {}),
      });
      failed.add(name);
      if (stoppers.length > 0) stopped.add(name);
      return false;
    });
    if (runnable.length === 0) continue;
    await beforeWave(runnable);
    // A stack whose turn comes after an interruption does not start.
    const guarded: StackTask = (name) => {
      const interrupted = interruption();
      return interrupted === undefined
        ? task(name)
        : Promise.resolve({
            stack: name,
            ok: false,
            summary: `not started: interrupted by ${interrupted}`,
            log: "",
            seconds: 0,
          });
    };
    const results = await mapWithLimit(runnable, Number.isFinite(limit) ? limit : runnable.length, guarded);
    for (const r of results) {
      if (!r.ok) failed.add(r.stack);
      if (r.stopped === true) stopped.add(r.stack);
    }
    outcomes.push(...results);
  }
  return outcomes;
}
