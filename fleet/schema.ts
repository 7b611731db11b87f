import { z } from "zod";
import {
  AWS_REGIONS,
  HEALTH_CHECK_RANGES,
  healthCheckRangeText,
  ROUTE53_MAX_WEIGHT,
  type HealthCheckNumber,
} from "./aws-facts";
import { DEFAULTS } from "./defaults";
import { BASELINE_RULE_IDS } from "../baseline/rules";
import { RELEASE_KEY } from "../instance/release";
import { IAM_POLICY_ARN, secretArnProblem, variableNameProblem } from "../instance/app-environment";
import { byField, byFields, listRules } from "./duplicates";

/*
 * The fleet definition: the public JSON interface (`CLOUDRIM_CONFIG=fleet.json`) and the TypeScript
 * type of `regions/default.ts`. This schema checks the shape of each field on its own; the rules that
 * relate fields to each other (port ranges, name lengths, counts, quotas) live in validate.ts, where
 * they run on the computed plan. No list repeats an entry (fleet/duplicates.ts): by value, unless the list
 * registers another rule in `listRules` (an identity for entries that are objects, or why repeats are fine).
 */

const DNS_LABEL = /^[a-z]([a-z0-9-]*[a-z0-9])?$/;
const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
const S3_BUCKET = /^(?!\d+\.\d+\.\d+\.\d+$)(?!xn--)(?!.*\.\.)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const UNIX_USER = /^[a-z_][a-z0-9_-]{0,31}$/;
/** `arn:aws:sns:us-east-1:123456789012:on-call` (also the aws-cn and aws-us-gov partitions). */
export const SNS_TOPIC_ARN = /^arn:aws(-cn|-us-gov)?:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/;

const label = (what: string) =>
  z.string({ error: `must be a string (${what})` }).regex(DNS_LABEL, {
    error: `must be a DNS label: lowercase letters, digits and hyphens, starting with a letter (${what})`,
  });

const port = (what: string) =>
  z
    .number({ error: `must be a number (${what})` })
    .int({ error: `must be a whole number (${what})` })
    .min(1, { error: `must be a TCP port, 1-65535 (${what})` })
    .max(65535, { error: `must be a TCP port, 1-65535 (${what})` });

const positiveInt = (what: string, min = 1) =>
  z
    .number({ error: `must be a number (${what})` })
    .int({ error: `must be a whole number (${what})` })
    .min(min, { error: `must be at least ${min} (${what})` });

/**
 * A number of the load balancers' health check, within what either load balancer type takes; validate.ts
 * holds each region to its own type's range.
 */
const healthCheckNumber = (field: HealthCheckNumber, unit: "seconds" | "checks") => {
  const ranges = Object.values(HEALTH_CHECK_RANGES).map((numbers) => numbers[field]);
  const min = Math.min(...ranges.map(([low]) => low));
  const max = Math.max(...ranges.map(([, high]) => high));
  const takes = `AWS takes ${healthCheckRangeText(field)}`;
  return z
    .number({ error: `must be a number of ${unit} (${takes})` })
    .int({ error: `must be a whole number (${takes})` })
    .min(min, { error: `must be at least ${min} ${unit} (${takes})` })
    .max(max, { error: `must be at most ${max} ${unit} (${takes})` });
};

const region = z.string({ error: "must be a string such as us-east-1" }).refine((r) => AWS_REGIONS.includes(r), {
  error: "is not a known AWS region; use one such as us-east-1 or eu-west-1 (list in fleet/aws-facts.ts)",
});

/**
 * Who may reach the listener: IPv4 only. Classic load balancers have no IPv6 in a VPC, and the network
 * load balancers here are created IPv4 (`ipv4` address type), so an IPv6 rule would admit nobody.
 */
const listenerCidr = z
  .string({ error: "must be an IPv4 CIDR block such as 10.0.0.0/8" })
  .refine((value) => !value.includes(":"), {
    error:
      "is an IPv6 block: the load balancers are IPv4 only (classic ones have no IPv6 in a VPC; network ones are created ipv4), so it would admit nobody; list IPv4 blocks",
  })
  .pipe(z.cidrv4({ error: "must be an IPv4 CIDR block such as 10.0.0.0/8" }));

