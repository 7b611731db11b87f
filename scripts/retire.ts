import { resolve } from "node:path";
import { noticeLines, resolveFleet } from "../lib/fleet-input";
import { terraformEnv } from "../lib/terraform-env";
import {
  AWS_ENVIRONMENT,
  defineCommand,
  FLEET_ENVIRONMENT,
  OUTDIR_OPTION,
  startCommand,
  TERRAFORM_ENVIRONMENT,
} from "../ops/command";
import { UserFacingError } from "../ops/console";
import { fleetContext, outcomeReport, PROJECT } from "../ops/fleet-ops";
import { retireRegion } from "../ops/retired";
import { terraformProblem } from "../ops/terraform-check";

export const command = defineCommand({
  name: "retire",
  summary: "Destroys what a region the fleet file no longer lists still runs, then deletes its empty state.",
  description: [
    "A region removed from the fleet file keeps running (its instances, load balancers and records: everything its state holds); npm run plan and npm run deploy name such regions and this command. It destroys everything the region's state holds and deletes the emptied state. It refuses a region that is still in the fleet file.",
  ],
  options: {
    outdir: OUTDIR_OPTION,
  },
  positional: {
    name: "region",
    count: "one",
    description: "the retired region, as its state names it (e.g. us-west-2)",
  },
  environment: [...FLEET_ENVIRONMENT, ...AWS_ENVIRONMENT, ...TERRAFORM_ENVIRONMENT],
  exitCodes: [
    { code: 0, meaning: "retired: destroyed, and its state deleted" },
    { code: 1, meaning: "it failed (the region is still in the fleet file, has no state, or Terraform failed)" },
  ],
  onInterrupt: "finish",
  run: async ({ values, positionals: [region] }, { progress }) => {
    const problem = terraformProblem();
    if (problem !== undefined) throw new UserFacingError(problem);
    const env = terraformEnv(PROJECT);
    const fleet = resolveFleet(env, process.cwd());
    if (!fleet.ok) throw new UserFacingError(fleet.message);
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
  },
});

if (require.main === module) startCommand(command);
