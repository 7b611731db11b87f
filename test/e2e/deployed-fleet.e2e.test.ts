import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { join } from "node:path";
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
import { GetObjectCommand, ListBucketsCommand } from "@aws-sdk/client-s3";
import { GetDocumentCommand } from "@aws-sdk/client-ssm";
import { LOG_COUNTS } from "../../instance/log-counts";
import { allPortsDownRule } from "../../monitoring/alarms";
import type { FleetShape } from "../../fleet/shape";
import { PINNED_NODE } from "../../instance/release";
import type { Target } from "../../fleet/target";
import { regionClients } from "../../fleet/adapters/aws-clients";
import { outcomeReport } from "../../terraform/outcome";
import { destroyStacks } from "../../rollout/adapters/stack-runs";
import { observeRegion } from "../../inspect/adapters/readback";
import { LocalFleet } from "./local-fleet";
import {
  ACCOUNT,
  oneWave,
  RELEASE_APP,
  RELEASES,
  regionPlan,
  shopFleet,
  shopRelease,
  STATE,
  stateKey,
  zoneRecords,
} from "./shop-fleet";

/*
 * A deployed fleet, from its deploy to its destroy, without a change rolled out: its release uploaded, every
 * region read back with the AWS SDK, then everything destroyed. A classic region of three weighted ports and a
 * network one of two, with the shop's release. What is planned against a deployed fleet (the plan command, the
 * state lock, a moved state key) is planned-fleet.e2e.test.ts.
 */
jest.setTimeout(10 * 60_000);

const REGIONS = ["us-east-1", "ap-southeast-2"];
const SYDNEY = { region: "ap-southeast-2", processes: 2, loadBalancerType: "network" } as const;

describe("a deployed fleet, read back and destroyed", () => {
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

  it("destroys everything, the state bucket last, leaving no resource and no state behind", async () => {
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
