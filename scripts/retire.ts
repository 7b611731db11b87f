import { BUILT_IN_FLEETS } from "../regions";
import { resolve } from "node:path";
import { confirmationFor, DECLINED } from "../review/confirmation";
import { noticeLines, resolveFleet } from "../fleet/adapters/resolve";
import { terraformEnv } from "../terraform/adapters/env";
import {
  AWS_ENVIRONMENT,
  CI_ENVIRONMENT,
  defineCommand,
  FLEET_ENVIRONMENT,
  INTERRUPTED,
  OUTDIR_OPTION,
  startCommand,
  TERRAFORM_ENVIRONMENT,
} from "../cli/command";
import { terminalAsk } from "../cli/confirm";
import { UsageError, UserFacingError } from "../cli/console";
import { fleetContext, PROJECT } from "../terraform/adapters/context";
import { outcomeReport } from "../terraform/outcome";
import { retireRegion } from "../state/adapters/retire";
import { terraformProblem } from "../terraform/adapters/version";

export const command = defineCommand({
  name: "retire",
  summary: "Destroys what a region the fleet file no longer lists still runs, then deletes its empty state.",
  description: [
    "A region removed from the fleet file keeps running (its instances, load balancers and records: everything its state holds); npm run plan and npm run deploy name such regions and this command. It plans the destruction of everything the region's state holds, applies that saved plan, and deletes the emptied state. It refuses a region that is still in the fleet file.",
    "On AWS at a terminal it shows what the plan destroys and asks first; --yes and CI=true skip the question. Without a terminal on AWS it needs one of them, and refuses otherwise (exit 2, before it touches AWS). The local AWS never asks.",
  ],
  options: {
    yes: {
      type: "boolean",
      default: false,
      description: "destroy without asking (on AWS at a terminal, retire otherwise shows the plan and asks)",
    },
    outdir: OUTDIR_OPTION,
  },
  positional: {
    name: "region",
    count: "one",
    description: "the retired region, as its state names it (e.g. us-west-2)",
  },
  environment: [...FLEET_ENVIRONMENT, CI_ENVIRONMENT, ...AWS_ENVIRONMENT, ...TERRAFORM_ENVIRONMENT],
  exitCodes: [
    { code: 0, meaning: "retired: destroyed, and its state deleted" },
    { code: 1, meaning: "it failed (the region is still in the fleet file, has no state, or Terraform failed)" },
    { code: DECLINED, meaning: "answered no at the question; nothing was destroyed" },
  ],
  onInterrupt: "finish",
  run: async ({ values, positionals: [region] }, { progress, signal }) => {
    const problem = terraformProblem();
    if (problem !== undefined) throw new UserFacingError(problem);
    const env = terraformEnv(PROJECT);
    const fleet = resolveFleet(env, process.cwd(), BUILT_IN_FLEETS);
    if (!fleet.ok) throw new UserFacingError(fleet.message);
    const confirmation = confirmationFor("retire", {
      target: fleet.target.kind,
      stdinIsTerminal: process.stdin.isTTY,
      yes: values.yes,
      reviewed: false,
      ci: process.env.CI,
    });
    if (confirmation.kind === "refuse") throw new UsageError(confirmation.problem);
    for (const line of noticeLines(fleet)) progress(line);
    const ctx = fleetContext({
      env,
      outdir: resolve(values.outdir),
      progress,
      shape: fleet.shape,
      target: fleet.target,
      workDir: process.cwd(),
    });
    const outcome = await retireRegion(
      ctx,
      region,
      confirmation.kind === "ask"
        ? terminalAsk(
            `What retiring ${region} destroys in AWS (the saved plan: exactly what is applied):`,
            `Destroy it?`,
            signal,
          )
        : undefined,
    );
    if (outcome === "no") {
      progress("answered no: nothing was destroyed");
      return DECLINED;
    }
    if (outcome === "interrupted") {
      progress("interrupted before anything was destroyed");
      return INTERRUPTED;
    }
    process.stdout.write(`${outcomeReport(outcome)}\n`);
    return outcome.status === "succeeded" ? 0 : 1;
  },
});

if (require.main === module) startCommand(command);
