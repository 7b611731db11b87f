/*
 * The rollout: how `npm run deploy` (and `--reviewed`) change the region stacks. Waves in order, at most
 * `parallelism` regions of a wave at once (rollout/waves.ts); each region planned, then rolled out by its
 * state machine (rollout/machine.ts): applied (in two stages when the change brings new judges of its
 * instances), its instance refresh watched to its end, its new instances judged on their own health, then
 * baked for `rollout.bakeSeconds` while its alarms are watched. A region that fails any of it stops the
 * rollout: its instances go back to the launch template version they ran before, and nothing after it starts.
 * This file performs what the machine asks for (Terraform here, AWS through ./observer.ts) and tells it what
 * came of it; every decision is the machine's.
 */
import { freemem } from "node:os";
import { join } from "node:path";
import { planAdoptingAfresh, withAdoptions } from "../../adoption/adapters/lifecycle";
import { Interrupted } from "../../cli/interrupt";
import { bakeAlarmNames, type RegionShape } from "../../fleet/shape";
import type { TerraformPlanJson } from "../../terraform/plan-json";
import type { StackNode } from "../../terraform/stack-selection";
import type { StackOutcome } from "../../terraform/outcome";
import { finish, planTo, prepareStack, terraform } from "../../terraform/adapters/runner";
import { lockTimeoutFlag, stackDir, type FleetContext } from "../../terraform/adapters/context";
import { advance, begin } from "../machine";
import type { RegionAction, RegionEvent, RegionResult } from "../region-rollout";
import { parallelism, waveLine, waveOf } from "../waves";
import { realClock, RegionObserver, type Clock } from "./observer";
import { settleSeconds } from "../checkpoint";
import { forwardDeadline } from "../budget";
import { readRolloutRecord, writeRolloutRecord } from "./record";
import { runInWaves, type StackTask } from "./waves";

/** Stacks of a wave applied at once: `--parallelism`, else `rollout.maxParallel`, else what free memory holds. */
export function parallelismOf(ctx: Pick<FleetContext, "parallelism" | "shape">): number {
  return parallelism({
    ...(ctx.parallelism === undefined ? {} : { override: ctx.parallelism }),
    ...(ctx.shape.rollout.maxParallel === undefined ? {} : { configured: ctx.shape.rollout.maxParallel }),
    freeMemoryBytes: freemem(),
  });
}

export function clockOf(ctx: Pick<FleetContext, "pollSeconds" | "target">): Clock {
  return realClock(ctx.pollSeconds ?? (ctx.target.kind === "local" ? 1 : 15));
}

/** The region plan of a region stack; undefined for the state and zone stacks. */
export function regionOf(ctx: Pick<FleetContext, "shape">, stack: string): RegionShape | undefined {
  return ctx.shape.regions.find((r) => r.stackName === stack);
}

/**
 * Runs `task` over the stacks wave by wave, saying which rollout wave starts, with the bounded parallelism.
 * The state and zone stacks go first, each a wave of its own (their dependencies say so).
 */
export function rollOut(ctx: FleetContext, stacks: readonly StackNode[], task: StackTask): Promise<StackOutcome[]> {
  const limit = parallelismOf(ctx);
  return runInWaves(
    stacks,
    "deploy",
    task,
    (wave) => {
      const rolloutWave = waveOf(ctx.shape.rollout, wave);
      if (rolloutWave !== undefined) {
        const running = wave.length < rolloutWave.stacks.length ? ` (selected: ${wave.join(", ")})` : "";
        ctx.progress(`${waveLine(ctx.shape.rollout, rolloutWave)}${running}, at most ${limit} at once`);
      }
      return Promise.resolve();
    },
    limit,
  );
}

export interface RegionDeployOptions {
  /** The plan already saved as plan.tfplan in the stack's directory (a reviewed deploy planned it); else planned here. */
  readonly planned?: TerraformPlanJson;
  /** The reviewed plans every stage must stay within (any of them may have reviewed a change). @default the plan */
  readonly reviewed?: readonly TerraformPlanJson[];
  /** When the newest review of this plan's launch template content was made (a reviewed deploy). */
  readonly reviewedAt?: Date;
}

