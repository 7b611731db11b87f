/*
 * The checks of one region's shape: its ports (ports.ts), then its group's capacity, who may reach it, its
 * VPC and subnets, names within AWS's lengths, and the certificate and topic it names being in the region.
 */
import { ELB_NAME_MAX_LENGTH } from "../aws-facts";
import type { ResolvedSettings } from "../region-settings";
import type { ParsedFleetConfig } from "../schema";
import { ACM_CERTIFICATE_ARN } from "../schema/listener";
import type { RegionShape } from "../shape";
import { checkPorts } from "./ports";
import { regionProblems, type RegionProblem } from "./problems";

export function checkRegion(
  config: ParsedFleetConfig,
  region: RegionShape,
  index: number,
  settings: ResolvedSettings,
): RegionProblem[] {
  const { problems, add, addRegional } = regionProblems(region.region);
  problems.push(...checkPorts(config, region, settings));
  const { capacity, allowedCidrs } = settings;
  const { min, desired, max } = region.autoScaling.capacity;
  if (!(min <= desired && desired <= max)) {
    add(capacity.path, capacity.value, "must satisfy min <= desired <= max");
  }

  if (allowedCidrs.value === undefined) {
    add("allowedCidrs", undefined, 'is required: list who may reach the listener port, e.g. ["10.0.0.0/8"]');
  }

  const entry = config.regions[index];
  if (entry?.subnetIds !== undefined && entry.vpcId === undefined) {
    add(
      `regions[${index}].subnetIds`,
      entry.subnetIds,
      "needs vpcId in the same entry, the VPC these subnets belong to (the security groups live there)",
    );
  }
  const { subnetTags } = settings;
  if (subnetTags.value !== undefined && entry?.subnetIds !== undefined) {
    add(
      subnetTags.path,
      subnetTags.value,
      `picks subnets by tag, but regions[${index}].subnetIds lists them already; keep one of the two`,
    );
  } else if (subnetTags.value !== undefined && entry?.vpcId === undefined) {
    addRegional(
      subnetTags.path,
      subnetTags.value,
      "picks subnets of a VPC you name, but this region has no vpcId (its default VPC has one default subnet per zone already); set vpcId in the region's entry or leave subnetTags out",
    );
  }

  for (const port of region.ports) {
    const name = port.loadBalancerName;
    if (name.length > ELB_NAME_MAX_LENGTH) {
      add(
        "deployment",
        config.deployment,
        `makes the load balancer name "${name}" ${name.length} characters long; load balancer and target group names are at most ${ELB_NAME_MAX_LENGTH}: shorten service or deployment`,
      );
      break;
    }
  }
  for (const name of [region.regionalName, ...region.ports.map((p) => p.aliasName)]) {
    const longLabel = name.split(".").find((l) => l.length > 63);
    if (name.length > 253 || longLabel !== undefined) {
      add(
        "domain",
        config.domain,
        `makes the DNS name "${name}" invalid (names are at most 253 characters, labels at most 63); shorten service, deployment or domain`,
      );
      break;
    }
  }

  const certificateArn = region.listener.tls?.certificateArn;
  const certificateRegion = certificateArn === undefined ? undefined : ACM_CERTIFICATE_ARN.exec(certificateArn)?.[2];
  if (certificateArn !== undefined && certificateRegion !== region.region) {
    addRegional(
      settings.tls.path === "tls" ? "tls.certificateArn" : `regions[${index}].tls.certificateArn`,
      certificateArn,
      `is a certificate in ${certificateRegion ?? "no region"}, and a load balancer uses certificates of its own region only; set regions[${index}].tls.certificateArn to one in ${region.region}`,
    );
  }
  if (region.accessLogs?.create === true && region.accessLogs.bucket.length > 63) {
    add(
      "deployment",
      config.deployment,
      `makes the access log bucket name "${region.accessLogs.bucket}" ${region.accessLogs.bucket.length} characters long; bucket names are at most 63: shorten service or deployment, or name a bucket in accessLogs`,
    );
  }

  const topicArn = region.monitoring.topicArn;
  const topicRegion = topicArn?.split(":")[3];
  if (topicArn !== undefined && topicRegion !== region.region) {
    const path = entry?.alarms?.topicArn === undefined ? "alarms.topicArn" : `regions[${index}].alarms.topicArn`;
    addRegional(
      path,
      topicArn,
      `is a topic in ${topicRegion ?? "no region"}, and CloudWatch alarms notify topics in their own region only; set regions[${index}].alarms.topicArn to a topic in ${region.region}`,
    );
  }
  return problems;
}
