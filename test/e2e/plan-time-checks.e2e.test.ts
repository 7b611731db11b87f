import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CreateSubnetCommand, CreateTagsCommand, CreateVpcCommand, DescribeSubnetsCommand } from "@aws-sdk/client-ec2";
import { App } from "cdktf";
import { addFleet } from "../../constructs/fleet";
import type { StackPlan } from "../../review/stack-plans";
import type { Target } from "../../fleet/target";
import { shapeOrThrow } from "../../fleet/validate";
import { regionClients } from "../../fleet/adapters/aws-clients";
import { planStack } from "../../review/adapters/plan-stacks";
import { LocalFleet } from "./local-fleet";
import { shopFleet } from "./shop-fleet";
import { DEFAULT_APP } from "../fixtures";

/*
 * What is refused or settled before anything is applied: image locks, a VPC whose subnets need picking, another
 * account's credentials. Nothing is deployed: the plans need only the state bucket and the domain's zone, made
 * with the AWS SDK (LocalFleet.stateBucketAndZone; deploying them cost a third of this scenario's CPU).
 */
jest.setTimeout(10 * 60_000);

const config = shopFleet({ processes: 2, regions: [{ region: "us-east-1" }, { region: "eu-west-1" }] });

describe("before anything is applied", () => {
  let local: LocalFleet;
  let target: Target;

  beforeAll(async () => {
    local = await LocalFleet.start();
    ({ target } = await local.configure(config));
    await local.stateBucketAndZone();
  });
  afterAll(async () => {
    await local.stop();
  });

  it("locks each region's image with npm run images, printing the old and new image, and changes it only when told", async () => {
    // A lookup the local AWS can answer (it has no Debian images): Amazon Linux 2022, as the rehearsal uses.
    const dir = join(local.dir, "images");
    mkdirSync(dir);
    const file = join(dir, "fleet.json");
    writeFileSync(file, JSON.stringify({ ...config, ami: { owners: ["137112412989"], name: "al2022-ami-2022.0.*" } }));
    const images = (...args: string[]) => local.command("images", args, { cwd: dir, env: { CLOUDRIM_CONFIG: file } });
    const regions = ["us-east-1", "eu-west-1"];
    expect((await images()).stdout).toBe(
      regions.map((r) => `${r}: not locked; lookup newest "al2022-ami-2022.0.*" of 137112412989\n`).join(""),
    );
    const first = await images("--update");
    expect({ code: first.code, stderr: first.stderr }).toMatchObject({ code: 0 });
    expect(first.stderr).toContain("images: wrote fleet.lock.json; commit it with the change that needs it");
    const locked = first.stdout.trimEnd().split("\n");
    regions.forEach((r, i) => {
      expect(locked[i]).toMatch(new RegExp(`^${r}: locked ami-[0-9a-f]+ \\(al2022-ami-2022\\.0\\.`));
    });
    const lock = JSON.parse(readFileSync(join(dir, "fleet.lock.json"), "utf8")) as {
      images: Record<string, { id: string; architecture: string }>;
    };
    expect(Object.keys(lock.images)).toEqual([...regions].sort());
    expect(Object.values(lock.images).every((image) => image.architecture === "x86_64")).toBe(true);
    // Asked again for one region, it looks again and says nothing changed; the others keep their entries.
    const again = await images("--update", "eu-west-1");
    expect(again.stdout).toBe(
      `eu-west-1: unchanged ${lock.images["eu-west-1"]?.id ?? "?"} (${/\(([^)]+)\)/.exec(first.stdout.split("\n")[1] ?? "")?.[1] ?? "?"})\n`,
    );
    expect(JSON.parse(readFileSync(join(dir, "fleet.lock.json"), "utf8"))).toEqual(lock);
    expect((await images("mars-1")).stderr).toContain("images: no region mars-1 in the fleet");
  });

  describe("a region in a VPC of its own, with a public and a private subnet in each zone", () => {
    let vpcId: string;
    /** The region stack as it would deploy on AWS: the network as written, no rehearsal substitution. */
    async function planOnAws(subnetTags?: Record<string, string>): Promise<StackPlan> {
      const vpcFleet = shopFleet({
        deployment: "vpc",
        regions: [{ region: "eu-west-1", vpcId, ...(subnetTags === undefined ? {} : { subnetTags }) }],
        rollout: { bakeSeconds: 3 },
        instanceRefresh: false,
        ami: { owners: ["137112412989"], name: "al2022-ami-2022.0.*-kernel-5.15-*" },
      });
      const outdir = join(local.dir, `vpc-${subnetTags === undefined ? "untagged" : "tagged"}`);
      const app = new App({ outdir });
      // The domain's zone exists; state goes to the same bucket, its own key.
      addFleet(app, { ...shapeOrThrow(vpcFleet, DEFAULT_APP), domain: "shop.test" }, target);
      app.synth();
      return planStack(
        local.context(() => undefined, { outdir }),
        "shop-vpc-eu-west-1",
      );
    }

    beforeAll(async () => {
      const ec2 = regionClients(target, "eu-west-1").ec2;
      vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: "10.20.0.0/16" }))).Vpc?.VpcId ?? "";
      let i = 0;
      for (const zone of ["eu-west-1a", "eu-west-1b"]) {
        for (const tier of ["public", "private"]) {
          const subnet = await ec2.send(
            new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: `10.20.${i++}.0/24`, AvailabilityZone: zone }),
          );
          await ec2.send(
            new CreateTagsCommand({ Resources: [subnet.Subnet?.SubnetId ?? ""], Tags: [{ Key: "Tier", Value: tier }] }),
          );
        }
      }
    });

    it("is refused at plan time, naming the zones with two subnets and the fix, when nothing picks one per zone", async () => {
      const result = await planOnAws();
      expect(result.status).toBe("failed");
      const error = result.status === "failed" ? result.error.replace(/\s+/g, " ") : "";
      expect(error).toMatch(
        /^terraform plan failed: Error: Resource precondition failed .* In VPC vpc-\w+, every subnet of the VPC \(no subnetTags\) put several subnets in one availability zone: .* set subnetTags to pick one per zone/,
      );
      expect(error.match(/subnet-\w+ \(eu-west-1a\)/g)).toHaveLength(2);
      expect(error.match(/subnet-\w+ \(eu-west-1b\)/g)).toHaveLength(2);
    });

    it("uses one subnet per zone when subnetTags picks the private ones", async () => {
      const result = await planOnAws({ Tier: "private" });
      const changes = result.status === "planned" ? (result.plan.resource_changes ?? []) : [];
      expect(result.status === "failed" ? result.error : "planned").toBe("planned");
      const elb = changes.find((c) => c.type === "aws_elb")?.change.after as { subnets: string[] };
      expect(elb.subnets).toHaveLength(2);
      const { Subnets: subnets = [] } = await regionClients(target, "eu-west-1").ec2.send(
        new DescribeSubnetsCommand({ SubnetIds: elb.subnets }),
      );
      expect(subnets.map((s) => [s.AvailabilityZone, s.Tags?.find((t) => t.Key === "Tier")?.Value]).sort()).toEqual([
        ["eu-west-1a", "private"],
        ["eu-west-1b", "private"],
      ]);
    });
  });

  it("refuses, at plan time, credentials of another account than the fleet's accountId, naming the field", async () => {
    // No rehearsal: the emulator answers as account 123456789012, so a fleet bound to another account is refused.
    const bound = shopFleet({
      deployment: "account",
      accountId: "111111111111",
      regions: [{ region: "eu-west-1" }],
      rollout: { bakeSeconds: 3 },
    });
    const boundPlan = { ...shapeOrThrow(bound, DEFAULT_APP), domain: "shop.test" };
    const outdir = join(local.dir, "other-account");
    const app = new App({ outdir });
    addFleet(app, boundPlan, target);
    app.synth();
    const result = await planStack(
      local.context(() => undefined, { outdir, shape: boundPlan }),
      "shop-account-eu-west-1",
    );
    expect(result.status === "failed" ? [result.error, result.hint] : "planned").toEqual([
      expect.stringMatching(/^terraform plan failed:\s+Error: AWS account ID not allowed: 123456789012\n/),
      "accountId: these credentials belong to account 123456789012, not the fleet's 111111111111; " +
        "use credentials (a profile or role) for the fleet's account, or correct accountId if the fleet moved",
    ]);
  });
});
