import { App } from "cdktf";
import { addFleet } from "./constructs/fleet";
import { noticeLines, resolveFleet } from "./lib/fleet-input";

/*
 * Entry point for `cdktf synth|diff|deploy`: read the target and the fleet definition, validate all of
 * it, adapt it to the target, and only then create constructs. Invalid input prints every problem and
 * exits 1 before anything is written. The fleet's warnings, and on the local target each substitution,
 * are printed once, on stdout (cdktf shows an app's stdout as it is, and its stderr as errors).
 */
function main(): number {
  const fleet = resolveFleet(process.env, process.cwd());
  if (!fleet.ok) {
    console.error(fleet.message);
    return 1;
  }
  for (const line of noticeLines(fleet)) console.log(line);
  const app = new App();
  addFleet(app, fleet.plan, fleet.target);
  app.synth();
  return 0;
}

process.exitCode = main();