/** `arn:aws:acm:us-east-1:123456789012:certificate/…`: a certificate for a TLS listener. */
export const ACM_CERTIFICATE_ARN = /^arn:aws(-cn|-us-gov)?:acm:([a-z0-9-]+):\d{12}:certificate\/[0-9a-f-]{36}$/;
/** A managed prefix list, `pl-0123abcd`. */
const PREFIX_LIST = /^pl-[0-9a-f]{8,17}$/;
/** Days an S3 noncurrent version is kept before it expires. */
const noncurrentDays = (what: string) =>
  positiveInt(`days, 1-3650: ${what}`)
    .max(3650, { error: "must be at most 3650 days" })
    .default(DEFAULTS.noncurrentVersionDays);

const ami = z.union(
  [
    z.string().regex(/^ami-[0-9a-f]{8,17}$/),
    z.strictObject({
      owners: z
        .array(z.string().min(1), { error: 'must be a list of image owners (account ids), e.g. ["136693071363"]' })
        .min(1, { error: "must name at least one image owner" }),
      name: z.string({ error: 'must be an image name pattern, e.g. "debian-12-{arch}-*"' }).min(1),
    }),
  ],
  { error: 'must be an AMI id ("ami-0123456789abcdef0") or a lookup {"owners": [...], "name": "pattern-{arch}-*"}' },
);

const httpPath = z
  .string({ error: 'must be a string such as "/healthz"' })
  .regex(/^\/[\x21-\x7e]{0,1023}$/, {
    error: 'must be an HTTP path: starting with "/", printable characters, no spaces, e.g. "/healthz"',
  })
  .refine((path) => !/['"\\`$]/.test(path), {
    error: "must not contain quotes, backslashes, backticks or $ (the instance's scripts probe it as written)",
  });

