/*
 * The listener's section of the schema: who may reach it, TLS, and the load balancers' access logs.
 */
import { z } from "zod";
import { S3_BUCKET } from "./fields";

/**
 * Who may reach the listener: IPv4 only. Classic load balancers have no IPv6 in a VPC, and the network
 * load balancers here are created IPv4 (`ipv4` address type), so an IPv6 rule would admit nobody.
 */
export const listenerCidr = z
  .string({ error: "must be an IPv4 CIDR block such as 10.0.0.0/8" })
  .refine((value) => !value.includes(":"), {
    error:
      "is an IPv6 block: the load balancers are IPv4 only (classic ones have no IPv6 in a VPC; network ones are created ipv4), so it would admit nobody; list IPv4 blocks",
  })
  .pipe(z.cidrv4({ error: "must be an IPv4 CIDR block such as 10.0.0.0/8" }));

/** `arn:aws:acm:us-east-1:123456789012:certificate/…`: a certificate for a TLS listener. */
export const ACM_CERTIFICATE_ARN = /^arn:aws(-cn|-us-gov)?:acm:([a-z0-9-]+):\d{12}:certificate\/[0-9a-f-]{36}$/;

/** An ACM certificate of the region, and the listener's security policy. */
export const tls = z.strictObject({
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
});

/** true: a bucket the region creates; `{bucket, prefix}`: one you have; false: none. */
export const accessLogs = z.union(
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
);
