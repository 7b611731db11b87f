/*
 * The rollout: how `npm run deploy` (and `--reviewed`) change the region stacks. Waves in order, at most
 * `parallelism` regions of a wave at once; each region planned, applied (in two stages when the change
 * brings new judges of its instances, rollout/stages.ts), its instance refresh watched to its end, its new
 * instances judged on their own health, then baked for `rollout.bakeSeconds` while its alarms are
 * watched. A region that fails any of it stops the rollout: its instances go back to the launch template
 * version they ran before, and later waves are not started. Decisions: rollout/verdicts.ts; AWS: region-watch.ts.
 */
import { clearAdoptions, planAdopting } from "../../adoption/adapters/adopt";
import { Interrupted } from "../../cli/interrupt";
import { freemem } from "node:os";
import { join } from "node:path";
import type { RegionShape } from "../../fleet/shape";
import { changesOf, changesOutputs, type TerraformPlanJson } from "../../review/report";
import { altersResources } from "../../terraform/plan-json";
import { rollbackAction, shortId, startedRefresh } from "../verdicts";
import { parallelism, waveLine, waveOf } from "../waves";
import type { StackNode } from "../../terraform/stack-selection";
import { compareStack, matchesReview } from "../../review/compare";
import { describeJudges, stagingOf, targetFlags } from "../stages";
import { finish, planTo, prepareStack, terraform } from "../../terraform/adapters/runner";
import { lockTimeoutFlag, stackDir, type FleetContext } from "../../terraform/adapters/context";
import { runInWaves, type StackTask } from "./waves";
import { completionLine, type StackOutcome } from "../../terraform/outcome";
import {
  awaitInstances,
  bake,
  realClock,
  RegionObserver,
  rollBack,
  settleSeconds,
  watchRefresh,
  type Clock,
} from "./observer";

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
  const seconds = () => Math.round((Date.now() - started) / 1000);
  say("deploying");

  const dir = stackDir(ctx, stack);
  try {
    return await deployPlanned();
  } finally {
    // Imports done (or the apply failed, and the next deploy decides afresh): no stale import block stays.
    clearAdoptions(dir);
  }

  async function deployPlanned(): Promise<StackOutcome> {
    let planned = options.planned;
    if (planned === undefined) {
      const prepared = await prepareStack(ctx, "deploy", stack, log, started);
      if (!prepared.ok) return prepared.outcome;
      clearAdoptions(dir);
      // What an interrupted apply left in AWS but not in state is adopted before anything is created again.
      const fresh = await planAdopting(
        ctx.target,
        region,
        dir,
        say,
        () => planTo(ctx, stack, log, "plan.tfplan", prepared.flags),
        (result) => (result.ok ? result.plan : undefined),
      );
      if (!fresh.ok) return finish(ctx, stack, started, log, fresh);
      planned = fresh.plan;
    }
    const reviewedPlan: TerraformPlanJson = planned;
    const changed = changesOf(reviewedPlan).length > 0;
    const observer = new RegionObserver(ctx.target, region);
    const clock = clockOf(ctx);
    const before = await observer.group();
    // Refreshes seen so far: a later stage must not take an earlier stage's refresh for its own.
    let knownRefreshes = await observer.refreshes();
    const applied: string[] = [];
    const seen: string[] = [];

    /** Applies a saved plan and returns the refresh it started, if any; or the failed outcome. */
    const apply = async (
      file: string,
    ): Promise<{ ok: true; refresh?: ReturnType<typeof startedRefresh> } | { ok: false; outcome: StackOutcome }> => {
      const at = new Date(clock.now());
      const result = await terraform(ctx, stack, log, [
        "apply",
        "-input=false",
        "-no-color",
        lockTimeoutFlag(ctx),
        file,
      ]);
      if (result.code !== 0) return { ok: false, outcome: finish(ctx, stack, started, log, result) };
      applied.push(completionLine(result.output));
      const now = await observer.refreshes();
      const refresh = startedRefresh(knownRefreshes, now, at);
      knownRefreshes = now;
      return refresh === undefined ? { ok: true } : { ok: true, refresh };
    };

    /** The refresh (if the apply started one) to its end, then the new instances; why the region fails, if it does. */
    const judge = async (refresh: ReturnType<typeof startedRefresh>): Promise<string | undefined> => {
      const version = (await observer.group()).version;
      if (refresh !== undefined) {
        say(
          `instance refresh ${shortId(refresh.id)} started: launch before terminate, to launch template version ${version ?? "?"}`,
        );
        const outcome = await watchRefresh(observer, refresh.id, say, clock, version);
        if (outcome.kind === "failed") return outcome.why;
        seen.push(`refresh ${shortId(refresh.id)} Successful`);
      }
      const verdict = await awaitInstances(observer, version, settleSeconds(region), clock);
      if (verdict.kind !== "healthy") return verdict.why;
      const line = `${verdict.instances} instance${verdict.instances === 1 ? "" : "s"}${version === undefined ? "" : ` on launch template version ${version}`} in service on all ${verdict.ports} ports`;
      say(line);
      seen.push(line);
      return undefined;
    };

    /** Stops the rollout at this region: rolls its instances back if the change replaced them. */
    const stop = async (why: string): Promise<StackOutcome> => {
      say(`stopping the rollout: ${why}`);
      const after = await observer.group();
      const action = rollbackAction({
        ...(before.version === undefined ? {} : { before: before.version }),
        ...(after.version === undefined ? {} : { after: after.version }),
      });
      const rolledBack =
        action.kind === "refresh" && after.templateId !== undefined
          ? `rolled back: ${await rollBack(observer, after.templateId, action.toVersion, say, clock)}`
          : `nothing rolled back: ${action.kind === "none" ? action.why : "the group has no launch template"}`;
      const summary = `stopped: ${why}; ${rolledBack}`;
      say(summary);
      return {
        stack,
        status: "stopped",
        summary,
        ...(applied.length === 0 ? {} : { rollout: `applied before it stopped: ${applied.join(" ")}` }),
        log,
        seconds: seconds(),
      };
    };

    try {
      return await applyAndJudge();
    } catch (error) {
      if (!(error instanceof Interrupted)) throw error;
      // An interruption ended a wait of the rollout: what was applied stays, and is judged by the next deploy.
      const summary = `interrupted by ${error.signal} while the rollout watched it${applied.length === 0 ? "" : ` (applied: ${applied.join(" ")})`}; deploy again to judge it`;
      say(summary);
      return { stack, status: "interrupted", summary, log, seconds: seconds() };
    }

    async function applyAndJudge(): Promise<StackOutcome> {
      const staging = stagingOf(reviewedPlan);
      if (!altersResources(reviewedPlan) && !changesOutputs(reviewedPlan)) {
        // Nothing to apply: no refresh to wait for, nothing new to judge or bake.
        ctx.progress(`${stack}: No changes. (${seconds()}s)`);
        return { stack, status: "succeeded", summary: "No changes.", log, seconds: seconds() };
      }
      if (staging === undefined) {
        const result = await apply("plan.tfplan");
        if (!result.ok) return result.outcome;
        if (changed) {
          const why = await judge(result.refresh);
          if (why !== undefined) return stop(why);
        }
      } else {
        say(
          `two stages: first the launch template and the group, so every instance runs what ${describeJudges(staging.judges)} will check; then the rest`,
        );
        for (const [file, flags] of [
          ["stage1.tfplan", targetFlags(staging)],
          ["stage2.tfplan", []],
        ] as const) {
          const stage = await planTo(ctx, stack, log, file, flags);
          if (!stage.ok) return finish(ctx, stack, started, log, stage);
          const within = compareStack(stack, options.reviewed ?? [reviewedPlan], stage.plan);
          if (!matchesReview([within])) {
            return stop(
              `${file.replace(".tfplan", "")} would change what was not reviewed: ${within.differences.join("; ")}`,
            );
          }
          const result = await apply(file);
          if (!result.ok) return result.outcome;
          const why = await judge(result.refresh);
          if (why !== undefined) return stop(why);
        }
      }

      if (changed) {
        const baked = await bake(observer, (await observer.group()).version, ctx.shape.rollout.bakeSeconds, say, clock);
        if (baked.kind === "failed") return stop(baked.why);
        seen.push(`baked ${ctx.shape.rollout.bakeSeconds} s, no alarm`);
      }
      const summary =
        applied.length > 1 ? applied.map((a, i) => `stage ${i + 1}: ${a}`).join(" ") : (applied[0] ?? "done");
      ctx.progress(`${stack}: ${summary} (${seconds()}s)`);
      return {
        stack,
        status: "succeeded",
        summary,
        ...(seen.length === 0 ? {} : { rollout: seen.join("; ") }),
        log,
        seconds: seconds(),
      };
    }
  }
}