/** The retention periods CloudWatch Logs accepts. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

const capacity = z.strictObject({
  min: positiveInt("instances", 0),
  desired: positiveInt("instances", 0),
  max: positiveInt("instances", 1),
});

/** Settings a region may override; unset ones fall back to the fleet-wide value, then to DEFAULTS. */
const overridable = {
  /** EC2 instance type. @default "m5.large" */
  instanceType: z
    .string()
    .regex(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/, { error: "must be an EC2 instance type such as m5.large" })
    .optional(),
  /** Service processes per instance, one port and load balancer each. @default vCPUs + 1 */
  processes: positiveInt("processes per instance: vCPUs + 1 is the usual choice").optional(),
  /** Route 53 weight of each port's record, in port order. @default equal weights */
  weights: z
    .array(
      z
        .number({ error: "must be a number" })
        .int({ error: "must be a whole number" })
        .min(0, { error: `must be a Route 53 weight, 0-${ROUTE53_MAX_WEIGHT}` })
        .max(ROUTE53_MAX_WEIGHT, { error: `must be a Route 53 weight, 0-${ROUTE53_MAX_WEIGHT}` }),
    )
    .register(listRules, { entries: "may-repeat", why: "one weight per port, in port order: equal weights repeat" })
    .optional(),
  /** Auto Scaling group size. @default {min: 2, desired: 2, max: 4} */
  capacity: capacity.optional(),
  /** Who may reach the listener port. */
  allowedCidrs: z.array(listenerCidr).min(1, { error: "must list at least one CIDR block" }).optional(),
  /**
   * TLS on the listener: an ACM certificate in the region (so this is set per region entry for a
   * multi-region fleet), an SSL listener on classic load balancers and a TLS one on network load balancers,
   * with a current security policy; the instances still get TCP. @default none: plaintext TCP
   */
  tls: z
    .strictObject({
      certificateArn: z.string({ error: "must be a string" }).regex(ACM_CERTIFICATE_ARN, {
        error: 'must be an ACM certificate ARN such as "arn:aws:acm:us-east-1:123456789012:certificate/<uuid>"',
      }),
      /** @default ELBSecurityPolicy-TLS-1-2-2017-01 (classic) or ELBSecurityPolicy-TLS13-1-2-2021-06 (network) */
      policy: z
        .string({ error: "must be a string" })
        .regex(/^ELBSecurityPolicy-[A-Za-z0-9-]+$/, {
          error: 'must be an ELB security policy name such as "ELBSecurityPolicy-TLS13-1-2-2021-06"',
        })
        .optional(),
    })
    .optional(),
  /**
   * Access logs of every load balancer of the region: true creates a bucket for them in the region (with
   * the region's log delivery policy, encryption and a lifecycle), `{bucket}` names one you have, false
   * turns them off for a region. @default none
   */
  accessLogs: z
    .union(
      [
        z.boolean(),
        z.strictObject({
          bucket: z.string({ error: "must be a string" }).regex(S3_BUCKET, {
            error: "must be an S3 bucket name: 3-63 lowercase letters, digits, dots and hyphens",
          }),
          /** @default the stack's name */
          prefix: z
            .string()
            .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*(\/[A-Za-z0-9_.-]+)*$/, {
              error: "must be an S3 key prefix of letters, digits, _ . - and /, without leading or trailing slash",
            })
            .optional(),
        }),
      ],
      { error: 'must be true (a bucket the region creates), {"bucket": "…"} (yours), or false' },
    )
    .optional(),
  /**
   * Where instances may connect out, each a CIDR or a managed prefix list and its TCP ports. @default
   * HTTPS and HTTP to anywhere: what a booting instance needs (AWS's APIs, the log agent, Debian's packages)
   */
  instanceEgress: z
    .array(
      z
        .strictObject({
          cidr: z.cidrv4({ error: "must be an IPv4 CIDR block such as 10.0.0.0/16" }).optional(),
          prefixList: z
            .string()
            .regex(PREFIX_LIST, { error: "must be a managed prefix list id such as pl-63a5400a" })
            .optional(),
          ports: z.array(port("TCP port")).min(1, { error: "must list at least one port" }),
        })
        .refine((rule) => (rule.cidr === undefined) !== (rule.prefixList === undefined), {
          error: 'must name one destination: {"cidr": …} or {"prefixList": …}, not both or neither',
        }),
    )
    // One security group rule per destination and port: a destination in two entries could repeat a rule.
    .register(listRules, {
      entries: "distinct",
      identity: byField("cidr", "prefixList"),
      fix: "list each destination once, with all its ports in that entry",
    })
    .optional(),
  /**
   * No longer used: every record is an alias now, and alias records take their target's TTL (validation
   * says so when it is set).
   */
  ttl: z.unknown().optional(),
  /** AMI id or lookup. @default the newest official Debian 12 image for the instance's architecture */
  ami: ami.optional(),
  /**
   * The per-port load balancers: classic (the original design's), or network (NLBs, for accounts past
   * classic ones). @default "classic"
   */
  loadBalancerType: z.enum(["classic", "network"], { error: 'must be "classic" or "network"' }).optional(),
  /** Load balancers this deployment may use in a region. @default AWS's default quota: 20 classic, 50 network */
  loadBalancerQuota: positiveInt("load balancers per region").optional(),
  /**
   * Target tracking on the group's average CPU: the group adds instances above the target and removes
   * them below it, within capacity.min and capacity.max; false for a fixed size. @default {cpuTarget: 60}
   */
  scaling: z
    .union(
      [
        z.literal(false),
        z.strictObject({
          /** Average CPU percent the group keeps to. @default 60 */
          cpuTarget: z
            .number({ error: "must be a number (percent of CPU, 10-90)" })
            .min(10, { error: "must be at least 10 percent: lower targets keep instances idle" })
            .max(90, {
              error: "must be at most 90 percent: higher targets leave no headroom while new instances warm up",
            })
            .default(DEFAULTS.scaling.cpuTarget),
        }),
      ],
      { error: 'must be {"cpuTarget": 10-90} or false for a fixed-size group' },
    )
    .optional(),
  /**
   * The per-port and per-region alarms: how long a port may have no healthy instance before its alarm
   * fires, and an SNS topic (in the same region) to notify. A region's entry overrides the fleet's field
   * by field. @default {minutes: 3}, no topic
   */
  alarms: z
    .strictObject({
      /** Minutes without a healthy instance before a port's alarm fires. @default 3 */
      minutes: positiveInt("minutes, 1-60").max(60, { error: "must be at most 60 minutes" }).optional(),
      /**
       * An existing SNS topic in the region the alarms are in: it receives ALARM and OK; false runs without
       * one on purpose (no warning). @default none, with a warning outside the local fleet
       */
      topicArn: z
        .union(
          [
            z.literal(false),
            z.string().regex(SNS_TOPIC_ARN, {
              error: 'must be an SNS topic ARN such as "arn:aws:sns:us-east-1:123456789012:on-call"',
            }),
          ],
          { error: 'must be an SNS topic ARN such as "arn:aws:sns:us-east-1:123456789012:on-call", or false' },
        )
        .optional(),
    })
    .optional(),
  /**
   * With `vpcId` and no `subnetIds`: use the VPC's subnets that carry every one of these tags, e.g.
   * `{"Tier": "private"}`; they must be one per availability zone. @default every subnet of the VPC
   */
  subnetTags: z
    .record(z.string().min(1, { error: "tag keys must not be empty" }), z.string())
    .refine((tags) => Object.keys(tags).length > 0, {
      error: 'must name at least one tag, e.g. {"Tier": "private"}, or be left out',
    })
    .optional(),
};

