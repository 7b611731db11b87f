import { DescribeAutoScalingGroupsCommand } from "@aws-sdk/client-auto-scaling";
import { DescribeLoadBalancersCommand } from "@aws-sdk/client-elastic-load-balancing";
import type { FleetConfig } from "../../fleet/schema";
import type { Target } from "../../fleet/target";
import { changesOf } from "../../terraform/plan-json";
import { regionClients } from "../../fleet/adapters/aws-clients";
import { planStack } from "../../review/adapters/plan-stacks";
import { LocalFleet } from "./local-fleet";
import { smallFleet } from "./shop-fleet";

/*
 * A fleet that does not refresh its instances (`instanceRefresh: false`, a documented option) still changes: a
 * port taken away in one deploy is judged on the instances the group has, which keep their launch template
 * version until they are replaced, and nothing is "rolled back". One region of one instance on its own local
 * AWS (its state bucket and zone made with the AWS SDK).
 */
jest.setTimeout(10 * 60_000);

const REGION = "us-west-2";
const STACK = "still-e2e-us-west-2";

const stillFleet = (processes: number): FleetConfig =>
  smallFleet("still", [{ region: REGION, processes }], { instanceRefresh: false, rollout: { bakeSeconds: 3 } });

describe("a fleet without instance refresh", () => {
  let local: LocalFleet;
  let target: Target;

  beforeAll(async () => {
    local = await LocalFleet.start();
    ({ target } = await local.configure(stillFleet(3)));
    await local.deployRegions();
  });
  afterAll(async () => {
    await local.stop();
  });

  it("loses a port in one deploy: judged on the instance it has, which keeps its version, and plans nothing after", async () => {
    const { autoScaling, elb } = regionClients(target, REGION);
    const group = async () =>
      (await autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [STACK] })))
        .AutoScalingGroups?.[0];
    const before = await group();
    const instance = before?.Instances?.[0]?.InstanceId;
    expect(before?.Instances).toHaveLength(1);

    await local.configure(stillFleet(2));
    const result = await local.command("deploy", ["--outdir", local.outdir, STACK]);
    expect({ code: result.code, stderr: result.stderr.split("\n").slice(-10) }).toMatchObject({ code: 0 });
    const oldVersion = before?.Instances?.[0]?.LaunchTemplate?.Version ?? "?";
    expect(result.stderr).toMatch(
      new RegExp(
        `${STACK}: instanceRefresh is off: the instances keep launch template version ${oldVersion} until they are replaced; new ones launch version \\d+`,
      ),
    );
    expect(result.stderr).toContain(`${STACK}: 1 instance in service on all 2 ports`);
    expect(result.stderr).toMatch(new RegExp(`${STACK}: baked 3 s: no alarm in ALARM`));
    expect(result.stderr).not.toContain("rolled back");

    // The same instance serves both remaining ports; the third port's load balancer is gone.
    const after = await group();
    expect(after?.Instances?.map((i) => [i.InstanceId, i.LaunchTemplate?.Version])).toEqual([[instance, oldVersion]]);
    const balancers = (await elb.send(new DescribeLoadBalancersCommand({}))).LoadBalancerDescriptions ?? [];
    expect(balancers.map((b) => [b.LoadBalancerName, b.Instances?.map((i) => i.InstanceId)]).sort()).toEqual([
      ["still-e2e-9000", [instance]],
      ["still-e2e-9001", [instance]],
    ]);
    const again = await planStack(local.context(), STACK);
    expect(again.status === "planned" ? changesOf(again.plan) : again.error).toEqual([]);
  });
});
