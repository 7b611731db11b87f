/*
 * Finds what an interrupted apply left in AWS but not in a region stack's state, and decides what to adopt
 * (the decisions are adoption/decide.ts's; this file only asks AWS). The import blocks that adopt it, and
 * their life beside the synthesized stack, are ./lifecycle.ts's.
 */
import { DescribeAutoScalingGroupsCommand } from "@aws-sdk/client-auto-scaling";
import { DescribeLogGroupsCommand, ListTagsForResourceCommand as ListLogTags } from "@aws-sdk/client-cloudwatch-logs";
import {
  DescribeLaunchTemplatesCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeSecurityGroupsCommand,
  type Tag as Ec2Tag,
} from "@aws-sdk/client-ec2";
import {
  DescribeLoadBalancersCommand as DescribeClassic,
  DescribeTagsCommand as DescribeClassicTags,
} from "@aws-sdk/client-elastic-load-balancing";
import {
  DescribeListenersCommand,
  DescribeLoadBalancersCommand,
  DescribeTagsCommand,
  DescribeTargetGroupsCommand,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { GetInstanceProfileCommand, GetRoleCommand } from "@aws-sdk/client-iam";
import { ListResourceRecordSetsCommand } from "@aws-sdk/client-route-53";
import { DescribeDocumentCommand, ListTagsForResourceCommand as ListSsmTags } from "@aws-sdk/client-ssm";
import {
  adoptionCandidates,
  decideAdoption,
  madeFromPrefix,
  recordImportId,
  sameDnsName,
  type AdoptableType,
  type AdoptionCandidate,
  type AdoptionDecision,
  type FoundResource,
} from "../decide";
import type { RegionShape } from "../../fleet/shape";
import type { TerraformPlanJson } from "../../terraform/plan-json";
import type { Target } from "../../fleet/target";
import { regionClients, type RegionClients } from "../../fleet/adapters/aws-clients";

type Planned = Readonly<Record<string, unknown>>;
type Finder = (clients: RegionClients, planned: Planned) => Promise<FoundResource | undefined>;

const text = (planned: Planned, key: string): string | undefined => {
  const value = planned[key];
  return typeof value === "string" && value !== "" ? value : undefined;
};
const num = (planned: Planned, key: string): number | undefined => {
  const value = planned[key];
  return typeof value === "number" ? value : undefined;
};
const tagMap = (tags: readonly { Key?: string | undefined; Value?: string | undefined }[] | undefined) =>
  Object.fromEntries((tags ?? []).map((t) => [t.Key ?? "", t.Value ?? ""]));

/** An SDK call whose "not found" error means the name is free. */
async function orAbsent<T>(call: Promise<T>, notFound: RegExp): Promise<T | undefined> {
  try {
    return await call;
  } catch (error) {
    const { name, message } = error as { name?: string; message?: string };
    if (notFound.test(name ?? "") || notFound.test(message ?? "")) return undefined;
    throw error;
  }
}

async function elbv2Tags(clients: RegionClients, arn: string): Promise<Record<string, string>> {
  const answer = await clients.elbv2.send(new DescribeTagsCommand({ ResourceArns: [arn] }));
  return tagMap(answer.TagDescriptions?.[0]?.Tags);
}

const FINDERS: Readonly<Record<AdoptableType, Finder>> = {
  aws_elb: async (clients, planned) => {
    const name = text(planned, "name");
    if (name === undefined) return undefined;
    const answer = await orAbsent(
      clients.elb.send(new DescribeClassic({ LoadBalancerNames: [name] })),
      /LoadBalancerNotFound|AccessPointNotFound/,
    );
    if ((answer?.LoadBalancerDescriptions ?? []).length === 0) return undefined;
    const tags = await clients.elb.send(new DescribeClassicTags({ LoadBalancerNames: [name] }));
    return { importId: name, label: name, tags: tagMap(tags.TagDescriptions?.[0]?.Tags) };
  },
  aws_lb: async (clients, planned) => {
    const name = text(planned, "name");
    if (name === undefined) return undefined;
    const answer = await orAbsent(
      clients.elbv2.send(new DescribeLoadBalancersCommand({ Names: [name] })),
      /LoadBalancerNotFound/,
    );
    const arn = answer?.LoadBalancers?.[0]?.LoadBalancerArn;
    return arn === undefined ? undefined : { importId: arn, label: name, tags: await elbv2Tags(clients, arn) };
  },
  aws_lb_target_group: async (clients, planned) => {
    const name = text(planned, "name");
    if (name === undefined) return undefined;
    const answer = await orAbsent(
      clients.elbv2.send(new DescribeTargetGroupsCommand({ Names: [name] })),
      /TargetGroupNotFound/,
    );
    const arn = answer?.TargetGroups?.[0]?.TargetGroupArn;
    return arn === undefined ? undefined : { importId: arn, label: name, tags: await elbv2Tags(clients, arn) };
  },
  // Found on its load balancer once that is in state (or adopted): a plan knows the ARN only then.
  aws_lb_listener: async (clients, planned) => {
    const loadBalancer = text(planned, "load_balancer_arn");
    const port = num(planned, "port");
    if (loadBalancer === undefined || port === undefined) return undefined;
    const answer = await clients.elbv2.send(new DescribeListenersCommand({ LoadBalancerArn: loadBalancer }));
    const arn = answer.Listeners?.find((l) => l.Port === port)?.ListenerArn;
    return arn === undefined
      ? undefined
      : { importId: arn, label: `port ${port} of ${loadBalancer}`, tags: await elbv2Tags(clients, arn) };
  },
  aws_security_group: async (clients, planned) => {
    const name = text(planned, "name");
    if (name === undefined) return undefined;
    const vpc = text(planned, "vpc_id");
    const answer = await clients.ec2.send(
      new DescribeSecurityGroupsCommand({
        Filters: [
          { Name: "group-name", Values: [name] },
          ...(vpc === undefined ? [] : [{ Name: "vpc-id", Values: [vpc] }]),
        ],
      }),
    );
    const group = answer.SecurityGroups?.[0];
    return group?.GroupId === undefined
      ? undefined
      : { importId: group.GroupId, label: `${name} ${group.GroupId}`, tags: tagMap(group.Tags) };
  },
  aws_vpc_security_group_ingress_rule: (clients, planned) => findRule(clients, planned, false),
  aws_vpc_security_group_egress_rule: (clients, planned) => findRule(clients, planned, true),
  aws_iam_role: async (clients, planned) => {
    const name = text(planned, "name");
    if (name === undefined) return undefined;
    const answer = await orAbsent(clients.iam.send(new GetRoleCommand({ RoleName: name })), /NoSuchEntity/);
    return answer?.Role === undefined ? undefined : { importId: name, label: name, tags: tagMap(answer.Role.Tags) };
  },
  aws_iam_instance_profile: async (clients, planned) => {
    const name = text(planned, "name");
    if (name === undefined) return undefined;
    const answer = await orAbsent(
      clients.iam.send(new GetInstanceProfileCommand({ InstanceProfileName: name })),
      /NoSuchEntity/,
    );
    const profile = answer?.InstanceProfile;
    return profile === undefined ? undefined : { importId: name, label: name, tags: tagMap(profile.Tags) };
  },
  aws_autoscaling_group: async (clients, planned) => {
    const name = text(planned, "name");
    if (name === undefined) return undefined;
    const answer = await clients.autoScaling.send(
      new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }),
    );
    const group = answer.AutoScalingGroups?.[0];
    return group === undefined ? undefined : { importId: name, label: name, tags: tagMap(group.Tags) };
  },
  // Named by prefix: the newest template this stack's Terraform made (a second killed deploy may have made two;
  // the others are named in the report, see findLaunchTemplates).
  aws_launch_template: async (clients, planned) => {
    const prefix = text(planned, "name_prefix");
    if (prefix === undefined) return undefined;
    const [newest] = await findLaunchTemplates(clients, prefix);
    return newest;
  },
  aws_cloudwatch_log_group: async (clients, planned) => {
    const name = text(planned, "name");
    if (name === undefined) return undefined;
    const answer = await clients.logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: name }));
    const group = answer.logGroups?.find((g) => g.logGroupName === name);
    if (group?.arn === undefined) return undefined;
    const tags = await clients.logs.send(new ListLogTags({ resourceArn: group.arn.replace(/:\*$/, "") }));
    return { importId: name, label: name, tags: { ...tags.tags } };
  },
  aws_ssm_document: async (clients, planned) => {
    const name = text(planned, "name");
    if (name === undefined) return undefined;
    const answer = await orAbsent(
      clients.ssm.send(new DescribeDocumentCommand({ Name: name })),
      /InvalidDocument|does not exist/,
    );
    if (answer?.Document === undefined) return undefined;
    const tags = await clients.ssm.send(new ListSsmTags({ ResourceType: "Document", ResourceId: name }));
    return { importId: name, label: name, tags: tagMap(tags.TagList) };
  },
  // Records carry no tags: one is adopted only when it is exactly the alias this stack would write.
  aws_route53_record: async (clients, planned) => {
    const zone = text(planned, "zone_id");
    const name = text(planned, "name");
    const type = text(planned, "type");
    const alias = (planned.alias as readonly Planned[] | undefined)?.[0];
    const aliasName = alias === undefined ? undefined : text(alias, "name");
    if (zone === undefined || name === undefined || type === undefined || aliasName === undefined) return undefined;
    const setIdentifier = text(planned, "set_identifier");
    const answer = await clients.route53.send(
      new ListResourceRecordSetsCommand({
        HostedZoneId: zone,
        StartRecordName: name,
        StartRecordType: type as "A",
        MaxItems: 100,
      }),
    );
    const existing = (answer.ResourceRecordSets ?? []).find(
      (r) => sameDnsName(r.Name ?? "", name) && r.Type === type && (r.SetIdentifier ?? undefined) === setIdentifier,
    );
    if (existing === undefined) return undefined;
    return {
      importId: recordImportId(zone, name, type, setIdentifier),
      label: `${name} ${type}${setIdentifier === undefined ? "" : ` (${setIdentifier})`}`,
      identical: existing.AliasTarget?.DNSName !== undefined && sameDnsName(existing.AliasTarget.DNSName, aliasName),
    };
  },
};

