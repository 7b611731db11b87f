import { readFileSync } from "node:fs";
import { join } from "node:path";
import { explainTerraformError, firstError, formatTerraformError } from "../../../terraform/errors";
import { shapeOrThrow } from "../../../fleet/validate";
import { baseFleet, DEFAULT_APP } from "../../fixtures";

/** Terraform's own output, captured from real runs against the local AWS (test/terraform-output/). */
const output = (name: string) => readFileSync(join(__dirname, "..", "..", "terraform-output", `${name}.txt`), "utf8");

const shape = shapeOrThrow(
  baseFleet({
    regions: [{ region: "us-east-1" }, { region: "eu-west-1", vpcId: "vpc-0123abcd", subnetTags: { Tier: "private" } }],
  }),
  DEFAULT_APP,
);
const explain = (name: string, stack: string) => {
  const error = firstError(output(name));
  if (error === undefined) throw new Error(`no error in ${name}`);
  return explainTerraformError(error, shape, stack);
};

describe("reading Terraform's first error", () => {
  it("takes the summary and the resource it names", () => {
    expect(firstError(output("zone-not-found"))).toEqual({
      summary: "no matching Route 53 Hosted Zone found",
      address: "data.aws_route53_zone.zone",
    });
  });

  it("takes a failed precondition's own message, and the resource that carries it", () => {
    const error = firstError(output("two-subnets-per-zone"));
    expect(error?.summary).toBe("Resource precondition failed");
    expect(error?.address).toBe("aws_autoscaling_group.service_group_A399C41F");
    expect(error?.detail).toMatch(
      /^In VPC vpc-\w+, every subnet of the VPC \(no subnetTags\) put several subnets in one availability zone: subnet-\w+ \(eu-west-1a\), .* set subnetTags to pick one per zone \(e\.g\. \{"Tier": "private"\}\) or list subnetIds\.$/,
    );
  });

  it("drops the SDK's transport preamble but keeps AWS's error code and message", () => {
    const error = firstError(output("duplicate-load-balancer"));
    expect(error === undefined ? "" : formatTerraformError(error)).toBe(
      "creating ELB Classic Load Balancer (cloudrim-e2e-9001): HTTP 400: DuplicateLoadBalancerName: The specified " +
        "load balancer name already exists for this account: cloudrim-e2e-9001 (aws_elb.balancers_port-9001_CE4C248A)",
    );
  });

  it("finds nothing in output without an error", () => {
    expect(firstError("Apply complete! Resources: 1 added, 0 changed, 0 destroyed.")).toBeUndefined();
  });
});

describe("what to change in the fleet config", () => {
  it("names ami, the lookup and the region when no image matches", () => {
    expect(explain("ami-not-found", "cloudrim-prod-us-east-1")).toBe(
      'ami: no image in us-east-1 matches newest "debian-12-amd64-*" of 136693071363 for x86_64; set ami (fleet-wide ' +
        'or in regions[0]) to an image id that exists in us-east-1, or to a lookup {"owners", "name"} that finds one',
    );
  });

  it("names domain and createHostedZone when the zone does not exist", () => {
    expect(explain("zone-not-found", "cloudrim-prod-eu-west-1")).toBe(
      'domain: this account has no public hosted zone "example.com"; create it (and delegate it), or set ' +
        "createHostedZone: true to have the fleet create a public one in cloudrim-prod-dns",
    );
  });

  it("names deployment when a load balancer name is taken outside the stack", () => {
    expect(explain("duplicate-load-balancer", "cloudrim-prod-eu-west-1")).toBe(
      "deployment: a load balancer named cloudrim-e2e-9001 already exists in eu-west-1 outside this stack (a leftover, " +
        "or another fleet with the same service and deployment names); delete it, or change service or deployment",
    );
  });

  it("names state.bucket when the bucket name belongs to another account", () => {
    const error = {
      summary:
        "creating S3 Bucket (cloudrim-state): operation error S3: CreateBucket, https response error StatusCode: 409, RequestID: X, BucketAlreadyExists: ",
    };
    expect(explainTerraformError(error, shape, "cloudrim-prod-state")).toBe(
      'state.bucket: "cloudrim-state" belongs to another AWS account (bucket names are global); choose a name of your own',
    );
  });

  it("names accountId when the credentials belong to another account", () => {
    const error = firstError(output("account-not-allowed"));
    if (error === undefined) throw new Error("no error in account-not-allowed");
    const pinned = shapeOrThrow(baseFleet({ accountId: "111111111111" }), DEFAULT_APP);
    expect(formatTerraformError(error)).toBe(
      'AWS account ID not allowed: 123456789012 (provider["registry.terraform.io/hashicorp/aws"])',
    );
    expect(explainTerraformError(error, pinned, "cloudrim-prod-us-east-1")).toBe(
      "accountId: these credentials belong to account 123456789012, not the fleet's 111111111111; " +
        "use credentials (a profile or role) for the fleet's account, or correct accountId if the fleet moved",
    );
  });

  it("leaves errors the config cannot fix to Terraform's own words", () => {
    expect(explain("two-subnets-per-zone", "cloudrim-prod-eu-west-1")).toBeUndefined();
    expect(explainTerraformError({ summary: "something else" }, shape, "cloudrim-prod-us-east-1")).toBeUndefined();
  });
});
