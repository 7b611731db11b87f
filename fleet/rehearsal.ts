import { hostedZoneShape, type HostedZoneShape } from "./shape/dns";
import type { AmiShape } from "./shape/ami";
import type { FleetShape, RegionShape } from "./shape";
import type { Target } from "./target";
import { checkpointDelaySeconds } from "../rollout/checkpoint";

/*
 * Pure: the local target adapts the fleet, not the user. A production fleet file names things a
 * fresh emulator does not have (an image, a hosted zone, VPCs) and asks for things moto does not
 * implement (a TLS-only bucket policy it cannot evaluate). Rehearsing it locally
 * substitutes each of those in the plan, after the fleet was validated as written, and says so: one
 * line per substitution, naming the field, the production value and the local one. Substitutions
 * never add, remove or rename a resource of a region stack, so the Terraform addresses stay the same
 * on both targets.
 */

export interface Substitution {
  /** The config field (or stack setting) that differs, e.g. `ami` or `regions[1].vpcId`. */
  readonly field: string;
  readonly production: string;
  readonly local: string;
  readonly why: string;
}

/** An image moto ships for both architectures (Amazon Linux 2022); the lookup's architecture filter picks one. */
export const EMULATOR_IMAGE = { owners: ["137112412989"], namePattern: "al2022-ami-2022.0.*-kernel-5.15-*" } as const;

/** The account moto answers as, whatever the credentials. */
export const EMULATOR_ACCOUNT = "123456789012";

/**
 * Seconds in a local minute: with the live fleet, the local AWS judges the alarms each local minute from the
 * metrics the live fleet puts (local-aws/fixes/alarm_evaluation.py, live/metrics.ts), so an alarm of three
 * one-minute periods fires in 9 s. A boot there takes seconds where AWS takes a minute or two: a minute shorter
 * than this would make the alarms judge a healthy boot as AWS never does.
 */
export const LOCAL_MINUTE_SECONDS = 3;

/** The shortest bake a rehearsal shortens to: ten local minutes. Longer bakes keep their minutes, in local minutes. */
export const LOCAL_BAKE_SECONDS = 10 * LOCAL_MINUTE_SECONDS;

/** A bake as the local target runs it: as configured up to LOCAL_BAKE_SECONDS, its minutes as local minutes above. */
export function localBakeSeconds(bakeSeconds: number): number {
  if (bakeSeconds <= LOCAL_BAKE_SECONDS) return bakeSeconds;
  return Math.max(LOCAL_BAKE_SECONDS, Math.ceil((bakeSeconds / 60) * LOCAL_MINUTE_SECONDS));
}

/**
 * The longest health check grace period a rehearsal keeps, and so the instance refresh's warm-up, which follows it:
 * moto's instances are in service as they launch, and every refresh batch and the rollout's judgement wait the
 * grace out in real time (300 s by default). The e2e fleets use this value.
 */
export const LOCAL_GRACE_SECONDS = 10;

export interface Adapted {
  readonly shape: FleetShape;
  readonly substitutions: readonly Substitution[];
}

/** The plan a target deploys: the production plan on AWS, the rehearsal plan on the local AWS. */
export function adaptToTarget(shape: FleetShape, target: Target): Adapted {
  return target.kind === "aws" ? { shape, substitutions: [] } : rehearsal(shape);
}

/** `local target: ami: … → … (why)`: the line printed at synth and at deploy. */
export function formatSubstitution(s: Substitution): string {
  return `local target: ${s.field}: ${s.production} → ${s.local} (${s.why})`;
}

export function describeAmi(ami: AmiShape): string {
  if (ami.locked !== undefined && ami.id !== undefined)
    return `${ami.id} (${ami.locked.name}, locked in ${ami.locked.lockFile})`;
  if (ami.id !== undefined) return ami.id;
  return `newest "${ami.namePattern ?? "*"}" of ${ami.owners.join(", ")}`;
}

/** Regions named in a line, in fleet order: `us-east-1, eu-west-1`. */
function regionList(regions: readonly RegionShape[]): string {
  return regions.map((r) => r.region).join(", ");
}

/**
 * The region's grace period capped at LOCAL_GRACE_SECONDS, with what follows it in the plan: the refresh's warm-up
 * (region-stack derives it from the grace period) and the scaling policy's. The guard alarms' minutes, also derived
 * from it, stay: they count local minutes there.
 */
/** The group's waits scaled down: the grace period (and the warm-ups that follow it), the checkpoint's bake. */
function localGrace(region: RegionShape, bakeSeconds: number): Pick<RegionShape, "autoScaling" | "scaling"> {
  const grace = Math.min(region.autoScaling.healthCheckGracePeriod, LOCAL_GRACE_SECONDS);
  const { checkpoint } = region.autoScaling;
  const delaySeconds = checkpointDelaySeconds({ healthCheck: region.healthCheck, bakeSeconds });
  return {
    autoScaling: {
      ...region.autoScaling,
      healthCheckGracePeriod: grace,
      ...(checkpoint === undefined ? {} : { checkpoint: { ...checkpoint, delaySeconds } }),
    },
    ...(region.scaling === undefined ? {} : { scaling: { ...region.scaling, warmup: grace } }),
  };
}

