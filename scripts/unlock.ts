import { join, resolve } from "node:path";
import { BUILT_IN_FLEETS } from "../regions";
import { noticeLines, resolveFleet } from "../fleet/adapters/resolve";
import { terraformEnv } from "../terraform/adapters/env";
import { AWS_ENVIRONMENT, defineCommand, FLEET_ENVIRONMENT, OUTDIR_OPTION, startCommand } from "../cli/command";
import { UserFacingError } from "../cli/console";
import { PROJECT } from "../terraform/adapters/context";
import { lockRecordDir, unlockStack } from "../state/adapters/unlock";

export const command = defineCommand({
  name: "unlock",
  summary: "Shows who holds a stack's state lock, since when, and releases it when that is safe or forced.",
  description: [
    "Shows who holds a stack's state lock (who, doing what, since when) and releases it with --force, or without it when its holder is provably gone: the Terraform this checkout recorded starting in the stack's directory (.local/locks/) took it on this machine and runs no more. It never breaks a lock by default: a Terraform elsewhere may still be writing the state. The lock is read again just before it is released, and left alone if it changed hands.",
  ],
  options: {
    force: {
      type: "boolean",
      default: false,
      description: "release the lock whoever holds it (only once the run that holds it is gone)",
    },
    outdir: {
      ...OUTDIR_OPTION,
      description: "where the stacks are synthesized: the Terraform recorded as started there may hold the lock",
    },
  },
  positional: { name: "stack", count: "one", description: "the stack whose lock to show (e.g. api-prod-us-east-1)" },
  environment: [
    ...FLEET_ENVIRONMENT,
    ...AWS_ENVIRONMENT,
    { name: "CDKTF_OUTDIR", description: "the default of --outdir" },
  ],
  exitCodes: [
    { code: 0, meaning: "released, or there was no lock" },
    { code: 1, meaning: "held, and not released (the lines say by whom and how to release it), or it failed" },
  ],
  onInterrupt: "exit",
  run: async ({ values, positionals: [stack] }, { progress }) => {
    const fleet = resolveFleet(terraformEnv(PROJECT), process.cwd(), BUILT_IN_FLEETS);
    if (!fleet.ok) throw new UserFacingError(fleet.message);
    for (const line of noticeLines(fleet)) progress(line);
    const outcome = await unlockStack(fleet.shape, fleet.target, stack, {
      force: values.force,
      recordDir: lockRecordDir(PROJECT),
      stackDir: join(resolve(values.outdir), "stacks", stack),
    });
    for (const line of outcome.lines) process.stdout.write(`${line}\n`);
    return outcome.code;
  },
});

if (require.main === module) startCommand(command);
