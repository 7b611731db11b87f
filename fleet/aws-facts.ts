/**
 * Static facts about AWS that the fleet's validation and defaults rely on.
 * Kept as plain data so they can be reviewed (and extended) in one place.
 */

/** Commercial AWS regions. A region missing here is rejected, so add new ones when AWS launches them. */
export const AWS_REGIONS: readonly string[] = [
  "af-south-1",
  "ap-east-1",
  "ap-east-2",
  "ap-northeast-1",
  "ap-northeast-2",
  "ap-northeast-3",
  "ap-south-1",
  "ap-south-2",
  "ap-southeast-1",
  "ap-southeast-2",
  "ap-southeast-3",
  "ap-southeast-4",
  "ap-southeast-5",
  "ap-southeast-7",
  "ca-central-1",
  "ca-west-1",
  "eu-central-1",
  "eu-central-2",
  "eu-north-1",
  "eu-south-1",
  "eu-south-2",
  "eu-west-1",
  "eu-west-2",
  "eu-west-3",
  "il-central-1",
  "me-central-1",
  "me-south-1",
  "mx-central-1",
  "sa-east-1",
  "us-east-1",
  "us-east-2",
  "us-west-1",
  "us-west-2",
];

export type CpuArchitecture = "x86_64" | "arm64";

export interface InstanceTypeFacts {
  readonly vcpus: number;
  readonly arch: CpuArchitecture;
}

function family(
  prefix: string,
  arch: CpuArchitecture,
  sizes: Record<string, number>,
): Record<string, InstanceTypeFacts> {
  return Object.fromEntries(Object.entries(sizes).map(([size, vcpus]) => [`${prefix}.${size}`, { vcpus, arch }]));
}

const GENERAL_SIZES = { large: 2, xlarge: 4, "2xlarge": 8, "4xlarge": 16, "8xlarge": 32 };
const BURSTABLE_SIZES = { nano: 2, micro: 2, small: 2, medium: 2, large: 2, xlarge: 4, "2xlarge": 8 };

/**
 * vCPU counts of common instance types (from the EC2 instance type documentation).
 * A type that is not listed needs an explicit `processes` in the fleet config.
 */
export const INSTANCE_TYPES: Readonly<Record<string, InstanceTypeFacts>> = {
  ...family("t3", "x86_64", BURSTABLE_SIZES),
  ...family("t3a", "x86_64", BURSTABLE_SIZES),
  ...family("t4g", "arm64", BURSTABLE_SIZES),
  ...family("m5", "x86_64", GENERAL_SIZES),
  ...family("m6i", "x86_64", GENERAL_SIZES),
  ...family("m7i", "x86_64", GENERAL_SIZES),
  ...family("m6g", "arm64", { medium: 1, ...GENERAL_SIZES }),
  ...family("m7g", "arm64", { medium: 1, ...GENERAL_SIZES }),
  ...family("c5", "x86_64", GENERAL_SIZES),
  ...family("c6i", "x86_64", GENERAL_SIZES),
  ...family("c7i", "x86_64", GENERAL_SIZES),
  ...family("c6g", "arm64", { medium: 1, ...GENERAL_SIZES }),
  ...family("c7g", "arm64", { medium: 1, ...GENERAL_SIZES }),
  ...family("r5", "x86_64", GENERAL_SIZES),
  ...family("r6i", "x86_64", GENERAL_SIZES),
  ...family("r6g", "arm64", { medium: 1, ...GENERAL_SIZES }),
};

/**
 * Graviton families carry a `g` after the generation digit (m6g, c7gn, t4g); everything else
 * we deploy to is x86_64. Used only for types missing from {@link INSTANCE_TYPES}.
 */
export function architectureOf(instanceType: string): CpuArchitecture {
  const known = INSTANCE_TYPES[instanceType];
  if (known !== undefined) return known.arch;
  return /^[a-z]+\d+[a-z]*g[a-z]*\./.test(instanceType) ? "arm64" : "x86_64";
}

/** The account that publishes the official Debian cloud images. */
export const DEBIAN_AMI_OWNER = "136693071363";

/** AWS caps a load balancer's name (classic and network) and a target group's name at 32 characters. */
export const ELB_NAME_MAX_LENGTH = 32;

export type LoadBalancerType = "classic" | "network";

/** The numbers of a load balancer's health check (seconds, or consecutive checks for the thresholds). */
export type HealthCheckNumber = "timeout" | "interval" | "healthyThreshold" | "unhealthyThreshold";

/**
 * The health check numbers each load balancer type takes, inclusive; AWS refuses others at apply. On both, a
 * check's timeout must also be shorter than its interval.
 * - classic: the HealthCheck of Elastic Load Balancing's 2012-06-01 API: Interval 5-300, Timeout 2-60 ("must
 *   be less than the Interval value"), HealthyThreshold and UnhealthyThreshold 2-10.
 *   https://docs.aws.amazon.com/elasticloadbalancing/2012-06-01/APIReference/API_HealthCheck.html
 * - network: a target group's check (CreateTargetGroup, 2015-12-01 API; the Network Load Balancer guide's
 *   "Health checks for Network Load Balancer target groups"): HealthCheckIntervalSeconds 5-300,
 *   HealthCheckTimeoutSeconds 2-120, HealthyThresholdCount and UnhealthyThresholdCount 2-10, for TCP and HTTP
 *   checks alike since November 2022 (a TCP check took intervals of 10 or 30 s only, a fixed timeout, and
 *   equal thresholds before). AWS answers a timeout not shorter than the interval with "Health check interval
 *   must be greater than the timeout".
 *   https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateTargetGroup.html
 *   https://docs.aws.amazon.com/elasticloadbalancing/latest/network/target-group-health-checks.html
 */
export const HEALTH_CHECK_RANGES: Readonly<
  Record<LoadBalancerType, Readonly<Record<HealthCheckNumber, readonly [min: number, max: number]>>>
> = {
  classic: { timeout: [2, 60], interval: [5, 300], healthyThreshold: [2, 10], unhealthyThreshold: [2, 10] },
  network: { timeout: [2, 120], interval: [5, 300], healthyThreshold: [2, 10], unhealthyThreshold: [2, 10] },
};

/** `2-60 on classic load balancers, 2-120 on network ones`: what AWS takes for one number of the check. */
export function healthCheckRangeText(field: HealthCheckNumber): string {
  const ranges = Object.entries(HEALTH_CHECK_RANGES).map(([type, numbers]) => ({
    type,
    range: numbers[field].join("-"),
  }));
  if (ranges.every((r) => r.range === ranges[0]?.range)) {
    return `${ranges[0]?.range ?? ""} on ${ranges.map((r) => r.type).join(" and ")} load balancers alike`;
  }
  return ranges.map((r, i) => `${r.range} on ${r.type} ${i === 0 ? "load balancers" : "ones"}`).join(", ");
}

/** AWS's default quota of load balancers of each type per region. */
export const LOAD_BALANCER_QUOTA: Readonly<Record<LoadBalancerType, number>> = { classic: 20, network: 50 };

/** An Auto Scaling group takes at most 50 classic load balancers, or 50 target groups. */
export const ASG_MAX_ATTACHMENTS = 50;

/** EC2 rejects user data above 16 KiB (before base64). */
export const USER_DATA_MAX_BYTES = 16 * 1024;

/** Route 53 weights are 0..255. */
export const ROUTE53_MAX_WEIGHT = 255;
