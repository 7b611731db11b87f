import { DataAwsRoute53Zone } from "@cdktf/provider-aws/lib/data-aws-route53-zone";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { TerraformOutput, TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import type { PortShape } from "../fleet/shape/ports";
import type { RegionShape } from "../fleet/shape";
import { awsProviderConfig, s3BackendOverrides, type Target } from "../fleet/target";
import { GROUP_METRICS, dashboardUrl } from "../monitoring/dashboard";
import type { PortMetricSource } from "../monitoring/metrics";
import { CpuScaling } from "./cpu-scaling";
import { FleetDnsRecords } from "./dns-records";
import { FleetLogs } from "./fleet-logs";
import { HostAlarms } from "./host-alarms";
import { FleetNetwork } from "./network";
import { InstanceRole } from "./instance-role";
import { PortAlarms } from "./port-alarms";
import { PortAttachments, type AttachedPort } from "./port-attachments";
import { PortLoadBalancers } from "./port-load-balancers";
import { PortNetworkLoadBalancers } from "./port-network-load-balancers";
import { useS3StateBackend } from "./s3-state-backend";
import { RegionDashboard } from "./region-dashboard";
import { AccessLogBucket } from "./access-log-bucket";
import { FleetSecurityGroups } from "./security-groups";
import { ServiceGroup } from "./service-group";
import { ServingAlarms } from "./serving-alarms";

/**
 * One region of the fleet, created from its plan: network lookup, security groups, one load balancer
 * per port (classic, or network with a target group), the instance role, the Auto Scaling group with one
 * attachment per port and a CPU target-tracking policy, the DNS records in front, and what an operator
 * watches: an alarm per port, one for the region, the guards a rollout stops on, and a dashboard. Every per-port resource comes from
 * `plan.ports`, so they agree by construction.
 */
export class RegionStack extends TerraformStack {
  readonly loadBalancers: PortLoadBalancers<PortShape> | PortNetworkLoadBalancers<PortShape>;
  readonly dns: FleetDnsRecords;
  readonly service: ServiceGroup;
  readonly securityGroups: FleetSecurityGroups;
  readonly attachments: PortAttachments;
  readonly role: InstanceRole;
  readonly scaling?: CpuScaling;
  readonly alarms: PortAlarms;
  readonly hostAlarms: HostAlarms;
  readonly servingAlarms: ServingAlarms;
  readonly logs: FleetLogs;
  readonly dashboard: RegionDashboard;

  constructor(scope: Construct, plan: RegionShape, target: Target = { kind: "aws" }) {
    super(scope, plan.stackName);
    new AwsProvider(this, "aws", awsProviderConfig(target, plan.region, plan.tags, plan.accountId));
    useS3StateBackend(this, plan.state, s3BackendOverrides(target));

    const network = new FleetNetwork(this, "network", plan.network);
    this.securityGroups = new FleetSecurityGroups(this, "security", {
      vpcId: network.vpcId,
      namePrefix: plan.stackName,
      listenerPort: plan.listenerPort,
      instancePorts: plan.portRange,
      allowedCidrs: plan.allowedCidrs,
      instanceEgress: plan.instanceEgress,
    });
    if (plan.accessLogs?.create === true) {
      new AccessLogBucket(this, "access-logs", {
        bucketName: plan.accessLogs.bucket,
        prefix: plan.accessLogs.prefix,
        loadBalancerType: plan.loadBalancerType,
        tlsOnly: plan.accessLogs.tlsOnly,
        expireAfterDays: plan.accessLogs.expireAfterDays,
        noncurrentVersionDays: plan.accessLogs.noncurrentVersionDays,
      });
    }
    const balancing = {
      ports: plan.ports,
      listenerPort: plan.listenerPort,
      subnetIds: network.subnetIds,
      securityGroupIds: [this.securityGroups.loadBalancerGroup.id],
      internal: plan.internal,
      healthCheck: plan.healthCheck,
      listener: plan.listener,
      ...(plan.accessLogs === undefined ? {} : { accessLogs: plan.accessLogs }),
    };
    // Each port's front door, whatever the type: the name clients resolve, and what the group attaches.
    let fronts: { port: PortShape; dnsName: string; attach: AttachedPort; metrics: PortMetricSource }[];
    if (plan.loadBalancerType === "network") {
      const nlbs = new PortNetworkLoadBalancers(this, "balancers", {
        ...balancing,
        vpcId: network.vpcId,
        deletionProtection: plan.deletionProtection,
      });
      fronts = nlbs.balanced.map(({ port, loadBalancer, targetGroup }) => ({
        port,
        dnsName: loadBalancer.dnsName,
        attach: { port: port.port, targetGroupArn: targetGroup.arn },
        metrics: {
          kind: "network",
          port: port.port,
          loadBalancer: loadBalancer.arnSuffix,
          targetGroup: targetGroup.arnSuffix,
        },
      }));
      this.loadBalancers = nlbs;
    } else {
      const classic = new PortLoadBalancers(this, "balancers", balancing);
      fronts = classic.balanced.map(({ port, loadBalancer }) => ({
        port,
        dnsName: loadBalancer.dnsName,
        attach: { port: port.port, loadBalancerName: loadBalancer.name },
        metrics: { kind: "classic", port: port.port, loadBalancerName: loadBalancer.name },
      }));
      this.loadBalancers = classic;
    }
    this.logs = new FleetLogs(this, "logs", {
      groupName: plan.logs.group,
      eventGroupName: plan.logs.eventGroup,
      retentionDays: plan.logs.retentionDays,
      autoScalingGroupName: plan.autoScaling.name,
      name: plan.stackName,
      metricsNamespace: plan.logs.metricsNamespace,
    });
    // Before the group: its instance refresh stops on the guard, host and serving alarms, so they must exist first.
    const shareAlarmNames = new Map(plan.monitoring.shareAlarms.map((a) => [a.port, a.name]));
    this.alarms = new PortAlarms(this, "alarms", {
      ports: fronts.map(({ port, metrics }) => ({
        source: metrics,
        alarmName: port.alarmName,
        unhealthyAlarmName: port.unhealthyAlarmName,
        ...(shareAlarmNames.has(port.port) ? { shareAlarmName: shareAlarmNames.get(port.port) ?? "" } : {}),
        weight: port.weight,
        aliasName: port.aliasName,
      })),
      regionAlarmName: plan.monitoring.regionAlarmName,
      regionalName: plan.regionalName,
      ...(plan.dns.globalName === undefined ? {} : { globalName: plan.dns.globalName }),
      minutes: plan.monitoring.minutes,
      ...(plan.monitoring.topicArn === undefined ? {} : { topicArn: plan.monitoring.topicArn }),
      guards: plan.monitoring.guardAlarms.map(({ name, ports }) => ({
        alarmName: name,
        ports: fronts.filter(({ port }) => ports.includes(port.port)).map(({ metrics }) => metrics),
      })),
      guardMinutes: plan.monitoring.guardMinutes,
    });
    this.hostAlarms = new HostAlarms(this, "host-alarms", {
      names: plan.monitoring.host,
      groupName: plan.autoScaling.name,
      belowDesiredMinutes: plan.monitoring.belowDesiredMinutes,
      metricsNamespace: plan.logs.metricsNamespace,
      ...(plan.monitoring.topicArn === undefined ? {} : { topicArn: plan.monitoring.topicArn }),
    });
    const groupSources = (ports: readonly number[]) =>
      fronts.filter(({ port }) => ports.includes(port.port)).map(({ metrics }) => metrics);
    this.servingAlarms = new ServingAlarms(this, "serving", {
      latency: plan.monitoring.latencyAlarms.map(({ name, ports }) => ({
        alarmName: name,
        ports: groupSources(ports),
      })),
      errors: plan.monitoring.backendErrorAlarms.map(({ name, ports }) => ({
        alarmName: name,
        ports: groupSources(ports),
      })),
      latencySeconds: plan.monitoring.latencySeconds,
      backendErrors: plan.monitoring.backendErrors,
      minutes: plan.monitoring.minutes,
      ...(plan.monitoring.topicArn === undefined ? {} : { topicArn: plan.monitoring.topicArn }),
    });
    // The refresh names each alarm by its resource's attribute, so the group waits for the alarms it watches.
    const alarmsByName = new Map(
      [...this.alarms.guardAlarms, ...this.hostAlarms.alarms, ...this.servingAlarms.alarms].map((alarm) => [
        alarm.alarmNameInput,
        alarm,
      ]),
    );
    const refreshAlarms = plan.monitoring.refreshAlarmNames.map((name) => {
      const alarm = alarmsByName.get(name);
      if (alarm === undefined) throw new RangeError(`the refresh watches ${name}, which the region does not create`);
      return alarm.alarmName;
    });
    this.role = new InstanceRole(this, "instance", {
      name: plan.instance.role.name,
      ...(plan.instance.role.releaseReadArn === undefined ? {} : { releaseReadArn: plan.instance.role.releaseReadArn }),
      logGroupArn: this.logs.group.arn,
      autoScalingGroupName: plan.autoScaling.name,
      region: plan.region,
      readsGroupHealth: plan.watchdog !== undefined,
      ...(plan.instance.role.ssm
        ? { ssm: { sessionDocumentName: `${plan.stackName}-session`, sessionLogGroupName: plan.logs.group } }
        : {}),
      secrets: plan.instance.role.secrets,
      policyArns: plan.instance.role.policyArns,
    });
    this.service = new ServiceGroup(this, "service", {
      name: plan.autoScaling.name,
      instanceType: plan.instance.type,
      ami: plan.instance.ami,
      userData: plan.instance.userData,
      securityGroupIds: [this.securityGroups.instanceGroup.id],
      publicIp: plan.publicIp,
      subnetIds: network.subnetIds,
      processes: plan.ports.length,
      instanceProfileArn: this.role.profile.arn,
      bootNeeds: this.role.bootPolicies,
      capacity: plan.autoScaling.capacity,
      healthCheckGracePeriod: plan.autoScaling.healthCheckGracePeriod,
      instanceRefresh: plan.autoScaling.instanceRefresh
        ? {
            alarmNames: refreshAlarms,
            ...(plan.autoScaling.checkpoint === undefined ? {} : { checkpoint: plan.autoScaling.checkpoint }),
          }
        : false,
      instanceTags: plan.tags,
      subnetChecks: network.subnetChecks,
      groupMetrics: GROUP_METRICS,
      scaledByPolicy: plan.scaling !== undefined,
      bootHook: { name: plan.boot.hookName, timeoutSeconds: plan.boot.timeoutSeconds },
    });
    if (plan.scaling !== undefined) {
      this.scaling = new CpuScaling(this, "scaling", {
        groupName: this.service.group.name,
        policyName: plan.scaling.policyName,
        cpuTarget: plan.scaling.cpuTarget,
        warmup: plan.scaling.warmup,
      });
    }

    this.attachments = new PortAttachments(this, "attach", {
      groupName: this.service.group.name,
      ports: fronts.map((front) => front.attach),
    });

    const zone = new DataAwsRoute53Zone(this, "zone", { name: plan.dns.domain, privateZone: plan.dns.privateZone });
    this.dns = new FleetDnsRecords(this, "dns", {
      zoneId: zone.zoneId,
      regionalName: plan.regionalName,
      targets: fronts.map(({ port, dnsName }) => ({
        ...port,
        loadBalancerDnsName: dnsName,
        loadBalancerZoneId: this.loadBalancers.hostedZoneId,
      })),
      ...(plan.dns.globalName === undefined ? {} : { global: { name: plan.dns.globalName, region: plan.region } }),
      publishAfter: [this.service.group, ...this.attachments.attachments],
    });

    this.dashboard = new RegionDashboard(this, "monitoring", {
      name: plan.monitoring.dashboardName,
      region: plan.region,
      groupName: this.service.group.name,
      ...(plan.scaling === undefined ? {} : { cpuTarget: plan.scaling.cpuTarget }),
      ports: fronts.map(({ metrics }) => metrics),
      alarmArns: [
        ...this.alarms.portAlarms.map((alarm) => alarm.arn),
        this.alarms.regionAlarm.arn,
        ...this.hostAlarms.alarms.map((alarm) => alarm.arn),
      ],
    });

    new TerraformOutput(this, "regional_name", { value: plan.regionalName });
    if (plan.dns.globalName !== undefined) new TerraformOutput(this, "global_name", { value: plan.dns.globalName });
    new TerraformOutput(this, "port_names", { value: plan.ports.map((p) => p.aliasName) });
    new TerraformOutput(this, "load_balancer_dns_names", {
      value: Object.fromEntries(fronts.map(({ port, dnsName }) => [port.aliasName, dnsName])),
    });
    new TerraformOutput(this, "asg_name", { value: this.service.group.name });
    new TerraformOutput(this, "dashboard_url", { value: dashboardUrl(plan.region, plan.monitoring.dashboardName) });
    new TerraformOutput(this, "log_group", { value: plan.logs.group });
    if (this.role.sessionDocument !== undefined) {
      new TerraformOutput(this, "session_document", { value: this.role.sessionDocument.name });
    }
  }
}
