import type { z } from "zod";
import { compressUserData, type AppFiles } from "../instance/user-data";
import {
  ASG_MAX_ATTACHMENTS,
  ELB_NAME_MAX_LENGTH,
  HEALTH_CHECK_RANGES,
  INSTANCE_TYPES,
  USER_DATA_MAX_BYTES,
  type HealthCheckNumber,
  type LoadBalancerType,
} from "./aws-facts";
import { ACM_CERTIFICATE_ARN } from "./schema/listener";
import { FleetSchema, type ParsedFleetConfig } from "./schema";
import { LOCAL_DEPLOYMENT } from "./defaults";
import { duplicateProblems } from "./duplicates";
import { fieldsAt, formatPath } from "./schema-walk";
import { nearestNames } from "./spelling";
import { fleetShape, regionAlarmNames, type FleetShape, type RegionShape } from "./shape";
import { resolveSettings, type ResolvedSettings } from "./region-settings";

/** One thing wrong with the config: where, what was there, and what is allowed instead. */
export interface Problem {
  readonly path: string;
  readonly value: unknown;
  readonly message: string;
}

export type Validation =
  | {
      readonly ok: true;
      readonly config: ParsedFleetConfig;
      readonly shape: FleetShape;
      /** Settings that are valid but will not do what they suggest; printed, never fatal. */
      readonly warnings: readonly Problem[];
    }
  | { readonly ok: false; readonly problems: readonly Problem[] };

export class FleetConfigError extends Error {
  constructor(readonly problems: readonly Problem[]) {
    super(formatProblems(problems));
    this.name = "FleetConfigError";
  }
}

/**
 * The one entry point for untrusted config: checks the shape, computes the plan, then checks the
 * plan. Every problem is collected; nothing is created unless the list is empty. Repeated list entries
 * are reported at either stage: they are read from the input as written.
 */
export function validateFleet(input: unknown, defaultApp: AppFiles): Validation {
  const repeats = duplicateProblems(FleetSchema, input);
  const parsed = FleetSchema.safeParse(input, { reportInput: true });
  if (!parsed.success) {
    const shape = parsed.error.issues.flatMap((issue) => problemsFromIssue(issue, FleetSchema));
    // An entry that is malformed is reported as such; that it repeats another malformed one adds nothing.
    const unlessMalformed = repeats.filter((repeat) => !shape.some((p) => isWithin(repeat.path, p.path)));
    return { ok: false, problems: [...shape, ...unlessMalformed] };
  }
  const shape = fleetShape(parsed.data, defaultApp);
  const problems = [...repeats, ...mergeRegions(checkShape(parsed.data, shape))];
  return problems.length === 0
    ? { ok: true, config: parsed.data, shape, warnings: mergeRegions(warningsOf(parsed.data, shape)) }
    : { ok: false, problems };
}

/** Like {@link validateFleet}, but throws a {@link FleetConfigError} listing every problem. */
export function shapeOrThrow(input: unknown, defaultApp: AppFiles): FleetShape {
  const result = validateFleet(input, defaultApp);
  if (!result.ok) throw new FleetConfigError(result.problems);
  return result.shape;
}

/** Every problem once: the same problem reached twice (from two regions, two rules) is printed once, and counted once. */
export function formatProblems(problems: readonly Problem[], subject = "fleet config"): string {
  const distinct = new Map(problems.map((p) => [`${p.path}\u0000${JSON.stringify(p.value)}\u0000${p.message}`, p]));
  const lines = [...distinct.values()].map((p) => `  - ${formatProblem(p)}`);
  return [`${subject} has ${lines.length} problem${lines.length === 1 ? "" : "s"}:`, ...lines].join("\n");
}

/** `warning: capacity: got …; …`: a line a command prints once, before it starts. */
export function formatWarning(warning: Problem): string {
  return `warning: ${formatProblem(warning)}`;
}

export function formatProblem(problem: Problem): string {
  return `${problem.path === "" ? "(config)" : problem.path}: got ${describe(problem.value)}; ${problem.message}`;
}

