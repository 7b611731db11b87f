import { createHash } from "node:crypto";
import { compressUserData } from "../../../instance/user-data";
import type { FleetConfig } from "../../../fleet/schema";
import { formatProblems, formatWarning, shapeOrThrow, validateFleet } from "../../../fleet/validate";
import type { Problem } from "../../../fleet/validate/problems";
import { baseFleet, DEFAULT_APP } from "../../fixtures";

function problemsOf(config: unknown): readonly Problem[] {
  const result = validateFleet(config, DEFAULT_APP);
  if (result.ok) throw new Error("expected the config to be rejected, but it was accepted");
  return result.problems;
}

function theProblem(config: unknown): Problem {
  const problems = problemsOf(config);
  expect(problems).toHaveLength(1);
  return problems[0] as Problem;
}

const withRegions = (regions: FleetConfig["regions"], rest: Partial<FleetConfig> = {}) =>
  baseFleet({ regions, ...rest });

describe("a valid fleet", () => {
  it("is accepted with every default filled in", () => {
    const result = validateFleet(baseFleet(), DEFAULT_APP);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config).toMatchObject({
      service: "cloudrim",
      listenerPort: 9000,
      basePort: 9000,
      internal: true,
      privateZone: false,
      healthCheck: { timeout: 2, interval: 20, healthyThreshold: 3, unhealthyThreshold: 5 },
      state: { keyPrefix: "cloudrim" },
    });
  });

  it("accepts the largest instance type within the default load balancer quota (16 vCPUs: 17 ports)", () => {
    expect(validateFleet(baseFleet({ instanceType: "m5.4xlarge" }), DEFAULT_APP).ok).toBe(true);
  });
});

describe("shape rules (each reports field path, bad value and what is allowed)", () => {
  it("requires at least one region", () => {
    expect(theProblem(withRegions([]))).toEqual({
      path: "regions",
      value: [],
      message: "must list at least one region",
    });
  });

  it("rejects an unknown region", () => {
    const problem = theProblem(withRegions([{ region: "us-east-9" }]));
    expect(problem.path).toBe("regions[0].region");
    expect(problem.value).toBe("us-east-9");
    expect(problem.message).toMatch(/not a known AWS region; use one such as us-east-1/);
  });

  it("rejects unknown fields, each on its own, suggesting the nearest field of the same object", () => {
    expect(problemsOf({ ...baseFleet(), instancetype: "m5.large", proceses: 3, colour: "blue" })).toEqual([
      { path: "instancetype", value: "m5.large", message: "unknown field; did you mean instanceType?" },
      { path: "proceses", value: 3, message: "unknown field; did you mean processes?" },
      { path: "colour", value: "blue", message: "unknown field; check the spelling against docs/configuration.md" },
    ]);
  });

  it("suggests fields of the object the unknown one is in, in regions, lists and either-or settings", () => {
    const problems = problemsOf(
      baseFleet({
        instanceEgress: [{ cdir: "10.20.0.0/16", ports: [443] } as never],
        watchdog: { failAfterSecond: 60 } as never,
        regions: [{ region: "us-east-1", regoin: "us-west-2", vpc: "vpc-0123abcd" } as never],
      }),
    );
    expect(problems.map((p) => `${p.path}: ${p.message}`)).toEqual([
      "watchdog.failAfterSecond: unknown field; did you mean failAfterSeconds?",
      "regions[0].regoin: unknown field; did you mean region?",
      "regions[0].vpc: unknown field; check the spelling against docs/configuration.md",
      "instanceEgress[0].cdir: unknown field; did you mean cidr?",
    ]);
    expect(problemsOf(baseFleet({ ami: { owner: ["136693071363"], name: "debian-*" } as never }))).toEqual([
      {
        path: "ami.owners",
        value: undefined,
        message: 'is required (must be a list of image owners (account ids), e.g. ["136693071363"])',
      },
      { path: "ami.owner", value: ["136693071363"], message: "unknown field; did you mean owners?" },
    ]);
  });

  it("hands a wedged instance over no sooner than it restarts one process, and caps hand-overs at 1-100 at a time", () => {
    expect(theProblem(baseFleet({ watchdog: { failAfterSeconds: 60, handOverAfterSeconds: 45 } }))).toEqual({
      path: "watchdog.handOverAfterSeconds",
      value: 45,
      message:
        "must be at least watchdog.failAfterSeconds (60): a whole instance is handed over no sooner than one silent process is restarted; raise it or lower failAfterSeconds",
    });
    expect(theProblem(baseFleet({ watchdog: { maxHandOvers: 0 } }))).toMatchObject({
      path: "watchdog.maxHandOvers",
      value: 0,
      message: "must be at least 1 (instances, 1-100)",
    });
    const accepted = validateFleet(baseFleet(), DEFAULT_APP);
    if (!accepted.ok) throw new Error("the base fleet was rejected");
    expect(accepted.config.watchdog).toMatchObject({ handOverAfterSeconds: 600, maxHandOvers: 1 });
  });

  it("rejects a deployment name that cannot be part of AWS names", () => {
    const problem = theProblem(baseFleet({ deployment: "Prod_1" }));
    expect(problem).toMatchObject({ path: "deployment", value: "Prod_1" });
    expect(problem.message).toMatch(/must be a DNS label: lowercase letters, digits and hyphens/);
  });

  it("rejects a domain that is not a domain", () => {
    const problem = theProblem(baseFleet({ domain: "not a domain" }));
    expect(problem).toMatchObject({ path: "domain", value: "not a domain" });
    expect(problem.message).toMatch(/must be a DNS domain such as example.com/);
  });

  it("rejects bad CIDR blocks, each on its own", () => {
    const problems = problemsOf(baseFleet({ allowedCidrs: ["10.0.0.0/33", "10.0.0.0/8", "everyone"] }));
    expect(problems.map((p) => [p.path, p.value])).toEqual([
      ["allowedCidrs[0]", "10.0.0.0/33"],
      ["allowedCidrs[2]", "everyone"],
    ]);
    expect(problems[0]?.message).toMatch(/must be an IPv4 CIDR block/);
  });

  it("refuses IPv6 CIDR blocks, saying why: the load balancers are IPv4 only", () => {
    const problem = theProblem(baseFleet({ allowedCidrs: ["10.0.0.0/8", "fd00::/8"] }));
    expect(problem).toMatchObject({ path: "allowedCidrs[1]", value: "fd00::/8" });
    expect(problem.message).toMatch(
      /is an IPv6 block: the load balancers are IPv4 only .* so it would admit nobody; list IPv4 blocks/,
    );
  });

  it("rejects zero processes", () => {
    const problem = theProblem(baseFleet({ processes: 0 }));
    expect(problem).toMatchObject({ path: "processes", value: 0 });
    expect(problem.message).toMatch(/must be at least 1/);
  });

  it("rejects negative and fractional processes in a region override", () => {
    const problems = problemsOf(
      withRegions([
        { region: "us-east-1", processes: -2 },
        { region: "us-west-2", processes: 1.5 },
      ]),
    );
    expect(problems.map((p) => p.path)).toEqual(["regions[0].processes", "regions[1].processes"]);
    expect(problems[1]?.message).toMatch(/must be a whole number/);
  });

  it("rejects a listener port past 65535", () => {
    const problem = theProblem(baseFleet({ listenerPort: 70000 }));
    expect(problem).toMatchObject({ path: "listenerPort", value: 70000 });
    expect(problem.message).toMatch(/must be a TCP port, 1-65535/);
  });

  it("rejects weights outside Route 53's 0-255", () => {
    const problem = theProblem(baseFleet({ processes: 2, weights: [1, 256] }));
    expect(problem).toMatchObject({ path: "weights[1]", value: 256 });
    expect(problem.message).toMatch(/must be a Route 53 weight, 0-255/);
  });

  it("rejects a root service user", () => {
    const problem = theProblem(baseFleet({ app: { user: "root" } }));
    expect(problem).toMatchObject({ path: "app.user", value: "root" });
    expect(problem.message).toMatch(/must not be root/);
  });

  it("rejects an invalid state bucket name", () => {
    const problem = theProblem(baseFleet({ state: { bucket: "My_Bucket", region: "us-east-1" } }));
    expect(problem).toMatchObject({ path: "state.bucket", value: "My_Bucket" });
  });

  it("reports a missing required field as required", () => {
    const { deployment: _omitted, ...rest } = baseFleet();
    const problem = theProblem(rest);
    expect(problem.path).toBe("deployment");
    expect(problem.message).toMatch(/^is required/);
  });
});

