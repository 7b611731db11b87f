import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Testing } from "cdktf";
import { addFleet } from "../../constructs/fleet";
import { shapeOrThrow } from "../../fleet/validate";
import { defaultFleet } from "../../regions/default";
import { baseFleet, certificateIn, securedFleet, DEFAULT_APP } from "../fixtures";
import { terraformValidate } from "../terraform";

// Real `terraform init` + `validate` through the provider mirror (or registry): a few seconds per stack.
jest.setTimeout(120_000);

function synthesizedStacks(config: unknown, outdir: string): string[] {
  const app = Testing.app({ outdir });
  const { state, regions } = addFleet(app, shapeOrThrow(config, DEFAULT_APP));
  app.synth();
  return [state, ...regions].map((stack) => stack.node.id);
}

describe("real terraform validate", () => {
  let outdir: string;
  beforeAll(() => {
    outdir = mkdtempSync(join(tmpdir(), "cloudrim-validate-"));
  });
  afterAll(() => {
    rmSync(outdir, { recursive: true, force: true });
  });

  /** Synthesizes the config into `outdir/{name}` and validates every stack; returns the stacks' names. */
  function expectAllValid(config: unknown, name: string): string[] {
    const stacks = synthesizedStacks(config, join(outdir, name));
    for (const stack of stacks) {
      const verdict = terraformValidate(join(outdir, name, "stacks", stack));
      expect({ stack, ...verdict }).toEqual({ stack, valid: true, diagnostics: [] });
    }
    return stacks;
  }

  it("accepts every stack of the default fleet", () => {
    expect(expectAllValid(defaultFleet, "default")).toHaveLength(3);
  });

  it("accepts regions with explicit networks (subnets given or picked by tag), AMI, two CIDRs and 17 processes", () => {
    const config = baseFleet({
      instanceType: "c6i.4xlarge",
      allowedCidrs: ["10.0.0.0/8", "192.168.0.0/16"],
      ami: "ami-0123456789abcdef0",
      regions: [
        { region: "eu-west-1", vpcId: "vpc-0123abcd", subnetIds: ["subnet-0123abcd"] },
        { region: "us-east-1", vpcId: "vpc-0fedcba9", subnetTags: { Tier: "private" } },
      ],
    });
    expect(expectAllValid(config, "custom")).toHaveLength(3);
  });

  it("accepts a fleet of network load balancers that runs a release from a bucket the state stack creates, alarms to a topic, fixed size", () => {
    const config = baseFleet({
      releaseBucket: "acme-releases",
      loadBalancerType: "network",
      healthCheck: { path: "/healthz" },
      app: { release: { bucket: "acme-releases", key: "releases/cloudrim/abc.tgz", sha256: "a".repeat(64) } },
      scaling: false,
      alarms: { minutes: 10, topicArn: "arn:aws:sns:us-east-1:123456789012:on-call" },
      regions: [{ region: "us-east-1" }],
    });
    expectAllValid(config, "release");
  });

  it("accepts a fleet with every security option: TLS, proxy protocol, access logs, deletion protection, its own egress", () => {
    expect(expectAllValid(securedFleet(), "secured")).toHaveLength(3);
  });

  it("accepts classic load balancers with TLS, proxy protocol and a log bucket of their own", () => {
    const config = baseFleet({
      internal: false,
      proxyProtocol: true,
      regions: [{ region: "us-east-1", tls: { certificateArn: certificateIn("us-east-1") }, accessLogs: true }],
    });
    expect(expectAllValid(config, "classic-tls")).toHaveLength(2);
  });

  it("rejects a stack Terraform cannot accept (so the checks above can fail)", () => {
    const [, region] = synthesizedStacks(baseFleet({ regions: [{ region: "us-east-1" }] }), join(outdir, "broken"));
    const dir = join(outdir, "broken", "stacks", region ?? "");
    const file = join(dir, "cdk.tf.json");
    const json = JSON.parse(readFileSync(file, "utf8")) as {
      resource: { aws_elb: Record<string, Record<string, unknown>> };
    };
    for (const elb of Object.values(json.resource.aws_elb)) elb.health_check = { target: "TCP:9000" };
    writeFileSync(file, JSON.stringify(json));
    const verdict = terraformValidate(dir);
    expect(verdict.valid).toBe(false);
    expect(verdict.diagnostics[0]?.summary).toMatch(/Missing required argument/);
  });
});