function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** `regions[2].region` is within `regions[2]` and within itself; nothing is within the config's root problems. */
function isWithin(path: string, outer: string): boolean {
  return outer !== "" && (path === outer || path.startsWith(`${outer}.`) || path.startsWith(`${outer}[`));
}

function problemsFromIssue(issue: z.core.$ZodIssue, schema: z.core.$ZodType): Problem[] {
  const path = formatPath(issue.path);
  if (issue.code === "unrecognized_keys") {
    const known = fieldsAt(schema, issue.path) ?? [];
    return issue.keys.map((key) => ({
      path: formatPath([...issue.path, key]),
      value: issue.input?.[key],
      message: unknownFieldMessage(nearestNames(key, known)),
    }));
  }
  if (issue.code === "invalid_union") {
    // An object with a field that none of the union's objects has: it was meant to be one of them, so its
    // own problems (a misspelled field among them) say more than the union's list of choices.
    const meant = issue.errors
      .filter((option) => option.some((inner) => inner.code === "unrecognized_keys"))
      .sort((a, b) => a.length - b.length)[0];
    if (meant !== undefined) {
      return meant.flatMap((inner) => problemsFromIssue({ ...inner, path: [...issue.path, ...inner.path] }, schema));
    }
  }
  if (issue.code === "invalid_type" && issue.input === undefined) {
    return [{ path, value: undefined, message: `is required (${issue.message})` }];
  }
  return [{ path, value: issue.input, message: issue.message }];
}

function unknownFieldMessage(suggestions: readonly string[]): string {
  if (suggestions.length === 0) return "unknown field; check the spelling against docs/configuration.md";
  const last = suggestions[suggestions.length - 1] ?? "";
  const names = suggestions.length === 1 ? last : `${suggestions.slice(0, -1).join(", ")} or ${last}`;
  return `unknown field; did you mean ${names}?`;
}

/** A problem found while checking one region's plan; `regional` ones are prefixed with the regions they affect. */
interface RegionProblem extends Problem {
  readonly region?: string;
}

/**
 * A fleet-wide setting that is wrong in every region is one problem, not one per region: merge
 * problems with the same path and message, naming the regions they occur in.
 */
function mergeRegions(problems: readonly RegionProblem[]): Problem[] {
  const merged = new Map<string, { problem: RegionProblem; regions: string[] }>();
  for (const problem of problems) {
    const key = `${problem.path}\u0000${problem.message}`;
    const seen = merged.get(key);
    if (seen === undefined) merged.set(key, { problem, regions: problem.region === undefined ? [] : [problem.region] });
    else if (problem.region !== undefined && !seen.regions.includes(problem.region)) seen.regions.push(problem.region);
  }
  return [...merged.values()].map(({ problem, regions }) => ({
    path: problem.path,
    value: problem.value,
    message: regions.length === 0 ? problem.message : `in ${regions.join(", ")}: ${problem.message}`,
  }));
}

function checkShape(config: ParsedFleetConfig, shape: FleetShape): RegionProblem[] {
  const problems: RegionProblem[] = [];
  if (config.createHostedZone && config.privateZone) {
    problems.push({
      path: "createHostedZone",
      value: true,
      message:
        "creates public zones only (a private zone needs its VPCs associated); create the private zone yourself and set createHostedZone to false",
    });
  }
  problems.push(...checkRecordSettings(config, shape));
  problems.push(...checkRollout(config));
  problems.push(...checkWatchdog(config));
  problems.push(...checkUserDataSize(config, shape));
  problems.push(...checkHealthCheckRanges(config, shape));
  problems.push(...checkHealthCheckTiming(config));
  problems.push(...checkReleaseBuckets(config));
  problems.push(...checkAppVariables(config));
  const classic = shape.regions.filter((r) => r.loadBalancerType === "classic").map((r) => r.region);
  if (config.deletionProtection && classic.length > 0) {
    problems.push({
      path: "deletionProtection",
      value: true,
      message: `protects network load balancers only, and ${classic.join(", ")} use${classic.length === 1 ? "s" : ""} classic ones, which have none; set loadBalancerType: "network" there, or leave deletionProtection out`,
    });
  }
  shape.regions.forEach((region, index) => {
    problems.push(...checkRegion(config, region, index, resolveSettings(config, index)));
  });
  return problems;
}