/** `app.environment` and `app.secrets`: variable name → `value`, each name one the run script can set. */
const appVariables = (value: z.ZodType<string>) =>
  z
    .record(z.string(), value, { error: 'must be an object of variable names, e.g. {"LOG_LEVEL": …}' })
    .superRefine((variables, ctx) => {
      for (const name of Object.keys(variables)) {
        const problem = variableNameProblem(name);
        if (problem !== undefined) ctx.addIssue({ code: "custom", path: [name], input: name, message: problem });
      }
    });

/** Tags the project sets itself; a user tag of the same key would silently fight them. */
export const RESERVED_TAG_KEYS: readonly string[] = ["Name", "Service", "Deployment"];

const userTags = z.record(z.string(), z.string()).superRefine((tags, ctx) => {
  for (const key of Object.keys(tags)) {
    if (RESERVED_TAG_KEYS.includes(key)) {
      ctx.addIssue({
        code: "custom",
        path: [key],
        input: tags[key],
        message: `is a tag the fleet sets itself (${RESERVED_TAG_KEYS.join(", ")} come from the service and deployment names); use another key`,
      });
    } else if (key.toLowerCase().startsWith("aws:")) {
      ctx.addIssue({
        code: "custom",
        path: [key],
        input: tags[key],
        message: 'uses the "aws:" prefix, which AWS reserves for its own tags; use another key',
      });
    }
  }
});

export const RegionSchema = z.strictObject({
  region,
  /** @default the region's default VPC */
  vpcId: z
    .string()
    .regex(/^vpc-[0-9a-f]{8,17}$/, { error: "must be a VPC id such as vpc-0123abcd" })
    .optional(),
  /** @default the default subnets (one per availability zone) of the VPC */
  subnetIds: z
    .array(z.string().regex(/^subnet-[0-9a-f]{8,17}$/, { error: "must be a subnet id such as subnet-0123abcd" }))
    .min(1, { error: "must list at least one subnet, or be left out to use the VPC's default subnets" })
    .optional(),
  ...overridable,
});