describe("plan rules", () => {
  it("rejects a region listed twice, pointing at the first", () => {
    const problem = theProblem(withRegions([{ region: "us-east-1" }, { region: "us-east-1" }]));
    expect(problem).toEqual({
      path: "regions[1].region",
      value: "us-east-1",
      message: "repeats regions[0]; list each region once and put its settings in that entry",
    });
  });

  it("rejects an unknown instance type without processes", () => {
    const problem = theProblem(baseFleet({ instanceType: "z9.mega" }));
    expect(problem).toMatchObject({ path: "instanceType", value: "z9.mega" });
    expect(problem.message).toMatch(/its vCPU count is unknown; set "processes"/);
  });

  it("accepts an unknown instance type when processes is given", () => {
    expect(validateFleet(baseFleet({ instanceType: "z9.mega", processes: 4 }), DEFAULT_APP).ok).toBe(true);
  });

  it("rejects instance ports that overflow 65535", () => {
    const problem = theProblem(baseFleet({ basePort: 65534, listenerPort: 9000, processes: 3 }));
    expect(problem).toMatchObject({ path: "processes", value: 3 });
    expect(problem.message).toMatch(/need ports up to 65536, past 65535; lower basePort or processes/);
  });

  it("rejects privileged instance ports (the service runs unprivileged)", () => {
    const problem = theProblem(baseFleet({ basePort: 80, listenerPort: 80 }));
    expect(problem).toMatchObject({ path: "basePort", value: 80 });
    expect(problem.message).toMatch(/must be at least 1024/);
  });

  it("rejects a listener port inside the instance range other than its first port", () => {
    const problem = theProblem(baseFleet({ listenerPort: 9001, processes: 3 }));
    expect(problem).toMatchObject({ path: "listenerPort", value: 9001 });
    expect(problem.message).toMatch(/inside the instance port range 9000-9002 but is not its first port/);
  });

  it("accepts a listener port outside the instance range", () => {
    expect(validateFleet(baseFleet({ listenerPort: 443, basePort: 9000 }), DEFAULT_APP).ok).toBe(true);
  });

  it("rejects a weight count that differs from processes", () => {
    const problem = theProblem(baseFleet({ processes: 3, weights: [1, 1] }));
    expect(problem).toMatchObject({ path: "weights", value: [1, 1] });
    expect(problem.message).toMatch(/has 2 weights but there are 3 processes \(ports 9000-9002\)/);
  });

  it("rejects a weight count that differs from the instance type's default process count", () => {
    const problem = theProblem(baseFleet({ instanceType: "m5.xlarge", weights: [1, 2, 3] }));
    expect(problem.path).toBe("weights");
    expect(problem.message).toMatch(/m5.xlarge runs 5 processes \(vCPUs \+ 1\)/);
  });

  it("rejects weights that are all zero", () => {
    const problem = theProblem(baseFleet({ processes: 2, weights: [0, 0] }));
    expect(problem.path).toBe("weights");
    expect(problem.message).toMatch(/are all zero/);
  });

  it("rejects capacity with min > desired or desired > max, at the overriding region", () => {
    const problems = problemsOf(
      withRegions([
        { region: "us-east-1", capacity: { min: 3, desired: 2, max: 4 } },
        { region: "us-west-2", capacity: { min: 1, desired: 5, max: 4 } },
      ]),
    );
    expect(problems.map((p) => [p.path, p.message])).toEqual([
      ["regions[0].capacity", "must satisfy min <= desired <= max"],
      ["regions[1].capacity", "must satisfy min <= desired <= max"],
    ]);
  });

  it("rejects more load balancers than the classic load balancer quota, once for all regions", () => {
    const problems = problemsOf(baseFleet({ instanceType: "m5.8xlarge" }));
    const quota = problems.find((p) => p.message.includes("quota"));
    expect(quota).toMatchObject({ path: "instanceType", value: "m5.8xlarge" });
    expect(quota?.message).toMatch(
      /^in us-east-1, us-west-2: needs 33 classic load balancers \(one per process\) but the quota is 20/,
    );
  });

  it("checks the quota per region when a region sets its own", () => {
    const problem = theProblem(
      withRegions([{ region: "us-east-1", loadBalancerQuota: 2 }, { region: "us-west-2" }], { processes: 3 }),
    );
    expect(problem).toMatchObject({ path: "processes", value: 3 });
    expect(problem.message).toMatch(/^in us-east-1: needs 3 classic load balancers .* but the quota is 2/);
  });

  it("keeps the user data small whatever the process count: scripts loop over the ports, gzipped for EC2", () => {
    const bytes = (processes: number) =>
      compressUserData(
        shapeOrThrow(baseFleet({ processes, loadBalancerType: "network" }), DEFAULT_APP).regions[0]?.instance
          .userData ?? "",
      ).length;
    expect(bytes(50) - bytes(2)).toBeLessThan(48 * 6);
    expect(bytes(50)).toBeLessThan(16384 / 2);
  });

  it("rejects a command so long that the user data exceeds EC2's 16 KiB gzipped, naming app.command", () => {
    // Text that does not compress: a chain of digests.
    let noise = "";
    for (let block = "seed"; noise.length < 30_000; ) {
      block = createHash("sha256").update(block).digest("base64url");
      noise += block;
    }
    const problem = theProblem(baseFleet({ app: { command: `node server.js ${noise}` } }));
    expect(problem.path).toBe("app.command");
    expect(problem.message).toMatch(
      /makes the user data \d+ bytes gzipped \(us-(east-1|west-2)\), over EC2.s 16384; shorten app.command/,
    );
  });

  it("rejects names that make a load balancer name longer than 32 characters", () => {
    const problem = theProblem(baseFleet({ service: "cloudrim", deployment: "very-long-deployment-name" }));
    expect(problem).toMatchObject({ path: "deployment", value: "very-long-deployment-name" });
    expect(problem.message).toMatch(
      /load balancer name "cloudrim-very-long-deployment-name-9000" 39 characters long; load balancer and target group names are at most 32/,
    );
  });

  it("rejects subnets without the VPC they belong to, and duplicate subnets", () => {
    const problems = problemsOf(
      withRegions([{ region: "us-east-1", subnetIds: ["subnet-0123abcd", "subnet-0123abcd"] }]),
    );
    expect(problems.map((p) => [p.path, p.message])).toEqual([
      ["regions[0].subnetIds[1]", "repeats regions[0].subnetIds[0]; remove one"],
      [
        "regions[0].subnetIds",
        "needs vpcId in the same entry, the VPC these subnets belong to (the security groups live there)",
      ],
    ]);
  });

  it("picks subnets by tag only in a VPC the region names, and never together with subnetIds", () => {
    expect(
      theProblem(withRegions([{ region: "us-east-1" }, { region: "us-west-2" }], { subnetTags: { Tier: "private" } })),
    ).toEqual({
      path: "subnetTags",
      value: { Tier: "private" },
      message:
        "in us-east-1, us-west-2: picks subnets of a VPC you name, but this region has no vpcId (its default VPC has one default subnet per zone already); set vpcId in the region's entry or leave subnetTags out",
    });
    expect(
      theProblem(
        withRegions([
          {
            region: "us-east-1",
            vpcId: "vpc-0123abcd",
            subnetIds: ["subnet-0123abcd"],
            subnetTags: { Tier: "private" },
          },
        ]),
      ),
    ).toMatchObject({
      path: "regions[0].subnetTags",
      message: "picks subnets by tag, but regions[0].subnetIds lists them already; keep one of the two",
    });
    expect(
      validateFleet(
        withRegions([{ region: "us-east-1", vpcId: "vpc-0123abcd", subnetTags: { Tier: "private" } }]),
        DEFAULT_APP,
      ).ok,
    ).toBe(true);
  });

  it("refuses an empty subnetTags", () => {
    expect(theProblem(withRegions([{ region: "us-east-1", vpcId: "vpc-0123abcd", subnetTags: {} }]))).toMatchObject({
      path: "regions[0].subnetTags",
      message: expect.stringMatching(/must name at least one tag/),
    });
  });

  it("uses each load balancer type's quota: 20 classic, 50 network, or what loadBalancerQuota says", () => {
    const classic = theProblem(baseFleet({ processes: 21 }));
    expect(classic).toMatchObject({ path: "processes", value: 21 });
    expect(classic.message).toBe(
      'in us-east-1, us-west-2: needs 21 classic load balancers (one per process) but the quota is 20; lower processes, pick a smaller instance type, use loadBalancerType "network" (quota 50), or raise loadBalancerQuota after AWS raises the account\'s quota',
    );
    expect(validateFleet(baseFleet({ processes: 21, loadBalancerType: "network" }), DEFAULT_APP).ok).toBe(true);
    expect(
      theProblem(
        baseFleet({
          regions: [{ region: "us-east-1", processes: 6, loadBalancerType: "network", loadBalancerQuota: 5 }],
        }),
      ).message,
    ).toMatch(/^in us-east-1: needs 6 network load balancers \(one per process\) but the quota is 5; lower processes/);
  });

  it("refuses more load balancers than one Auto Scaling group takes (50), whatever the quota", () => {
    const problems = problemsOf(baseFleet({ processes: 51, loadBalancerType: "network", loadBalancerQuota: 60 }));
    expect(problems.map((p) => p.message)).toEqual([
      "in us-east-1, us-west-2: needs 51 load balancers attached to one Auto Scaling group, which takes at most 50; lower processes",
    ]);
  });

  it("refuses an unknown load balancer type, naming the field", () => {
    expect(theProblem(baseFleet({ loadBalancerType: "application" as "network" }))).toMatchObject({
      path: "loadBalancerType",
      message: 'must be "classic" or "network"',
    });
  });

  it("requires allowedCidrs somewhere", () => {
    const { allowedCidrs: _omitted, ...rest } = baseFleet();
    expect(theProblem(rest)).toMatchObject({ path: "allowedCidrs", message: expect.stringMatching(/is required/) });
  });

  it("accepts allowedCidrs given per region instead", () => {
    const { allowedCidrs: _omitted, ...rest } = baseFleet();
    const config: FleetConfig = {
      ...rest,
      regions: [
        { region: "us-east-1", allowedCidrs: ["10.1.0.0/16"] },
        { region: "us-west-2", allowedCidrs: ["10.2.0.0/16"] },
      ],
    };
    expect(validateFleet(config, DEFAULT_APP).ok).toBe(true);
  });
});

