/*
 * npm run unlock -- <stack> [--force] [--outdir DIR]
 *
 * Shows who holds a stack's state lock (who, doing what, since when) and releases it with --force, or
 * without it when the holder ran on this machine and no Terraform works in the stack any more. Never
 * breaks a lock by default: a Terraform elsewhere may still be writing the state.
 */
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { noticeLines, resolveFleet } from "../lib/fleet-input";
import { terraformEnv } from "../lib/terraform-env";
import { progressPrinter, runMain, UserFacingError } from "../ops/console";
import { PROJECT } from "../ops/fleet-ops";
import { unlockStack } from "../ops/unlock";

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      force: { type: "boolean", default: false },
      outdir: { type: "string", default: process.env.CDKTF_OUTDIR ?? "cdktf.out" },
    },
  });
  const [stack, ...extra] = positionals;
  if (stack === undefined || extra.length > 0) throw new UserFacingError("usage: npm run unlock -- <stack> [--force]");
  const fleet = resolveFleet(terraformEnv(PROJECT), process.cwd());
  if (!fleet.ok) throw new UserFacingError(fleet.message);
  const progress = progressPrinter("unlock");
  for (const line of noticeLines(fleet)) progress(line);
  const outcome = await unlockStack(fleet.plan, fleet.target, stack, {
    force: values.force,
    stackDir: join(resolve(values.outdir), "stacks", stack),
  });
  for (const line of outcome.lines) process.stdout.write(`${line}\n`);
  return outcome.code;
}

if (require.main === module) runMain(main, "unlock");
