import { App } from "cdktf";
import { addFleet } from "./constructs/fleet";
import { resolveFleet } from "./lib/fleet-input";

/*
 * Entry point for `cdktf synth|diff|deploy`: read the target and the fleet definition, validate all of
 * it, and only then create constructs. Invalid input prints every problem and exits 1 before anything
 * is written.
 */
function main(): number {
  const fleet = resolveFleet(process.env, process.cwd());
  if (!fleet.ok) {
    console.error(fleet.message);
    return 1;
  }
  const app = new App();
  addFleet(app, fleet.plan, fleet.target);
  app.synth();
  return 0;
}

process.exitCode = main();
