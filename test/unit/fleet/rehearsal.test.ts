import { CHECKPOINT_MARGIN_SECONDS } from "../../../rollout/checkpoint";
import type { FleetConfig } from "../../../fleet/schema";
import { adaptToTarget, formatSubstitution, localBakeSeconds, rehearsal } from "../../../fleet/rehearsal";
import { shapeOrThrow } from "../../../fleet/validate";
import { baseFleet, DEFAULT_APP } from "../../fixtures";

const linesOf = (config: FleetConfig) =>
  rehearsal(shapeOrThrow(config, DEFAULT_APP)).substitutions.map(formatSubstitution);

describe("the local target's substitutions", () => {
  it("change nothing on AWS", () => {
    const shape = shapeOrThrow(baseFleet(), DEFAULT_APP);
    expect(adaptToTarget(shape, { kind: "aws" })).toEqual({ shape, substitutions: [] });
  });

  it("print one line each, naming the field, the production value and the local one", () => {
    expect(linesOf(baseFleet())).toEqual([
      'local target: ami (us-east-1, us-west-2): newest "debian-12-amd64-*" of 136693071363 → newest "al2022-ami-2022.0.*-kernel-5.15-*" of 137112412989 for the instance type\'s architecture (the emulator ships no Debian image and none of your images)',
      "local target: createHostedZone: false → true (a fresh emulator has no zone example.com; the rehearsal creates it in stack cloudrim-prod-dns)",
      "local target: alarms' minute: 60 s → 3 s (the local AWS judges the alarms each local minute, from the metrics the live fleet puts; without the live fleet it judges none, and an alarm changes only when set by hand)",
      "local target: rollout.bakeSeconds: 600 → 30 (its 10 minutes as local minutes of 3 s, the alarms' own)",
      "local target: healthCheckGracePeriod: 300 → 10 (moto's instances are in service as they launch: a longer grace only makes the rollout wait in real time (the scaling policy's warm-up follows it))",
      "local target: instance refresh warm-up: 300 → 10 (it follows the grace period: every refresh batch waits it out in real time)",
      "local target: state bucket policy: deny requests without TLS → none (moto ignores aws:SecureTransport and would deny every request, Terraform's own included)",
      "local target: state bucket protection: prevent_destroy → none (make teardown deletes the rehearsal's bucket with everything else)",
    ]);
  });

  it("keep a bake of up to ten local minutes as configured, and a longer one's minutes as local minutes", () => {
    expect([3, 30, 60, 600, 1200].map(localBakeSeconds)).toEqual([3, 30, 30, 30, 60]);
  });

  it("replace every image, id or lookup, keeping each region's architecture", () => {
    const adapted = rehearsal(
      shapeOrThrow(
        baseFleet({
          ami: "ami-0123456789abcdef0",
          regions: [{ region: "us-east-1" }, { region: "us-west-2", instanceType: "m7g.large" }],
        }),
        DEFAULT_APP,
      ),
    );
    expect(adapted.shape.regions.map((r) => r.instance.ami)).toEqual([
      { owners: ["137112412989"], namePattern: "al2022-ami-2022.0.*-kernel-5.15-*", architecture: "x86_64" },
      { owners: ["137112412989"], namePattern: "al2022-ami-2022.0.*-kernel-5.15-*", architecture: "arm64" },
    ]);
    expect(adapted.substitutions[0]).toMatchObject({
      field: "ami (us-east-1, us-west-2)",
      production: "ami-0123456789abcdef0",
    });
  });

  it("name each region's own network and move it to the default VPC", () => {
    const adapted = rehearsal(
      shapeOrThrow(
        baseFleet({
          regions: [
            { region: "us-east-1" },
            { region: "us-west-2", vpcId: "vpc-0123abcd", subnetIds: ["subnet-0123abcd", "subnet-4567ef01"] },
            { region: "eu-west-1", vpcId: "vpc-0fedcba9", subnetTags: { Tier: "private" } },
          ],
        }),
        DEFAULT_APP,
      ),
    );
    expect(adapted.shape.regions.map((r) => r.network)).toEqual([{}, {}, {}]);
    expect(adapted.substitutions.filter((s) => /vpcId|subnet/.test(s.field)).map(formatSubstitution)).toEqual([
      "local target: regions[1].vpcId: vpc-0123abcd → the default VPC of us-west-2 and its default subnets (the emulator has none of your networks)",
      "local target: regions[1].subnetIds: subnet-0123abcd, subnet-4567ef01 → (as above) (the emulator has none of your networks)",
      "local target: regions[2].vpcId: vpc-0fedcba9 → the default VPC of eu-west-1 and its default subnets (the emulator has none of your networks)",
      'local target: subnetTags (eu-west-1): {"Tier":"private"} → (as above) (the emulator has none of your networks)',
    ]);
  });

  it("create a private zone's stand-in as a public zone, and keep a zone the fleet creates itself", () => {
    expect(linesOf(baseFleet({ privateZone: true })).filter((l) => /Zone/.test(l))).toEqual([
      "local target: privateZone: true → false (the rehearsal creates its own zone, and a private one would need your VPCs)",
      "local target: createHostedZone: false → true (a fresh emulator has no zone example.com; the rehearsal creates it in stack cloudrim-prod-dns)",
    ]);
    const creating = rehearsal(shapeOrThrow(baseFleet({ createHostedZone: true }), DEFAULT_APP));
    expect(creating.substitutions.map((s) => s.field)).not.toContain("createHostedZone");
    expect(creating.shape.hostedZone?.state.key).toBe("cloudrim/cloudrim/prod/dns.tfstate");
  });

  it("answer as the emulator's account, which is the only one it has", () => {
    const adapted = rehearsal(shapeOrThrow(baseFleet({ accountId: "210987654321" }), DEFAULT_APP));
    expect(adapted.shape.accountId).toBe("123456789012");
    expect(adapted.shape.regions.map((r) => r.accountId)).toEqual(["123456789012", "123456789012"]);
    expect(adapted.substitutions.map(formatSubstitution)).toContain(
      "local target: accountId: 210987654321 → 123456789012 (the emulator answers every request as its own account)",
    );
  });

  it("keep a bake of 30 s or less as it is", () => {
    const shape = shapeOrThrow(baseFleet({ rollout: { bakeSeconds: 30 } }), DEFAULT_APP);
    expect(rehearsal(shape).shape.rollout).toEqual(shape.rollout);
    expect(linesOf(baseFleet({ rollout: { bakeSeconds: 5 } })).some((l) => l.includes("bakeSeconds"))).toBe(false);
  });

  it("leave the instance refresh on, which the local AWS emulates", () => {
    const shape = shapeOrThrow(baseFleet(), DEFAULT_APP);
    expect(rehearsal(shape).shape.regions.map((r) => r.autoScaling.instanceRefresh)).toEqual([true, true]);
    expect(linesOf(baseFleet()).some((l) => l.includes("instanceRefresh"))).toBe(false);
  });

  it("scale the grace period down to 10 s, and with it the refresh's and the scaling policy's warm-ups", () => {
    const shape = shapeOrThrow(baseFleet({ healthCheckGracePeriod: 300 }), DEFAULT_APP);
    const regions = rehearsal(shape).shape.regions;
    expect(regions.map((r) => [r.autoScaling.healthCheckGracePeriod, r.scaling?.warmup])).toEqual([
      [10, 10],
      [10, 10],
    ]);
  });

  it("keep a grace period of 10 s or less as it is, and print no line for it", () => {
    const shape = shapeOrThrow(
      baseFleet({ healthCheckGracePeriod: 10, healthCheck: { interval: 5, healthyThreshold: 2 } }),
      DEFAULT_APP,
    );
    expect(rehearsal(shape).shape.regions.map((r) => r.autoScaling)).toEqual(shape.regions.map((r) => r.autoScaling));
    expect(rehearsal(shape).substitutions.filter((s) => /grace|warm-up/i.test(s.field))).toEqual([]);
  });

  it("hold a group's first new instance at its checkpoint for the local bake, in one line", () => {
    const shape = shapeOrThrow(baseFleet({ capacity: { min: 3, desired: 3, max: 6 } }), DEFAULT_APP);
    const adapted = rehearsal(shape);
    const { healthyThreshold, interval } = shape.regions[0]?.healthCheck ?? { healthyThreshold: 0, interval: 0 };
    const local = (healthyThreshold + 2) * interval + adapted.shape.rollout.bakeSeconds + CHECKPOINT_MARGIN_SECONDS;
    expect(adapted.shape.regions.map((r) => r.autoScaling.checkpoint)).toEqual([
      { percentage: 33, delaySeconds: local },
      { percentage: 33, delaySeconds: local },
    ]);
    expect(adapted.substitutions.filter((s) => s.field === "instance refresh checkpoint delay")).toEqual([
      {
        field: "instance refresh checkpoint delay",
        production: String(shape.regions[0]?.autoScaling.checkpoint?.delaySeconds),
        local: String(local),
        why: "it holds the first new instance for its bake: the refresh waits it out in real time",
      },
    ]);
  });

  it("name no refresh warm-up for a fleet that does not refresh", () => {
    const fields = rehearsal(shapeOrThrow(baseFleet({ instanceRefresh: false }), DEFAULT_APP)).substitutions.map(
      (s) => s.field,
    );
    expect(fields).toContain("healthCheckGracePeriod");
    expect(fields).not.toContain("instance refresh warm-up");
  });

  it("leave a fixed-size group without a scaling policy", () => {
    const regions = rehearsal(shapeOrThrow(baseFleet({ scaling: false }), DEFAULT_APP)).shape.regions;
    expect(regions.map((r) => [r.autoScaling.healthCheckGracePeriod, r.scaling])).toEqual([
      [10, undefined],
      [10, undefined],
    ]);
  });

  it("never touch what is the user's choice: names, ports, weights, capacity, state keys", () => {
    const shape = shapeOrThrow(
      baseFleet({ weights: [3, 1, 1], capacity: { min: 2, desired: 3, max: 6 } }),
      DEFAULT_APP,
    );
    const adapted = rehearsal(shape).shape;
    adapted.regions.forEach((region, i) => {
      const original = shape.regions[i];
      expect(region.ports).toEqual(original?.ports);
      expect(region.autoScaling.capacity).toEqual(original?.autoScaling.capacity);
      expect(region.state).toEqual(original?.state);
      expect(region.instance.userData).toBe(original?.instance.userData);
    });
    expect(adapted.state.key).toBe(shape.state.key);
  });
});