/** Every region in a wave, and no name that is not a region of the fleet (a region in two waves is a repeat). */
function checkRollout(config: ParsedFleetConfig): Problem[] {
  const waves = config.rollout.waves;
  if (waves === undefined) return [];
  const regions = config.regions.map((r) => r.region);
  const problems: Problem[] = [];
  waves.forEach((wave, w) => {
    wave.forEach((name, i) => {
      if (!regions.includes(name)) {
        problems.push({
          path: `rollout.waves[${w}][${i}]`,
          value: name,
          message: `is not a region of this fleet (its regions: ${regions.join(", ")}); list only regions from regions[]`,
        });
      }
    });
  });
  const placed = new Set(waves.flat());
  const missing = regions.filter((r) => !placed.has(r));
  if (missing.length > 0) {
    problems.push({
      path: "rollout.waves",
      value: waves,
      message: `leaves out ${missing.join(", ")}: every region of the fleet must be in exactly one wave; add ${missing.length === 1 ? "it" : "them"} to a wave (the last one rolls last)`,
    });
  }
  return problems;
}

/**
 * The largest region's user data must fit EC2's limit. One run script serves every port and the regions'
 * documents differ only in names, so what can push it over is what is of arbitrary length: the command,
 * the app's variables and its secrets' ARNs. One problem, not one per region.
 */
function checkUserDataSize(config: ParsedFleetConfig, shape: FleetShape): Problem[] {
  const sizes = shape.regions.map((r) => ({ region: r.region, bytes: compressUserData(r.instance.userData).length }));
  const largest = sizes.reduce((a, b) => (b.bytes > a.bytes ? b : a), { region: "", bytes: 0 });
  if (largest.bytes <= USER_DATA_MAX_BYTES) return [];
  const variables = Object.keys(config.app.environment ?? {}).length + Object.keys(config.app.secrets ?? {}).length;
  return [
    variables === 0
      ? {
          path: "app.command",
          value: config.app.command,
          message: `makes the user data ${largest.bytes} bytes gzipped (${largest.region}), over EC2's ${USER_DATA_MAX_BYTES}; shorten app.command (put a long command line in a script in the release)`,
        }
      : {
          path: "app",
          value: `${variables} variables`,
          message: `makes the user data ${largest.bytes} bytes gzipped (${largest.region}), over EC2's ${USER_DATA_MAX_BYTES}; shorten app.command or app.environment (a large value belongs in an SSM parameter, read through app.secrets)`,
        },
  ];
}

/**
 * The schema takes what either load balancer type takes; each type's regions are held to that type's own
 * ranges (fleet/aws-facts.ts), one problem per type naming its regions.
 */
function checkHealthCheckRanges(config: ParsedFleetConfig, shape: FleetShape): Problem[] {
  const types = Object.keys(HEALTH_CHECK_RANGES) as LoadBalancerType[];
  const fields = Object.keys(HEALTH_CHECK_RANGES.classic) as HealthCheckNumber[];
  const within = (value: number, [min, max]: readonly [number, number]) => value >= min && value <= max;
  return fields.flatMap((field) => {
    const value = config.healthCheck[field];
    const unit = field === "timeout" || field === "interval" ? "seconds" : "checks";
    return types.flatMap((type): Problem[] => {
      const range = HEALTH_CHECK_RANGES[type][field];
      const regions = shape.regions.filter((r) => r.loadBalancerType === type).map((r) => r.region);
      if (regions.length === 0 || within(value, range)) return [];
      const [min, max] = range;
      const fix = value > max ? `lower it to ${max} or less` : `raise it to ${min} or more`;
      const otherTypes = types
        .filter((other) => other !== type && within(value, HEALTH_CHECK_RANGES[other][field]))
        .map((other) => `, or set loadBalancerType "${other}" there (${HEALTH_CHECK_RANGES[other][field].join("-")})`);
      return [
        {
          path: `healthCheck.${field}`,
          value,
          message: `is outside the ${min}-${max} ${unit} that ${type} load balancers take (AWS refuses it at apply), and ${regions.join(", ")} use${regions.length === 1 ? "s" : ""} ${type} ones; ${fix}${otherTypes.join("")}`,
        },
      ];
    });
  });
}

