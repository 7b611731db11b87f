/*
 * The health section of the schema: the load balancers' check of each port (within what either load
 * balancer type takes), and the liveness watchdog on each instance.
 */
import { z } from "zod";
import { HEALTH_CHECK_RANGES, healthCheckRangeText, type HealthCheckNumber } from "../aws-facts";
import { DEFAULTS } from "../defaults";
import { positiveInt } from "./fields";

/**
 * A number of the load balancers' health check, within what either load balancer type takes;
 * fleet/validate/health-checks.ts holds each region to its own type's range.
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

const httpPath = z
  .string({ error: 'must be a string such as "/healthz"' })
  .regex(/^\/[\x21-\x7e]{0,1023}$/, {
    error: 'must be an HTTP path: starting with "/", printable characters, no spaces, e.g. "/healthz"',
  })
  .refine((path) => !/['"\\`$]/.test(path), {
    error: "must not contain quotes, backslashes, backticks or $ (the instance's scripts probe it as written)",
  });

/** The load balancers' check: TCP, or HTTP on `path`; `livenessPath` is what the watchdog probes. */
export const healthCheck = z
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
  .default({ ...DEFAULTS.healthCheck });

/** The watchdog's timing and restart budget, or false for none. */
export const watchdog = z
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
        /** Seconds most ports (or the only one) may stay silent together before the instance is handed over. */
        handOverAfterSeconds: positiveInt("seconds, 10-3600", 10)
          .max(3600, { error: "must be at most 3600 seconds" })
          .default(DEFAULTS.watchdog.handOverAfterSeconds),
        /** Instances of a group that may be out of service at once: a hand-over waits while this many others are. */
        maxHandOvers: positiveInt("instances, 1-100")
          .max(100, { error: "must be at most 100" })
          .default(DEFAULTS.watchdog.maxHandOvers),
      }),
    ],
    {
      error:
        'must be {"failAfterSeconds", "probeTimeoutSeconds", "maxRestarts", "windowMinutes", "handOverAfterSeconds", "maxHandOvers"} (each optional), or false for no watchdog',
    },
  )
  .default({ ...DEFAULTS.watchdog });
