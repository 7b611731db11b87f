/*
 * The region's rollout record (rollout/record.ts) in its state bucket, beside the stack's state:
 * `{state key}.rollout.json`. Read before a region's rollout begins; each write reads it again and adds its
 * entry, so what another region's or an earlier rollout wrote is kept.
 */
import { PutObjectCommand } from "@aws-sdk/client-s3";
import type { RegionShape } from "../../fleet/shape";
import type { Target } from "../../fleet/target";
import { readObjectText, regionClients } from "../../fleet/adapters/aws-clients";
import type { RecordEntry } from "../region-rollout";
import { rolloutRecordKey } from "../../state/rollout-lock";
import {
  EMPTY_RECORD,
  parseRolloutRecord,
  rolloutRecordJson,
  withBaked,
  withRejected,
  type RolloutRecord,
} from "../record";

export async function readRolloutRecord(target: Target, region: RegionShape): Promise<RolloutRecord> {
  const { bucket, key } = region.state;
  const text = await readObjectText(regionClients(target, region.state.region).s3, bucket, rolloutRecordKey(key));
  return text === undefined ? EMPTY_RECORD : parseRolloutRecord(text);
}

/** Adds one entry to the region's record. */
export async function writeRolloutRecord(target: Target, region: RegionShape, entry: RecordEntry): Promise<void> {
  const current = await readRolloutRecord(target, region);
  const next = entry.kind === "baked" ? withBaked(current, entry.baked) : withRejected(current, entry.rejected);
  await regionClients(target, region.state.region).s3.send(
    new PutObjectCommand({
      Bucket: region.state.bucket,
      Key: rolloutRecordKey(region.state.key),
      Body: rolloutRecordJson(next),
      ContentType: "application/json",
    }),
  );
}