/**
 * AWS's rules for a check, which its schema's minimums alone do not enforce: a check ends before the next
 * starts; and a good new instance passes its checks within the grace period, which is also the refresh's
 * warm-up and the moment the rollout judges new instances, so a shorter one counts healthy instances as failing.
 */
function checkHealthCheckTiming(config: ParsedFleetConfig): Problem[] {
  const { timeout, interval, healthyThreshold } = config.healthCheck;
  const problems: Problem[] = [];
  if (timeout >= interval) {
    problems.push({
      path: "healthCheck.timeout",
      value: timeout,
      message: `must be less than healthCheck.interval (${interval} s): a check must end before the next one starts, and AWS refuses it at apply in every region; lower timeout or raise interval`,
    });
  }
  const passing = healthyThreshold * interval;
  if (config.healthCheckGracePeriod < passing) {
    problems.push({
      path: "healthCheckGracePeriod",
      value: config.healthCheckGracePeriod,
      message: `is shorter than the ${passing} s a new instance needs to pass its checks (healthCheck.healthyThreshold ${healthyThreshold} × interval ${interval} s): the instance refresh's warm-up and the rollout's judgement would count healthy new instances as failing; raise it to at least ${passing}, or check more often`,
    });
  }
  return problems;
}

/**
 * Instances fetch the release over HTTPS from `https://{bucket}.s3.{region}.amazonaws.com`, and S3's
 * certificate (`*.s3.{region}.amazonaws.com`) covers one label only: a bucket name with dots fails every boot.
 */
function checkReleaseBuckets(config: ParsedFleetConfig): Problem[] {
  const message =
    "has dots: instances fetch the release from https://<bucket>.s3.<region>.amazonaws.com, and S3's certificate covers no name with a dot in the bucket, so every boot in every region would fail; use a bucket name without dots";
  return [
    ...(config.app.release?.bucket.includes(".") === true
      ? [{ path: "app.release.bucket", value: config.app.release.bucket, message }]
      : []),
    ...(config.releaseBucket?.includes(".") === true
      ? [{ path: "releaseBucket", value: config.releaseBucket, message }]
      : []),
  ];
}

/** A variable comes from one place: `app.environment` or `app.secrets`, never both. */
function checkAppVariables(config: ParsedFleetConfig): Problem[] {
  const environment = config.app.environment ?? {};
  return Object.keys(config.app.secrets ?? {})
    .filter((name) => Object.hasOwn(environment, name))
    .map((name) => ({
      path: `app.secrets.${name}`,
      value: config.app.secrets?.[name],
      message: `is also set in app.environment; a variable comes from one place: keep it in one of the two`,
    }));
}

/** The watchdog sees at least three probes fail before it restarts a process. */
function checkWatchdog(config: ParsedFleetConfig): Problem[] {
  const { watchdog } = config;
  if (watchdog === false || watchdog.failAfterSeconds >= 3 * watchdog.probeTimeoutSeconds) return [];
  return [
    {
      path: "watchdog.failAfterSeconds",
      value: watchdog.failAfterSeconds,
      message: `must be at least 3 × watchdog.probeTimeoutSeconds (${3 * watchdog.probeTimeoutSeconds}), so a restart follows three failed probes, never one slow answer; raise it or lower probeTimeoutSeconds`,
    },
  ];
}

