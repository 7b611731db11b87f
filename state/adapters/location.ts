/*
 * Terraform's "Backend configuration changed" guard only works in a working copy that remembers its old
 * backend. A fresh clone (every CI run) initialises the new key without complaint, finds no state there,
 * and plans to create every resource again. So before a stack is planned or deployed, if its key holds no
 * state, the bucket is searched for this stack's state under another key (an older key layout, another
 * key prefix): found, the stack stops with the command that moves it.
 */
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import type { FleetShape } from "../../fleet/shape";
import type { Target } from "../../fleet/target";
import { regionClients } from "../../fleet/adapters/aws-clients";

/** What identifies a stack's state: the key it should be at, and a name only its resources carry. */
export interface StackIdentity {
  readonly stack: string;
  readonly key: string;
  /** `aws_autoscaling_group` named the region stack, or `aws_route53_zone` named the domain. */
  readonly marker: { readonly type: string; readonly name: string };
}

export function stackIdentity(shape: FleetShape, stack: string): StackIdentity | undefined {
  const region = shape.regions.find((r) => r.stackName === stack);
  if (region !== undefined) {
    return { stack, key: region.state.key, marker: { type: "aws_autoscaling_group", name: region.autoScaling.name } };
  }
  if (shape.hostedZone?.stackName === stack) {
    return { stack, key: shape.hostedZone.state.key, marker: { type: "aws_route53_zone", name: shape.domain } };
  }
  return undefined; // the state stack bootstraps its own key (state/adapters/bootstrap.ts)
}

/** Whether a state document holds the marker resource, by type and name. */
export function stateHolds(text: string, marker: StackIdentity["marker"]): boolean {
  try {
    const state = JSON.parse(text) as {
      resources?: { mode?: string; type?: string; instances?: { attributes?: { name?: unknown } }[] }[];
    };
    return (state.resources ?? []).some(
      (r) =>
        r.mode === "managed" &&
        r.type === marker.type &&
        (r.instances ?? []).some((i) => i.attributes?.name === marker.name),
    );
  } catch {
    return false;
  }
}

function statusCode(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
}

/**
 * Keys other than the stack's own that hold its state, when its own key holds none; empty when the
 * stack's state is where it belongs, or nowhere (a new stack).
 */
export async function stateElsewhere(target: Target, shape: FleetShape, stack: string): Promise<string[]> {
  const identity = stackIdentity(shape, stack);
  if (identity === undefined) return [];
  const { s3 } = regionClients(target, shape.state.region);
  const bucket = shape.state.bucket;
  const present = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: identity.key })).then(
    () => true,
    (error: unknown) => {
      if (statusCode(error) === 404 || statusCode(error) === 403) return false;
      throw error;
    },
  );
  if (present) return [];
  const leaf = identity.key.split("/").pop() ?? "";
  const candidates: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
    candidates.push(...(page.Contents ?? []).map((o) => o.Key ?? "").filter((k) => k.endsWith(`/${leaf}`)));
    token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  const holding = await Promise.all(
    candidates.map(async (key) => {
      const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return stateHolds(await (object.Body?.transformToString() ?? ""), identity.marker);
    }),
  );
  return candidates.filter((_, i) => holding[i] === true);
}

/** The one line a stack whose state sits under another key stops with. */
export function stateElsewhereLine(shape: FleetShape, stack: string, keys: readonly string[]): string {
  const identity = stackIdentity(shape, stack);
  const bucket = shape.state.bucket;
  const [old] = keys;
  return (
    `${stack}: its state is not at s3://${bucket}/${identity?.key ?? "?"} but at s3://${bucket}/${keys.join(", ")} ` +
    `(state.keyPrefix, the service name or the key layout changed); nothing was planned or applied. Move it while nothing ` +
    `deploys: \`aws s3 mv s3://${bucket}/${old ?? "?"} s3://${bucket}/${identity?.key ?? "?"}\` (docs/state-and-locks.md, "Moving state")`
  );
}
