/*
 * The tags section of the schema: tags a user adds to every resource, never one the fleet sets itself or
 * one of AWS's own.
 */
import { z } from "zod";

/** Tags the project sets itself; a user tag of the same key would silently fight them. */
export const RESERVED_TAG_KEYS: readonly string[] = ["Name", "Service", "Deployment"];

export const userTags = z.record(z.string(), z.string()).superRefine((tags, ctx) => {
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
