/*
 * Runs stacks wave by wave: the scheduler's steps (rollout/waves.ts) performed. It announces a wave, starts
 * what the scheduler says may start, and tells it when a stack ends and whether an interruption came.
 */
import type { StackAction, StackOutcome } from "../../terraform/outcome";
import type { StackNode } from "../../terraform/stack-selection";
import { interruption } from "../../cli/interrupt";
import { ended, nextStep, queueOf } from "../waves";

export type StackTask = (stack: string) => Promise<StackOutcome>;

/**
 * Runs `task` wave by wave, at most `limit` stacks of a wave at once. Deploying, waves go in dependency
 * order, and a failed stack or a stopped rollout keeps back every stack not yet started; destroying, waves
 * go in reverse and a stack is kept back while something that depends on it is still there (never the
 * state bucket under a region's state). After an interruption nothing starts. `beforeWave` hears only the
 * stacks that will run.
 */
export async function runInWaves(
  stacks: readonly StackNode[],
  action: StackAction,
  task: StackTask,
  beforeWave: (wave: readonly string[]) => Promise<void> = () => Promise.resolve(),
  limit = Number.POSITIVE_INFINITY,
): Promise<StackOutcome[]> {
  let queue = queueOf(stacks, action, limit);
  const running = new Map<string, Promise<{ readonly stack: string; readonly outcome: StackOutcome }>>();
  for (;;) {
    const next = nextStep(queue, interruption());
    queue = next.queue;
    const { step } = next;
    switch (step.kind) {
      case "done":
        return [...step.outcomes];
      case "announce":
        await beforeWave(step.stacks);
        break;
      case "start":
        running.set(
          step.stack,
          task(step.stack).then((outcome) => ({ stack: step.stack, outcome })),
        );
        break;
      case "wait": {
        const { stack, outcome } = await Promise.race(running.values());
        running.delete(stack);
        queue = ended(queue, { ...outcome, stack });
        break;
      }
    }
  }
}