describe("tags", () => {
  it("refuses each tag the fleet sets itself, naming the key", () => {
    const problems = problemsOf(baseFleet({ tags: { Name: "x", Team: "payments", Service: "y" } }));
    expect(problems).toEqual([
      {
        path: "tags.Name",
        value: "x",
        message:
          "is a tag the fleet sets itself (Name, Service, Deployment come from the service and deployment names); use another key",
      },
      {
        path: "tags.Service",
        value: "y",
        message:
          "is a tag the fleet sets itself (Name, Service, Deployment come from the service and deployment names); use another key",
      },
    ]);
  });

  it("refuses AWS's reserved prefix and accepts other tags", () => {
    expect(theProblem(baseFleet({ tags: { "aws:owner": "me" } }))).toMatchObject({
      path: "tags.aws:owner",
      message: expect.stringMatching(/"aws:" prefix, which AWS reserves/),
    });
    expect(validateFleet(baseFleet({ tags: { Team: "payments", CostCenter: "42" } }), DEFAULT_APP).ok).toBe(true);
  });
});

describe("lists: no entry twice", () => {
  it("refuses a CIDR listed twice, naming the repeat and the first, fleet-wide and per region", () => {
    expect(theProblem(baseFleet({ allowedCidrs: ["10.0.0.0/8", "192.168.0.0/16", "10.0.0.0/8"] }))).toEqual({
      path: "allowedCidrs[2]",
      value: "10.0.0.0/8",
      message: "repeats allowedCidrs[0]; remove one",
    });
    expect(
      formatProblems(problemsOf(withRegions([{ region: "us-east-1", allowedCidrs: ["10.0.0.0/8", "10.0.0.0/8"] }]))),
    ).toBe(
      [
        "fleet config has 1 problem:",
        '  - regions[0].allowedCidrs[1]: got "10.0.0.0/8"; repeats regions[0].allowedCidrs[0]; remove one',
      ].join("\n"),
    );
  });

  it("refuses a port twice in one egress rule, and a destination in two rules (one rule per destination and port)", () => {
    const problems = problemsOf(
      baseFleet({
        instanceEgress: [
          { cidr: "10.20.0.0/16", ports: [443, 443] },
          { prefixList: "pl-63a5400a", ports: [443] },
          { cidr: "10.20.0.0/16", ports: [5432] },
        ],
      }),
    );
    expect(problems).toEqual([
      {
        path: "instanceEgress[2].cidr",
        value: "10.20.0.0/16",
        message: "repeats instanceEgress[0]; list each destination once, with all its ports in that entry",
      },
      { path: "instanceEgress[0].ports[1]", value: 443, message: "repeats instanceEgress[0].ports[0]; remove one" },
    ]);
  });

  it("refuses a region twice in one wave or in two waves, pointing at its first place", () => {
    expect(
      problemsOf(
        baseFleet({
          rollout: {
            waves: [
              ["us-east-1", "us-east-1"],
              ["us-west-2", "us-east-1"],
            ],
          },
        }),
      ),
    ).toEqual([
      {
        path: "rollout.waves[0][1]",
        value: "us-east-1",
        message: "repeats rollout.waves[0][0]; put each region in exactly one wave",
      },
      {
        path: "rollout.waves[1][1]",
        value: "us-east-1",
        message: "repeats rollout.waves[0][0]; put each region in exactly one wave",
      },
    ]);
  });

  it("refuses repeated image owners and subnets, and an exception for the same rule and resources twice", () => {
    const problems = problemsOf(
      baseFleet({
        ami: { owners: ["136693071363", "136693071363"], name: "debian-12-{arch}-*" },
        baselineExceptions: [
          {
            rule: "imdsv2",
            resources: "cloudrim-prod-*/aws_launch_template.*",
            reason: "the image needs IMDSv1 still",
          },
          { resources: "cloudrim-prod-*/aws_launch_template.*", rule: "imdsv2", reason: "said twice, in other words" },
        ],
        regions: [{ region: "us-east-1", vpcId: "vpc-0123abcd", subnetIds: ["subnet-0123abcd", "subnet-0123abcd"] }],
      }),
    );
    expect(problems.map((p) => [p.path, p.value, p.message])).toEqual([
      [
        "baselineExceptions[1]",
        { rule: "imdsv2", resources: "cloudrim-prod-*/aws_launch_template.*" },
        "repeats baselineExceptions[0]; keep one exception per rule and resources",
      ],
      ["regions[0].subnetIds[1]", "subnet-0123abcd", "repeats regions[0].subnetIds[0]; remove one"],
      ["ami.owners[1]", "136693071363", "repeats ami.owners[0]; remove one"],
    ]);
  });

  it("takes equal weights: a list whose repeats mean something", () => {
    expect(validateFleet(baseFleet({ processes: 3, weights: [2, 2, 1] }), DEFAULT_APP).ok).toBe(true);
  });

  it("reports repeats together with the shape problems, but not that two malformed entries repeat", () => {
    const problems = problemsOf(
      baseFleet({ allowedCidrs: ["everyone", "everyone", "10.0.0.0/8", "10.0.0.0/8"], processes: 0 }),
    );
    expect(problems.map((p) => [p.path, p.message])).toEqual([
      ["processes", "must be at least 1 (processes per instance: vCPUs + 1 is the usual choice)"],
      ["allowedCidrs[0]", "must be an IPv4 CIDR block such as 10.0.0.0/8"],
      ["allowedCidrs[1]", "must be an IPv4 CIDR block such as 10.0.0.0/8"],
      ["allowedCidrs[3]", "repeats allowedCidrs[2]; remove one"],
    ]);
  });
});

