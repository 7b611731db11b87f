import { planHostedZone, type AmiPlan, type FleetPlan, type HostedZonePlan, type RegionPlan } from "./plan";
import type { Target } from "./target";

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

/** The longest bake a rehearsal keeps: long enough for a test to set an alarm by hand, and no longer. */
export const LOCAL_BAKE_SECONDS = 30;

export interface Adapted {
  readonly plan: FleetPlan;
  readonly substitutions: readonly Substitution[];
}

/** The plan a target deploys: the production plan on AWS, the rehearsal plan on the local AWS. */
export function adaptToTarget(plan: FleetPlan, target: Target): Adapted {
  return target.kind === "aws" ? { plan, substitutions: [] } : rehearsal(plan);
}

/** `local target: ami: … → … (why)`: the line printed at synth and at deploy. */
export function formatSubstitution(s: Substitution): string {
  return `local target: ${s.field}: ${s.production} → ${s.local} (${s.why})`;
}

export function describeAmi(ami: AmiPlan): string {
  if (ami.locked !== undefined && ami.id !== undefined)
    return `${ami.id} (${ami.locked.name}, locked in ${ami.locked.lockFile})`;
  if (ami.id !== undefined) return ami.id;
  return `newest "${ami.namePattern ?? "*"}" of ${ami.owners.join(", ")}`;
}

/** Regions named in a line, in fleet order: `us-east-1, eu-west-1`. */
function regionList(regions: readonly RegionPlan[]): string {
  return regions.map((r) => r.region).join(", ");
}

export function rehearsal(plan: FleetPlan): Adapted {
  const substitutions: Substitution[] = [];
  const note = (field: string, production: string, local: string, why: string) =>
    substitutions.push({ field, production, local, why });

  // Images: one line per distinct production image, naming the regions it applies to.
  const byImage = new Map<string, RegionPlan[]>();
  for (const region of plan.regions) {
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

  plan.regions.forEach((region, index) => {
    const { vpcId, subnetIds, subnetTags } = region.network;
    const defaultNetwork = `the default VPC of ${region.region} and its default subnets`;
    const why = "the emulator has none of your networks";
    if (vpcId !== undefined) note(`regions[${index}].vpcId`, vpcId, defaultNetwork, why);
    if (subnetIds !== undefined) note(`regions[${index}].subnetIds`, subnetIds.join(", "), "(as above)", why);
    if (subnetTags !== undefined && vpcId !== undefined) {
      note(`subnetTags (${region.region})`, JSON.stringify(subnetTags), "(as above)", why);
    }
  });

  const privateZone = plan.regions.some((r) => r.dns.privateZone);
  if (privateZone) {
    note("privateZone", "true", "false", "the rehearsal creates its own zone, and a private one would need your VPCs");
  }
  let hostedZone: HostedZonePlan | undefined = plan.hostedZone;
  if (hostedZone === undefined) {
    hostedZone = planHostedZone(plan, plan.domain, plan.state);
    note(
      "createHostedZone",
      "false",
      "true",
      `a fresh emulator has no zone ${plan.domain}; the rehearsal creates it in stack ${hostedZone.stackName}`,
    );
  }

  if (plan.accountId !== undefined && plan.accountId !== EMULATOR_ACCOUNT) {
    note("accountId", plan.accountId, EMULATOR_ACCOUNT, "the emulator answers every request as its own account");
  }

  if (plan.rollout.bakeSeconds > LOCAL_BAKE_SECONDS) {
    note(
      "rollout.bakeSeconds",
      String(plan.rollout.bakeSeconds),
      String(LOCAL_BAKE_SECONDS),
      "the emulator never evaluates an alarm: a longer bake there only waits for alarms set by hand",
    );
  }

  if (plan.regions.some((r) => r.accessLogs?.create === true)) {
    note(
      "access log bucket policy",
      "deny requests without TLS",
      "none",
      "moto ignores aws:SecureTransport and would deny every request",
    );
  }
  if (plan.state.tlsOnlyPolicy) {
    note(
      "state bucket policy",
      "deny requests without TLS",
      "none",
      "moto ignores aws:SecureTransport and would deny every request, Terraform's own included",
    );
  }
  if (plan.state.preventDestroy) {
    note(
      "state bucket protection",
      "prevent_destroy",
      "none",
      "make teardown deletes the rehearsal's bucket with everything else",
    );
  }

  return {
    plan: {
      ...plan,
      ...(plan.accountId === undefined ? {} : { accountId: EMULATOR_ACCOUNT }),
      rollout: { ...plan.rollout, bakeSeconds: Math.min(plan.rollout.bakeSeconds, LOCAL_BAKE_SECONDS) },
      hostedZone,
      state: { ...plan.state, tlsOnlyPolicy: false, preventDestroy: false },
      // The substitution above, as the baseline sees it: recorded, with its reason, like any exception.
      baselineExceptions: [
        ...plan.baselineExceptions,
        {
          rule: "bucket-tls-only",
          resources: /^[^/]+\/aws_s3_bucket\./,
          reason:
            "local target: moto ignores aws:SecureTransport and would deny every request, Terraform's own included",
        },
      ],
      regions: plan.regions.map(
        (region): RegionPlan => ({
          ...region,
          ...(region.accountId === undefined ? {} : { accountId: EMULATOR_ACCOUNT }),
          network: {},
          dns: { ...region.dns, privateZone: false },
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
