import { z } from "zod";
import { BASELINE_RULE_IDS } from "../baseline/rules";
import { DEFAULTS } from "./defaults";
import { byField, byFields, listRules } from "./duplicates";
import { app } from "./schema/app";
import { DOMAIN, label, noncurrentDays, port, positiveInt, region, S3_BUCKET } from "./schema/fields";
import { healthCheck, watchdog } from "./schema/health-check";
import type { ami, capacity } from "./schema/instances";
import { logs } from "./schema/monitoring";
import { overridable } from "./schema/overridable";
import { rollout } from "./schema/rollout";
import { userTags } from "./schema/tags";

/*
 * The fleet definition: the public JSON interface (`CLOUDRIM_CONFIG=fleet.json`) and the TypeScript
 * type of `regions/default.ts`. This schema checks the shape of each field on its own; the rules that
 * relate fields to each other (port ranges, name lengths, counts, quotas) live in fleet/validate/, where
 * they run on the computed plan. No list repeats an entry (fleet/duplicates.ts): by value, unless the list
 * registers another rule in `listRules` (an identity for entries that are objects, or why repeats are fine).
 * The sections with more than a line or two to them are in fleet/schema/, one file each.
 */

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
  healthCheck,
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
   * to its group to replace, and so does the whole instance wedged (most ports, or the only one, silent
   * for `handOverAfterSeconds`); a hand-over waits while `maxHandOvers` other instances of the group are out
   * of service. false: no watchdog. @default failAfterSeconds 30, probeTimeoutSeconds 3, maxRestarts 3,
   * windowMinutes 15, handOverAfterSeconds 600, maxHandOvers 1
   */
  watchdog,
  /** Where the instances' logs go: the region's CloudWatch Logs group, kept `retentionDays`. @default 30 days */
  logs,
  app,
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
  rollout,
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
