/*
 * Terraform in a synthesized stack's directory: init, plan, apply, destroy, each logged as the output arrives
 * and reported when silent too long. Terraform runs directly rather than through `cdktf deploy`: cdktf drops
 * Terraform's error text (a failed stack ends in "Invoking Terraform CLI failed with exit code 1") and
 * initialises every selected stack before deploying any.
 */
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { readObjectText, regionClients } from "../../fleet/adapters/aws-clients";
import { lockTimeoutOf } from "../../state/lock";
import { initIsCurrent, initStamp, isOverrideFile, type InitInputs } from "../init-stamp";
import { legacyWeightedRecords, replaceFlags, type TerraformState } from "../legacy-records";
import { runSummary, type StackAction, type StackOutcome } from "../outcome";
import type { TerraformPlanJson } from "../plan-json";
import type { FleetShape } from "../../fleet/shape";
import { reconfiguresBackends } from "../../fleet/target";
import { interruption } from "../../cli/interrupt";
import { run } from "../../cli/run";
import { runStreaming } from "../../cli/stream";
import { stateElsewhere, stateElsewhereLine } from "../../state/adapters/location";
import { lockRecordDir, recordLockHolder } from "../../state/adapters/unlock";
import { backendChangedLine } from "./backend";
import { lockTimeoutFlag, PROJECT, stackDir, type FleetContext } from "./context";

/**
 * One line for a stack's run in `dir`: Terraform's own summary, or its first error with the resource it is
 * about (and, separately, a hint when the fleet config can fix it); a changed backend names both backends.
 */
export function outcomeLine(
  output: string,
  ok: boolean,
  stack: string,
  dir: string,
  shape?: FleetShape,
): { summary: string; hint?: string } {
  return runSummary(output, ok, {
    stack,
    backendChanged: () => backendChangedLine(stack, dir).replace(`${stack}: `, ""),
    ...(shape === undefined ? {} : { shape }),
    now: new Date(),
  });
}

/** Runs terraform in a stack's directory, logging as it goes and reporting silences. */
export function terraform(ctx: FleetContext, stack: string, log: string, args: readonly string[]) {
  const stallSeconds = ctx.stallSeconds ?? 300;
  return runStreaming("terraform", [...args], {
    cwd: stackDir(ctx, stack),
    env: { ...ctx.env, TF_IN_AUTOMATION: "1" },
    logFile: log,
    label: stack,
    // Terraform's lock names no process: the pid that may hold it is recorded for `npm run unlock`.
    onStart: (pid) => {
      // Only a run given a lock timeout takes the lock.
      const lockTimeoutSeconds = lockTimeoutOf(args);
      if (lockTimeoutSeconds !== undefined) {
        recordLockHolder(lockRecordDir(PROJECT), stackDir(ctx, stack), pid, lockTimeoutSeconds);
      }
    },
    stallSeconds,
    onStall: (silent, lastLine) => {
      ctx.progress(
        `${stack}: stalled? no output for ${silent}s; last line: ${lastLine === "" ? "(none yet)" : lastLine}`,
      );
    },
  });
}

/** Where a stack directory keeps the stamp of its last plain init (terraform/init-stamp.ts). */
const INIT_STAMP = join(".terraform", "cloudrim-init-stamp.json");

function readIfPresent(file: string): string | undefined {
  return existsSync(file) ? readFileSync(file, "utf8") : undefined;
}

/** What a stack directory's init depends on and left behind, read from disk. */
export function initInputs(dir: string, reconfigure: boolean): InitInputs | undefined {
  const synthesized = readIfPresent(join(dir, "cdk.tf.json"));
  if (synthesized === undefined) return undefined;
  const { terraform: block, module } = JSON.parse(synthesized) as { terraform?: unknown; module?: unknown };
  return {
    configuration: JSON.stringify({ terraform: block, module }),
    lockFile: readIfPresent(join(dir, ".terraform.lock.hcl")),
    initialised: readIfPresent(join(dir, ".terraform", "terraform.tfstate")),
    providersInstalled: existsSync(join(dir, ".terraform", "providers")),
    overrides: readdirSync(dir).filter(isOverrideFile),
    reconfigure,
  };
}

