import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { baseFleet, imageLockFor, readmeFleet, writeFleetFile } from "../fixtures";
import {
  addresses,
  body,
  defined,
  onlyResource,
  resourcesOf,
  stackJson,
  synthFleet,
  type StackJson,
} from "./synth-helpers";

const PROJECT = join(__dirname, "..", "..");

describe("a multi-region fleet", () => {
  const config = baseFleet({
    regions: [
      { region: "us-east-1" },
      {
        region: "eu-west-1",
        instanceType: "c5.xlarge",
        weights: [5, 1, 1, 1, 1],
        capacity: { min: 1, desired: 1, max: 2 },
      },
      { region: "ap-southeast-2", processes: 2, weights: [1, 3] },
    ],
  });
  const { stacks } = synthFleet(config);

  it("has the state stack and one stack per region, named for `cdktf deploy 'cloudrim-prod-*'`", () => {
    expect([stacks.state, ...stacks.regions].map((s) => s.node.id)).toEqual([
      "cloudrim-prod-state",
      "cloudrim-prod-us-east-1",
      "cloudrim-prod-eu-west-1",
      "cloudrim-prod-ap-southeast-2",
    ]);
  });

  it("deploys the state stack before any region, and the first region before the others (the default waves)", () => {
    const [first, ...others] = stacks.regions;
    expect(first?.dependencies).toEqual([stacks.state]);
    for (const stack of others) expect(stack.dependencies).toEqual([stacks.state, first]);
  });

  it("points each region's provider at its own region", () => {
    expect(stacks.regions.map((s) => stackJson(s).provider.aws[0]?.region)).toEqual([
      "us-east-1",
      "eu-west-1",
      "ap-southeast-2",
    ]);
  });

  it("keeps each region's state in S3, encrypted and locked, at its own key", () => {
    expect(stacks.regions.map((s) => stackJson(s).terraform.backend)).toEqual(
      ["us-east-1", "eu-west-1", "ap-southeast-2"].map((region) => ({
        s3: {
          bucket: "cloudrim-state",
          region: "us-east-1",
          key: `cloudrim/cloudrim/prod/${region}.tfstate`,
          encrypt: true,
          use_lockfile: true,
        },
      })),
    );
  });

  it("publishes one global name: a latency record per region, in that region's own stack, at its own set", () => {
    const latency = stacks.regions.map((s) =>
      resourcesOf(stackJson(s), "aws_route53_record")
        .filter(([, r]) => r.latency_routing_policy !== undefined)
        .map(([, r]) => [r.name, r.set_identifier, r.latency_routing_policy, (r.alias as { name: string }).name]),
    );
    expect(latency).toEqual(
      ["us-east-1", "eu-west-1", "ap-southeast-2"].map((region) => [
        ["cloudrim.example.com", region, { region }, `cloudrim.${region}.example.com`],
      ]),
    );
  });

  it("publishes no global name with globalName: false", () => {
    const { stacks: without } = synthFleet(baseFleet({ ...config, globalName: false }));
    for (const stack of without.regions) {
      const records = resourcesOf(stackJson(stack), "aws_route53_record");
      expect(records.filter(([, r]) => r.latency_routing_policy !== undefined)).toEqual([]);
      expect(stackJson(stack).output.global_name).toBeUndefined();
    }
  });

  it("applies per-region overrides to that region only", () => {
    const [east, west, sydney] = stacks.regions.map(stackJson) as [StackJson, StackJson, StackJson];
    expect(resourcesOf(east, "aws_elb")).toHaveLength(3);
    expect(resourcesOf(west, "aws_elb")).toHaveLength(5);
    expect(resourcesOf(sydney, "aws_elb")).toHaveLength(2);
    const weights = (json: StackJson) =>
      resourcesOf(json, "aws_route53_record")
        .filter(([, r]) => r.set_identifier !== undefined && r.latency_routing_policy === undefined)
        .map(([, r]) => (r.weighted_routing_policy as { weight: number }).weight);
    expect(weights(west)).toEqual([5, 1, 1, 1, 1]);
    expect(weights(sydney)).toEqual([1, 3]);
    expect(onlyResource(west, "aws_autoscaling_group")).toMatchObject({
      min_size: 1,
      desired_capacity: 1,
      max_size: 2,
    });
    expect(onlyResource(west, "aws_launch_template").instance_type).toBe("c5.xlarge");
  });

  it("adding a region leaves every existing stack byte-for-byte the same", () => {
    const before = synthFleet(baseFleet({ regions: [{ region: "us-east-1" }] })).stacks;
    const after = synthFleet(baseFleet({ regions: [{ region: "us-east-1" }, { region: "sa-east-1" }] })).stacks;
    const first = (stacks: typeof before) => stackJson(defined(stacks.regions[0], "a region stack"));
    expect(first(after)).toEqual(first(before));
    expect(stackJson(after.state)).toEqual(stackJson(before.state));
  });
});

