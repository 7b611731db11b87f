/*
 * npm run retire -- <region> [--outdir DIR]
 *
 * Destroys what a region the fleet file no longer lists still runs (its instances, load balancers and
 * records: everything its state holds), then deletes its empty state. `npm run plan` and `npm run deploy`
 * name such regions and this command. Refuses a region that is still in the fleet file.
 */
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { noticeLines, resolveFleet } from "../lib/fleet-input";
import { terraformEnv } from "../lib/terraform-env";
import { progressPrinter, runMain, UserFacingError } from "../ops/console";
import { fleetContext, outcomeReport, PROJECT } from "../ops/fleet-ops";
import { retireRegion } from "../ops/retired";
import { terraformProblem } from "../ops/terraform-check";

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { outdir: { type: "string", default: process.env.CDKTF_OUTDIR ?? "cdktf.out" } },
  });
  const [region, ...extra] = positionals;
  if (region === undefined || extra.length > 0) throw new UserFacingError("usage: npm run retire -- <region>");
  const problem = terraformProblem();
  if (problem !== undefined) throw new UserFacingError(problem);
  const env = terraformEnv(PROJECT);
  const fleet = resolveFleet(env, process.cwd());
  if (!fleet.ok) throw new UserFacingError(fleet.message);
  const progress = progressPrinter("retire");
  for (const line of noticeLines(fleet)) progress(line);
  const ctx = fleetContext({
    env,
    outdir: resolve(values.outdir),
    progress,
    plan: fleet.plan,
    target: fleet.target,
    workDir: process.cwd(),
  });
  const outcome = await retireRegion(ctx, region);
  process.stdout.write(`${outcomeReport(outcome)}\n`);
  return outcome.ok ? 0 : 1;
}

if (require.main === module) runMain(main, "retire");
