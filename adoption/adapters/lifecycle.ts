/*
 * The life of a region stack's import blocks (adopt.tf.json, beside cdk.tf.json), in one place. What an
 * interrupted apply left in AWS but not in the state is adopted by importing it:
 * - a plan of a region decides afresh (planAdoptingAfresh): the last run's blocks go first, then each plan is
 *   followed by a look for its orphans, and the blocks found are written and planned again;
 * - the blocks stay while the plans after it need them (a deploy's stage plans, a reviewed deploy applying the
 *   plans it made), and a deploy removes them when it ends (withAdoptions), whatever happened: the imports are
 *   done, or the apply failed and the next deploy decides afresh;
 * - a destroy ignores import blocks (Terraform ≥ 1.9), so a teardown imports them with `terraform import`
 *   first (importOrphans), then removes them and its plan.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { adoptableAddresses, adoptionLine, importBlocks, listedAddresses } from "../decide";
import type { StackJson } from "../../baseline/terraform-json";
import type { RegionShape } from "../../fleet/shape";
import type { Target } from "../../fleet/target";
import type { TerraformPlanJson } from "../../terraform/plan-json";
import { lockTimeoutFlag, stackDir, type FleetContext } from "../../terraform/adapters/context";
import { planTo, terraform } from "../../terraform/adapters/runner";
import { decideOrphans } from "./adopt";

/** The file of import blocks Terraform reads beside cdk.tf.json. */
export const ADOPTION_FILE = "adopt.tf.json";

/** The import blocks written for this stack so far. */
export function writtenImports(dir: string): { to: string; id: string }[] {
  const file = join(dir, ADOPTION_FILE);
  if (!existsSync(file)) return [];
  return (JSON.parse(readFileSync(file, "utf8")) as { import: { to: string; id: string }[] }).import;
}

function clearAdoptions(dir: string): void {
  rmSync(join(dir, ADOPTION_FILE), { force: true });
}

/**
 * Plans a region stack with adoption, deciding afresh from AWS and the state (a previous run's blocks are
 * removed first): after each plan, looks for the orphans of its creations and, when it found some, writes
 * their import blocks and plans again (an adopted load balancer or group makes its listeners' and rules'
 * identities known to the next plan). Prints one line per decision. Returns the last plan's result; the
 * blocks stay for the plans that follow it.
 */
export async function planAdoptingAfresh<R extends { ok: boolean }>(
  target: Target,
  region: RegionShape,
  dir: string,
  say: (line: string) => void,
  plan: () => Promise<R>,
  planOf: (result: R) => TerraformPlanJson | undefined,
): Promise<R> {
  clearAdoptions(dir);
  const reported = new Set<string>();
  let result = await plan();
  // Each round can only make more identities known; four rounds reach records aliasing records.
  for (let round = 0; round < 4; round++) {
    const planned = planOf(result);
    if (!result.ok || planned === undefined) return result;
    const imports = writtenImports(dir);
    const decisions = await decideOrphans(target, region, planned, new Set(imports.map((i) => i.to)));
    for (const d of decisions.filter((x) => !reported.has(x.address))) {
      reported.add(d.address);
      say(adoptionLine(d));
    }
    const adopted = importBlocks(decisions).import;
    if (adopted.length === 0) return result;
    writeFileSync(join(dir, ADOPTION_FILE), `${JSON.stringify({ import: [...imports, ...adopted] }, null, 2)}\n`);
    result = await plan();
  }
  return result;
}

/** Runs a deploy of the stack in `dir`, then removes its import blocks, however it ended. */
export async function withAdoptions<T>(dir: string, deploy: () => Promise<T>): Promise<T> {
  try {
    return await deploy();
  } finally {
    clearAdoptions(dir);
  }
}

/**
 * Before a region's destroy: what an interrupted apply created but never recorded is imported into its
 * state, so the destroy removes it too (a destroy ignores import blocks); a region never applied has no
 * state, and is looked for as well. Costs one `terraform state list` when the state holds every resource
 * that could be orphaned. Returns the failed run, if one failed.
 */
export async function importOrphans(
  ctx: FleetContext,
  region: RegionShape,
  log: string,
): Promise<{ readonly code: number; readonly output: string } | undefined> {
  const stack = region.stackName;
  const dir = stackDir(ctx, stack);
  const listed = await terraform(ctx, stack, log, ["state", "list", "-no-color"]);
  const inState = listedAddresses(listed.code, listed.output);
  if (inState === undefined) return listed;
  const synthesized = JSON.parse(readFileSync(join(dir, "cdk.tf.json"), "utf8")) as StackJson;
  if (adoptableAddresses(synthesized).every((address) => inState.has(address))) return undefined;
  const say = (line: string) => {
    ctx.progress(`${stack}: ${line}`);
  };
  try {
    const planned = await planAdoptingAfresh(
      ctx.target,
      region,
      dir,
      say,
      () => planTo(ctx, stack, log, "adopt.tfplan", []),
      (result) => (result.ok ? result.plan : undefined),
    );
    if (!planned.ok) return planned;
    for (const { to, id } of writtenImports(dir)) {
      const imported = await terraform(ctx, stack, log, [
        "import",
        "-input=false",
        "-no-color",
        lockTimeoutFlag(ctx),
        to,
        id,
      ]);
      if (imported.code !== 0) return imported;
    }
    return undefined;
  } finally {
    clearAdoptions(dir);
    rmSync(join(dir, "adopt.tfplan"), { force: true });
  }
}
