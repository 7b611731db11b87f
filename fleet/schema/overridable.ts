/*
 * The settings a region entry may override, each one optional in the fleet and in a region entry, so that
 * both take them with the same schema and `resolveSettings` (fleet/region-settings.ts) can lay a region's values over the fleet's.
 */
import { z } from "zod";
import { ROUTE53_MAX_WEIGHT } from "../aws-facts";
import { listRules } from "../duplicates";
import { positiveInt } from "./fields";
import { ami, capacity, instanceEgress, scaling } from "./instances";
import { accessLogs, listenerCidr, tls } from "./listener";
import { alarms } from "./monitoring";

/** Settings a region may override; unset ones fall back to the fleet-wide value, then to DEFAULTS. */
export const overridable = {
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
  tls: tls.optional(),
  /**
   * Access logs of every load balancer of the region: true creates a bucket for them in the region (with
   * the region's log delivery policy, encryption and a lifecycle), `{bucket}` names one you have, false
   * turns them off for a region. @default none
   */
  accessLogs: accessLogs.optional(),
  /**
   * Where instances may connect out, each a CIDR or a managed prefix list and its TCP ports. @default
   * HTTPS and HTTP to anywhere: what a booting instance needs (AWS's APIs, the log agent, Debian's packages)
   */
  instanceEgress: instanceEgress.optional(),
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
  scaling: scaling.optional(),
  /**
   * The per-port and per-region alarms: how long a port may have no healthy instance before its alarm
   * fires, and an SNS topic (in the same region) to notify. A region's entry overrides the fleet's field
   * by field. @default {minutes: 3}, no topic
   */
  alarms: alarms.optional(),
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
