/*
 * The monitoring section of the schema: the alarms' timing and the topic they notify, and how long the
 * instances' logs are kept.
 */
import { z } from "zod";
import { DEFAULTS } from "../defaults";
import { positiveInt } from "./fields";

/** `arn:aws:sns:us-east-1:123456789012:on-call` (also the aws-cn and aws-us-gov partitions). */
export const SNS_TOPIC_ARN = /^arn:aws(-cn|-us-gov)?:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/;

/** A region's entry overrides the fleet's field by field. */
export const alarms = z.strictObject({
  /** Minutes without a healthy instance before a port's alarm fires. @default 3 */
  minutes: positiveInt("minutes, 1-60").max(60, { error: "must be at most 60 minutes" }).optional(),
  /**
   * A classic load balancer's average seconds to reach an instance (its TCP or SSL listener's Latency) above
   * which, for `minutes`, a port serves badly. Network load balancers report no latency. @default 0.5
   */
  latencySeconds: z
    .number({ error: "must be a number of seconds, above 0 and at most 60" })
    .gt(0, { error: "must be above 0 seconds (a connection takes some time); 0.5 is the default" })
    .max(60, { error: "must be at most 60 seconds, the classic load balancer's idle timeout" })
    .optional(),
  /**
   * Backend errors a minute on one port (a classic load balancer's BackendConnectionErrors, a network
   * one's TCP_Target_Reset_Count) above which, for `minutes`, a port serves badly. @default 10
   */
  backendErrors: positiveInt("errors a minute, 0 or more", 0).optional(),
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
});

/** The retention periods CloudWatch Logs accepts. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/** The region's CloudWatch Logs group keeps the instances' logs `retentionDays`. */
export const logs = z
  .strictObject({
    retentionDays: z
      .number({ error: "must be a number of days" })
      .refine((days) => (LOG_RETENTION_DAYS as readonly number[]).includes(days), {
        error: `must be one of CloudWatch Logs' retention periods: ${LOG_RETENTION_DAYS.join(", ")}`,
      })
      .default(DEFAULTS.logs.retentionDays),
  })
  .default({ ...DEFAULTS.logs });