describe("the state bucket stack", () => {
  const json = stackJson(synthFleet(baseFleet()).stacks.state);
  const only = (type: string) => body(resourcesOf(json, type)[0]?.[1] ?? {});

  it("keeps its own state in the bucket it creates, at its own key, locked like the others", () => {
    expect(json.terraform.backend).toEqual({
      s3: {
        bucket: "cloudrim-state",
        region: "us-east-1",
        key: "cloudrim/cloudrim/prod/state.tfstate",
        encrypt: true,
        use_lockfile: true,
      },
    });
  });

  it("protects the bucket from terraform destroy", () => {
    expect(resourcesOf(json, "aws_s3_bucket")[0]?.[1]).toMatchObject({ lifecycle: { prevent_destroy: true } });
  });

  it("creates the bucket in the state region, versioned and encrypted", () => {
    expect(json.provider.aws[0]?.region).toBe("us-east-1");
    expect(only("aws_s3_bucket")).toMatchObject({ bucket: "cloudrim-state" });
    expect(only("aws_s3_bucket_versioning")).toMatchObject({ versioning_configuration: { status: "Enabled" } });
    expect(only("aws_s3_bucket_server_side_encryption_configuration")).toMatchObject({
      rule: [{ apply_server_side_encryption_by_default: { sse_algorithm: "AES256" } }],
    });
  });

  it("creates a release bucket hardened like itself when the fleet asks for one, at addresses of its own", () => {
    const withReleases = stackJson(synthFleet(baseFleet({ releaseBucket: "acme-releases" })).stacks.state);
    const added = addresses(withReleases).filter((a) => !addresses(json).includes(a));
    expect(added).toEqual([
      "aws_s3_bucket.releases",
      "aws_s3_bucket_lifecycle_configuration.releases-lifecycle",
      "aws_s3_bucket_policy.releases-tls-only",
      "aws_s3_bucket_public_access_block.releases-public-access",
      "aws_s3_bucket_server_side_encryption_configuration.releases-encryption",
      "aws_s3_bucket_versioning.releases-versioning",
    ]);
    expect(withReleases.resource.aws_s3_bucket?.releases).toMatchObject({
      bucket: "acme-releases",
      lifecycle: { prevent_destroy: true },
    });
  });

  it("blocks all public access and denies requests without TLS", () => {
    expect(only("aws_s3_bucket_public_access_block")).toMatchObject({
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
    const policy = JSON.parse(only("aws_s3_bucket_policy").policy as string) as {
      Statement: { Effect: string; Condition: unknown; Resource: string[] }[];
    };
    expect(policy.Statement).toEqual([
      expect.objectContaining({
        Effect: "Deny",
        Condition: { Bool: { "aws:SecureTransport": "false" } },
        Resource: ["arn:aws:s3:::cloudrim-state", "arn:aws:s3:::cloudrim-state/*"],
      }),
    ]);
  });
});

describe("a fleet bound to one account", () => {
  it("has every provider refuse credentials of another account, at plan time", () => {
    const { stacks } = synthFleet(baseFleet({ accountId: "012345678901", createHostedZone: true }));
    const all = [stacks.state, ...(stacks.hostedZone === undefined ? [] : [stacks.hostedZone]), ...stacks.regions];
    expect(all).toHaveLength(4);
    for (const stack of all) {
      expect(stackJson(stack).provider.aws[0]).toMatchObject({ allowed_account_ids: ["012345678901"] });
    }
    const { stacks: anyAccount } = synthFleet(baseFleet());
    expect(stackJson(anyAccount.state).provider.aws[0]).not.toHaveProperty("allowed_account_ids");
  });
});

describe("the rollout's waves", () => {
  const regions = ["us-east-1", "eu-west-1", "ap-southeast-2", "us-west-2"].map((region) => ({ region }));
  const dependencies = (config: ReturnType<typeof baseFleet>) => {
    const { stacks } = synthFleet(config);
    return Object.fromEntries(
      stacks.regions.map((s) => [s.node.id.replace("cloudrim-prod-", ""), s.dependencies.map((d) => d.node.id)]),
    );
  };

  it("make every region of a wave depend on every region of the wave before, so even plain cdktf deploy follows them", () => {
    const waves = [["eu-west-1"], ["us-east-1", "us-west-2"], ["ap-southeast-2"]];
    expect(dependencies(baseFleet({ regions, rollout: { waves } }))).toEqual({
      "us-east-1": ["cloudrim-prod-state", "cloudrim-prod-eu-west-1"],
      "eu-west-1": ["cloudrim-prod-state"],
      "ap-southeast-2": ["cloudrim-prod-state", "cloudrim-prod-us-east-1", "cloudrim-prod-us-west-2"],
      "us-west-2": ["cloudrim-prod-state", "cloudrim-prod-eu-west-1"],
    });
  });

  it("put every region in one wave when asked: all of them at once, after the state bucket only", () => {
    const all = [["us-east-1", "eu-west-1", "ap-southeast-2", "us-west-2"]];
    for (const deps of Object.values(dependencies(baseFleet({ regions, rollout: { waves: all } })))) {
      expect(deps).toEqual(["cloudrim-prod-state"]);
    }
  });

  it("are written into the manifest cdktf reads to order a deploy", () => {
    const dir = mkdtempSync(join(tmpdir(), "cloudrim-waves-"));
    try {
      const file = writeFleetFile(
        dir,
        baseFleet({ regions, rollout: { waves: [["us-west-2"], ["us-east-1", "eu-west-1", "ap-southeast-2"]] } }),
      );
      execFileSync(join(PROJECT, "node_modules", ".bin", "tsx"), [join(PROJECT, "main.ts")], {
        env: { ...process.env, CLOUDRIM_CONFIG: file, CDKTF_OUTDIR: join(dir, "out") },
        encoding: "utf8",
      });
      const manifest = JSON.parse(readFileSync(join(dir, "out", "manifest.json"), "utf8")) as {
        stacks: Record<string, { dependencies: string[] }>;
      };
      expect(manifest.stacks["cloudrim-prod-eu-west-1"]?.dependencies).toEqual([
        "cloudrim-prod-state",
        "cloudrim-prod-us-west-2",
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("main.ts (what `cdktf synth` runs)", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "cloudrim-main-"));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  function runMain(env: Record<string, string>): { status: number; stdout: string; stderr: string } {
    try {
      const stdout = execFileSync(join(PROJECT, "node_modules", ".bin", "tsx"), [join(PROJECT, "main.ts")], {
        cwd: dir,
        env: { ...process.env, ...env },
        stdio: ["ignore", "pipe", "pipe"],
        encoding: "utf8",
      });
      return { status: 0, stdout, stderr: "" };
    } catch (error) {
      const failure = error as { status: number; stdout: string; stderr: string };
      return { status: failure.status, stdout: failure.stdout, stderr: failure.stderr };
    }
  }

  const imageWarnings = (stdout: string) => stdout.split("\n").filter((line) => line.startsWith("warning: ami:"));

  it("prints each warning once and synthesizes anyway", () => {
    const file = writeFleetFile(dir, baseFleet({ capacity: { min: 2, desired: 2, max: 2 } }));
    const { status, stdout } = runMain({ CLOUDRIM_CONFIG: file });
    expect(status).toBe(0);
    expect(
      stdout.split("\n").filter((line) => line.startsWith("warning: ") && !line.includes("alarms.topicArn")),
    ).toEqual([
      'warning: capacity: got {"min":2,"desired":2,"max":2}; in us-east-1, us-west-2: has min = max = 2, so target tracking (CPU 60%) cannot add or remove instances; raise capacity.max to let it scale, or set scaling: false for a fixed size',
    ]);
    expect(readdirSync(join(dir, "cdktf.out", "stacks"))).toHaveLength(3);
  });

  it("synthesizes the fleet in the JSON file named by CLOUDRIM_CONFIG", () => {
    const file = writeFleetFile(dir, baseFleet({ deployment: "staging", regions: [{ region: "eu-north-1" }] }));
    expect(runMain({ CLOUDRIM_CONFIG: file }).status).toBe(0);
    expect(readdirSync(join(dir, "cdktf.out", "stacks")).sort()).toEqual([
      "cloudrim-staging-eu-north-1",
      "cloudrim-staging-state",
    ]);
  });

  it("launches the images of the lock file next to the fleet file, checked at plan time", () => {
    const config = baseFleet();
    const file = writeFleetFile(dir, config);
    expect(runMain({ CLOUDRIM_CONFIG: file }).status).toBe(0);
    const locked = imageLockFor(config).images;
    for (const region of ["us-east-1", "us-west-2"]) {
      const stack = JSON.parse(
        readFileSync(join(dir, "cdktf.out", "stacks", `cloudrim-prod-${region}`, "cdk.tf.json"), "utf8"),
      ) as StackJson;
      const [image] = Object.values(stack.data.aws_ami ?? {});
      expect(image).toMatchObject({
        most_recent: false,
        filter: [
          { name: "image-id", values: [locked[region]?.id] },
          { name: "architecture", values: ["x86_64"] },
        ],
      });
      const [template] = resourcesOf(stack, "aws_launch_template");
      expect(template?.[1].image_id).toMatch(/^\$\{data\.aws_ami\.service_image_[0-9A-F]{8}\.id\}$/);
    }
  });

  it("synthesizes a fleet with no image lock: each lookup, and one warning naming the regions and the command", () => {
    const file = join(dir, "fleet.json");
    writeFileSync(file, JSON.stringify(baseFleet()));
    const unlocked = runMain({
      CLOUDRIM_CONFIG: file,
      AWS_ACCESS_KEY_ID: "",
      AWS_SECRET_ACCESS_KEY: "",
      AWS_PROFILE: "",
    });
    expect(unlocked.status).toBe(0);
    expect(imageWarnings(unlocked.stdout)).toEqual([
      'warning: ami: images not locked in fleet.lock.json: us-east-1, us-west-2 (no entry; lookup newest "debian-12-amd64-*" ' +
        "of 136693071363 for x86_64). Synth keeps the lookup, so each plan takes the image that is newest when it runs; " +
        "lock them with `npm run images -- --update us-east-1 us-west-2` (AWS credentials) and commit fleet.lock.json, " +
        "or let `npm run deploy` lock a missing entry",
    ]);
    for (const region of ["us-east-1", "us-west-2"]) {
      const stack = JSON.parse(
        readFileSync(join(dir, "cdktf.out", "stacks", `cloudrim-prod-${region}`, "cdk.tf.json"), "utf8"),
      ) as StackJson;
      expect(Object.values(stack.data.aws_ami ?? {})).toEqual([
        expect.objectContaining({
          most_recent: true,
          owners: ["136693071363"],
          filter: [
            { name: "name", values: ["debian-12-amd64-*"] },
            { name: "state", values: ["available"] },
            { name: "architecture", values: ["x86_64"] },
          ],
        }),
      ]);
    }
    // Synth reads the lock, and never writes it.
    expect(existsSync(join(dir, "fleet.lock.json"))).toBe(false);
  });

  it("synthesizes the default fleet and the README's example fleet with no lock, naming every region", () => {
    expect(imageWarnings(runMain({ CLOUDRIM_CONFIG: "" }).stdout)).toEqual([
      expect.stringMatching(
        /^warning: ami: images not locked in .*regions\/default\.lock\.json: us-east-1, us-west-2 \(no entry; .*`npm run images -- --update us-east-1 us-west-2`/,
      ),
    ]);
    const file = join(dir, "api.json");
    writeFileSync(file, JSON.stringify(readmeFleet()));
    const readme = runMain({ CLOUDRIM_CONFIG: file });
    expect(readme.status).toBe(0);
    expect(imageWarnings(readme.stdout)).toEqual([
      expect.stringContaining(
        "images not locked in api.lock.json: us-east-1, eu-west-1, ap-southeast-2 (no entry; lookup newest " +
          '"debian-12-amd64-*" of 136693071363 for x86_64).',
      ),
    ]);
    expect(readdirSync(join(dir, "cdktf.out", "stacks")).filter((stack) => stack.startsWith("api-"))).toHaveLength(4);
  });

  it("synthesizes the lookup of a region locked for another lookup, and says the fleet file changed it", () => {
    const file = writeFleetFile(dir, baseFleet());
    // The fleet moves us-west-2 to Graviton (arm64): its amd64 entry no longer answers, and stays as it was.
    writeFileSync(
      file,
      JSON.stringify(
        baseFleet({ regions: [{ region: "us-east-1" }, { region: "us-west-2", instanceType: "m7g.large" }] }),
      ),
    );
    const lockBefore = readFileSync(join(dir, "fleet.lock.json"), "utf8");
    const result = runMain({ CLOUDRIM_CONFIG: file });
    expect(result.status).toBe(0);
    expect(imageWarnings(result.stdout)).toEqual([
      expect.stringContaining(
        'us-west-2 (locked ami-00000000000000002 for another lookup, newest "debian-12-amd64-*" of 136693071363 for ' +
          'x86_64; the fleet file now says newest "debian-12-arm64-*" of 136693071363 for arm64)',
      ),
    ]);
    expect(readFileSync(join(dir, "fleet.lock.json"), "utf8")).toBe(lockBefore);
  });

  it("needs no lock on the local target, which replaces every image with the emulator's", () => {
    const file = join(dir, "fleet.json");
    writeFileSync(file, JSON.stringify(baseFleet()));
    const local = runMain({ CLOUDRIM_CONFIG: file, CLOUDRIM_TARGET: "local" });
    expect(local.status).toBe(0);
    expect(imageWarnings(local.stdout)).toEqual([]);
    expect(local.stdout).toContain(
      'local target: ami (us-east-1, us-west-2): newest "debian-12-amd64-*" of 136693071363 →',
    );
  });

  it("reports every problem of a bad config, exits 1 and writes nothing", () => {
    const file = join(dir, "fleet.json");
    writeFileSync(file, JSON.stringify(baseFleet({ processes: 0, domain: "nope", regions: [] })));
    const { status, stderr } = runMain({ CLOUDRIM_CONFIG: file });
    expect(status).toBe(1);
    expect(stderr).toContain("fleet config has 3 problems:");
    expect(stderr).toContain('  - domain: got "nope"; must be a DNS domain');
    expect(stderr).toContain("  - processes: got 0; must be at least 1");
    expect(stderr).toContain("  - regions: got []; must list at least one region");
    expect(existsSync(join(dir, "cdktf.out"))).toBe(false);
  });

  it("refuses repeated CIDRs and egress ports with a message naming each, and writes nothing (they once crashed synth)", () => {
    const file = join(dir, "fleet.json");
    writeFileSync(
      file,
      JSON.stringify(
        baseFleet({
          allowedCidrs: ["10.0.0.0/8", "10.0.0.0/8"],
          instanceEgress: [{ cidr: "0.0.0.0/0", ports: [443, 443] }],
        }),
      ),
    );
    const { status, stderr } = runMain({ CLOUDRIM_CONFIG: file });
    expect(status).toBe(1);
    expect(stderr.trim().split("\n")).toEqual([
      `${file}: fleet config has 2 problems:`,
      '  - allowedCidrs[1]: got "10.0.0.0/8"; repeats allowedCidrs[0]; remove one',
      "  - instanceEgress[0].ports[1]: got 443; repeats instanceEgress[0].ports[0]; remove one",
    ]);
    expect(existsSync(join(dir, "cdktf.out"))).toBe(false);
  });

  it("names an unreadable or malformed CLOUDRIM_CONFIG", () => {
    expect(runMain({ CLOUDRIM_CONFIG: join(dir, "missing.json") }).stderr).toMatch(
      /CLOUDRIM_CONFIG: got ".*missing\.json"; cannot be read \(ENOENT\)/,
    );
    const file = join(dir, "broken.json");
    writeFileSync(file, "{ not json");
    const result = runMain({ CLOUDRIM_CONFIG: file });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      [
        `CLOUDRIM_CONFIG: got "${file}"; is not valid JSON: expected property name or '}' at line 1, column 3:`,
        "      { not json",
        "        ^",
      ].join("\n"),
    );
  });
});