describe("reporting", () => {
  it("collects every problem, not just the first", () => {
    const problems = problemsOf(
      baseFleet({
        processes: 3,
        weights: [0, 0, 0],
        capacity: { min: 2, desired: 1, max: 1 },
        regions: [{ region: "us-east-1" }, { region: "us-east-1" }],
      }),
    );
    expect(problems.map((p) => p.path).sort()).toEqual(["capacity", "regions[1].region", "weights"]);
  });

  it("formats each problem with its path, value and fix", () => {
    const text = formatProblems(problemsOf(baseFleet({ processes: 0, basePort: -1 })));
    expect(text).toBe(
      [
        "fleet config has 2 problems:",
        "  - basePort: got -1; must be a TCP port, 1-65535 (first instance port)",
        "  - processes: got 0; must be at least 1 (processes per instance: vCPUs + 1 is the usual choice)",
      ].join("\n"),
    );
  });

  it("prints and counts every problem once, however often it was reached", () => {
    const repeat = { path: "regions[1].region", value: "us-east-1", message: "repeats regions[0]; remove one" };
    const other = { path: "processes", value: 0, message: "must be at least 1" };
    expect(formatProblems([repeat, other, { ...repeat }, other])).toBe(
      [
        "fleet config has 2 problems:",
        '  - regions[1].region: got "us-east-1"; repeats regions[0]; remove one',
        "  - processes: got 0; must be at least 1",
      ].join("\n"),
    );
    // The same path and message with another value is another problem, even where the printed values look alike.
    expect(formatProblems([other, { ...other, value: -1 }])).toMatch(/^fleet config has 2 problems:/);
    const long = (last: string) => ({ ...other, value: `${"x".repeat(100)}${last}` });
    expect(formatProblems([long("a"), long("b")])).toMatch(/^fleet config has 2 problems:/);
  });

  it("throws a FleetConfigError from shapeOrThrow", () => {
    expect(() => shapeOrThrow(baseFleet({ processes: 0 }), DEFAULT_APP)).toThrow(/processes: got 0/);
  });
});

describe("DNS and health check settings", () => {
  it("retires ttl, saying why, wherever it is set", () => {
    const problems = problemsOf(baseFleet({ ttl: 60, regions: [{ region: "us-east-1", ttl: 30 }] }));
    expect(problems.map((p) => [p.path, p.value])).toEqual([
      ["ttl", 60],
      ["regions[0].ttl", 30],
    ]);
    expect(problems[0]?.message).toBe(
      "is no longer used: every record is an alias record now, and Route 53 answers alias records with their target's TTL (60 s for a load balancer); remove ttl",
    );
  });

  it("accepts a global name inside the domain, the apex, or false", () => {
    for (const globalName of ["www.example.com", "example.com", false] as const) {
      expect(validateFleet(baseFleet({ globalName }), DEFAULT_APP).ok).toBe(true);
    }
  });

  it("refuses a global name outside the domain, one that is no DNS name, and one the fleet uses already", () => {
    expect(theProblem(baseFleet({ globalName: "www.example.org" }))).toEqual({
      path: "globalName",
      value: "www.example.org",
      message: 'must be a name inside domain (example.com), e.g. "www.example.com", or false for no global name',
    });
    expect(theProblem(baseFleet({ globalName: "bad_name.example.com" })).message).toMatch(/must be a DNS name/);
    expect(theProblem(baseFleet({ globalName: "cloudrim.us-east-1.example.com" })).message).toBe(
      "is already a regional or per-port name of this fleet; pick another name",
    );
    expect(theProblem(baseFleet({ globalName: true as unknown as false })).message).toBe(
      "must be a DNS name inside domain, or false for no global name",
    );
  });

  it("takes a health check path that starts with /, is printable and has no spaces; the rest keep their defaults", () => {
    const result = validateFleet(baseFleet({ healthCheck: { path: "/healthz" } }), DEFAULT_APP);
    expect(result.ok && result.config.healthCheck).toEqual({
      timeout: 2,
      interval: 20,
      healthyThreshold: 3,
      unhealthyThreshold: 5,
      path: "/healthz",
    });
    for (const path of ["healthz", "/health check", "/tab\there", ""]) {
      expect(theProblem(baseFleet({ healthCheck: { path } }))).toMatchObject({
        path: "healthCheck.path",
        message: 'must be an HTTP path: starting with "/", printable characters, no spaces, e.g. "/healthz"',
      });
    }
  });
});

describe("hosted zone creation", () => {
  it("rejects creating a private zone", () => {
    const problem = theProblem(baseFleet({ createHostedZone: true, privateZone: true }));
    expect(problem).toMatchObject({ path: "createHostedZone", value: true });
    expect(problem.message).toMatch(/creates public zones only/);
  });
});