/**
 * `terraform init` for a stack, with `-reconfigure` only where the target allows it. A plain init (no extra
 * flags) is skipped when the last one left the directory initialised for the same inputs
 * (terraform/init-stamp.ts): it would change nothing. Any init run drops the stamp first.
 */
export async function init(
  ctx: FleetContext,
  stack: string,
  log: string,
  extra: readonly string[] = [],
): Promise<{ readonly code: number; readonly output: string }> {
  const reconfigure = ctx.reconfigure ?? reconfiguresBackends(ctx.target);
  const dir = stackDir(ctx, stack);
  const stampFile = join(dir, INIT_STAMP);
  const plain = extra.length === 0;
  if (plain && initIsCurrent(readIfPresent(stampFile), initInputs(dir, reconfigure))) {
    const line = "terraform init skipped: the stack's backend, providers and lock file are as its last init left them";
    mkdirSync(dirname(log), { recursive: true });
    appendFileSync(log, `${line}\n`);
    return { code: 0, output: line };
  }
  rmSync(stampFile, { force: true });
  const initialised = await terraform(ctx, stack, log, [
    "init",
    "-input=false",
    "-no-color",
    ...(reconfigure && !extra.includes("-migrate-state") ? ["-reconfigure"] : []),
    ...extra,
  ]);
  // Any init that succeeded with no override file beside the stack (a migration's too) left the directory
  // initialised for exactly its configuration.
  const inputs = initialised.code === 0 ? initInputs(dir, reconfigure) : undefined;
  const stamp = inputs === undefined ? undefined : initStamp(inputs);
  if (stamp !== undefined) writeFileSync(stampFile, stamp);
  return initialised;
}

/** `terraform plan -out=FILE` (with extra flags) and its JSON; the run's output when it fails. */
export async function planTo(
  ctx: FleetContext,
  stack: string,
  log: string,
  file: string,
  flags: readonly string[],
): Promise<{ ok: true; plan: TerraformPlanJson } | { ok: false; output: string; code: number }> {
  const planned = await terraform(ctx, stack, log, [
    "plan",
    "-input=false",
    "-no-color",
    lockTimeoutFlag(ctx),
    `-out=${file}`,
    ...flags,
  ]);
  if (planned.code !== 0) return { ok: false, output: planned.output, code: planned.code };
  const shown = await run("terraform", ["show", "-json", "-no-color", file], {
    cwd: stackDir(ctx, stack),
    env: ctx.env,
  });
  if (shown.code !== 0) return { ok: false, output: shown.stderr, code: shown.code };
  return { ok: true, plan: JSON.parse(shown.stdout) as TerraformPlanJson };
}

/**
 * `-replace=…` for each weighted record still in the first releases' CNAME form (terraform/legacy-records.ts),
 * read from the region stack's state object in its bucket (a `terraform state pull` would start Terraform for
 * it, before every plan and deploy); none for another stack (they hold no weighted records) or a stack without
 * state yet.
 */
export async function legacyReplacements(ctx: FleetContext, stack: string): Promise<string[]> {
  const region = ctx.shape.regions.find((r) => r.stackName === stack);
  if (region === undefined) return [];
  const { bucket, key } = region.state;
  const state = await readObjectText(regionClients(ctx.target, region.state.region).s3, bucket, key);
  if (state === undefined || state.trim() === "") return [];
  const addresses = legacyWeightedRecords(JSON.parse(state) as TerraformState);
  if (addresses.length > 0) {
    ctx.progress(
      `${stack}: replacing the ${addresses.length} CNAME members of its regional set with alias records (deleted first, then created)`,
    );
  }
  return replaceFlags(addresses);
}

