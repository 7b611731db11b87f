import { changesOf } from "../../lib/plan-report";
import { planStack } from "../../ops/plan-stacks";
import { deployUntilCreated, fleetResources, killRunner, lockExists, STACK, startCutFleet } from "./cut-fleet";
import type { LocalFleet } from "./local-fleet";

/*
 * A runner that dies mid-apply (SIGKILL to the deploy and its Terraform): the lock it leaves is released,
 * and the next deploy adopts what it created. One region of three ports on its own local AWS.
 */
jest.setTimeout(10 * 60_000);

describe("a deploy whose runner died halfway can be finished", () => {
  let local: LocalFleet;

  beforeAll(async () => {
    local = await startCutFleet(3);
  });
  afterAll(async () => {
    await local.stop();
  });

  it("after a runner died mid-apply: the lock is released as abandoned, and the next deploy adopts every orphan, duplicates nothing, and leaves nothing to plan", async () => {
    // Killed once the instance role and a few more exist: orphans of every kind the next deploy adopts.
    const role = /^aws_iam_role\.instance_role_/;
    const killed = deployUntilCreated(
      local,
      (created) => created.length >= 8 && created.some((address) => role.test(address)),
      "the instance role and 7 more resources",
    );
    await killed.applying;
    killRunner(local, killed.child);
    await killed.done;
    // What it created is in AWS, not in the state; its lock stays behind.
    expect(await lockExists(local)).toBe(true);
    const orphaned = await fleetResources(local);
    expect(orphaned.roles).toBe(1);

    // The holder was a process of this machine and no Terraform works in the stack: released without --force.
    const unlocked = await local.command("unlock", ["--outdir", local.outdir, STACK]);
    expect({ code: unlocked.code, stdout: unlocked.stdout }).toMatchObject({ code: 0 });
    expect(unlocked.stdout).toMatch(
      new RegExp(
        `^${STACK}: its state is locked by .* \\(apply, Terraform [\\d.]+\\) since .*\\n${STACK}: released lock [0-9a-f-]+ \\(its holder ran on this machine and no Terraform works in the stack any more\\)`,
      ),
    );

    const deployed = await local.command("deploy", ["--outdir", local.outdir, STACK]);
    expect({ code: deployed.code, stderr: deployed.stderr.split("\n").slice(-12) }).toMatchObject({ code: 0 });
    const adopted = deployed.stderr.match(/: adopting \S+ \(/g) ?? [];
    expect(adopted.length).toBeGreaterThanOrEqual(orphaned.roles + orphaned.loadBalancers.length);
    expect(deployed.stderr).toMatch(
      new RegExp(
        `deploy: ${STACK}: adopting aws_iam_role\\.instance_role_[0-9A-F]{8} \\(${STACK}\\): in AWS with this fleet's tags, but not in the stack's state`,
      ),
    );
    expect(deployed.stdout).toMatch(new RegExp(`${STACK}: .*Apply complete! Resources: \\d+ imported, `));
    expect(await fleetResources(local)).toEqual({
      launchTemplates: 1,
      loadBalancers: ["cut-e2e-9000", "cut-e2e-9001", "cut-e2e-9002"],
      roles: 1,
      securityGroups: [`${STACK}-instances`, `${STACK}-lb`],
      autoScalingGroups: [STACK],
      logGroups: [`/aws/events/${STACK}`, `/${STACK}`],
      records: [
        "cut.cut.test.",
        "cut.us-west-2.cut.test.",
        "cut.us-west-2.cut.test.",
        "cut.us-west-2.cut.test.",
        "cut0.e2e.us-west-2.cut.test.",
        "cut1.e2e.us-west-2.cut.test.",
        "cut2.e2e.us-west-2.cut.test.",
      ],
    });
    const again = await planStack(local.context(), STACK);
    expect(again.status === "planned" ? changesOf(again.plan) : again.error).toEqual([]);
  });
});