describe("scaling and alarms", () => {
  const allWarningsOf = (config: unknown) => {
    const result = validateFleet(config, DEFAULT_APP);
    if (!result.ok) throw new Error(formatProblems(result.problems));
    return result.warnings.map(formatWarning);
  };
  /** The warnings but the one about a missing topic, which every test fleet without a topic gets. */
  const warningsOf = (config: unknown) => allWarningsOf(config).filter((w) => !/alarms\.topicArn: got nothing/.test(w));

  it("warns that the alarms of a fleet other than the local one tell nobody without a topic, unless topicArn is false", () => {
    expect(allWarningsOf(baseFleet())).toEqual([
      "warning: alarms.topicArn: got nothing; in us-east-1, us-west-2: tells nobody: the region's 17 alarms (ports without a healthy instance, instances failing checks, ports slow or failing connections, boots abandoned, instances handed over, a failed refresh) only change color in the console; set alarms.topicArn to an SNS topic in the region that pages you, or to false to run without one on purpose",
    ]);
    expect(
      allWarningsOf(withRegions([{ region: "us-east-1", alarms: { topicArn: false } }, { region: "us-west-2" }])),
    ).toEqual([expect.stringMatching(/^warning: alarms\.topicArn: got nothing; in us-west-2: tells nobody/)]);
    expect(allWarningsOf(baseFleet({ alarms: { topicArn: false } }))).toEqual([]);
    expect(allWarningsOf(baseFleet({ deployment: "local" }))).toEqual([]);
    expect(shapeOrThrow(baseFleet({ alarms: { topicArn: false } }), DEFAULT_APP).regions[0]?.monitoring).toMatchObject({
      silenced: true,
    });
  });

  it("plans target tracking at 60% CPU by default, warming instances up for the grace period, or none with scaling: false", () => {
    const [east, west] = shapeOrThrow(
      withRegions([{ region: "us-east-1" }, { region: "us-west-2", scaling: false }], { healthCheckGracePeriod: 240 }),
      DEFAULT_APP,
    ).regions;
    expect(east?.scaling).toEqual({ policyName: "cloudrim-prod-us-east-1-cpu", cpuTarget: 60, warmup: 240 });
    expect(west?.scaling).toBeUndefined();
    expect(shapeOrThrow(baseFleet({ scaling: { cpuTarget: 45 } }), DEFAULT_APP).regions[0]?.scaling?.cpuTarget).toBe(
      45,
    );
    expect(shapeOrThrow(baseFleet({ scaling: {} }), DEFAULT_APP).regions[0]?.scaling?.cpuTarget).toBe(60);
  });

  it("takes a CPU target of 10 to 90 percent and nothing else, wherever it is set", () => {
    expect(validateFleet(baseFleet({ scaling: { cpuTarget: 10 } }), DEFAULT_APP).ok).toBe(true);
    expect(validateFleet(baseFleet({ scaling: { cpuTarget: 90 } }), DEFAULT_APP).ok).toBe(true);
    expect(theProblem(baseFleet({ scaling: { cpuTarget: 95 } }))).toEqual({
      path: "scaling.cpuTarget",
      value: 95,
      message: "must be at most 90 percent: higher targets leave no headroom while new instances warm up",
    });
    expect(theProblem(withRegions([{ region: "us-east-1", scaling: { cpuTarget: 5 } }])).path).toBe(
      "regions[0].scaling.cpuTarget",
    );
    expect(theProblem(baseFleet({ scaling: true as unknown as false })).message).toBe(
      'must be {"cpuTarget": 10-90} or false for a fixed-size group',
    );
  });

  it("warns, without refusing, that a group whose min equals max cannot scale; not when scaling is off", () => {
    expect(warningsOf(baseFleet({ capacity: { min: 2, desired: 2, max: 2 } }))).toEqual([
      'warning: capacity: got {"min":2,"desired":2,"max":2}; in us-east-1, us-west-2: has min = max = 2, so target tracking (CPU 60%) cannot add or remove instances; raise capacity.max to let it scale, or set scaling: false for a fixed size',
    ]);
    expect(
      warningsOf(
        withRegions([{ region: "us-east-1", capacity: { min: 1, desired: 1, max: 1 } }, { region: "us-west-2" }]),
      ),
    ).toContain(
      'warning: regions[0].capacity: got {"min":1,"desired":1,"max":1}; in us-east-1: has min = max = 1, so target tracking (CPU 60%) cannot add or remove instances; raise capacity.max to let it scale, or set scaling: false for a fixed size',
    );
    expect(warningsOf(baseFleet({ capacity: { min: 2, desired: 2, max: 2 }, scaling: false }))).toEqual([]);
    expect(warningsOf(baseFleet())).toEqual([]);
  });

  it("keeps two instances by default, one per zone, and warns that a min below two allows an outage, naming it", () => {
    expect(shapeOrThrow(baseFleet(), DEFAULT_APP).regions[0]?.autoScaling.capacity).toEqual({
      min: 2,
      desired: 2,
      max: 4,
    });
    expect(warningsOf(baseFleet({ capacity: { min: 1, desired: 1, max: 3 }, healthCheckGracePeriod: 120 }))).toEqual([
      'warning: capacity: got {"min":1,"desired":1,"max":3}; in us-east-1, us-west-2: has min = 1: when the group runs one instance, that instance failing (or its zone) is an outage of the region until a replacement boots and passes its checks (grace period 120 s and more); set min to 2 or more, one instance per zone',
    ]);
    expect(
      warningsOf(
        withRegions([{ region: "us-east-1", capacity: { min: 0, desired: 0, max: 2 } }, { region: "us-west-2" }]),
      ),
    ).toEqual([
      'warning: regions[0].capacity: got {"min":0,"desired":0,"max":2}; in us-east-1: has min = 0: the group may scale in to no instance, and then the region serves nothing at all until a replacement boots and passes its checks (grace period 300 s and more); set min to 2 or more, one instance per zone',
    ]);
  });

  it("lays a region's alarm settings over the fleet's, field by field", () => {
    const topic = (region: string) => `arn:aws:sns:${region}:123456789012:on-call`;
    const [east, west] = shapeOrThrow(
      withRegions([{ region: "us-east-1" }, { region: "us-west-2", alarms: { topicArn: topic("us-west-2") } }], {
        alarms: { minutes: 5, topicArn: topic("us-east-1") },
      }),
      DEFAULT_APP,
    ).regions;
    const guard = { name: "cloudrim-prod-us-east-1-unhealthy-hosts-9000", ports: [9000, 9001, 9002] };
    const region = {
      regionAlarmName: "cloudrim-prod-us-east-1-all-ports-down",
      guardAlarms: [guard],
      shareAlarms: [9000, 9001, 9002].map((port) => ({ name: `cloudrim-prod-us-east-1-${port}-traffic-share`, port })),
      host: {
        belowDesired: "cloudrim-prod-us-east-1-in-service-below-desired",
        refreshFailed: "cloudrim-prod-us-east-1-instance-refresh-failed",
        bootAbandoned: "cloudrim-prod-us-east-1-boot-abandoned",
        handedOver: "cloudrim-prod-us-east-1-instance-handed-over",
      },
      // More than the datapoints a boot may show in: the 600 s launch hook, in up to 11.
      belowDesiredMinutes: 12,
      latencyAlarms: [{ name: "cloudrim-prod-us-east-1-latency-9000", ports: [9000, 9001, 9002] }],
      backendErrorAlarms: [{ name: "cloudrim-prod-us-east-1-backend-errors-9000", ports: [9000, 9001, 9002] }],
      // The guard, then what catches an abandoned boot, then serving badly: all within the refresh's ten.
      refreshAlarmNames: [
        "cloudrim-prod-us-east-1-unhealthy-hosts-9000",
        "cloudrim-prod-us-east-1-boot-abandoned",
        "cloudrim-prod-us-east-1-in-service-below-desired",
        "cloudrim-prod-us-east-1-backend-errors-9000",
        "cloudrim-prod-us-east-1-latency-9000",
      ],
      dashboardName: "cloudrim-prod-us-east-1",
    };
    expect(east?.monitoring).toEqual({
      minutes: 5,
      topicArn: topic("us-east-1"),
      silenced: false,
      ...region,
      // More than the datapoints a new instance's settling shows in: (300 s grace + 3 x 20 s) = 6 minutes, in up
      // to 7 datapoints; 8.
      guardMinutes: 8,
      latencySeconds: 0.5,
      backendErrors: 10,
    });
    expect(west?.monitoring).toMatchObject({ minutes: 5, topicArn: topic("us-west-2") });
    expect(shapeOrThrow(baseFleet(), DEFAULT_APP).regions[0]?.monitoring).toEqual({
      minutes: 3,
      silenced: false,
      ...region,
      guardMinutes: 8,
      latencySeconds: 0.5,
      backendErrors: 10,
    });
    // A fleet that alarms later than its instances settle keeps its own minutes for the guards too.
    expect(shapeOrThrow(baseFleet({ alarms: { minutes: 10 } }), DEFAULT_APP).regions[0]?.monitoring.guardMinutes).toBe(
      10,
    );
  });

  it("refuses a topic in another region than its alarms, naming the region entry to set, and a malformed ARN", () => {
    const east = "arn:aws:sns:us-east-1:123456789012:on-call";
    expect(problemsOf(baseFleet({ alarms: { topicArn: east } }))).toEqual([
      {
        path: "alarms.topicArn",
        value: east,
        message:
          "in us-west-2: is a topic in us-east-1, and CloudWatch alarms notify topics in their own region only; set regions[1].alarms.topicArn to a topic in us-west-2",
      },
    ]);
    expect(theProblem(baseFleet({ alarms: { topicArn: "on-call" } }))).toMatchObject({
      path: "alarms.topicArn",
      message: 'must be an SNS topic ARN such as "arn:aws:sns:us-east-1:123456789012:on-call"',
    });
    expect(theProblem(baseFleet({ alarms: { minutes: 0 } }))).toMatchObject({ path: "alarms.minutes" });
  });

  it("takes the serving thresholds from the fleet or a region's entry, refusing what cannot be a threshold", () => {
    const [east, west] = shapeOrThrow(
      withRegions([{ region: "us-east-1" }, { region: "us-west-2", alarms: { backendErrors: 0 } }], {
        alarms: { latencySeconds: 2, backendErrors: 50 },
      }),
      DEFAULT_APP,
    ).regions;
    expect(east?.monitoring).toMatchObject({ latencySeconds: 2, backendErrors: 50 });
    // A region's 0 alarms on any error at all: it is a value, not a missing one.
    expect(west?.monitoring).toMatchObject({ latencySeconds: 2, backendErrors: 0 });
    expect(theProblem(baseFleet({ alarms: { latencySeconds: 0 } }))).toEqual({
      path: "alarms.latencySeconds",
      value: 0,
      message: "must be above 0 seconds (a connection takes some time); 0.5 is the default",
    });
    expect(theProblem(baseFleet({ alarms: { latencySeconds: 120 } }))).toEqual({
      path: "alarms.latencySeconds",
      value: 120,
      message: "must be at most 60 seconds, the classic load balancer's idle timeout",
    });
    expect(theProblem(withRegions([{ region: "us-east-1", alarms: { backendErrors: 2.5 } }]))).toMatchObject({
      path: "regions[0].alarms.backendErrors",
      value: 2.5,
    });
  });

  it("warns that a latency threshold watches nothing behind network load balancers", () => {
    expect(
      warningsOf(
        withRegions([{ region: "us-east-1", loadBalancerType: "network" }, { region: "us-west-2" }], {
          alarms: { latencySeconds: 1 },
        }),
      ),
    ).toEqual([
      "warning: alarms.latencySeconds: got 1; in us-east-1: watches nothing behind network load balancers: they report no latency for TCP, so the region alarms on backend resets (alarms.backendErrors) and health only; remove it, or use classic load balancers",
    ]);
    expect(warningsOf(baseFleet({ loadBalancerType: "network" }))).toEqual([]);
  });
});

