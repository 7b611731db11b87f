import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import {
  DescribeAutoScalingGroupsCommand,
  DescribeLifecycleHooksCommand,
  DescribePoliciesCommand,
} from "@aws-sdk/client-auto-scaling";
import { DescribeAlarmsCommand, ListDashboardsCommand } from "@aws-sdk/client-cloudwatch";
import { DescribeLogGroupsCommand, DescribeMetricFiltersCommand } from "@aws-sdk/client-cloudwatch-logs";
import {
  DescribeLaunchTemplatesCommand,
  DescribeLaunchTemplateVersionsCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeSecurityGroupsCommand,
} from "@aws-sdk/client-ec2";
import { DescribeLoadBalancersCommand } from "@aws-sdk/client-elastic-load-balancing";
import {
  DescribeLoadBalancersCommand as DescribeLoadBalancersV2Command,
  DescribeTargetGroupsCommand,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import {
  GetInstanceProfileCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
} from "@aws-sdk/client-iam";
import { ListHostedZonesByNameCommand } from "@aws-sdk/client-route-53";
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  PutObjectCommand,
} from "@aws-sdk/client-s3";
import { GetDocumentCommand } from "@aws-sdk/client-ssm";
import { App } from "cdktf";
import { addFleet } from "../../constructs/fleet";
import type { FleetConfig } from "../../fleet/schema";
import { LOG_COUNTS } from "../../instance/log-counts";
import { allPortsDownRule } from "../../monitoring/alarms";
import type { FleetShape } from "../../fleet/shape";
import { changesOf } from "../../terraform/plan-json";
import { PINNED_NODE } from "../../instance/release";
import type { Target } from "../../fleet/target";
import { regionClients } from "../../fleet/adapters/aws-clients";
import { outcomeReport } from "../../terraform/outcome";
import { planStack, planStacks } from "../../review/adapters/plan-stacks";
import { run } from "../../cli/run";
import { deployStacks, destroyStacks } from "../../rollout/adapters/stack-runs";
import { observeRegion } from "../../inspect/adapters/readback";
import { LocalFleet } from "./local-fleet";
import {
  ACCOUNT,
  oneWave,
  RELEASE_APP,
  RELEASES,
  REGION_STACKS,
  regionPlan,
  shopFleet,
  shopRelease,
  STATE,
  stateKey,
  zoneRecords,
} from "./shop-fleet";

/*
 * A deployed fleet, from its deploy to its destroy, without a change rolled out: its release uploaded, every
 * region read back with the AWS SDK, the plan command's report and exit codes, its state lock (held by another
 * run, released, contended by two applies) and its state key (changed under a working copy and a fresh
 * clone), then everything destroyed. A classic region of three weighted ports and a network one of two, with
 * the shop's release.
 */
jest.setTimeout(10 * 60_000);

const REGIONS = ["us-east-1", "ap-southeast-2"];
const SYDNEY = { region: "ap-southeast-2", processes: 2, loadBalancerType: "network" } as const;

