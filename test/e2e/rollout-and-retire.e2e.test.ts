import { join } from "node:path";
import { readFileSync, writeFileSync } from "node:fs";
import { DescribeAutoScalingGroupsCommand } from "@aws-sdk/client-auto-scaling";
import { DescribeAlarmsCommand } from "@aws-sdk/client-cloudwatch";
import { DescribeLaunchTemplatesCommand } from "@aws-sdk/client-ec2";
import { DescribeInstanceHealthCommand } from "@aws-sdk/client-elastic-load-balancing";
import { DescribeLoadBalancersCommand as DescribeLoadBalancersV2Command } from "@aws-sdk/client-elastic-load-balancing-v2";
import { HeadObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import type { FleetConfig } from "../../fleet/schema";
import type { Target } from "../../fleet/target";
import { regionClients } from "../../fleet/adapters/aws-clients";
import { findRetiredRegions } from "../../state/adapters/retire";
import { observeRegion } from "../../inspect/adapters/readback";
import { rolloutLockObject, rolloutLockStateKey } from "../../state/rollout-lock";
import type { FleetShape } from "../../fleet/shape";
import { localEndpoints } from "../../live/endpoints";
import { fetchText, logFile, stopRunner, waitUntilServing } from "../../live/adapters/runner-process";
import { LocalFleet } from "./local-fleet";
import { oneWave, REGION_STACKS, regionPlan, shopFleet, STATE, stateKey, zoneRecords } from "./shop-fleet";

/*
 * A release rolled out in the default waves (the first region alone, then the rest), on the live fleet: every
 * instance the local AWS launches boots and serves on this machine, behind real load balancers, and nothing in
 * this file sets an instance's health or an alarm. A release whose process exits at start is stopped in the first
 * region by its own failing boot and rolled back, the second wave untouched; a rerun refuses to bring it back; a
 * fixed release rolls out everywhere. Throughout, a client asks each regional entry every 100 ms and sees no
 * failed request. Then the second region is taken out of the fleet file and retired. Two regions of two ports, the
 * second of network load balancers and two instances; the first has three, so its refresh replaces one first
 * (rollout.firstInstance's default) and the deploy judges and bakes that one before the rest.
 */
jest.setTimeout(15 * 60_000);

const REGIONS: FleetConfig["regions"] = [
  { region: "us-east-1", processes: 2, capacity: { min: 3, desired: 3, max: 6 } },
  { region: "ap-southeast-2", processes: 2, loadBalancerType: "network", capacity: { min: 2, desired: 2, max: 4 } },
];
/**
 * A change whose every process exits at start: its command names code that is not on the instance (a fleet that
 * names a command ships no default app). Its fix: the default app again, with a variable of its own, so every
 * region's launch template gets new user data and its instances are replaced.
 */
const BROKEN: FleetConfig["app"] = { command: "node missing-server.js" };
const FIXED: FleetConfig["app"] = { environment: { CHANGE: "fixed" } };

/**
 * Checked over HTTP, as a stopped process still accepts TCP connections, and the watchdog's shortest wait: what the
 * live fleet's stopped-process case shows.
 */
const CHECKS: Partial<FleetConfig> = {
  healthCheck: { interval: 5, healthyThreshold: 2, path: "/healthz" },
  watchdog: { failAfterSeconds: 10 },
};

describe("a rollout in waves, and a region retired", () => {
  let local: LocalFleet;
  let target: Target;
  let shape: FleetShape;
  const regionShapes = () => shape.regions;
  /** The group's instances in a region, by id. */
  const groupInstances = async (regionName: string) => {
    const r = regionPlan(shape, regionName);
    const { AutoScalingGroups: groups = [] } = await regionClients(target, regionName).autoScaling.send(
      new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [r.autoScaling.name] }),
    );
    return (groups[0]?.Instances ?? []).map((i) => i.InstanceId ?? "").sort();
  };
  /** What the app answers through `url`, `count` requests one after another. */
  const answers = async (url: string, count: number) => {
    const got: { port: number; pid: number; instance: string; release: string }[] = [];
    for (let i = 0; i < count; i++) {
      const answer = await fetchText(url);
      if (!answer.ok) throw new Error(`${url}: ${answer.text}`);
      got.push(JSON.parse(answer.text) as (typeof got)[number]);
    }
    return got;
  };
  const classicHealth = async (regionName: string, name: string) => {
    const { InstanceStates: states = [] } = await regionClients(target, regionName).elb.send(
      new DescribeInstanceHealthCommand({ LoadBalancerName: name }),
    );
    return [...states].sort((a, b) => (a.InstanceId ?? "").localeCompare(b.InstanceId ?? ""));
  };

  beforeAll(async () => {
    local = await LocalFleet.start({}, { live: true });
    ({ target, shape } = await local.configure(oneWave(shopFleet({ regions: REGIONS, ...CHECKS }))));
    // The live fleet first, as `make demo` starts it: the deploy's bake watches alarms the local AWS judges on the
    // live fleet's metrics, and with no instance running the ports' alarms would fire on the missing data.
    local.startLive();
    await local.deployRegions();
    // Every instance running, each healthy on every load balancer of its region.
    const waiting = await waitUntilServing(local.liveDir, regionShapes(), 180_000, true);
    if (waiting.length > 0)
      throw new Error(`not serving: ${waiting.join(", ")}\n${readFileSync(logFile(local.liveDir), "utf8")}`);
  });
  afterAll(async () => {
    await local.stop();
  });

  describe("every instance running, behind real load balancers (the live fleet)", () => {
    it.each(REGIONS.map((r) => r.region))(
      "in %s, every port's load balancer answers from every instance, each naming the change it runs",
      async (regionName) => {
        const r = regionPlan(shape, regionName);
        const endpoints = localEndpoints(shape.regions)[regionName];
        const instances = await groupInstances(regionName);
        expect(instances).toHaveLength(regionName === "us-east-1" ? 3 : 2);
        for (const port of r.ports) {
          const got = await answers(endpoints?.ports[String(port.port)] ?? "", 6);
          expect([...new Set(got.map((a) => a.instance))].sort()).toEqual(instances);
          expect(got.every((a) => a.port === port.port)).toBe(true);
          // One change everywhere: the digest of the code on the image (the fleet names no release).
          expect([...new Set(got.map((a) => a.release))]).toEqual([expect.stringMatching(/^sha256:[0-9a-f]{12}$/)]);
        }
        // The regional entry spreads over every port, by the weighted set.
        const spread = await answers(endpoints?.regional ?? "", 4 * r.ports.length);
        expect([...new Set(spread.map((a) => a.port))].sort()).toEqual(r.ports.map((p) => p.port));
      },
    );

    it("answers the name that spans regions from the nearest region whose regional name is healthy: the fleet's first", async () => {
      const global = localEndpoints(shape.regions)["us-east-1"]?.global ?? "";
      expect(global).toBe("http://127.77.0.1:9000");
      const usInstances = await groupInstances("us-east-1");
      const got = await answers(global, 6);
      expect(got.filter((a) => !usInstances.includes(a.instance))).toEqual([]);
    });

    it("reports, through the local AWS, what the load balancers' own checks found", async () => {
      const us = regionPlan(shape, "us-east-1");
      const usInstances = await groupInstances("us-east-1");
      for (const port of us.ports) {
        expect(await classicHealth("us-east-1", port.loadBalancerName)).toEqual(
          usInstances.map((id) => ({ InstanceId: id, State: "InService", ReasonCode: "N/A", Description: "N/A" })),
        );
      }
      const sydney = regionPlan(shape, "ap-southeast-2");
      const observed = await observeRegion(target, sydney);
      const sydneyInstances = await groupInstances("ap-southeast-2");
      for (const lb of observed.loadBalancers) {
        expect([...(lb.health ?? [])].sort((a, b) => a.id.localeCompare(b.id))).toEqual(
          sydneyInstances.map((id) => ({ id, state: "healthy" })),
        );
      }
    });

    it("takes a process stopped inside one instance out of its load balancer, and back in once the watchdog restarts it", async () => {
      const us = regionPlan(shape, "us-east-1");
      const port = us.ports[1];
      if (port === undefined) throw new Error("expected two ports");
      const url = localEndpoints(shape.regions)["us-east-1"]?.ports[String(port.port)] ?? "";
      const [victim] = (await answers(url, 2)).sort((a, b) => a.instance.localeCompare(b.instance));
      if (victim === undefined) throw new Error("no answer");
      const unhealthyAlarm = async () =>
        (
          await regionClients(target, "us-east-1").cloudWatch.send(
            new DescribeAlarmsCommand({ AlarmNames: [port.unhealthyAlarmName] }),
          )
        ).MetricAlarms?.[0];
      const alarmOk = async () => {
        let now = await unhealthyAlarm();
        for (let waited = 0; now?.StateValue !== "OK" && waited < 60; waited++) {
          await new Promise((resolve) => setTimeout(resolve, 1000));
          now = await unhealthyAlarm();
        }
        return now;
      };
      // OK before: the instances' first checks are minutes behind it.
      expect((await alarmOk())?.StateValue).toBe("OK");
      const alarmStates: string[] = [];
      const watching = setInterval(() => {
        void unhealthyAlarm().then((a) => alarmStates.push(a?.StateValue ?? "(none)"));
      }, 500);
      expect(local.asRoot(["kill", "-STOP", String(victim.pid)]).code).toBe(0);
      const stateOf = async () =>
        (await classicHealth("us-east-1", port.loadBalancerName)).find((s) => s.InstanceId === victim.instance);
      const until = async (want: (s: Awaited<ReturnType<typeof stateOf>>) => boolean, seconds: number) => {
        const deadline = Date.now() + seconds * 1000;
        let last = await stateOf();
        while (!want(last) && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 500));
          last = await stateOf();
        }
        return last;
      };
      // Out after the fleet's unhealthy threshold of failed checks (one a second here)...
      expect(await until((s) => s?.State === "OutOfService", 30)).toEqual({
        InstanceId: victim.instance,
        State: "OutOfService",
        ReasonCode: "Instance",
        Description: "Instance has failed at least the UnhealthyThreshold number of health checks consecutively.",
      });
      // ...and in again once the watchdog restarted it: a new process answers on that port of that instance.
      expect(await until((s) => s?.State === "InService", 60)).toMatchObject({ State: "InService" });
      const after = await answers(url, 4);
      const again = after.filter((a) => a.instance === victim.instance);
      expect(again.length).toBeGreaterThan(0);
      expect(again.every((a) => a.pid !== victim.pid)).toBe(true);
      // The port's unhealthy-instances alarm, judged by the local AWS from the metrics the proxies put (nothing set
      // it): it fired while the instance was out, for longer than its minutes, and clears once the instance is back.
      const cleared = await alarmOk();
      clearInterval(watching);
      expect(alarmStates).toContain("ALARM");
      expect({ state: cleared?.StateValue, reason: cleared?.StateReason }).toEqual({
        state: "OK",
        reason: expect.stringMatching(
          /^Threshold Crossed: \d+ out of the last \d+ datapoints \[[\d, ]+\] were not greater than the threshold \(0\)/,
        ) as unknown,
      });
    });
  });

  describe("a release that cannot start, stopped in the first wave by its own failing boot", () => {
    const config = (app: FleetConfig["app"], regions = REGIONS) =>
      shopFleet({ regions, app, rollout: { bakeSeconds: 3 }, ...CHECKS });

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
     * A client of every regional entry, one request to each every 100 ms until `stop()`: what it was answered
     * (the changes that served) and every request that failed.
     */
    function client() {
      const entries = Object.values(localEndpoints(regionShapes())).map((e) => e.regional);
      const seen = { requests: 0, failed: [] as string[], releases: new Set<string>() };
      const state = { stopped: false };
      const loop = (async () => {
        while (!state.stopped) {
          const answers = await Promise.all(entries.map((url) => fetchText(url, 5000)));
          for (const [i, answer] of answers.entries()) {
            seen.requests++;
            if (!answer.ok) seen.failed.push(`${entries[i] ?? ""}: ${answer.text}`);
            else seen.releases.add((JSON.parse(answer.text) as { release: string }).release);
          }
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      })();
      return {
        stop: async () => {
          state.stopped = true;
          await loop;
          return seen;
        },
      };
    }

    const deploy = (...args: string[]) => local.command("deploy", ["--outdir", local.outdir, ...args]);

    let before: { east: Awaited<ReturnType<typeof running>>; sydney: Awaited<ReturnType<typeof running>> };

    it("stops the rollout in us-east-1 by its own failing boot, rolls it back to the end, leaves the second wave untouched, and fails no request", async () => {
      before = { east: await running("us-east-1"), sydney: await running("ap-southeast-2") };
      const broken = String((before.east.latestVersion ?? 0) + 1);
      writeFileSync(local.configFile, JSON.stringify(config(BROKEN)));
      const watching = client();
      const result = await deploy(REGION_STACKS);
      const seen = await watching.stop();
      expect({ code: result.code, stderr: result.stderr.split("\n").slice(-8) }).toMatchObject({ code: 4 });
      expect(seen.failed).toEqual([]);
      expect(seen.requests).toBeGreaterThan(100);
      // One instance first, launched before any is terminated: the instances it would replace serve meanwhile.
      expect(result.stderr).toMatch(
        /shop-e2e-us-east-1: instance refresh \w+ started: launch before terminate.*; one instance first \(it stops at 33% /,
      );
      expect(result.stderr).toContain(
        "deploy: the rollout stopped at shop-e2e-us-east-1; not started: shop-e2e-ap-southeast-2. " +
          'What to do: docs/runbook.md, "A rollout stopped"',
      );
      // Its first new instance's boot found no port answering and abandoned the launch: AWS's refresh fails on that.
      expect(result.stdout).toMatch(
        new RegExp(
          `shop-e2e-us-east-1: stopped: instance refresh \\w+ ended Failed: The instance refresh failed because instance i-\\w+, which it launched, abandoned its launch lifecycle action\\.; ` +
            `rolled back: instances and the group back on launch template version ${before.east.groupVersion ?? "?"} \\(refresh \\w+ Successful\\)`,
        ),
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
      expect(after.latestVersion).toBe(Number(broken));
      expect(await running("ap-southeast-2")).toEqual(before.sydney);
      // The only change that answered, before, during and after, is the one every region ran before.
      expect(seen.releases.size).toBe(1);
    });

    it("refuses to bring the rolled-back change back on a plain rerun, naming when, why and --retry, and changes nothing", async () => {
      const result = await deploy(REGION_STACKS);
      expect({ code: result.code, stderr: result.stderr.split("\n").slice(-8) }).toMatchObject({ code: 4 });
      expect(result.stdout).toMatch(
        /shop-e2e-us-east-1: refused: this change brings back the launch template content rolled back here at \S+Z \(it ran as launch template version \d+\): .*i-\w+.*; fix the change, or deploy it anyway with npm run deploy -- --retry/,
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
      const releaseBefore = (await fetchText(localEndpoints(regionShapes())["us-east-1"]?.regional ?? "")).text;
      const watching = client();
      const result = await deploy(REGION_STACKS);
      const seen = await watching.stop();
      // On failure, the deploy's own report (why a region stopped) shows in the diff.
      const report = result.code === 0 ? [] : result.stdout.split("\n").slice(-12);
      expect({ code: result.code, report }).toEqual({ code: 0, report: [] });
      expect(seen.failed).toEqual([]);
      // Every answer now names the fixed change, in both regions: the one before, and the fixed one, were all it saw.
      const now = await Promise.all(
        Object.values(localEndpoints(regionShapes())).map(
          async (e) => JSON.parse((await fetchText(e.regional)).text) as { release: string },
        ),
      );
      const fixed = now[0]?.release ?? "";
      expect(now.map((a) => a.release)).toEqual([fixed, fixed]);
      expect(fixed).not.toBe((JSON.parse(releaseBefore) as { release: string }).release);
      expect([...seen.releases].sort()).toEqual(
        [fixed, (JSON.parse(releaseBefore) as { release: string }).release].sort(),
      );
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
    const { shape: deployed } = await local.configure(shopFleet({ regions: remaining, app: FIXED, ...CHECKS }));
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

  it("stops every instance the retire terminated, and leaves no namespace, runit or proxy process once stopped", async () => {
    const started = readFileSync(logFile(local.liveDir), "utf8");
    const launched = [...started.matchAll(/(i-[0-9a-f]+) launched/g)].map((m) => m[1] ?? "");
    // The instances ap-southeast-2's retire terminated are gone; us-east-1's run until the live fleet stops.
    const east = new Set((await groupInstances("us-east-1")).filter(Boolean));
    expect(launched.length).toBeGreaterThanOrEqual(5);
    const namespaces = () => local.asRoot(["ip", "netns", "list"]).stdout;
    const deadline = Date.now() + 30_000;
    const gone = launched.filter((id) => !east.has(id));
    while (gone.some((id) => namespaces().includes(id)) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect(gone.filter((id) => namespaces().includes(id))).toEqual([]);
    expect(await stopRunner(local.liveDir)).toBe(true);
    expect(launched.filter((id) => namespaces().includes(id))).toEqual([]);
    const processes = local.asRoot(["ps", "-eo", "args"]).stdout.split("\n");
    expect(processes.filter((p) => p.includes(local.liveDir) || p.includes(local.dir))).toEqual([]);
  });
});