describe("the rollout", () => {
  const regions = [{ region: "us-east-1" }, { region: "eu-west-1" }, { region: "ap-southeast-2" }];

  it("rolls the first listed region alone, then all the others, baking each wave ten minutes, by default", () => {
    expect(shapeOrThrow(baseFleet({ regions }), DEFAULT_APP).rollout).toEqual({
      waves: [
        { number: 1, regions: ["us-east-1"], stacks: ["cloudrim-prod-us-east-1"] },
        {
          number: 2,
          regions: ["eu-west-1", "ap-southeast-2"],
          stacks: ["cloudrim-prod-eu-west-1", "cloudrim-prod-ap-southeast-2"],
        },
      ],
      bakeSeconds: 600,
    });
    expect(shapeOrThrow(baseFleet({ regions: [{ region: "us-east-1" }] }), DEFAULT_APP).rollout.waves).toHaveLength(1);
  });

  it("takes waves, a bake (0 allowed) and a bound on regions at once as written", () => {
    const rollout = shapeOrThrow(
      baseFleet({
        regions,
        rollout: { waves: [["eu-west-1", "ap-southeast-2"], ["us-east-1"]], bakeSeconds: 0, maxParallel: 2 },
      }),
      DEFAULT_APP,
    ).rollout;
    expect(rollout.waves.map((w) => w.regions)).toEqual([["eu-west-1", "ap-southeast-2"], ["us-east-1"]]);
    expect(rollout.bakeSeconds).toBe(0);
    expect(rollout.maxParallel).toBe(2);
  });

  it("refuses a region in no wave, in two waves, or not in the fleet, naming each and the fix, all at once", () => {
    expect(problemsOf(baseFleet({ regions, rollout: { waves: [["us-east-1", "eu-west-9"], ["us-east-1"]] } }))).toEqual(
      [
        {
          path: "rollout.waves[1][0]",
          value: "us-east-1",
          message: "repeats rollout.waves[0][0]; put each region in exactly one wave",
        },
        {
          path: "rollout.waves[0][1]",
          value: "eu-west-9",
          message:
            "is not a region of this fleet (its regions: us-east-1, eu-west-1, ap-southeast-2); list only regions from regions[]",
        },
        {
          path: "rollout.waves",
          value: [["us-east-1", "eu-west-9"], ["us-east-1"]],
          message:
            "leaves out eu-west-1, ap-southeast-2: every region of the fleet must be in exactly one wave; add them to a wave (the last one rolls last)",
        },
      ],
    );
  });

  it("replaces one instance first where a group holds 3 or more, or where the fleet file asks", () => {
    const groups = [
      { region: "us-east-1", capacity: { min: 3, desired: 3, max: 6 } },
      { region: "eu-west-1", capacity: { min: 1, desired: 2, max: 4 } },
    ];
    const checkpoints = (config: FleetConfig) =>
      shapeOrThrow(config, DEFAULT_APP).regions.map((r) => r.autoScaling.checkpoint?.percentage);
    expect(checkpoints(baseFleet({ regions: groups }))).toEqual([33, undefined]);
    expect(checkpoints(baseFleet({ regions: groups, rollout: { firstInstance: true } }))).toEqual([33, 50]);
    expect(checkpoints(baseFleet({ regions: groups, rollout: { firstInstance: false } }))).toEqual([
      undefined,
      undefined,
    ]);
    expect(checkpoints(baseFleet({ regions: groups, instanceRefresh: false }))).toEqual([undefined, undefined]);
  });

  it("refuses one instance first where no refresh replaces it or a group has no second instance, naming them", () => {
    expect(
      theProblem(
        baseFleet({
          regions: [
            { region: "us-east-1", capacity: { min: 1, desired: 1, max: 2 } },
            { region: "eu-west-1", capacity: { min: 2, desired: 2, max: 4 } },
            { region: "ap-southeast-2", capacity: { min: 1, desired: 1, max: 1 } },
          ],
          rollout: { firstInstance: true },
        }),
      ),
    ).toEqual({
      path: "rollout.firstInstance",
      value: true,
      message:
        "needs groups of at least 2 instances, so that one is replaced first while the others serve: us-east-1 (capacity.desired 1), ap-southeast-2 (capacity.desired 1); raise capacity.desired there or leave firstInstance out",
    });
    expect(theProblem(baseFleet({ instanceRefresh: false, rollout: { firstInstance: true } }))).toMatchObject({
      path: "rollout.firstInstance",
      message: expect.stringContaining("needs instanceRefresh") as string,
    });
  });

  it("refuses empty waves, a negative or day-long bake and a bound below one, in the style of the other fields", () => {
    expect(theProblem(baseFleet({ rollout: { waves: [] } }))).toMatchObject({
      path: "rollout.waves",
      message: "must list at least one wave, or be left out for the default waves",
    });
    expect(theProblem(baseFleet({ rollout: { waves: [["us-east-1", "us-west-2"], []] } }))).toMatchObject({
      path: "rollout.waves[1]",
      message: "must name at least one region; drop the empty wave",
    });
    expect(theProblem(baseFleet({ rollout: { bakeSeconds: -1 } }))).toMatchObject({
      path: "rollout.bakeSeconds",
      value: -1,
      message: "must be at least 0 (seconds, 0-86400)",
    });
    expect(theProblem(baseFleet({ rollout: { bakeSeconds: 90000 } }))).toMatchObject({
      message: "must be at most 86400 seconds (a day)",
    });
    expect(theProblem(baseFleet({ rollout: { maxParallel: 0 } }))).toMatchObject({ path: "rollout.maxParallel" });
    expect(theProblem(baseFleet({ rollout: { order: "sequential" } as never }))).toMatchObject({
      path: "rollout.order",
      value: "sequential",
      message: "unknown field; check the spelling against docs/configuration.md",
    });
  });
});

