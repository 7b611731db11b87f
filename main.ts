import { BUILT_IN_FLEETS } from "./regions";
import { existsSync, rmSync } from "node:fs";
import { App } from "cdktf";
import { addFleet, fleetBaseline } from "./constructs/fleet";
import { formatFinding } from "./baseline/format";
import { noticeLines, resolveFleet } from "./fleet/adapters/resolve";

/*
 * Entry point for `cdktf synth|diff|deploy`: read the target and the fleet definition, validate all of
 * it, adapt it to the target, and only then create constructs. Invalid input prints every problem and
 * exits 1 before anything is written; so does a fleet that breaks the security baseline. The fleet's warnings, and on the local target each substitution,
 * are printed once, on stdout (cdktf shows an app's stdout as it is, and its stderr as errors).
 */
function main(): number {
  const fleet = resolveFleet(process.env, process.cwd(), BUILT_IN_FLEETS);
  if (!fleet.ok) {
    console.error(fleet.message);
    return 1;
  }
  for (const line of noticeLines(fleet)) console.log(line);
  // The App makes its output directory as it is constructed: one it made is removed again if nothing is written.
  const outdirExisted = existsSync(process.env.CDKTF_OUTDIR ?? "cdktf.out");
  const app = new App();
  addFleet(app, fleet.shape, fleet.target);
  const { findings } = fleetBaseline(app, fleet.shape);
  if (findings.length > 0) {
    console.error(
      [
        `security baseline: ${findings.length} finding${findings.length === 1 ? "" : "s"}; nothing was written (docs/security.md):`,
        ...findings.map((f) => `  ${formatFinding(f)}`),
        "  (accept one on purpose with baselineExceptions: rule, resources and the reason)",
      ].join("\n"),
    );
    if (!outdirExisted) rmSync(app.outdir, { recursive: true, force: true });
    return 1;
  }
  app.synth();
  return 0;
}

process.exitCode = main();