describe("a deployed fleet, read back, planned and destroyed", () => {
  let local: LocalFleet;
  let shape: FleetShape;
  let target: Target;
  let app: ReturnType<typeof shopRelease>;
  /** The fleet file as deployed. */
  const base = () => shopFleet({ app, regions: [{ region: "us-east-1", weights: [2, 1, 1] }, SYDNEY] });

  beforeAll(async () => {
    local = await LocalFleet.start();
    app = shopRelease(local.dir);
    ({ shape, target } = await local.configure(oneWave(base())));
    await local.deploy();
  });
  afterAll(async () => {
    await local.stop();
  });

  it("packs the shop's release reproducibly with npm run release, uploads it once, and reads it back", async () => {
    const release = () => local.command("release", [RELEASE_APP, "--node", PINNED_NODE.version]);
    const { key, sha256 } = app.release;
    const first = await release();
    expect({ code: first.code, stderr: first.stderr }).toMatchObject({ code: 0 });
    expect(first.stderr).toContain(`release: uploaded to s3://${RELEASES}/${key}`);
    const second = await release();
    expect(second.stderr).toContain(`release: already in s3://${RELEASES}/${key}`);
    expect(second.stdout).toBe(first.stdout);
    expect(JSON.parse(first.stdout.slice(first.stdout.indexOf("{")))).toEqual({
      bucket: RELEASES,
      key,
      sha256,
    });
    const object = await regionClients(target, "us-east-1").s3.send(
      new GetObjectCommand({ Bucket: RELEASES, Key: key }),
    );
    const body = Buffer.from(await (object.Body?.transformToByteArray() ?? Promise.resolve(new Uint8Array())));
    expect(createHash("sha256").update(body).digest("hex")).toBe(sha256);
  });

  describe.each(REGIONS)("in %s", (regionName) => {
    it("has one load balancer of the region's type per port, with the right listener and health check", async () => {
      const r = regionPlan(shape, regionName);
      const observed = await observeRegion(target, r);
      expect(observed.loadBalancers.map((lb) => lb.name)).toEqual(r.ports.map((p) => p.loadBalancerName));
      for (const port of r.ports) {
        const lb = observed.loadBalancers.find((l) => l.name === port.loadBalancerName);
        expect(lb?.listeners).toEqual([{ lbPort: 9000, instancePort: port.port, protocol: "TCP" }]);
        expect(lb?.healthCheck).toEqual({ target: `TCP:${port.port}`, interval: 5, timeout: 2 });
      }
      if (r.loadBalancerType === "classic") {
        const { LoadBalancerDescriptions: lbs = [] } = await regionClients(target, regionName).elb.send(
          new DescribeLoadBalancersCommand({ LoadBalancerNames: r.ports.map((p) => p.loadBalancerName) }),
        );
        for (const lb of lbs) {
          expect(lb.HealthCheck).toMatchObject({ HealthyThreshold: 2, UnhealthyThreshold: 5 });
          expect(lb.Scheme).toBe("internal");
        }
      } else {
        // Each port's NLB forwards to a target group of its own port, registered by the group, and healthy.
        const elbv2 = regionClients(target, regionName).elbv2;
        const { LoadBalancers: nlbs = [] } = await elbv2.send(
          new DescribeLoadBalancersV2Command({ Names: r.ports.map((p) => p.loadBalancerName) }),
        );
        for (const nlb of nlbs) expect(nlb).toMatchObject({ Type: "network", Scheme: "internal" });
        expect(nlbs.every((nlb) => (nlb.SecurityGroups ?? []).length === 1)).toBe(true);
        const { AutoScalingGroups: groups = [] } = await regionClients(target, regionName).autoScaling.send(
          new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [r.autoScaling.name] }),
        );
        const instanceIds = (groups[0]?.Instances ?? []).map((i) => i.InstanceId);
        expect([...(groups[0]?.TargetGroupARNs ?? [])].sort()).toEqual(
          observed.loadBalancers.map((lb) => lb.targetGroupArn).sort(),
        );
        for (const lb of observed.loadBalancers) {
          expect(lb.health).toEqual(instanceIds.map((id) => ({ id, state: "healthy" })));
        }
      }
    });

    it("attaches the Auto Scaling group to all of them, with a running instance", async () => {
      const r = regionPlan(shape, regionName);
      const { AutoScalingGroups: groups = [] } = await regionClients(target, regionName).autoScaling.send(
        new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [r.autoScaling.name] }),
      );
      expect(groups).toHaveLength(1);
      if (r.loadBalancerType === "classic") {
        expect([...(groups[0]?.LoadBalancerNames ?? [])].sort()).toEqual(r.ports.map((p) => p.loadBalancerName).sort());
      } else {
        expect(groups[0]?.TargetGroupARNs).toHaveLength(r.ports.length);
      }
      // The load balancers judge readiness and take an instance out; only EC2 status or the instance itself
      // (its watchdog) replaces one (docs/architecture.md, "Liveness and readiness").
      expect(groups[0]?.HealthCheckType).toBe("EC2");
      expect(groups[0]?.Instances?.length).toBe(1);
      // A launch enters service only once its boot completes this hook; one that never does is abandoned.
      const { LifecycleHooks: hooks = [] } = await regionClients(target, regionName).autoScaling.send(
        new DescribeLifecycleHooksCommand({ AutoScalingGroupName: r.autoScaling.name }),
      );
      expect(hooks).toEqual([
        expect.objectContaining({
          LifecycleHookName: "boot",
          LifecycleTransition: "autoscaling:EC2_INSTANCE_LAUNCHING",
          DefaultResult: "ABANDON",
          HeartbeatTimeout: r.boot.timeoutSeconds,
        }),
      ]);
      // An unhealthy instance's successor is launched before it goes, as in a refresh.
      expect(groups[0]?.InstanceMaintenancePolicy).toEqual({ MinHealthyPercentage: 100, MaxHealthyPercentage: 200 });
    });

    it("admits only the listener port to the load balancers and only the load balancers to the instances", async () => {
      const r = regionPlan(shape, regionName);
      const ec2 = regionClients(target, regionName).ec2;
      const { SecurityGroups: groups = [] } = await ec2.send(
        new DescribeSecurityGroupsCommand({
          Filters: [{ Name: "group-name", Values: [`${r.stackName}-lb`, `${r.stackName}-instances`] }],
        }),
      );
      const id = (name: string) => groups.find((g) => g.GroupName === name)?.GroupId ?? "missing";
      const lbGroup = id(`${r.stackName}-lb`);
      const instanceGroup = id(`${r.stackName}-instances`);
      const { SecurityGroupRules: rules = [] } = await ec2.send(
        new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: "group-id", Values: [lbGroup, instanceGroup] }] }),
      );
      const describe = (groupId: string, egress: boolean) =>
        rules
          .filter((rule) => rule.GroupId === groupId && rule.IsEgress === egress)
          .map((rule) => [rule.FromPort, rule.ToPort, rule.CidrIpv4 ?? rule.ReferencedGroupInfo?.GroupId])
          .sort();
      expect(describe(lbGroup, false)).toEqual([[9000, 9000, "10.0.0.0/8"]]);
      expect(describe(lbGroup, true)).toEqual([[r.portRange.from, r.portRange.to, instanceGroup]]);
      expect(describe(instanceGroup, false)).toEqual([[r.portRange.from, r.portRange.to, lbGroup]]);
      expect(describe(instanceGroup, true)).toEqual([
        [443, 443, "0.0.0.0/0"],
        [80, 80, "0.0.0.0/0"],
      ]);
    });

    it("runs its instances with a role that reads the release object, writes its log group, reports on its own group, and reaches Session Manager", async () => {
      const r = regionPlan(shape, regionName);
      const { iam, ec2 } = regionClients(target, regionName);
      const policy = async (name: string) =>
        JSON.parse(
          decodeURIComponent(
            String(
              (await iam.send(new GetRolePolicyCommand({ RoleName: r.instance.role.name, PolicyName: name })))
                .PolicyDocument,
            ),
          ),
        ) as { Statement: { Action: string | string[]; Resource: string | string[] }[] };
      const { PolicyNames: names = [] } = await iam.send(
        new ListRolePoliciesCommand({ RoleName: r.instance.role.name }),
      );
      expect([...names].sort()).toEqual([
        "own-group",
        "read-group-health",
        "read-release",
        "session-manager",
        "ship-logs",
      ]);
      const logGroupArn = `arn:aws:logs:${regionName}:${ACCOUNT}:log-group:${r.logs.group}`;
      expect((await policy("ship-logs")).Statement).toEqual([
        expect.objectContaining({
          Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
          Resource: [logGroupArn, `${logGroupArn}:*`],
        }),
      ]);
      expect((await policy("own-group")).Statement).toEqual([
        expect.objectContaining({
          Action: ["autoscaling:CompleteLifecycleAction", "autoscaling:SetInstanceHealth"],
          Resource: `arn:aws:autoscaling:${regionName}:${ACCOUNT}:autoScalingGroup:*:autoScalingGroupName/${r.autoScaling.name}`,
        }),
      ]);
      // Session Manager's channels only: nothing of Parameter Store.
      const sessionActions = [(await policy("session-manager")).Statement[0]?.Action ?? []].flat();
      expect(sessionActions.filter((a) => !/^(ssmmessages|ec2messages):/.test(a))).toEqual([
        "ssm:UpdateInstanceInformation",
        "logs:DescribeLogGroups",
      ]);
      const role = await iam.send(new GetRoleCommand({ RoleName: r.instance.role.name }));
      expect(decodeURIComponent(String(role.Role?.AssumeRolePolicyDocument))).toContain("ec2.amazonaws.com");
      const inline = await iam.send(
        new GetRolePolicyCommand({ RoleName: r.instance.role.name, PolicyName: "read-release" }),
      );
      expect(JSON.parse(decodeURIComponent(String(inline.PolicyDocument)))).toEqual({
        Version: "2012-10-17",
        Statement: [
          {
            Sid: "ReadTheReleases",
            Effect: "Allow",
            Action: "s3:GetObject",
            Resource: `arn:aws:s3:::${RELEASES}/${app.release.key.slice(0, app.release.key.lastIndexOf("/") + 1)}*`,
          },
        ],
      });
      const attached = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: r.instance.role.name }));
      expect(attached.AttachedPolicies).toEqual([]);
      const profile = await iam.send(new GetInstanceProfileCommand({ InstanceProfileName: r.instance.role.name }));
      expect(profile.InstanceProfile?.Roles?.map((x) => x.RoleName)).toEqual([r.instance.role.name]);
      const { LaunchTemplates: all = [] } = await ec2.send(new DescribeLaunchTemplatesCommand({}));
      const template = all.find((t) => t.LaunchTemplateName?.startsWith(`${r.stackName}-`) === true);
      const templates = await ec2.send(
        new DescribeLaunchTemplateVersionsCommand({
          LaunchTemplateId: template?.LaunchTemplateId,
          Versions: ["$Latest"],
        }),
      );
      const data = templates.LaunchTemplateVersions?.[0]?.LaunchTemplateData;
      expect(data?.IamInstanceProfile?.Arn).toBe(profile.InstanceProfile?.Arn);
      // One-minute instance metrics: target tracking reacts in minutes, not in five.
      expect(data?.Monitoring?.Enabled).toBe(true);
    });

    it("ships its instances' logs to one group with the fleet's retention, counts what must not be missed, and logs sessions there", async () => {
      const r = regionPlan(shape, regionName);
      const { logs, ssm } = regionClients(target, regionName);
      const groups = async (prefix: string) =>
        ((await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: prefix }))).logGroups ?? []).map((g) => [
          g.logGroupName,
          g.retentionInDays,
        ]);
      expect(await groups(r.logs.group)).toEqual([[r.logs.group, 30]]);
      expect(await groups(r.logs.eventGroup)).toEqual([[r.logs.eventGroup, 30]]);
      const filters = async (group: string) =>
        ((await logs.send(new DescribeMetricFiltersCommand({ logGroupName: group }))).metricFilters ?? []).map((f) => [
          f.filterPattern,
          f.metricTransformations?.[0]?.metricName,
          f.metricTransformations?.[0]?.metricNamespace,
        ]);
      const counted = (source: string) =>
        LOG_COUNTS.filter((c) => c.source === source).map((c) => [c.pattern, c.metricName, r.logs.metricsNamespace]);
      // DescribeMetricFilters lists them by name.
      const sorted = (rows: (string | undefined)[][]) =>
        [...rows].sort((a, b) => String(a[1]).localeCompare(String(b[1])));
      expect(sorted(await filters(r.logs.group))).toEqual(sorted(counted("instances")));
      expect(sorted(await filters(r.logs.eventGroup))).toEqual(sorted(counted("events")));
      const session = await ssm.send(new GetDocumentCommand({ Name: `${r.stackName}-session` }));
      expect(session.DocumentType).toBe("Session");
      expect(JSON.parse(session.Content ?? "{}")).toMatchObject({
        sessionType: "Standard_Stream",
        inputs: { cloudWatchLogGroupName: r.logs.group, cloudWatchStreamingEnabled: true },
      });
    });

    it("scales on average CPU, alarms for every port and for all of them, and draws each port on its dashboard", async () => {
      const r = regionPlan(shape, regionName);
      const { monitoring } = await observeRegion(target, r);
      expect(monitoring.policies).toEqual([
        { name: `${r.stackName}-cpu`, type: "TargetTrackingScaling", cpuTarget: 50, warmup: 10 },
      ]);
      // Per port: none healthy, one unhealthy, traffic far from its weight; then the region's; the guard; the ports
      // serving badly (no latency behind network load balancers); then the group's and hosts'.
      expect(monitoring.alarms.map((a) => a.name)).toEqual([
        ...r.ports.flatMap((p) => [
          `${r.stackName}-${p.port}-no-healthy-instances`,
          `${r.stackName}-${p.port}-unhealthy-instances`,
        ]),
        ...r.ports.map((p) => `${r.stackName}-${p.port}-traffic-share`),
        `${r.stackName}-all-ports-down`,
        `${r.stackName}-unhealthy-hosts-9000`,
        `${r.stackName}-backend-errors-9000`,
        ...(r.loadBalancerType === "classic" ? [`${r.stackName}-latency-9000`] : []),
        `${r.stackName}-in-service-below-desired`,
        `${r.stackName}-instance-refresh-failed`,
        `${r.stackName}-boot-abandoned`,
        `${r.stackName}-instance-handed-over`,
      ]);
      const described = async (name: string) =>
        (await regionClients(target, regionName).cloudWatch.send(new DescribeAlarmsCommand({ AlarmNames: [name] })))
          .MetricAlarms?.[0];
      // A port's share is its requests (flows) over its ports' sum, judged against its weight's share.
      const weights = r.ports.map((p) => p.weight);
      const total = weights.reduce((a, b) => a + b, 0);
      for (const port of r.ports) {
        const share = await described(`${r.stackName}-${port.port}-traffic-share`);
        expect(share?.Metrics?.find((m) => m.Id === "drift")?.Expression).toContain(
          `ABS(r${port.port} / SUM([${r.ports.map((p) => `r${p.port}`).join(", ")}]) - ${(port.weight / total).toFixed(4)})`,
        );
      }
      // The counts from the logs alarm in the metrics namespace the filters write.
      const handedOver = await described(`${r.stackName}-instance-handed-over`);
      expect(handedOver).toMatchObject({ Namespace: r.logs.metricsNamespace, MetricName: "InstancesHandedOver" });
      // The guard watches the highest count of unhealthy instances among the ports, one metric each.
      const { MetricAlarms: [guard] = [] } = await regionClients(target, regionName).cloudWatch.send(
        new DescribeAlarmsCommand({ AlarmNames: [`${r.stackName}-unhealthy-hosts-9000`] }),
      );
      const queries = guard?.Metrics ?? [];
      expect(queries.find((q) => q.Id === "unhealthy")?.Expression).toBe(
        `MAX([${r.ports.map((p) => `p${p.port}`).join(", ")}])`,
      );
      for (const port of r.ports) {
        expect(queries.find((q) => q.Id === `p${port.port}`)?.MetricStat).toMatchObject({
          Metric: { MetricName: "UnHealthyHostCount" },
          Stat: "Maximum",
          Period: 60,
        });
      }
      r.ports.forEach((port) => {
        const alarm = monitoring.alarms.find((a) => a.name === port.alarmName);
        expect(alarm).toMatchObject({ minutes: 2, actions: [] });
        if (r.loadBalancerType === "classic") {
          expect(alarm).toMatchObject({
            metric: "AWS/ELB HealthyHostCount",
            dimensions: { LoadBalancerName: port.loadBalancerName },
          });
        } else {
          // The emulator's NLB ARNs say app/ where AWS's say net/ (docs/local-aws-internals.md).
          expect(alarm?.metric).toBe("AWS/NetworkELB HealthyHostCount");
          expect(alarm?.dimensions?.TargetGroup).toMatch(
            new RegExp(`^targetgroup/${port.loadBalancerName}/[0-9a-f]+$`),
          );
          expect(alarm?.dimensions?.LoadBalancer).toMatch(new RegExp(`^(net|app)/${port.loadBalancerName}/[0-9a-f]+$`));
        }
      });
      expect(monitoring.alarms.find((a) => a.name === r.monitoring.regionAlarmName)?.rule).toBe(
        allPortsDownRule(r.ports.map((p) => p.alarmName)),
      );
      const perPort =
        r.loadBalancerType === "classic"
          ? ["requests", "healthy instances", "latency (s)"]
          : ["flows", "healthy instances"];
      expect(monitoring.dashboard?.name).toBe(r.stackName);
      expect(monitoring.dashboard?.widgets.map((w) => w.title)).toEqual([
        "alarms",
        "group · CPU (%)",
        "group · in-service instances",
        "group · desired capacity",
        ...r.ports.flatMap((p) => perPort.map((what) => `port ${p.port} · ${what}`)),
      ]);
      for (const widget of monitoring.dashboard?.widgets ?? []) {
        const port = /^port (\d+) ·/.exec(widget.title)?.[1];
        const lb = port === undefined ? r.autoScaling.name : `shop-e2e-${port}`;
        for (const dimension of widget.dimensions)
          expect(dimension.replace(/^(net|app|targetgroup)\/([^/]+)\/.*$/, "$2")).toBe(lb);
      }
    });

    it("publishes the three levels of names as alias records that evaluate health, and keeps state in S3", async () => {
      const r = regionPlan(shape, regionName);
      const observed = await observeRegion(target, r);
      const dnsNameOf = (p: { loadBalancerName: string }) =>
        observed.loadBalancers.find((lb) => lb.name === p.loadBalancerName)?.dnsName;
      const aliases = observed.records.filter((rec) => rec.setIdentifier === undefined);
      expect(aliases.map((a) => [a.name, a.type, a.aliasTarget, a.evaluateTargetHealth])).toEqual(
        r.ports.map((p) => [p.aliasName, "A", dnsNameOf(p), true]),
      );
      const weighted = observed.records.filter((rec) => rec.name === r.regionalName);
      expect(weighted.map((w) => [w.type, w.setIdentifier, w.weight, w.aliasTarget, w.evaluateTargetHealth])).toEqual(
        r.ports.map((p) => ["A", p.setIdentifier, p.weight, dnsNameOf(p), true]),
      );
      const global = observed.records.filter((rec) => rec.name === "shop.shop.test");
      expect(
        global.map((g) => [g.type, g.setIdentifier, g.latencyRegion, g.aliasTarget, g.evaluateTargetHealth]),
      ).toEqual([["A", regionName, regionName, r.regionalName, true]]);
      expect(observed.state).toEqual({ location: `s3://${STATE}/${stateKey(regionName)}`, exists: true });
    });
  });

  it("has one latency record per region in the global name, each aliasing its region's weighted set", async () => {
    const latency = (await zoneRecords(target)).filter((r) => r.Name === "shop.shop.test.");
    expect(latency.map((r) => [r.SetIdentifier, r.Region, r.AliasTarget?.DNSName?.replace(/\.$/, "")]).sort()).toEqual([
      ["ap-southeast-2", "ap-southeast-2", "shop.ap-southeast-2.shop.test"],
      ["us-east-1", "us-east-1", "shop.us-east-1.shop.test"],
    ]);
  });

  describe("the plan command (npm run plan)", () => {
    async function planCommand(
      config: FleetConfig,
      globs: readonly string[],
      locking: readonly string[] = ["--lock-timeout", "1"],
    ): Promise<{ code: number; report: string; stderr: string }> {
      writeFileSync(local.configFile, JSON.stringify(config));
      const reportFile = join(local.dir, "report.md");
      rmSync(reportFile, { force: true });
      const outdir = join(local.dir, "plan.out");
      const result = await local.command("plan", ["--report", reportFile, "--outdir", outdir, ...locking, ...globs]);
      return {
        code: result.code,
        report: existsSync(reportFile) ? readFileSync(reportFile, "utf8") : "",
        stderr: result.stderr,
      };
    }

    /** Five processes behind public load balancers, still plain TCP: accepted on purpose, as a team would record it. */
    const publicFleet = () =>
      shopFleet({
        app,
        processes: 5,
        internal: false,
        regions: [{ region: "us-east-1" }, { region: "ap-southeast-2", loadBalancerType: "network" }],
        baselineExceptions: [
          {
            rule: "listener-tls",
            resources: "shop-e2e-*/aws_*.balancers_port-*",
            reason: "the shop's clients speak TLS end to end to the service itself",
          },
        ],
      });

    const unlockCommand = (...args: string[]) => local.command("unlock", args);

    it("reports counts, topology and dangerous replacements, and with a stack it cannot plan exits 1 and says what to fix; --no-lock plans it; npm run unlock names the lock's holder and releases it with --force", async () => {
      // A stack whose state another run has locked (a lock object left behind) cannot be planned.
      const s3 = regionClients(target, "us-east-1").s3;
      const lockKey = `${stateKey("us-east-1")}.tflock`;
      const lock = {
        ID: "5f1c2d3e-e2e0-4000-8000-000000000001",
        Operation: "OperationTypeApply",
        Who: "someone@elsewhere",
        Version: "1.11.4",
        Created: "2026-11-25T00:00:00Z",
        Path: `${STATE}/${stateKey("us-east-1")}`,
      };
      await s3.send(new PutObjectCommand({ Bucket: STATE, Key: lockKey, Body: JSON.stringify(lock) }));
      let result: { code: number; report: string };
      let unlocked: { code: number; report: string };
      try {
        result = await planCommand(publicFleet(), [REGION_STACKS]);
        // A pull request's plan is never applied: it takes no lock, so it plans the locked stack and leaves the lock be.
        unlocked = await planCommand(publicFleet(), ["shop-e2e-us-east-1"], ["--no-lock"]);
        const held = await s3.send(new GetObjectCommand({ Bucket: STATE, Key: lockKey }));
        expect(JSON.parse(await (held.Body?.transformToString() ?? "{}"))).toEqual(lock);
        // npm run unlock names the holder and breaks nothing by default (it ran on another machine)…
        const shown = await unlockCommand("shop-e2e-us-east-1");
        expect(shown.code).toBe(1);
        expect(shown.stdout).toMatch(
          /^shop-e2e-us-east-1: its state is locked by someone@elsewhere \(apply, Terraform 1\.11\.4\) since 2026-11-25T00:00:00\.000Z, \d+ d \d+ h ago; lock 5f1c2d3e-e2e0-4000-8000-000000000001\nrelease it once that run is gone: npm run unlock -- shop-e2e-us-east-1 --force/,
        );
        // … and releases it when told.
        const released = await unlockCommand("shop-e2e-us-east-1", "--force");
        expect({ code: released.code, stdout: released.stdout }).toMatchObject({
          code: 0,
          stdout: expect.stringContaining(
            "shop-e2e-us-east-1: released lock 5f1c2d3e-e2e0-4000-8000-000000000001 (--force)",
          ) as string,
        });
        expect((await unlockCommand("shop-e2e-us-east-1")).stdout).toMatch(/^shop-e2e-us-east-1: not locked /);
      } finally {
        await s3.send(new DeleteObjectCommand({ Bucket: STATE, Key: lockKey }));
      }
      expect({ code: unlocked.code, report: unlocked.report.split("\n").slice(0, 8) }).toMatchObject({ code: 2 });
      expect(unlocked.report).not.toContain("failed");
      // The locked stack, planned without the lock: 3 → 5 classic load balancers, and internal → public
      // replaces each of the three there are.
      expect(unlocked.report).toContain("| instance ports | 9000-9002 | 9000-9004 | yes |");
      expect(unlocked.report).toContain("| aws_elb | 2 | 0 | 3 | 0 |");
      expect(unlocked.report).toContain(
        "| weights | us-east-1-port-9000=2, us-east-1-port-9001=1, us-east-1-port-9002=1 | us-east-1-port-9000=1, us-east-1-port-9001=1, us-east-1-port-9002=1, us-east-1-port-9003=1, us-east-1-port-9004=1 | yes |",
      );
      for (const port of [9000, 9001, 9002]) {
        expect(unlocked.report).toMatch(
          new RegExp(
            `> - \`shop-e2e-us-east-1\`: \`aws_elb\\.balancers_port-${port}_[0-9A-F]{8}\` \\(shop-e2e-${port}\\) replaces a load balancer \\(forced by internal\\)`,
          ),
        );
      }
      const { code, report } = result;
      expect(code).toBe(1);
      expect(report).toContain("## Terraform plan: 1 of 2 stacks change, 1 failed");
      expect(report).toContain("> Failed to plan: `shop-e2e-us-east-1`");
      expect(report).toContain("| shop-e2e-us-east-1 | failed | | | |");
      expect(report).toMatch(
        /### shop-e2e-us-east-1: failed\n\n\*\*Fix:\*\* another run holds this stack's state lock/,
      );
      expect(report).toMatch(/Error acquiring the state lock/);
      // The other is planned and reported in full. 2 → 5 processes: three more load balancers and records.
      expect(report).toContain("| instance ports | 9000-9001 | 9000-9004 | yes |");
      expect(report).toContain("| load balancers | 2 | 5 | yes |");
      expect(report).toContain("| weighted records | 2 (alias A) | 5 (alias A) | yes |");
      expect(report).toContain(
        "| weights | ap-southeast-2-port-9000=1, ap-southeast-2-port-9001=1 | ap-southeast-2-port-9000=1, ap-southeast-2-port-9001=1, ap-southeast-2-port-9002=1, ap-southeast-2-port-9003=1, ap-southeast-2-port-9004=1 | yes |",
      );
      // Generated names (the launch template's name_prefix) carry a timestamp: no label.
      expect(report).toMatch(/`aws_launch_template\.service_launch-template_[0-9A-F]{8}`: update/);
      // internal → public forces every existing network load balancer to be replaced, and its listener with
      // it: first.
      expect(report).toMatch(/^> \[!CAUTION\]\n> \*\*4 dangerous changes\*\*/m);
      for (const port of [9000, 9001]) {
        expect(report).toMatch(
          new RegExp(
            `> - \`shop-e2e-ap-southeast-2\`: \`aws_lb_listener\\.balancers_listener-${port}_[0-9A-F]{8}\` replaces a listener \\(forced by load_balancer_arn\\)`,
          ),
        );
        expect(report).toMatch(
          new RegExp(
            `> - \`shop-e2e-ap-southeast-2\`: \`aws_lb\\.balancers_port-${port}_[0-9A-F]{8}\` \\(shop-e2e-${port}\\) replaces a load balancer \\(forced by internal\\)`,
          ),
        );
      }
      expect(report).toContain("| aws_lb | 3 | 0 | 2 | 0 |");
      expect(report).toContain("| load balancer type | network | network |  |");
      // The exception is listed with its reason, for the reviewer to see.
      expect(report).toMatch(
        /\| listener-tls \(CKV_AWS_127, CKV_AWS_2, AWS-0054\) \| `shop-e2e-ap-southeast-2` `aws_lb\.balancers_port-9000_[0-9A-F]{8}`<br>.* \| the shop's clients speak TLS end to end to the service itself \|/,
      );
    });
  });

  it("refuses a second apply while the state lock is held, and loses nothing", async () => {
    // Change only a weight: a Route 53 update that holds the lock for ~15 s (and the ports' traffic shares).
    await local.configure(shopFleet({ app, regions: [{ region: "us-east-1", weights: [3, 1, 1] }, SYDNEY] }));
    const dir = local.stackDir("shop-e2e-us-east-1");
    const synthesized = Object.values(
      (JSON.parse(readFileSync(join(dir, "cdk.tf.json"), "utf8")) as { resource: Record<string, object> }).resource,
    ).reduce((sum, byName) => sum + Object.keys(byName).length, 0);
    const s3 = regionClients(target, "us-east-1").s3;
    const lockKey = `${stateKey("us-east-1")}.tflock`;
    const first = spawn("terraform", ["apply", "-auto-approve", "-input=false", "-no-color"], {
      cwd: dir,
      env: local.env,
      stdio: ["ignore", "pipe", "pipe"],
      // Bounded: a provider retrying an unimplemented emulator call would otherwise hang the suite.
      timeout: 180_000,
    });
    let firstOutput = "";
    let firstErrors = "";
    first.stdout.on("data", (chunk: Buffer) => {
      firstOutput += chunk.toString();
    });
    first.stderr.on("data", (chunk: Buffer) => {
      firstErrors += chunk.toString();
    });
    const firstDone = new Promise<number>((resolve) => {
      first.once("exit", (code) => {
        resolve(code ?? 1);
      });
    });
    try {
      const deadline = Date.now() + 60_000;
      let locked = false;
      while (!locked && Date.now() < deadline) {
        locked = await s3.send(new HeadObjectCommand({ Bucket: STATE, Key: lockKey })).then(
          () => true,
          () => false,
        );
        if (!locked) await new Promise((resolve) => setTimeout(resolve, 250));
      }
      expect(locked).toBe(true);
      const second = await run(
        "terraform",
        ["apply", "-auto-approve", "-input=false", "-no-color", "-lock-timeout=0s"],
        {
          cwd: dir,
          env: local.env,
        },
      );
      expect(second.code).toBe(1);
      expect(second.stderr).toMatch(/Error acquiring the state lock/);
    } finally {
      // With its output, so a failure of the apply that holds the lock says why.
      const code = await firstDone;
      expect({ code, errors: firstErrors, output: firstOutput.split("\n").slice(-20) }).toMatchObject({ code: 0 });
    }
    expect(firstOutput).toMatch(/Apply complete! Resources: 0 added, 4 changed, 0 destroyed/);
    const state = await s3.send(new GetObjectCommand({ Bucket: STATE, Key: stateKey("us-east-1") }));
    const resources = (
      JSON.parse(await (state.Body?.transformToString() ?? "{}")) as { resources: { mode: string }[] }
    ).resources.filter((res) => res.mode === "managed");
    // Every resource of the stack is still in its state: nothing was lost to the refused apply.
    expect(resources).toHaveLength(synthesized);
    const after = await planStack(local.context(), "shop-e2e-us-east-1");
    expect(after.status === "planned" ? changesOf(after.plan) : after.error).toEqual([]);
  });

  describe("a changed state key", () => {
    const moved = () => ({ ...base(), state: { bucket: STATE, region: "us-east-1", keyPrefix: "moved" } });

    it("stops plan and deploy in a working copy that knows the old backend, with the migration (reconfigure off)", async () => {
      await local.configure(moved());
      const guarded = local.context(() => undefined, { reconfigure: false });
      const [planned] = await planStacks(guarded, ["shop-e2e-us-east-1"], 1);
      expect(planned?.status === "failed" ? planned.error : "planned").toBe(
        "shop-e2e-us-east-1: its state backend changed from s3://shop-e2e-state/cloudrim/shop/e2e/us-east-1.tfstate (us-east-1) " +
          "to s3://shop-e2e-state/moved/shop/e2e/us-east-1.tfstate (us-east-1); nothing was planned or applied. Move the state with " +
          `\`terraform -chdir=${relative(process.cwd(), local.stackDir("shop-e2e-us-east-1"))} init -migrate-state\`, then run again (docs/state-and-locks.md, "Moving state")`,
      );
      const [deployed] = await deployStacks(guarded, [{ name: "shop-e2e-us-east-1", dependencies: [] }]);
      expect(deployed?.summary).toMatch(
        /^failed: its state backend changed from .* to .*moved\/shop\/e2e\/us-east-1\.tfstate/,
      );
    });

    it("stops a fresh clone too, which has no old backend to remember, naming where the state is", async () => {
      await local.configure(moved());
      const fresh = join(local.dir, "fresh-clone.out");
      const app = new App({ outdir: fresh });
      addFleet(app, local.context().shape, target);
      app.synth();
      const [planned] = await planStacks(
        local.context(() => undefined, { outdir: fresh }),
        ["shop-e2e-ap-southeast-2"],
        1,
      );
      expect(planned?.status === "failed" ? planned.error : "planned").toMatch(
        /^shop-e2e-ap-southeast-2: its state is not at s3:\/\/shop-e2e-state\/moved\/shop\/e2e\/ap-southeast-2\.tfstate but at s3:\/\/shop-e2e-state\/cloudrim\/shop\/e2e\/ap-southeast-2\.tfstate .* `aws s3 mv /,
      );
      const s3 = regionClients(target, "us-east-1").s3;
      for (const region of ["us-east-1", "ap-southeast-2"]) {
        await expect(
          s3.send(new HeadObjectCommand({ Bucket: STATE, Key: `moved/shop/e2e/${region}.tfstate` })),
        ).rejects.toThrow();
      }
    });
  });
  it("destroys everything, the state bucket last, leaving no resource and no state behind", async () => {
    // The fleet file as deployed (the tests above changed a weight and the state key).
    const { stacks } = await local.configure(base());
    const outcomes = await destroyStacks(local.context(), stacks);
    expect(outcomes.filter((o) => o.status !== "succeeded").map(outcomeReport)).toEqual([]);
    for (const regionName of REGIONS) {
      const clients = regionClients(target, regionName);
      const lbs = await clients.elb.send(new DescribeLoadBalancersCommand({}));
      expect(lbs.LoadBalancerDescriptions ?? []).toEqual([]);
      const nlbs = await clients.elbv2.send(new DescribeLoadBalancersV2Command({}));
      expect(nlbs.LoadBalancers ?? []).toEqual([]);
      const targets = await clients.elbv2.send(new DescribeTargetGroupsCommand({}));
      expect(targets.TargetGroups ?? []).toEqual([]);
      const groups = await clients.autoScaling.send(new DescribeAutoScalingGroupsCommand({}));
      expect(groups.AutoScalingGroups ?? []).toEqual([]);
      const alarms = await clients.cloudWatch.send(
        new DescribeAlarmsCommand({ AlarmTypes: ["MetricAlarm", "CompositeAlarm"] }),
      );
      expect([...(alarms.MetricAlarms ?? []), ...(alarms.CompositeAlarms ?? [])]).toEqual([]);
      const dashboards = await clients.cloudWatch.send(new ListDashboardsCommand({}));
      expect(dashboards.DashboardEntries ?? []).toEqual([]);
      const policies = await clients.autoScaling.send(new DescribePoliciesCommand({}));
      expect(policies.ScalingPolicies ?? []).toEqual([]);
      const sgs = await clients.ec2.send(new DescribeSecurityGroupsCommand({}));
      expect((sgs.SecurityGroups ?? []).map((g) => g.GroupName).filter((n) => n !== "default")).toEqual([]);
      const logGroups = await clients.logs.send(new DescribeLogGroupsCommand({}));
      expect(logGroups.logGroups ?? []).toEqual([]);
      await expect(
        clients.ssm.send(new GetDocumentCommand({ Name: `shop-e2e-${regionName}-session` })),
      ).rejects.toThrow(/InvalidDocument|does not exist/);
    }
    const zones = await regionClients(target, "us-east-1").route53.send(new ListHostedZonesByNameCommand({}));
    expect(zones.HostedZones ?? []).toEqual([]);
    const buckets = await regionClients(target, "us-east-1").s3.send(new ListBucketsCommand({}));
    expect(buckets.Buckets ?? []).toEqual([]);
    expect(local.localStateFiles()).toEqual([]);
    expect(existsSync(join(local.stackDir("shop-e2e-state"), "cloudrim_local_backend_override.tf.json"))).toBe(false);
  });
});