describe("the account", () => {
  it("is a 12-digit id given as a string, so its leading zeros survive", () => {
    expect(shapeOrThrow(baseFleet({ accountId: "012345678901" }), DEFAULT_APP).accountId).toBe("012345678901");
    expect(shapeOrThrow(baseFleet({ accountId: "012345678901" }), DEFAULT_APP).regions[0]?.accountId).toBe(
      "012345678901",
    );
    expect(shapeOrThrow(baseFleet(), DEFAULT_APP).accountId).toBeUndefined();
    expect(theProblem(baseFleet({ accountId: 12345678901 as unknown as string }))).toMatchObject({
      path: "accountId",
      message: 'must be a string of 12 digits, e.g. "123456789012" (quoted: JSON numbers lose leading zeros)',
    });
    expect(theProblem(baseFleet({ accountId: "1234" }))).toMatchObject({
      path: "accountId",
      value: "1234",
      message: 'must be a 12-digit AWS account id, e.g. "123456789012"',
    });
  });
});

describe("inputs that would break every boot or every apply", () => {
  it("refuses release buckets with dots: S3's certificate covers no dotted bucket name", () => {
    const problems = problemsOf(
      baseFleet({
        releaseBucket: "releases.example.com",
        app: { release: { bucket: "releases.example.com", key: "releases/cloudrim/a.tgz", sha256: "a".repeat(64) } },
      }),
    );
    expect(problems.map((p) => [p.path, p.value])).toEqual([
      ["app.release.bucket", "releases.example.com"],
      ["releaseBucket", "releases.example.com"],
    ]);
    expect(problems[0]?.message).toMatch(
      /has dots: instances fetch the release from https:\/\/<bucket>\.s3\.<region>\.amazonaws\.com, and S3's certificate covers no name with a dot in the bucket, so every boot in every region would fail; use a bucket name without dots/,
    );
  });

  it("refuses health check numbers that no load balancer type takes, saying what each type takes", () => {
    expect(problemsOf(baseFleet({ healthCheck: { timeout: 1, interval: 3 } }))).toEqual([
      {
        path: "healthCheck.timeout",
        value: 1,
        message: "must be at least 2 seconds (AWS takes 2-60 on classic load balancers, 2-120 on network ones)",
      },
      {
        path: "healthCheck.interval",
        value: 3,
        message: "must be at least 5 seconds (AWS takes 5-300 on classic and network load balancers alike)",
      },
    ]);
    expect(
      problemsOf(
        baseFleet({ healthCheck: { timeout: 121, interval: 301, healthyThreshold: 1, unhealthyThreshold: 11 } }),
      ).map((p) => `${p.path}: ${p.message}`),
    ).toEqual([
      "healthCheck.timeout: must be at most 120 seconds (AWS takes 2-60 on classic load balancers, 2-120 on network ones)",
      "healthCheck.interval: must be at most 300 seconds (AWS takes 5-300 on classic and network load balancers alike)",
      "healthCheck.healthyThreshold: must be at least 2 checks (AWS takes 2-10 on classic and network load balancers alike)",
      "healthCheck.unhealthyThreshold: must be at most 10 checks (AWS takes 2-10 on classic and network load balancers alike)",
    ]);
  });

  it("holds each region to its load balancer type's range: a 90 s timeout is refused where load balancers are classic", () => {
    const slowChecks = { healthCheck: { timeout: 90, interval: 120 }, healthCheckGracePeriod: 600 };
    expect(
      theProblem(
        baseFleet({
          ...slowChecks,
          regions: [
            { region: "us-east-1" },
            { region: "us-west-2", loadBalancerType: "network" },
            { region: "eu-west-1" },
          ],
        }),
      ),
    ).toEqual({
      path: "healthCheck.timeout",
      value: 90,
      message:
        'is outside the 2-60 seconds that classic load balancers take (AWS refuses it at apply), and us-east-1, eu-west-1 use classic ones; lower it to 60 or less, or set loadBalancerType "network" there (2-120)',
    });
    expect(validateFleet(baseFleet({ ...slowChecks, loadBalancerType: "network" }), DEFAULT_APP).ok).toBe(true);
    expect(
      validateFleet(
        baseFleet({ healthCheck: { timeout: 60, interval: 300 }, healthCheckGracePeriod: 900 }),
        DEFAULT_APP,
      ).ok,
    ).toBe(true);
  });

  it("refuses a health check timeout as long as its interval, which AWS refuses at apply", () => {
    const problem = theProblem(baseFleet({ healthCheck: { timeout: 20, interval: 20 } }));
    expect(problem).toMatchObject({ path: "healthCheck.timeout", value: 20 });
    expect(problem.message).toMatch(
      /must be less than healthCheck.interval \(20 s\): a check must end before the next one starts/,
    );
  });

  it("refuses a grace period shorter than a good new instance takes to pass its checks", () => {
    const problem = theProblem(
      baseFleet({ healthCheckGracePeriod: 30, healthCheck: { interval: 20, healthyThreshold: 3 } }),
    );
    expect(problem).toMatchObject({ path: "healthCheckGracePeriod", value: 30 });
    expect(problem.message).toMatch(
      /is shorter than the 60 s a new instance needs to pass its checks \(healthCheck.healthyThreshold 3 × interval 20 s\).*raise it to at least 60, or check more often/,
    );
    expect(
      validateFleet(
        baseFleet({ healthCheckGracePeriod: 10, healthCheck: { interval: 5, healthyThreshold: 2 } }),
        DEFAULT_APP,
      ).ok,
    ).toBe(true);
  });

  it("refuses deletion protection for classic load balancers, which have none", () => {
    const problem = theProblem(
      baseFleet({
        deletionProtection: true,
        regions: [{ region: "us-east-1", loadBalancerType: "network" }, { region: "us-west-2" }],
      }),
    );
    expect(problem).toMatchObject({ path: "deletionProtection", value: true });
    expect(problem.message).toMatch(
      /protects network load balancers only, and us-west-2 uses classic ones, which have none/,
    );
  });

  it("refuses an exception for a rule the baseline does not have, and one without a reason", () => {
    const problems = problemsOf(
      baseFleet({
        baselineExceptions: [
          { rule: "no-ssh" as "imdsv2", resources: "*", reason: "we never open SSH anyway, promise" },
          { rule: "imdsv2", resources: "*", reason: "legacy" },
        ],
      }),
    );
    expect(problems.map((p) => p.path)).toEqual(["baselineExceptions[0].rule", "baselineExceptions[1].reason"]);
    expect(problems[0]?.message).toMatch(/must be a baseline rule: imdsv2, encrypted-root, /);
  });

  it("warns that network load balancers log nothing without a TLS listener", () => {
    const result = validateFleet(
      baseFleet({ loadBalancerType: "network", accessLogs: true, regions: [{ region: "us-east-1" }] }),
      DEFAULT_APP,
    );
    expect(result.ok && result.warnings.map(formatWarning)).toContainEqual(
      expect.stringMatching(
        /accessLogs: got true; in us-east-1: logs nothing on network load balancers with a plain TCP listener/,
      ),
    );
  });
});