export function rehearsal(shape: FleetShape): Adapted {
  const substitutions: Substitution[] = [];
  const note = (field: string, production: string, local: string, why: string) =>
    substitutions.push({ field, production, local, why });

  // Images: one line per distinct production image, naming the regions it applies to.
  const byImage = new Map<string, RegionShape[]>();
  for (const region of shape.regions) {
    const key = describeAmi(region.instance.ami);
    byImage.set(key, [...(byImage.get(key) ?? []), region]);
  }
  for (const [image, regions] of byImage) {
    note(
      `ami (${regionList(regions)})`,
      image,
      `newest "${EMULATOR_IMAGE.namePattern}" of ${EMULATOR_IMAGE.owners[0]} for the instance type's architecture`,
      "the emulator ships no Debian image and none of your images",
    );
  }

  shape.regions.forEach((region, index) => {
    const { vpcId, subnetIds, subnetTags } = region.network;
    const defaultNetwork = `the default VPC of ${region.region} and its default subnets`;
    const why = "the emulator has none of your networks";
    if (vpcId !== undefined) note(`regions[${index}].vpcId`, vpcId, defaultNetwork, why);
    if (subnetIds !== undefined) note(`regions[${index}].subnetIds`, subnetIds.join(", "), "(as above)", why);
    if (subnetTags !== undefined && vpcId !== undefined) {
      note(`subnetTags (${region.region})`, JSON.stringify(subnetTags), "(as above)", why);
    }
  });

  const privateZone = shape.regions.some((r) => r.dns.privateZone);
  if (privateZone) {
    note("privateZone", "true", "false", "the rehearsal creates its own zone, and a private one would need your VPCs");
  }
  let hostedZone: HostedZoneShape | undefined = shape.hostedZone;
  if (hostedZone === undefined) {
    hostedZone = hostedZoneShape(shape, shape.domain, shape.state);
    note(
      "createHostedZone",
      "false",
      "true",
      `a fresh emulator has no zone ${shape.domain}; the rehearsal creates it in stack ${hostedZone.stackName}`,
    );
  }

  if (shape.accountId !== undefined && shape.accountId !== EMULATOR_ACCOUNT) {
    note("accountId", shape.accountId, EMULATOR_ACCOUNT, "the emulator answers every request as its own account");
  }

  note(
    "alarms' minute",
    "60 s",
    `${LOCAL_MINUTE_SECONDS} s`,
    "the local AWS judges the alarms each local minute, from the metrics the live fleet puts; without the live fleet it judges none, and an alarm changes only when set by hand",
  );
  const bakeSeconds = localBakeSeconds(shape.rollout.bakeSeconds);
  if (bakeSeconds !== shape.rollout.bakeSeconds) {
    note(
      "rollout.bakeSeconds",
      String(shape.rollout.bakeSeconds),
      String(bakeSeconds),
      `its ${shape.rollout.bakeSeconds / 60} minutes as local minutes of ${LOCAL_MINUTE_SECONDS} s, the alarms' own`,
    );
    const checkpointed = shape.regions.find((r) => r.autoScaling.checkpoint !== undefined);
    if (checkpointed?.autoScaling.checkpoint !== undefined) {
      note(
        "instance refresh checkpoint delay",
        String(checkpointed.autoScaling.checkpoint.delaySeconds),
        String(checkpointDelaySeconds({ healthCheck: checkpointed.healthCheck, bakeSeconds })),
        "it holds the first new instance for its bake: the refresh waits it out in real time",
      );
    }
  }

  // healthCheckGracePeriod and instanceRefresh are fleet settings: every region has the same.
  const grace = Math.max(...shape.regions.map((r) => r.autoScaling.healthCheckGracePeriod));
  if (grace > LOCAL_GRACE_SECONDS) {
    note(
      "healthCheckGracePeriod",
      String(grace),
      String(LOCAL_GRACE_SECONDS),
      "moto's instances are in service as they launch: a longer grace only makes the rollout wait in real time (the scaling policy's warm-up follows it)",
    );
    if (shape.regions.some((r) => r.autoScaling.instanceRefresh)) {
      note(
        "instance refresh warm-up",
        String(grace),
        String(LOCAL_GRACE_SECONDS),
        "it follows the grace period: every refresh batch waits it out in real time",
      );
    }
  }

  if (shape.regions.some((r) => r.accessLogs?.create === true)) {
    note(
      "access log bucket policy",
      "deny requests without TLS",
      "none",
      "moto ignores aws:SecureTransport and would deny every request",
    );
  }
  if (shape.state.tlsOnlyPolicy) {
    note(
      "state bucket policy",
      "deny requests without TLS",
      "none",
      "moto ignores aws:SecureTransport and would deny every request, Terraform's own included",
    );
  }
  if (shape.state.preventDestroy) {
    note(
      "state bucket protection",
      "prevent_destroy",
      "none",
      "make teardown deletes the rehearsal's bucket with everything else",
    );
  }

  return {
    shape: {
      ...shape,
      ...(shape.accountId === undefined ? {} : { accountId: EMULATOR_ACCOUNT }),
      rollout: { ...shape.rollout, bakeSeconds },
      hostedZone,
      state: { ...shape.state, tlsOnlyPolicy: false, preventDestroy: false },
      // The substitution above, as the baseline sees it: recorded, with its reason, like any exception.
      baselineExceptions: [
        ...shape.baselineExceptions,
        {
          rule: "bucket-tls-only",
          resources: /^[^/]+\/aws_s3_bucket\./,
          reason:
            "local target: moto ignores aws:SecureTransport and would deny every request, Terraform's own included",
        },
      ],
      regions: shape.regions.map(
        (region): RegionShape => ({
          ...region,
          ...(region.accountId === undefined ? {} : { accountId: EMULATOR_ACCOUNT }),
          network: {},
          dns: { ...region.dns, privateZone: false },
          ...localGrace(region, bakeSeconds),
          ...(region.accessLogs === undefined ? {} : { accessLogs: { ...region.accessLogs, tlsOnly: false } }),
          instance: {
            ...region.instance,
            ami: {
              owners: [...EMULATOR_IMAGE.owners],
              namePattern: EMULATOR_IMAGE.namePattern,
              architecture: region.instance.arch,
            },
          },
        }),
      ),
    },
    substitutions,
  };
}
