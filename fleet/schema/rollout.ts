/*
 * The rollout section of the schema: the waves a deploy rolls a change through, the bake after each, and
 * how many regions of a wave apply at once.
 */
import { z } from "zod";
import { DEFAULTS } from "../defaults";
import { listRules } from "../duplicates";
import { positiveInt } from "./fields";

/** Every region of the fleet in exactly one wave (fleet/validate/rollout.ts checks it against `regions`). */
export const rollout = z
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
    /**
     * One instance first: a region's instance refresh stops once one instance is new, and the deploy judges and
     * bakes it there before the rest are replaced (rollout/checkpoint.ts). @default on where a region's group
     * has capacity.desired 3 or more and instanceRefresh is on
     */
    firstInstance: z.boolean({ error: "must be true or false" }).optional(),
    /** Regions of a wave applied at once (each Terraform takes about 640 MiB). @default what free memory holds, at least 1 */
    maxParallel: positiveInt("regions at once").optional(),
  })
  .default({ bakeSeconds: DEFAULTS.rollout.bakeSeconds });