/** A rule of a group that is in the stack's state: the same direction, protocol, ports and peer as planned. */
async function findRule(clients: RegionClients, planned: Planned, egress: boolean): Promise<FoundResource | undefined> {
  const group = text(planned, "security_group_id");
  if (group === undefined) return undefined;
  const answer = await clients.ec2.send(
    new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: "group-id", Values: [group] }] }),
  );
  const protocol = text(planned, "ip_protocol");
  const rule = (answer.SecurityGroupRules ?? []).find(
    (r) =>
      r.IsEgress === egress &&
      r.IpProtocol === protocol &&
      r.FromPort === num(planned, "from_port") &&
      r.ToPort === num(planned, "to_port") &&
      (r.CidrIpv4 ?? undefined) === text(planned, "cidr_ipv4") &&
      (r.ReferencedGroupInfo?.GroupId ?? undefined) === text(planned, "referenced_security_group_id"),
  );
  if (rule?.SecurityGroupRuleId === undefined) return undefined;
  // Its group was adopted or created by this stack, and the rule is exactly the planned one.
  return { importId: rule.SecurityGroupRuleId, label: `${rule.SecurityGroupRuleId} of ${group}`, identical: true };
}

/** Every launch template this stack's Terraform made from its prefix, newest first. */
async function findLaunchTemplates(clients: RegionClients, prefix: string): Promise<FoundResource[]> {
  const templates: { id: string; name: string; created: number; tags: Ec2Tag[] }[] = [];
  let token: string | undefined;
  do {
    const answer = await clients.ec2.send(new DescribeLaunchTemplatesCommand({ NextToken: token, MaxResults: 200 }));
    for (const t of answer.LaunchTemplates ?? []) {
      if (t.LaunchTemplateId === undefined || t.LaunchTemplateName === undefined) continue;
      if (!madeFromPrefix(t.LaunchTemplateName, prefix)) continue;
      templates.push({
        id: t.LaunchTemplateId,
        name: t.LaunchTemplateName,
        created: t.CreateTime?.getTime() ?? 0,
        tags: t.Tags ?? [],
      });
    }
    token = answer.NextToken;
  } while (token !== undefined && token !== "");
  return templates
    .sort((a, b) => b.created - a.created)
    .map((t) => ({ importId: t.id, label: `${t.name} ${t.id}`, tags: tagMap(t.tags) }));
}

/** The decisions for one plan's creations: adopt, or report; nothing for what AWS does not have. */
export async function decideOrphans(
  target: Target,
  region: RegionShape,
  plan: TerraformPlanJson,
  already: ReadonlySet<string> = new Set(),
): Promise<AdoptionDecision[]> {
  const clients = regionClients(target, region.region);
  const owner = { service: region.tags.Service ?? "", deployment: region.tags.Deployment ?? "" };
  const candidates = adoptionCandidates(plan).filter((c) => !already.has(c.address));
  const decisions = await Promise.all(
    candidates.map(async (candidate: AdoptionCandidate) =>
      decideAdoption(candidate, await FINDERS[candidate.type](clients, candidate.planned), owner),
    ),
  );
  return decisions.filter((d): d is AdoptionDecision => d !== undefined);
}