const TTL_GONE =
  "is no longer used: every record is an alias record now, and Route 53 answers alias records with their target's TTL (60 s for a load balancer); remove ttl";

/** The DNS settings that span regions: the retired ttl, and the global name. */
function checkRecordSettings(config: ParsedFleetConfig, shape: FleetShape): Problem[] {
  const problems: Problem[] = [];
  if (config.ttl !== undefined) problems.push({ path: "ttl", value: config.ttl, message: TTL_GONE });
  config.regions.forEach((entry, index) => {
    if (entry.ttl !== undefined) problems.push({ path: `regions[${index}].ttl`, value: entry.ttl, message: TTL_GONE });
  });
  const { globalName } = config;
  if (typeof globalName === "string") {
    const inside = globalName === config.domain || globalName.endsWith(`.${config.domain}`);
    const labels = globalName.split(".");
    if (!inside) {
      problems.push({
        path: "globalName",
        value: globalName,
        message: `must be a name inside domain (${config.domain}), e.g. "www.${config.domain}", or false for no global name`,
      });
    } else if (globalName.length > 253 || labels.some((l) => !/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(l))) {
      problems.push({
        path: "globalName",
        value: globalName,
        message: "must be a DNS name: lowercase letters, digits and hyphens in labels of at most 63 characters",
      });
    } else {
      const taken = shape.regions.flatMap((r) => [r.regionalName, ...r.ports.map((p) => p.aliasName)]);
      if (taken.includes(globalName)) {
        problems.push({
          path: "globalName",
          value: globalName,
          message: "is already a regional or per-port name of this fleet; pick another name",
        });
      }
    }
  }
  return problems;
}

