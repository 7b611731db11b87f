import { App } from "cdktf";
import { addFleet } from "./constructs/fleet";
import { loadFleetInput } from "./lib/load-config";
import { targetFromEnv } from "./lib/target";
import { formatProblems, validateFleet } from "./lib/validate";

/*
 * Entry point for `cdktf synth|diff|deploy`: read the target and the fleet definition, validate all of
 * it, and only then create constructs. Invalid input prints every problem and exits 1 before anything
 * is written.
 */
function main(): number {
  const target = targetFromEnv(process.env);
  if (!target.ok) {
    console.error(formatProblems(target.problems, "the environment"));
    return 1;
  }
  const loaded = loadFleetInput(process.env, process.cwd(), target.target);
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
  addFleet(app, validation.plan, target.target);
  app.synth();
  return 0;
}

process.exitCode = main();
