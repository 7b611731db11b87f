import type { ChildProcess } from "node:child_process";

/*
 * Interruptions that stop cleanly. A cancelled CI job gets SIGINT (GitHub sends SIGTERM 7.5 s later, then
 * SIGKILL); an operator presses Ctrl-C. The first signal is forwarded, once, to every Terraform still
 * running: Terraform stops after the resource it is on, writes its state and releases its lock. Nothing new
 * starts, and the waits of a rollout end. A second signal stops at once (SIGKILL to the Terraforms; their
 * locks stay behind, `npm run unlock` says whose). The Terraforms run in process groups of their own, so a
 * terminal's Ctrl-C reaches them only through this forward: twice would make Terraform exit at once.
 */

export class Interrupted extends Error {
  constructor(readonly signal: NodeJS.Signals) {
    super(`interrupted by ${signal}`);
  }
}

const running = new Map<ChildProcess, string>();
let received: NodeJS.Signals | undefined;
let forced = false;

/** The signal that interrupted this run, if one did. */
export function interruption(): NodeJS.Signals | undefined {
  return received;
}

export function throwIfInterrupted(): void {
  if (received !== undefined) throw new Interrupted(received);
}

/** Registers a running child under a label (its stack); returns the function that forgets it. */
export function track(child: ChildProcess, label: string): () => void {
  running.set(child, label);
  if (received !== undefined) child.kill(forced ? "SIGKILL" : "SIGINT");
  return () => running.delete(child);
}

/** The labels of the children still running. */
export function runningLabels(): string[] {
  return [...new Set(running.values())].sort();
}

/**
 * What a signal does: the first is forwarded as SIGINT to every running child; the second kills them.
 * Returns what to tell the operator.
 */
export function requestInterrupt(signal: NodeJS.Signals): string {
  const labels = runningLabels();
  if (received === undefined) {
    received = signal;
    for (const child of running.keys()) child.kill("SIGINT");
    return labels.length === 0
      ? `${signal}: stopping; nothing new starts (${signal} again stops at once)`
      : `${signal}: stopping ${labels.join(", ")}: each Terraform finishes the resource it is on, saves its state and releases its lock; nothing new starts (${signal} again stops at once)`;
  }
  forced = true;
  for (const child of running.keys()) child.kill("SIGKILL");
  return `${signal} again: stopped at once${labels.length === 0 ? "" : `; ${labels.join(", ")} may keep their state locks (npm run unlock -- <stack> says whose)`}`;
}

/**
 * Installs the handlers for a command (cli/command.ts does, for every command): progress lines on each
 * signal, `onFirst` after the first; exits 130 on the second.
 */
export function handleInterrupts(progress: (line: string) => void, onFirst: () => void = () => undefined): void {
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      const second = received !== undefined;
      progress(requestInterrupt(signal));
      if (second) process.exit(130);
      onFirst();
    });
  }
}

/** For tests: forget a previous interruption. */
export function resetInterruption(): void {
  received = undefined;
  forced = false;
  running.clear();
}