export const FleetSchema = z.strictObject({
  /** @default "cloudrim" */
  service: label("service name").default(DEFAULTS.service),
  deployment: label("deployment name, e.g. prod"),
  domain: z
    .string({ error: "must be a string" })
    .regex(DOMAIN, { error: "must be a DNS domain such as example.com (lowercase, no trailing dot)" }),
  /** Look up a private hosted zone instead of a public one. @default false */
  privateZone: z.boolean({ error: "must be true or false" }).default(DEFAULTS.privateZone),
  /** Create the (public) hosted zone for `domain` in a stack of its own, instead of expecting it to exist. @default false */
  createHostedZone: z.boolean({ error: "must be true or false" }).default(DEFAULTS.createHostedZone),
  /** Port every load balancer listens on. @default 9000 */
  listenerPort: port("listener port").default(DEFAULTS.listenerPort),
  /** First instance port; process i listens on basePort + i. @default 9000 */
  basePort: port("first instance port").default(DEFAULTS.basePort),
  /** Internal (VPC-only) load balancers. @default true */
  internal: z.boolean({ error: "must be true or false" }).default(DEFAULTS.internal),
  /**
   * Each load balancer's check of its instance port: TCP by default, HTTP on `path` when set (a process
   * that accepts connections but no longer answers is then taken out). Within AWS's ranges for each region's
   * load balancer type (HEALTH_CHECK_RANGES). @default timeout 2 s, every 20 s, healthy after 3, unhealthy
   * after 5 (the original design's), TCP
   */
  healthCheck: z
    .strictObject({
      timeout: healthCheckNumber("timeout", "seconds").default(DEFAULTS.healthCheck.timeout),
      interval: healthCheckNumber("interval", "seconds").default(DEFAULTS.healthCheck.interval),
      healthyThreshold: healthCheckNumber("healthyThreshold", "checks").default(DEFAULTS.healthCheck.healthyThreshold),
      unhealthyThreshold: healthCheckNumber("unhealthyThreshold", "checks").default(
        DEFAULTS.healthCheck.unhealthyThreshold,
      ),
      /** HTTP path each process answers with 200 while it is healthy, e.g. "/healthz". @default none: TCP checks */
      path: httpPath.optional(),
      /**
       * HTTP path each process answers with 2xx while it is alive, ready or not, e.g. "/livez": what the
       * watchdog on the instance probes. @default none: any HTTP answer on `path` (or "/") counts as alive
       */
      livenessPath: httpPath.optional(),
    })
    .default({ ...DEFAULTS.healthCheck }),
  /**
   * The name that spans regions: one latency record per region, each pointing at that region's weighted
   * set, so a client gets the nearest region with a healthy port. A DNS name inside `domain`, or false for
   * none. @default "{service}.{domain}"
   */
  globalName: z
    .union([z.string(), z.literal(false)], { error: "must be a DNS name inside domain, or false for no global name" })
    .optional(),
  /** Replace instances (rolling, half at a time) when the launch template changes. @default true */
  instanceRefresh: z.boolean({ error: "must be true or false" }).default(DEFAULTS.instanceRefresh),
  /** Seconds a new instance has before failing health checks replaces it. @default 300 */
  healthCheckGracePeriod: positiveInt("seconds", 0).default(DEFAULTS.healthCheckGracePeriod),
  /**
   * Seconds a new instance has, from launch, to boot and answer its health check on every port; then its
   * launch is abandoned and it never enters service (the launch lifecycle hook). @default 600
   */
  bootTimeoutSeconds: positiveInt("seconds, 120-7200", 120)
    .max(7200, { error: "must be at most 7200 seconds (the lifecycle hook's limit)" })
    .default(DEFAULTS.bootTimeoutSeconds),
  /**
   * The liveness watchdog on each instance: a process that answers no probe for `failAfterSeconds` is
   * restarted, one at a time; `maxRestarts` restarts of one port within `windowMinutes` hand the instance
   * to its group to replace. false: no watchdog. @default failAfterSeconds 30, probeTimeoutSeconds 3,
   * maxRestarts 3, windowMinutes 15
   */
  watchdog: z
    .union(
      [
        z.literal(false),
        z.strictObject({
          failAfterSeconds: positiveInt("seconds, 10-600", 10)
            .max(600, { error: "must be at most 600 seconds" })
            .default(DEFAULTS.watchdog.failAfterSeconds),
          probeTimeoutSeconds: positiveInt("seconds, 1-30")
            .max(30, { error: "must be at most 30 seconds" })
            .default(DEFAULTS.watchdog.probeTimeoutSeconds),
          maxRestarts: positiveInt("restarts, 1-20")
            .max(20, { error: "must be at most 20" })
            .default(DEFAULTS.watchdog.maxRestarts),
          windowMinutes: positiveInt("minutes, 1-120")
            .max(120, { error: "must be at most 120 minutes" })
            .default(DEFAULTS.watchdog.windowMinutes),
        }),
      ],
      {
        error:
          'must be {"failAfterSeconds", "probeTimeoutSeconds", "maxRestarts", "windowMinutes"} (each optional), or false for no watchdog',
      },
    )
    .default({ ...DEFAULTS.watchdog }),
  /** Where the instances' logs go: the region's CloudWatch Logs group, kept `retentionDays`. @default 30 days */
  logs: z
    .strictObject({
      retentionDays: z
        .number({ error: "must be a number of days" })
        .refine((days) => (LOG_RETENTION_DAYS as readonly number[]).includes(days), {
          error: `must be one of CloudWatch Logs' retention periods: ${LOG_RETENTION_DAYS.join(", ")}`,
        })
        .default(DEFAULTS.logs.retentionDays),
    })
    .default({ ...DEFAULTS.logs }),
  app: z
    .strictObject({
      /**
       * Shell command for one process, with PORT (and HEALTH_PATH) set and the fleet's Node.js first on PATH;
       * runs in the release's directory (`/opt/{service}/current`), or in /opt/{service} for code on the
       * image. @default "node server.js" (the bundled demo app when there is no release)
       */
      command: z
        .string()
        .min(1, { error: "must not be empty" })
        .regex(/^[^\n\r]+$/, { error: "must be a single line" })
        .optional(),
      /** Unprivileged user the processes run as. @default "cloudrim" */
      user: z
        .string()
        .regex(UNIX_USER, { error: "must be a Unix user name: lowercase letters, digits, _ and -" })
        .refine((u) => u !== "root", { error: "must not be root: the service runs unprivileged" })
        .optional(),
      /**
       * The release every instance runs: a gzipped tarball in S3 (what `npm run release` prints), fetched
       * with the instance's own role, verified against `sha256`, then started. @default the bundled demo app
       */
      release: z
        .strictObject({
          bucket: z.string({ error: "must be a string" }).regex(S3_BUCKET, {
            error: "must be an S3 bucket name: 3-63 lowercase letters, digits, dots and hyphens",
          }),
          key: z
            .string({ error: "must be a string" })
            .regex(RELEASE_KEY, {
              error:
                "must be an S3 key of letters, digits and . _ ~ - / (the boot script signs it as written), e.g. releases/api/<sha256>.tgz",
            })
            .max(1024, { error: "must be at most 1024 characters" }),
          sha256: z
            .string({ error: "must be a string" })
            .regex(/^[0-9a-f]{64}$/, { error: "must be the release's sha256: 64 lowercase hex digits" }),
          /** @default state.region */
          region: region.optional(),
        })
        .optional(),
      /**
       * Plain variables every process gets, name → value. Not secret: they are in the user data and the
       * plan; put secrets in `secrets`. @default none
       */
      environment: appVariables(
        z.string({ error: "must be a string" }).refine((value) => !value.includes("\0"), {
          error: "must not hold a NUL character, which no environment variable can",
        }),
      ).optional(),
      /**
       * Variables every process gets from an SSM parameter (SecureString included) or a Secrets Manager
       * secret, name → ARN, `{region}` standing for each region; each instance reads them at boot with its
       * role, which may read exactly these. The values are never in the user data, the state or the plan.
       * @default none
       */
      secrets: appVariables(
        z.string({ error: "must be a string: an ARN" }).superRefine((arn, ctx) => {
          const problem = secretArnProblem(arn);
          if (problem !== undefined) ctx.addIssue({ code: "custom", input: arn, message: problem });
        }),
      ).optional(),
      /** Managed policies attached to the instance role, for what the app itself calls. @default none */
      policyArns: z
        .array(
          z.string({ error: "must be a string: an ARN" }).regex(IAM_POLICY_ARN, {
            error:
              'must be an IAM managed policy ARN such as "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess" or "arn:aws:iam::123456789012:policy/my-app"',
          }),
          { error: "must be a list of IAM policy ARNs" },
        )
        .optional(),
    })
    .default({}),
  /**
   * Session Manager (there is no SSH): the instance role may talk to Session Manager and the SSM agent's
   * message service, nothing else of SSM, and sessions are logged to the region's log group. @default true
   */
  ssm: z.boolean({ error: "must be true or false" }).default(DEFAULTS.ssm),
  /**
   * A bucket for releases that the state stack creates and hardens like the state bucket (in state.region),
   * and that `npm run release` uploads to by default. @default none: releases go to a bucket you have
   */
  releaseBucket: z
    .string({ error: "must be a string" })
    .regex(S3_BUCKET, { error: "must be an S3 bucket name: 3-63 lowercase letters, digits, dots and hyphens" })
    .optional(),
  state: z.strictObject({
    bucket: z.string({ error: "must be a string" }).regex(S3_BUCKET, {
      error: "must be an S3 bucket name: 3-63 lowercase letters, digits, dots and hyphens",
    }),
    region,
    /** @default "cloudrim" */
    keyPrefix: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_./-]*[A-Za-z0-9]$|^[A-Za-z0-9]$/, {
        error: "must be an S3 key prefix without leading or trailing slash",
      })
      .default(DEFAULTS.stateKeyPrefix),
    /** Days a replaced version of a state file (or a release) is kept: every lock leaves versions behind. @default 90 */
    noncurrentVersionDays: noncurrentDays("how long replaced versions of state files and releases are kept"),
  }),
  /**
   * How a deploy rolls a change out: in waves of regions, each region's instance refresh watched to its
   * end and its alarms watched for `bakeSeconds` before the next wave starts. @default waves: the first
   * listed region alone, then all the others; bakeSeconds 600; maxParallel from the machine's free memory
   */
  rollout: z
    .strictObject({
      /** Region names, wave by wave: every region of the fleet in exactly one wave. */
      waves: z
        .array(
          z
            .array(z.string({ error: "must be a region name such as us-east-1" }), {
              error: 'must be a list of region names, e.g. ["eu-west-1", "us-west-2"]',
            })
            .min(1, { error: "must name at least one region; drop the empty wave" })
            .register(listRules, {
              entries: "may-repeat",
              why: "rollout.waves checks every region once across all waves",
            }),
          { error: 'must be a list of waves, each a list of region names, e.g. [["us-east-1"], ["eu-west-1"]]' },
        )
        .min(1, { error: "must list at least one wave, or be left out for the default waves" })
        .register(listRules, { entries: "distinct-across", fix: "put each region in exactly one wave" })
        .optional(),
      /** Seconds each region of a wave is watched after its change before the next wave starts; 0 judges once. */
      bakeSeconds: positiveInt("seconds, 0-86400", 0)
        .max(86400, { error: "must be at most 86400 seconds (a day)" })
        .default(DEFAULTS.rollout.bakeSeconds),
      /** Regions of a wave applied at once (each Terraform takes about 640 MiB). @default what free memory holds, at least 1 */
      maxParallel: positiveInt("regions at once").optional(),
    })
    .default({ bakeSeconds: DEFAULTS.rollout.bakeSeconds }),
  /**
   * The AWS account every stack deploys to: every provider refuses credentials of another account
   * (`allowed_account_ids`), at plan time. A string, so leading zeros survive. @default any account
   */
  accountId: z
    .string({ error: 'must be a string of 12 digits, e.g. "123456789012" (quoted: JSON numbers lose leading zeros)' })
    .regex(/^\d{12}$/, { error: 'must be a 12-digit AWS account id, e.g. "123456789012"' })
    .optional(),
  /** Extra tags on every resource. */
  tags: userTags.default({}),
  /** Proxy protocol to the instances (v1 on classic, v2 on network load balancers): the service sees client addresses. @default false */
  proxyProtocol: z.boolean({ error: "must be true or false" }).default(false),
  /**
   * Deletion protection on network load balancers: a removed port then needs it turned off (and deployed)
   * first. Classic load balancers have none. @default false
   */
  deletionProtection: z.boolean({ error: "must be true or false" }).default(false),
  /** A public IPv4 address on each instance (only for subnets without a NAT route). @default false */
  publicIp: z.boolean({ error: "must be true or false" }).default(false),
  /**
   * Findings of the security baseline accepted on purpose (docs/security.md): the rule, the resources
   * (`{stack}/{terraform address}`, `*` matching anything but a slash), and why. @default none
   */
  baselineExceptions: z
    .array(
      z.strictObject({
        rule: z.enum(BASELINE_RULE_IDS, { error: `must be a baseline rule: ${BASELINE_RULE_IDS.join(", ")}` }),
        resources: z
          .string()
          .regex(/^[A-Za-z0-9_*./-]+$/, { error: 'must be a pattern such as "shop-prod-*/aws_elb.*"' }),
        reason: z.string().min(20, { error: "must say why, in a sentence (at least 20 characters)" }),
      }),
    )
    .register(listRules, {
      entries: "distinct",
      identity: byFields("rule", "resources"),
      fix: "keep one exception per rule and resources",
    })
    .default([]),
  regions: z
    .array(RegionSchema)
    .min(1, { error: "must list at least one region" })
    .register(listRules, {
      entries: "distinct",
      identity: byField("region"),
      fix: "list each region once and put its settings in that entry",
    }),
  ...overridable,
});

/** What a user writes (defaults may be left out). */
export type FleetConfig = z.input<typeof FleetSchema>;
/** A region entry as a user writes it. */
export type RegionConfig = z.input<typeof RegionSchema>;
/** The config with every fleet-wide default filled in. */
export type ParsedFleetConfig = z.output<typeof FleetSchema>;
export type ParsedRegionConfig = z.output<typeof RegionSchema>;
export type AmiSelector = z.output<typeof ami>;
export type Capacity = z.output<typeof capacity>;
export type HealthCheck = ParsedFleetConfig["healthCheck"];
export type OverridableKey = keyof typeof overridable;
export type ScalingConfig = z.output<typeof overridable.scaling>;
export type AlarmsConfig = z.output<typeof overridable.alarms>;
export type RolloutConfig = ParsedFleetConfig["rollout"];
