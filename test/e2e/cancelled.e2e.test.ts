import { changesOf } from "../../lib/plan-report";
import { planStack } from "../../ops/plan-stacks";
import { destroyStacks } from "../../ops/stack-runs";
import {
  cutFleet,
  deployUntilCreated,
  fleetResources,
  killRunner,
  lockExists,
  STACK,
  startCutFleet,
  stateAddresses,
} from "./cut-fleet";
import type { LocalFleet } from "./local-fleet";

/*
 * A cancelled job (SIGINT mid-apply: Terraform stops cleanly) while a deployed region grows from three ports
 * to five, then a runner that dies while the next deploy adds a sixth, and a teardown straight after: one
 * region on its own local AWS, in that order. The region is deployed whole first, as a fleet is before it
 * changes: a cancel during a region's very first apply leaves its security groups tainted, the next deploy
 * replaces them, and a kill right then leaves a new group the teardown cannot adopt while the state still
 * holds the deleted one (a gap of the teardown's adoption, not what this scenario is about).
 */
jest.setTimeout(10 * 60_000);

describe("a deploy cancelled halfway, then one cut short and torn down", () => {
  let local: LocalFleet;

  beforeAll(async () => {
    local = await startCutFleet(3);
    await local.deploy();
  });
  afterAll(async () => {
    await local.stop();
  });

  it("after a cancelled job (SIGINT mid-apply): Terraform stops, saves its state and releases its lock; the next plan holds only what was not created yet", async () => {
    await local.configure(cutFleet(5));
    const before = await planStack(local.context(), STACK);
    const planned = before.status === "planned" ? changesOf(before.plan).length : -1;
    expect(planned).toBeGreaterThan(6);

    const cancelled = deployUntilCreated(local, (created) => created.length >= 2, "2 resources");
    await cancelled.applying;
    process.kill(-(cancelled.child.pid ?? 0), "SIGINT");
    const { code, stderr } = await cancelled.done;
    expect({ code, stderr: stderr.split("\n").slice(-6) }).toMatchObject({ code: 130 });
    expect(stderr).toContain(`deploy: SIGINT: stopping ${STACK}: each Terraform finishes the resource it is on`);
    expect(stderr).toMatch(
      new RegExp(
        `deploy: interrupted by SIGINT; stopped: ${STACK} \\(state saved, lock released\\)\\. Run the same deploy again`,
      ),
    );
    expect(await lockExists(local)).toBe(false);
    const after = await planStack(local.context(), STACK);
    const remaining = after.status === "planned" ? changesOf(after.plan).length : -1;
    expect(remaining).toBeGreaterThan(0);
    expect(remaining).toBeLessThan(planned);
  });

  it("tears down everything, what a killed deploy created and never recorded included", async () => {
    // One more port, cut short by a dead runner once its load balancer exists: created, never recorded.
    await local.configure(cutFleet(6));
    const killed = deployUntilCreated(
      local,
      (created) => created.some((address) => address.startsWith("aws_elb.")),
      "a load balancer",
    );
    await killed.applying;
    killRunner(local, killed.child);
    await killed.done;
    const recorded = await stateAddresses(local);
    const unlocked = await local.command("unlock", ["--outdir", local.outdir, STACK]);
    expect(unlocked.code).toBe(0);

    const progress: string[] = [];
    const { stacks } = await local.configure(cutFleet(6));
    const outcomes = await destroyStacks(
      local.context((line) => progress.push(line)),
      stacks,
    );
    expect(outcomes.filter((o) => !o.ok)).toEqual([]);
    // Something was adopted before the destroy, beyond what the state recorded.
    const adoptedLines = progress.filter((l) => l.startsWith(`${STACK}: adopting `));
    expect(adoptedLines).toContainEqual(expect.stringMatching(new RegExp(`^${STACK}: adopting aws_elb\\.`)));
    for (const line of adoptedLines) expect(recorded).not.toContain(/adopting (\S+) /.exec(line)?.[1]);
    expect(await fleetResources(local)).toEqual({
      launchTemplates: 0,
      loadBalancers: [],
      roles: 0,
      securityGroups: [],
      autoScalingGroups: [],
      logGroups: [],
      records: [],
    });
  });
});