/** The outcome of a finished step, reported on the progress line too. */
export function finish(
  ctx: FleetContext,
  stack: string,
  started: number,
  log: string,
  result: { code: number; output: string },
): StackOutcome {
  const ok = result.code === 0;
  const seconds = Math.round((Date.now() - started) / 1000);
  const signal = interruption();
  if (!ok && signal !== undefined) {
    const summary = `interrupted by ${signal}: Terraform stopped after the resource it was on and saved its state; run the command again to finish`;
    ctx.progress(`${stack}: ${summary} (${seconds}s)`);
    return { stack, status: "interrupted", summary, log, seconds };
  }
  const line = outcomeLine(result.output, ok, stack, stackDir(ctx, stack), ctx.shape);
  ctx.progress(`${stack}: ${line.summary} (${seconds}s)`);
  if (line.hint !== undefined) ctx.progress(`${stack}: fix: ${line.hint}`);
  return {
    stack,
    status: ok ? "succeeded" : "failed",
    summary: line.summary,
    ...(line.hint === undefined ? {} : { hint: line.hint }),
    log,
    seconds,
  };
}

/**
 * Init, then the checks every apply or destroy of a stack makes first: a working copy that remembers another
 * backend stops at init (Terraform's own guard); a fresh one is checked for state under another key; a
 * deploy replaces the first releases' CNAME members. Returns the failed outcome, or the extra flags.
 */
export async function prepareStack(
  ctx: FleetContext,
  action: StackAction,
  stack: string,
  log: string,
  started: number,
): Promise<{ readonly ok: false; readonly outcome: StackOutcome } | { readonly ok: true; readonly flags: string[] }> {
  const initialised = await init(ctx, stack, log);
  if (initialised.code !== 0) return { ok: false, outcome: finish(ctx, stack, started, log, initialised) };
  // A fresh working copy does not remember its backend: its new, empty key must not hide the stack's state.
  const elsewhere = await stateElsewhere(ctx.target, ctx.shape, stack);
  if (elsewhere.length > 0) {
    const summary = `failed: ${stateElsewhereLine(ctx.shape, stack, elsewhere).replace(`${stack}: `, "")}`;
    ctx.progress(`${stack}: ${summary}`);
    return {
      ok: false,
      outcome: { stack, status: "failed", summary, log, seconds: Math.round((Date.now() - started) / 1000) },
    };
  }
  return { ok: true, flags: action === "deploy" ? await legacyReplacements(ctx, stack) : [] };
}

/**
 * Init, then apply or destroy one (non-bootstrap) stack. `beforeRun` runs between the two (a teardown's
 * adoption of orphans); its failure is the stack's.
 */
export async function applyStack(
  ctx: FleetContext,
  action: StackAction,
  stack: string,
  beforeRun?: (log: string) => Promise<{ readonly code: number; readonly output: string } | undefined>,
): Promise<StackOutcome> {
  const started = Date.now();
  ctx.progress(`${stack}: ${action === "deploy" ? "deploying" : "destroying"}`);
  const log = join(ctx.logDir, `${stack}.${action}.log`);
  const prepared = await prepareStack(ctx, action, stack, log, started);
  if (!prepared.ok) return prepared.outcome;
  const failedBefore = await beforeRun?.(log);
  if (failedBefore !== undefined) return finish(ctx, stack, started, log, failedBefore);
  const applied = await terraform(ctx, stack, log, [
    action === "deploy" ? "apply" : "destroy",
    "-auto-approve",
    "-input=false",
    "-no-color",
    lockTimeoutFlag(ctx),
    ...prepared.flags,
  ]);
  return finish(ctx, stack, started, log, applied);
}

/**
 * Applies the plan the stack's last `terraform plan` saved (plan.tfplan), exactly: Terraform refuses it
 * if the state changed since, and plans nothing new.
 */
export async function applySavedPlan(ctx: FleetContext, stack: string): Promise<StackOutcome> {
  const started = Date.now();
  ctx.progress(`${stack}: applying its saved plan`);
  const log = join(ctx.logDir, `${stack}.apply.log`);
  const applied = await terraform(ctx, stack, log, [
    "apply",
    "-input=false",
    "-no-color",
    lockTimeoutFlag(ctx),
    "plan.tfplan",
  ]);
  return finish(ctx, stack, started, log, applied);
}