/** Deploys one region stack and judges it (see the file's comment). */
export async function deployRegion(
  ctx: FleetContext,
  region: RegionShape,
  options: RegionDeployOptions = {},
): Promise<StackOutcome> {
  const stack = region.stackName;
  const started = Date.now();
  const log = join(ctx.logDir, `${stack}.deploy.log`);
  const say = (line: string) => {
    ctx.progress(`${stack}: ${line}`);
  };
  say("deploying");
  // Imports done (or the apply failed, and the next deploy decides afresh): no stale import block stays.
  return withAdoptions(stackDir(ctx, stack), async () => {
    let plan = options.planned;
    if (plan === undefined) {
      const prepared = await prepareStack(ctx, "deploy", stack, log, started);
      if (!prepared.ok) return prepared.outcome;
      // What an interrupted apply left in AWS but not in state is adopted before anything is created again.
      const fresh = await planAdoptingAfresh(
        ctx.target,
        region,
        stackDir(ctx, stack),
        say,
        () => planTo(ctx, stack, log, "plan.tfplan", prepared.flags),
        (result) => (result.ok ? result.plan : undefined),
      );
      if (!fresh.ok) return finish(ctx, stack, started, log, fresh);
      plan = fresh.plan;
    }
    const observer = new RegionObserver(ctx.target, region);
    const clock = clockOf(ctx);
    const perform = performer(ctx, region, log, observer, clock);
    let step = begin({
      stack,
      plan,
      reviewed: options.reviewed ?? [plan],
      bakeSeconds: ctx.shape.rollout.bakeSeconds,
      settleSeconds: settleSeconds(region),
      alarmCount: bakeAlarmNames(region).length,
      pollMs: clock.pollMs,
      record: await readRolloutRecord(ctx.target, region),
      retry: ctx.retry ?? false,
      ignoreAlarms: ctx.ignoreAlarms ?? [],
      instanceRefresh: region.autoScaling.instanceRefresh,
      ...(region.autoScaling.checkpoint === undefined ? {} : { checkpoint: region.autoScaling.checkpoint }),
      ...(ctx.startedAt === undefined ? {} : { deadline: forwardDeadline(ctx.startedAt) }),
      ...(options.reviewedAt === undefined ? {} : { reviewedAt: options.reviewedAt }),
    });
    for (;;) {
      step.lines.forEach(say);
      const { action } = step;
      if (action.kind === "finish") return outcomeOf(ctx, stack, started, log, action.result);
      step = advance(step.state, await perform(action));
    }
  });
}

/**
 * Performs one action of the machine and reports what came of it, stamped with the clock's time. An
 * interruption that ends a wait is reported as such.
 */
function performer(
  ctx: FleetContext,
  region: RegionShape,
  log: string,
  observer: RegionObserver,
  clock: Clock,
): (action: Exclude<RegionAction, { kind: "finish" }>) => Promise<RegionEvent> {
  const stack = region.stackName;
  const answer = async (action: Exclude<RegionAction, { kind: "finish" }>) => {
    switch (action.kind) {
      case "read-group": {
        const { version, templateId } = await observer.group();
        return {
          kind: "group",
          ...(version === undefined ? {} : { version }),
          ...(templateId === undefined ? {} : { templateId }),
        } as const;
      }
      case "read-refreshes":
        return { kind: "refreshes", refreshes: await observer.refreshes() } as const;
      case "read-alarms":
        return { kind: "alarms", alarms: await observer.alarms() } as const;
      case "read-refresh": {
        const refresh = await observer.refresh(action.id);
        return { kind: "refresh", ...(refresh === undefined ? {} : { refresh }) } as const;
      }
      case "judge-instances":
        return { kind: "instances", verdict: await observer.judge(action.version) } as const;
      case "sample-bake": {
        const alarms = await observer.alarms();
        return { kind: "bake-sample", alarms, instances: await observer.judge(action.version) } as const;
      }
      case "plan":
        return { kind: "planned", result: await planTo(ctx, stack, log, action.file, action.flags) } as const;
      case "apply": {
        const args = ["apply", "-input=false", "-no-color", lockTimeoutFlag(ctx), action.file];
        const { code, output } = await terraform(ctx, stack, log, args);
        return { kind: "applied", code, output } as const;
      }
      case "cancel-refresh":
        return { kind: "refresh-cancelled", outcome: await observer.cancelRefresh(action.id) } as const;
      case "record":
        await writeRolloutRecord(ctx.target, region, action.entry);
        return { kind: "recorded" } as const;
      case "start-refresh":
        return {
          kind: "refresh-started",
          id: await observer.startRefreshTo(action.templateId, action.version),
        } as const;
      case "wait":
        await clock.sleep(action.ms);
        return { kind: "waited" } as const;
    }
  };
  return async (action) => {
    try {
      return { ...(await answer(action)), at: clock.now() };
    } catch (error) {
      if (!(error instanceof Interrupted)) throw error;
      return { kind: "interrupted", signal: error.signal, at: clock.now() };
    }
  };
}

/** The stack's outcome from how its rollout ended; a failed Terraform run is told from its output. */
function outcomeOf(ctx: FleetContext, stack: string, started: number, log: string, result: RegionResult): StackOutcome {
  if (result.kind === "failed") return finish(ctx, stack, started, log, result.run);
  const seconds = Math.round((Date.now() - started) / 1000);
  if (result.kind === "succeeded") ctx.progress(`${stack}: ${result.summary} (${seconds}s)`);
  return {
    stack,
    status: result.kind,
    summary: result.summary,
    ...("rollout" in result && result.rollout !== undefined ? { rollout: result.rollout } : {}),
    log,
    seconds,
  };
}