function checkRegion(
  config: ParsedFleetConfig,
  region: RegionShape,
  index: number,
  settings: ResolvedSettings,
): RegionProblem[] {
  const problems: RegionProblem[] = [];
  const add = (path: string, value: unknown, message: string) => problems.push({ path, value, message });
  /** For rules whose outcome depends on the region's own settings. */
  const addRegional = (path: string, value: unknown, message: string) =>
    problems.push({ path, value, message, region: region.region });

  const { instanceType, processes, weights, capacity, allowedCidrs } = settings;
  const type = region.instance.type;
  if (processes.value === undefined && INSTANCE_TYPES[type] === undefined) {
    add(
      instanceType.value === undefined ? "instanceType" : instanceType.path,
      type,
      `is not in the table of known instance types (fleet/aws-facts.ts), so its vCPU count is unknown; set "processes" (vCPUs + 1) or use a known type such as m5.large`,
    );
  }

  const count = region.ports.length;
  if (config.basePort < 1024) {
    add(
      "basePort",
      config.basePort,
      "must be at least 1024: the service runs as an unprivileged user, which cannot bind ports below 1024",
    );
  }
  if (region.portRange.to > 65535) {
    addRegional(
      processes.value === undefined ? "basePort" : processes.path,
      processes.value ?? config.basePort,
      `${count} processes from port ${config.basePort} need ports up to ${region.portRange.to}, past 65535; lower basePort or processes`,
    );
  }
  if (config.listenerPort > region.portRange.from && config.listenerPort <= region.portRange.to) {
    addRegional(
      "listenerPort",
      config.listenerPort,
      `lies inside the instance port range ${region.portRange.from}-${region.portRange.to} but is not its first port; use basePort (${config.basePort}) as in the original design, or a port outside the range`,
    );
  }

  if (weights.value !== undefined && processes.value !== undefined && weights.value.length !== processes.value) {
    addRegional(
      weights.path,
      weights.value,
      `has ${weights.value.length} weights but there are ${processes.value} processes (ports ${region.portRange.from}-${region.portRange.to}); give one weight per port, or leave weights out for equal weights`,
    );
  } else if (
    weights.value !== undefined &&
    processes.value === undefined &&
    defaultCount(type) !== undefined &&
    weights.value.length !== defaultCount(type)
  ) {
    addRegional(
      weights.path,
      weights.value,
      `has ${weights.value.length} weights but ${type} runs ${defaultCount(type)} processes (vCPUs + 1); give one weight per port, or set "processes" to ${weights.value.length}`,
    );
  }
  if (weights.value !== undefined && weights.value.length > 0 && weights.value.every((w) => w === 0)) {
    add(
      weights.path,
      weights.value,
      "are all zero, so Route 53 would spread traffic evenly and ignore them; give at least one port a positive weight",
    );
  }

  const kind = region.loadBalancerType;
  if (count > region.loadBalancerQuota) {
    addRegional(
      processes.value === undefined ? instanceType.path : processes.path,
      processes.value ?? type,
      `needs ${count} ${kind} load balancers (one per process) but the quota is ${region.loadBalancerQuota}; lower processes, pick a smaller instance type, ${kind === "classic" ? 'use loadBalancerType "network" (quota 50), ' : ""}or raise loadBalancerQuota after AWS raises the account's quota`,
    );
  }
  if (count > ASG_MAX_ATTACHMENTS) {
    addRegional(
      processes.value === undefined ? instanceType.path : processes.path,
      processes.value ?? type,
      `needs ${count} load balancers attached to one Auto Scaling group, which takes at most ${ASG_MAX_ATTACHMENTS}; lower processes`,
    );
  }

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

/** What is valid but cannot work as written: a fixed group asked to scale, a region one failure away from an outage. */
function warningsOf(config: ParsedFleetConfig, shape: FleetShape): RegionProblem[] {
  return shape.regions.flatMap((region, index): RegionProblem[] => {
    const { min, max } = region.autoScaling.capacity;
    const { capacity } = resolveSettings(config, index);
    const warnings: RegionProblem[] = [];
    if (region.accessLogs !== undefined && region.loadBalancerType === "network" && region.listener.tls === undefined) {
      const { accessLogs } = resolveSettings(config, index);
      warnings.push({
        path: accessLogs.path,
        value: accessLogs.value,
        message:
          "logs nothing on network load balancers with a plain TCP listener: AWS writes their access logs for TLS listeners only; set tls (a certificate) to get them",
        region: region.region,
      });
    }
    if (min < 2) {
      warnings.push({
        path: capacity.path,
        value: capacity.value ?? region.autoScaling.capacity,
        message:
          (min === 0
            ? "has min = 0: the group may scale in to no instance, and then the region serves nothing at all"
            : "has min = 1: when the group runs one instance, that instance failing (or its zone) is an outage of the region") +
          ` until a replacement boots and passes its checks (grace period ${region.autoScaling.healthCheckGracePeriod} s and more); set min to 2 or more, one instance per zone`,
        region: region.region,
      });
    }
    if (
      region.monitoring.topicArn === undefined &&
      !region.monitoring.silenced &&
      config.deployment !== LOCAL_DEPLOYMENT
    ) {
      const { alarms } = resolveSettings(config, index);
      warnings.push({
        path: alarms.path === "alarms" ? "alarms.topicArn" : `regions[${index}].alarms.topicArn`,
        value: undefined,
        message:
          `tells nobody: the region's ${regionAlarmNames(region).length} alarms (ports without a healthy instance, instances failing checks, ` +
          "boots abandoned, instances handed over, a failed refresh) only change color in the console; set alarms.topicArn to an SNS topic " +
          "in the region that pages you, or to false to run without one on purpose",
        region: region.region,
      });
    }
    if (region.scaling !== undefined && min === max) {
      warnings.push({
        path: capacity.path,
        value: capacity.value ?? region.autoScaling.capacity,
        message: `has min = max = ${min}, so target tracking (CPU ${region.scaling.cpuTarget}%) cannot add or remove instances; raise capacity.max to let it scale, or set scaling: false for a fixed size`,
        region: region.region,
      });
    }
    return warnings;
  });
}

function defaultCount(instanceType: string): number | undefined {
  const facts = INSTANCE_TYPES[instanceType];
  return facts === undefined ? undefined : facts.vcpus + 1;
}
