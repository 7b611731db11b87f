/*
 * The building blocks the fleet schema's sections share: names, ports, counts, regions and buckets, each
 * failing with a message that says what the field is and what it takes.
 */
import { z } from "zod";
import { AWS_REGIONS } from "../aws-facts";
import { DEFAULTS } from "../defaults";

const DNS_LABEL = /^[a-z]([a-z0-9-]*[a-z0-9])?$/;
export const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
export const S3_BUCKET = /^(?!\d+\.\d+\.\d+\.\d+$)(?!xn--)(?!.*\.\.)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

export const label = (what: string) =>
  z.string({ error: `must be a string (${what})` }).regex(DNS_LABEL, {
    error: `must be a DNS label: lowercase letters, digits and hyphens, starting with a letter (${what})`,
  });

export const port = (what: string) =>
  z
    .number({ error: `must be a number (${what})` })
    .int({ error: `must be a whole number (${what})` })
    .min(1, { error: `must be a TCP port, 1-65535 (${what})` })
    .max(65535, { error: `must be a TCP port, 1-65535 (${what})` });

export const positiveInt = (what: string, min = 1) =>
  z
    .number({ error: `must be a number (${what})` })
    .int({ error: `must be a whole number (${what})` })
    .min(min, { error: `must be at least ${min} (${what})` });

export const region = z.string({ error: "must be a string such as us-east-1" }).refine((r) => AWS_REGIONS.includes(r), {
  error: "is not a known AWS region; use one such as us-east-1 or eu-west-1 (list in fleet/aws-facts.ts)",
});

/** Days an S3 noncurrent version is kept before it expires. */
export const noncurrentDays = (what: string) =>
  positiveInt(`days, 1-3650: ${what}`)
    .max(3650, { error: "must be at most 3650 days" })
    .default(DEFAULTS.noncurrentVersionDays);