describe("the app's own configuration: environment, secrets and policies", () => {
  const PARAMETER = "arn:aws:ssm:{region}:123456789012:parameter/shop/db-password";
  const SECRET = "arn:aws:secretsmanager:{region}:123456789012:secret:shop/api-key-AbCdEf";
  const withApp = (app: FleetConfig["app"]) => baseFleet({ app });

  it("accepts plain variables, a parameter and a secret of each region (or one region's, read from everywhere), and managed policies", () => {
    const result = validateFleet(
      withApp({
        environment: { LOG_LEVEL: "info", _private: "" },
        secrets: {
          DB_PASSWORD: PARAMETER,
          API_KEY: SECRET,
          LICENSE: "arn:aws:ssm:eu-west-1:123456789012:parameter/license",
        },
        policyArns: ["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess", "arn:aws:iam::123456789012:policy/shop/queue"],
      }),
      DEFAULT_APP,
    );
    expect(result.ok ? [] : result.problems).toEqual([]);
  });

  it.each([
    ["no ARN at all", "shop/db-password"],
    [
      "a secret without the six characters Secrets Manager appends",
      "arn:aws:secretsmanager:{region}:123456789012:secret:shop/api-key",
    ],
    ["an account that is not 12 digits", "arn:aws:ssm:{region}:1234:parameter/shop/db-password"],
    ["another service's ARN", "arn:aws:s3:::shop-config/db-password"],
  ])("names a malformed secret ARN: %s", (_what, arn) => {
    expect(theProblem(withApp({ secrets: { DB_PASSWORD: arn } }))).toEqual({
      path: "app.secrets.DB_PASSWORD",
      value: arn,
      message: expect.stringMatching(
        /^must be the ARN of an SSM parameter \("arn:aws:ssm:\{region\}:123456789012:parameter\/app\/db-password"\) or of a Secrets Manager secret with its six-character suffix/,
      ) as string,
    });
  });

  it("names a region in an ARN that is neither {region} nor an AWS region", () => {
    const arn = "arn:aws:ssm:us-east-9:123456789012:parameter/shop/db-password";
    expect(theProblem(withApp({ secrets: { DB_PASSWORD: arn } }))).toEqual({
      path: "app.secrets.DB_PASSWORD",
      value: arn,
      message:
        'names the region "us-east-9", which is not a known AWS region: write {region} for each region\'s own copy, or a region such as us-east-1 to read that one copy from every region',
    });
  });

  it.each([["db-password"], ["1ST"], ["API KEY"], [""]])(
    "names a secret or variable whose name %j no process environment can carry",
    (name) => {
      const message = "must be an environment variable name: letters, digits and _, not starting with a digit";
      expect(theProblem(withApp({ secrets: { [name]: PARAMETER } }))).toEqual({
        path: `app.secrets.${name}`,
        value: name,
        message,
      });
      expect(theProblem(withApp({ environment: { [name]: "x" } }))).toEqual({
        path: `app.environment.${name}`,
        value: name,
        message,
      });
    },
  );

  it.each([["PORT"], ["HEALTH_PATH"], ["PATH"], ["CLOUDRIM_RELEASE"], ["CLOUDRIM_INSTANCE_ID"]])(
    "refuses %s, which the fleet sets itself, in either list",
    (name) => {
      const message =
        "is set by the fleet itself for every process (PORT, HEALTH_PATH, PATH, CLOUDRIM_RELEASE, CLOUDRIM_INSTANCE_ID); use another name";
      expect(theProblem(withApp({ environment: { [name]: "1" } }))).toEqual({
        path: `app.environment.${name}`,
        value: name,
        message,
      });
      expect(theProblem(withApp({ secrets: { [name]: PARAMETER } }))).toEqual({
        path: `app.secrets.${name}`,
        value: name,
        message,
      });
    },
  );

  it("refuses a variable set both plainly and as a secret: it comes from one place", () => {
    expect(theProblem(withApp({ environment: { API_KEY: "test" }, secrets: { API_KEY: SECRET } }))).toEqual({
      path: "app.secrets.API_KEY",
      value: SECRET,
      message: "is also set in app.environment; a variable comes from one place: keep it in one of the two",
    });
  });

  it("refuses a plain value with a NUL character, which no environment variable can hold", () => {
    expect(theProblem(withApp({ environment: { GREETING: "a\u0000b" } }))).toMatchObject({
      path: "app.environment.GREETING",
      message: "must not hold a NUL character, which no environment variable can",
    });
  });

  it.each([
    ["an ARN of something else", "arn:aws:s3:::shop-config"],
    ["a role instead of a policy", "arn:aws:iam::123456789012:role/shop"],
    ["a policy name without its ARN", "AmazonS3ReadOnlyAccess"],
  ])("names a malformed policy ARN: %s", (_what, arn) => {
    expect(theProblem(withApp({ policyArns: ["arn:aws:iam::aws:policy/ReadOnlyAccess", arn] }))).toEqual({
      path: "app.policyArns[1]",
      value: arn,
      message:
        'must be an IAM managed policy ARN such as "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess" or "arn:aws:iam::123456789012:policy/my-app"',
    });
  });

  it("collects every problem of the app's configuration at once", () => {
    const problems = problemsOf(
      withApp({
        environment: { PORT: "1" },
        secrets: { "db-password": "shop/db-password" },
        policyArns: ["AmazonS3ReadOnlyAccess"],
      }),
    );
    expect(problems.map((p) => p.path).sort()).toEqual([
      "app.environment.PORT",
      "app.policyArns[0]",
      "app.secrets.db-password",
      "app.secrets.db-password",
    ]);
  });

  it("names the app's variables when they make the user data exceed EC2's 16 KiB gzipped", () => {
    let noise = "";
    for (let block = "seed"; noise.length < 30_000; ) {
      block = createHash("sha256").update(block).digest("base64url");
      noise += block;
    }
    const problem = theProblem(withApp({ environment: { CERTIFICATE: noise } }));
    expect(problem).toMatchObject({ path: "app", value: "1 variables" });
    expect(problem.message).toMatch(
      /over EC2.s 16384; shorten app.command or app.environment \(a large value belongs in an SSM parameter/,
    );
  });
});
