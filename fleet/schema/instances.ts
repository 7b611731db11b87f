/*
 * The instances' section of the schema: the group's size, the image, where instances may connect out,
 * and how the group scales.
 */
import { z } from "zod";
import { DEFAULTS } from "../defaults";
import { byField, listRules } from "../duplicates";
import { port, positiveInt } from "./fields";

export const capacity = z.strictObject({
  min: positiveInt("instances", 0),
  desired: positiveInt("instances", 0),
  max: positiveInt("instances", 1),
});

export const ami = z.union(
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

/** A managed prefix list, `pl-0123abcd`. */
const PREFIX_LIST = /^pl-[0-9a-f]{8,17}$/;

/** One entry per destination (a CIDR or a managed prefix list) with all its TCP ports. */
export const instanceEgress = z
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
  });

/** Target tracking on the group's average CPU, or false for a fixed size. */
export const scaling = z.union(
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
);
