import { join } from "node:path";
import { readFileSync, writeFileSync } from "node:fs";
import { DescribeAutoScalingGroupsCommand, SetInstanceHealthCommand } from "@aws-sdk/client-auto-scaling";
import { DescribeLaunchTemplatesCommand } from "@aws-sdk/client-ec2";
import { DescribeLoadBalancersCommand as DescribeLoadBalancersV2Command } from "@aws-sdk/client-elastic-load-balancing-v2";
import { HeadObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import type { FleetConfig } from "../../fleet/schema";
import type { Target } from "../../fleet/target";
import { regionClients } from "../../fleet/adapters/aws-clients";
import { findRetiredRegions } from "../../state/adapters/retire";
import { observeRegion } from "../../inspect/adapters/readback";
import { rolloutLockObject, rolloutLockStateKey } from "../../state/rollout-lock";
import { LocalFleet } from "./local-fleet";
import { oneWave, REGION_STACKS, regionPlan, shopFleet, STATE, stateKey, zoneRecords } from "./shop-fleet";

/*
 * A release rolled out in the default waves (the first region alone, then the rest): its new instances in the
 * first region are handed to their group as they appear, as a watchdog would; the rollout stops there and
 * rolls back to the end, a rerun refuses to bring it back, and a fixed release rolls out everywhere. Then the
 * second region is taken out of the fleet file and retired. Two regions of two ports, the second of network
 * load balancers; the first has three instances, so its refresh replaces one first (rollout.firstInstance's
 * default) and the deploy judges and bakes that one before the rest.
 */
jest.setTimeout(10 * 60_000);

const REGIONS: FleetConfig["regions"] = [
  { region: "us-east-1", processes: 2, capacity: { min: 3, desired: 3, max: 6 } },
  { region: "ap-southeast-2", processes: 2, loadBalancerType: "network" },
];
/**
 * The bad release below: the same code started with another command line, so every region's launch template
 * gets new user data and its instances are replaced. Its fix: another command line again.
 */
const RELEASED = { command: "node server.js --rollout" };
const FIXED = { command: "node server.js --fixed" };

describe("a rollout in waves, and a region retired", () => {
  let local: LocalFleet;
  let target: Target;

  beforeAll(async () => {
    // Classic load balancers report a new instance OutOfService while they register it and run its first checks,
    // as AWS's do: a rollout waits through that, and stops on none of it.
    local = await LocalFleet.start({ CLOUDRIM_LOCAL_AWS_REGISTRATION_SECONDS: "4" });
    ({ target } = await local.configure(oneWave(shopFleet({ regions: REGIONS }))));
    await local.deployRegions();
  });
  afterAll(async () => {
    await local.stop();
  });

  describe("a bad release, its new instances reported Unhealthy as they appear, stopped in the first wave", () => {
    const config = (app: { command: string }, regions = REGIONS) =>
      shopFleet({ regions, app, rollout: { bakeSeconds: 3 } });

    /** What a region runs: its group's launch template version, its instances (id, version, health), its template's newest version. */
    async function running(regionName: string) {
      const { autoScaling, ec2 } = regionClients(target, regionName);
      const { AutoScalingGroups: [group] = [] } = await autoScaling.send(
        new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [`shop-e2e-${regionName}`] }),
      );
      const { LaunchTemplates: [template] = [] } = await ec2.send(
        new DescribeLaunchTemplatesCommand({ LaunchTemplateIds: [group?.LaunchTemplate?.LaunchTemplateId ?? ""] }),
      );
      return {
        groupVersion: group?.LaunchTemplate?.Version,
        instances: (group?.Instances ?? [])
          .map((i) => [i.InstanceId ?? "", i.LaunchTemplate?.Version ?? "", i.HealthStatus ?? ""] as const)
          .sort(),
        latestVersion: template?.LatestVersionNumber,
      };
    }

    /**
     * As a watchdog that cannot keep the bad release up would: every instance of launch template `version` in
     * us-east-1 is handed to its group (SetInstanceHealth Unhealthy) as soon as it appears, until `stop()`.
     */
    function handOverEvery(version: string) {
      const { autoScaling } = regionClients(target, "us-east-1");
      const watching = { stopped: false };
      const handedOver = new Set<string>();
      const loop = (async () => {
        while (!watching.stopped) {
          const { AutoScalingGroups: [group] = [] } = await autoScaling.send(
            new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ["shop-e2e-us-east-1"] }),
          );
          for (const instance of group?.Instances ?? []) {
            const id = instance.InstanceId ?? "";
            if (instance.LaunchTemplate?.Version !== version || handedOver.has(id)) continue;
            await autoScaling.send(
              new SetInstanceHealthCommand({
                InstanceId: id,
                HealthStatus: "Unhealthy",
                ShouldRespectGracePeriod: false,
              }),
            );
            handedOver.add(id);
          }
          await new Promise((resolve) => setTimeout(resolve, 500));
        }
      })();
      return {
        handedOver,
        stop: async () => {
          watching.stopped = true;
          await loop;
        },
      };
    }

    const deploy = (...args: string[]) => local.command("deploy", ["--outdir", local.outdir, ...args]);

    let before: { east: Awaited<ReturnType<typeof running>>; sydney: Awaited<ReturnType<typeof running>> };

    it("stops the rollout in us-east-1, naming the instances, rolls it back to the end, and leaves the second wave untouched", async () => {
      before = { east: await running("us-east-1"), sydney: await running("ap-southeast-2") };
      const bad = String((before.east.latestVersion ?? 0) + 1);
      writeFileSync(local.configFile, JSON.stringify(config(RELEASED)));
      const watchdog = handOverEvery(bad);
      const result = await deploy(REGION_STACKS).finally(watchdog.stop);
      expect({ code: result.code, stderr: result.stderr.split("\n").slice(-8) }).toMatchObject({ code: 4 });
      // One instance first: the refresh stopped the region's change at its first new instance, not all three.
      expect(result.stderr).toMatch(
        /shop-e2e-us-east-1: instance refresh \w+ started: .*; one instance first \(it stops at 33% /,
      );
      expect(watchdog.handedOver.size).toBeGreaterThan(0);
      expect(watchdog.handedOver.size).toBeLessThan(before.east.instances.length);
      expect(result.stderr).toContain(
        "deploy: the rollout stopped at shop-e2e-us-east-1; not started: shop-e2e-ap-southeast-2. " +
          'What to do: docs/runbook.md, "A rollout stopped"',
      );
      expect(result.stdout).toMatch(
        new RegExp(
          // Whichever sees it first: AWS, which fails the refresh, or the deploy, which cancels it.
          `shop-e2e-us-east-1: stopped: (instance refresh \\w+ ended Failed: The instance refresh failed because instance i-\\w+, which it launched, is Unhealthy\\.|` +
            `instance i-\\w+(, i-\\w+)* \\(launch template version ${bad}\\) is Unhealthy for its Auto Scaling group( while the refresh ran \\(refresh \\w+ cancelled\\))?); ` +
            `rolled back: instances and the group back on launch template version ${before.east.groupVersion ?? "?"} \\(refresh \\w+ Successful\\)`,
        ),
      );
      expect(result.stderr).toContain(
        `shop-e2e-us-east-1: rollback: to launch template version ${before.east.groupVersion ?? "?"}, the last version that passed its bake here`,
      );
      expect(result.stdout).toContain(
        "shop-e2e-ap-southeast-2: not started: the rollout stopped at shop-e2e-us-east-1",
      );
      // us-east-1 runs what it ran before, every instance Healthy (its template keeps the new version); wave 2 is as it was.
      const after = await running("us-east-1");
      expect(after.groupVersion).toBe(before.east.groupVersion);
      expect(after.instances.length).toBe(before.east.instances.length);
      expect(
        after.instances.every(([, version, health]) => version === before.east.groupVersion && health === "Healthy"),
      ).toBe(true);
      expect(after.latestVersion).toBe(Number(bad));
      expect(await running("ap-southeast-2")).toEqual(before.sydney);
    });

    it("refuses to bring the rolled-back change back on a plain rerun, naming when, why and --retry, and changes nothing", async () => {
      const result = await deploy(REGION_STACKS);
      expect({ code: result.code, stderr: result.stderr.split("\n").slice(-8) }).toMatchObject({ code: 4 });
      expect(result.stdout).toMatch(
        /shop-e2e-us-east-1: refused: this change brings back the launch template content rolled back here at \S+Z \(it ran as launch template version \d+\): .*instance i-\w+.* is Unhealthy.*; fix the change, or deploy it anyway with npm run deploy -- --retry/,
      );
      expect((await running("us-east-1")).groupVersion).toBe(before.east.groupVersion);
      expect(await running("ap-southeast-2")).toEqual(before.sydney);
    });

    it("keeps a second rollout out while another holds the fleet's rollout lock, naming its holder; npm run unlock -- rollout releases another machine's only with --force", async () => {
      // A deploy on another runner is rolling the fleet out: its lock, as it writes it.
      const { shape } = await local.configure(config(FIXED));
      const lockKey = `${rolloutLockStateKey(shape.state.key)}.tflock`;
      const lock = { id: "5f1c2d3e-0000-4000-8000-000000000001", who: "runner@ci-elsewhere", created: new Date() };
      await regionClients(target, shape.state.region).s3.send(
        new PutObjectCommand({
          Bucket: STATE,
          Key: lockKey,
          Body: rolloutLockObject({ ...lock, path: `${STATE}/${lockKey}` }, "cloudrim-fleet"),
        }),
      );
      const refused = await deploy(REGION_STACKS);
      expect({ code: refused.code, stderr: refused.stderr.split("\n").slice(-4) }).toMatchObject({ code: 1 });
      expect(refused.stderr).toMatch(
        /another rollout of this fleet is running: two rollouts must not interleave; nothing was changed\.\nrollout: its state is locked by runner@ci-elsewhere \(npm run deploy's rollout of the fleet\) since /,
      );
      expect(refused.stdout).toBe("");
      const kept = await local.command("unlock", ["--outdir", local.outdir, "rollout"]);
      expect(kept.code).toBe(1);
      expect(kept.stdout).toContain("rollout: not released without --force: it was taken on ci-elsewhere");
      const released = await local.command("unlock", ["--outdir", local.outdir, "rollout", "--force"]);
      expect({ code: released.code, stdout: released.stdout }).toMatchObject({ code: 0 });
      expect(released.stdout).toContain(`rollout: released lock ${lock.id} (--force)`);
    });

    it("rolls a fixed change out everywhere, wave by wave, ap-southeast-2's new port with it in two stages", async () => {
      // The network load balancers' region gains a port: its target group is attached only in stage 2.
      const grown = REGIONS.map((r) => (r.region === "ap-southeast-2" ? { ...r, processes: 3 } : r));
      writeFileSync(local.configFile, JSON.stringify(config(FIXED, grown)));
      const result = await deploy(REGION_STACKS);
      expect({ code: result.code, stderr: result.stderr.split("\n").slice(-10) }).toMatchObject({ code: 0 });
      for (const regionName of ["us-east-1", "ap-southeast-2"]) {
        const now = await running(regionName);
        expect(now.groupVersion).toBe(String(now.latestVersion));
        expect(now.instances.every(([, version]) => version === String(now.latestVersion))).toBe(true);
      }
      // us-east-1's first new instance was judged on both ports and baked before the refresh replaced the rest.
      expect(result.stdout).toMatch(
        /shop-e2e-us-east-1: .*\n {4}rollout: first instance: 1 instance on launch template version \d+ in service on all 2 ports; first instance baked 3 s; refresh \w+ Successful; 3 instances .*; baked 3 s, no alarm/,
      );
      expect(result.stderr).toMatch(
        /shop-e2e-us-east-1: refresh \w+ stopped at its checkpoint \(33%\): judging its first instance on every port, then baking it/,
      );
      expect(result.stdout).toMatch(
        /shop-e2e-ap-southeast-2: .*\n {4}rollout: refresh \w+ Successful; .*; baked 3 s, no alarm/,
      );
      expect(result.stderr).toMatch(
        /shop-e2e-ap-southeast-2: two stages: first the launch template and the group, so every instance runs what port 9002's new load balancer will check; then the rest/,
      );
      expect(result.stdout).toMatch(
        /shop-e2e-ap-southeast-2: stage 1: .*\n {4}rollout: .*on all 2 ports; .*on all 3 ports; baked 3 s/,
      );
      const lines = result.stderr.split("\n");
      const bakedEast = lines.findIndex((l) => /shop-e2e-us-east-1: baked 3 s/.test(l));
      const wave2 = lines.findIndex((l) => /wave 2 of 2/.test(l));
      expect(bakedEast).toBeGreaterThan(0);
      expect(wave2).toBeGreaterThan(bakedEast);
    });
  });

  it("names a region removed from the fleet file in plan and report; npm run retire destroys it, its records and state, and no other region's", async () => {
    // The fleet as deployed (the fixed release), without ap-southeast-2.
    const remaining = REGIONS.filter((r) => r.region !== "ap-southeast-2");
    const { shape: deployed } = await local.configure(shopFleet({ regions: remaining, app: FIXED }));
    const reportFile = join(local.dir, "retired-report.md");
    const outdir = join(local.dir, "retire-plan.out");
    const planned = await local.command("plan", ["--report", reportFile, "--outdir", outdir, REGION_STACKS]);
    expect({ code: planned.code, stderr: planned.stderr.split("\n").slice(-10) }).toMatchObject({ code: 0 });
    const warning =
      /shop-e2e-ap-southeast-2: its region is no longer in the fleet file, but its state \(s3:\/\/shop-e2e-state\/cloudrim\/shop\/e2e\/ap-southeast-2\.tfstate\) still holds \d+ resources, which keep running .*; destroy them with `npm run retire -- ap-southeast-2`/;
    expect(planned.stderr).toMatch(new RegExp(`plan: warning: ${warning.source}`));
    const report = readFileSync(reportFile, "utf8");
    expect(report).toMatch(/^> \[!CAUTION\]\n> \*\*1 dangerous change\*\*/m);
    expect(report).toMatch(new RegExp(`> - \`shop-e2e-ap-southeast-2\`: its region is no longer in the fleet file`));

    // A region still in the fleet file is not retired.
    const listed = await local.command("retire", ["us-east-1"]);
    expect(listed.code).toBe(1);
    expect(listed.stderr).toContain("us-east-1 is in the fleet file");

    const retired = await local.command("retire", ["ap-southeast-2", "--outdir", join(local.dir, "retire.out")]);
    expect({ code: retired.code, stdout: retired.stdout, stderr: retired.stderr.split("\n").slice(-10) }).toMatchObject(
      {
        code: 0,
      },
    );
    expect(retired.stdout).toMatch(
      /shop-e2e-ap-southeast-2: Apply complete! Resources: 0 added, 0 changed, \d+ destroyed\./,
    );
    const sydney = regionClients(target, "ap-southeast-2");
    expect((await sydney.elbv2.send(new DescribeLoadBalancersV2Command({}))).LoadBalancers ?? []).toEqual([]);
    expect((await sydney.autoScaling.send(new DescribeAutoScalingGroupsCommand({}))).AutoScalingGroups ?? []).toEqual(
      [],
    );
    for (const key of [stateKey("ap-southeast-2"), `${stateKey("ap-southeast-2")}.rollout.json`]) {
      await expect(
        regionClients(target, "us-east-1").s3.send(new HeadObjectCommand({ Bucket: STATE, Key: key })),
      ).rejects.toThrow();
    }
    for (const name of ["us-east-1"]) {
      const r = regionPlan(deployed, name);
      const observed = await observeRegion(target, r);
      expect(observed.records.filter((rec) => rec.name === r.regionalName).map((w) => w.setIdentifier)).toEqual(
        r.ports.map((p) => p.setIdentifier),
      );
    }
    const records = await zoneRecords(target);
    expect(
      records
        .filter((r) => r.Name === "shop.shop.test.")
        .map((r) => r.SetIdentifier)
        .sort(),
    ).toEqual(["us-east-1"]);
    expect(records.filter((r) => r.Name?.includes("ap-southeast-2") === true)).toEqual([]);
    // Nothing is left for a plan or a deploy to mention.
    expect(await findRetiredRegions(target, deployed)).toEqual([]);
  });
});
