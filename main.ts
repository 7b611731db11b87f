import { App } from "cdktf";
import { addFleet } from "./constructs/fleet";
import { loadFleetInput } from "./lib/load-config";
import { formatProblems, validateFleet } from "./lib/validate";

/*
 * Entry point for `cdktf synth|diff|deploy`: load the fleet definition, validate all of it, and only
 * then create constructs. Invalid input prints every problem and exits 1 before anything is written.
 */
function main(): number {
  const loaded = loadFleetInput();
  if (!loaded.ok) {
    console.error(`${loaded.source}: ${formatProblems(loaded.problems)}`);
    return 1;
  }
  const validation = validateFleet(loaded.input);
  if (!validation.ok) {
    console.error(`${loaded.source}: ${formatProblems(validation.problems)}`);
    return 1;
  }
  const app = new App();
  addFleet(app, validation.plan);
  app.synth();
  return 0;
}

process.exitCode = main();
