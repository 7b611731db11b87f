import {
  adoptableAddresses,
  adoptionCandidates,
  adoptionLine,
  decideAdoption,
  importBlocks,
  listedAddresses,
  madeFromPrefix,
  recordImportId,
  sameDnsName,
  type AdoptionCandidate,
} from "../../../adoption/decide";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { TerraformPlanJson, TerraformResourceChange } from "../../../terraform/plan-json";

const OWNER = { service: "shop", deployment: "prod" };

const change = (address: string, actions: string[], after: Record<string, unknown> = {}): TerraformResourceChange => ({
  address,
  mode: "managed",
  type: address.split(".")[0] ?? "",
  change: { actions, before: null, after },
});

function decided<T>(decision: T | undefined): T {
  if (decision === undefined) throw new Error("expected a decision");
  return decision;
}

const role: AdoptionCandidate = {
  address: "aws_iam_role.instance_role_8EBCA72E",
  type: "aws_iam_role",
  planned: { name: "shop-prod-us-east-1" },
};

describe("adopting what an interrupted apply left behind", () => {
  describe("which planned resources are looked for", () => {
    const plan: TerraformPlanJson = {
      resource_changes: [
        change("aws_iam_role.instance_role_8EBCA72E", ["create"], { name: "shop-prod-us-east-1" }),
        // In state already: unchanged, updated or replaced resources are never adopted.
        change("aws_elb.balancers_port-9000_09C667E7", ["no-op"], { name: "shop-prod-9000" }),
        change("aws_elb.balancers_port-9001_CE4C248A", ["update"], { name: "shop-prod-9001" }),
        change("aws_lb.balancers_port-9002_B3E2E12E", ["delete", "create"], { name: "shop-prod-9002" }),
        // Created with AWS's create-or-replace call: converges on an orphan by itself.
        change("aws_cloudwatch_metric_alarm.alarms_port-9000_310967C1", ["create"], { alarm_name: "x" }),
        { ...change("data.aws_vpc.default", ["read"]), mode: "data" },
      ],
    };

    it("are the plan's creations of types whose creation trips over an existing object", () => {
      expect(adoptionCandidates(plan)).toEqual([role]);
    });

    it("cover every adoptable resource a synthesized stack holds, by address", () => {
      expect(
        adoptableAddresses({
          resource: {
            aws_iam_role: { instance_role_8EBCA72E: {} },
            aws_launch_template: { "service_launch-template_CDD6BC09": {} },
            aws_cloudwatch_dashboard: { monitoring_dashboard_4CE328EF: {} },
          },
        }),
      ).toEqual(["aws_iam_role.instance_role_8EBCA72E", "aws_launch_template.service_launch-template_CDD6BC09"]);
    });
  });

  describe("the decision", () => {
    it("adopts an object tagged with the fleet's service and deployment", () => {
      const decision = decideAdoption(
        role,
        {
          importId: "shop-prod-us-east-1",
          label: "shop-prod-us-east-1",
          tags: { Service: "shop", Deployment: "prod" },
        },
        OWNER,
      );
      expect(decision).toEqual({
        kind: "adopt",
        address: role.address,
        importId: "shop-prod-us-east-1",
        label: "shop-prod-us-east-1",
        by: "tags",
      });
      expect(adoptionLine(decided(decision))).toBe(
        "adopting aws_iam_role.instance_role_8EBCA72E (shop-prod-us-east-1): in AWS with this fleet's tags, but not in the stack's state (an interrupted apply made it)",
      );
    });

    it("never adopts an object of another deployment or another fleet, and says whose it is", () => {
      const staging = decideAdoption(
        role,
        { importId: "x", label: "shop-prod-us-east-1", tags: { Service: "shop", Deployment: "staging" } },
        OWNER,
      );
      expect(staging).toMatchObject({ kind: "foreign" });
      expect(adoptionLine(decided(staging))).toBe(
        "not adopting aws_iam_role.instance_role_8EBCA72E (shop-prod-us-east-1): exists, tagged Service=shop Deployment=staging: it belongs to another fleet or deployment; delete it, or change service or deployment",
      );
      expect(
        decideAdoption(role, { importId: "x", label: "l", tags: { Service: "cart", Deployment: "prod" } }, OWNER),
      ).toMatchObject({ kind: "foreign" });
    });

    it("never adopts an object made outside any fleet (no Service and Deployment tags)", () => {
      expect(decideAdoption(role, { importId: "x", label: "shop-prod-9001", tags: { team: "web" } }, OWNER)).toEqual({
        kind: "foreign",
        address: role.address,
        label: "shop-prod-9001",
        why: "exists without Service and Deployment tags: it was made outside this fleet",
      });
    });

    it("adopts an untagged kind (a record, a group's rule) only when it is exactly what the stack would create", () => {
      const record: AdoptionCandidate = {
        address: "aws_route53_record.dns_alias-9000_A30D528E",
        type: "aws_route53_record",
        planned: {},
      };
      const exact = decideAdoption(record, { importId: "Z_a_A", label: "a A", identical: true }, OWNER);
      expect(exact).toMatchObject({ kind: "adopt", by: "identical" });
      expect(adoptionLine(decided(exact))).toBe(
        "adopting aws_route53_record.dns_alias-9000_A30D528E (a A): in AWS exactly as this stack would make it, but not in the stack's state (an interrupted apply made it)",
      );
      expect(decideAdoption(record, { importId: "Z_a_A", label: "a A", identical: false }, OWNER)).toMatchObject({
        kind: "foreign",
        why: "exists and differs from what this stack would create",
      });
    });

    it("has nothing to decide when AWS has nothing under the name", () => {
      expect(decideAdoption(role, undefined, OWNER)).toBeUndefined();
    });
  });

  it("writes Terraform import blocks for the adopted only", () => {
    expect(
      importBlocks([
        { kind: "adopt", address: "aws_iam_role.r", importId: "shop-prod-us-east-1", label: "", by: "tags" },
        { kind: "foreign", address: "aws_elb.e", label: "", why: "" },
      ]),
    ).toEqual({ import: [{ to: "aws_iam_role.r", id: "shop-prod-us-east-1" }] });
  });

  it("recognises a launch template made from the stack's prefix, and no other", () => {
    expect(madeFromPrefix("shop-prod-us-east-1-20261201103000123400000001", "shop-prod-us-east-1-")).toBe(true);
    expect(madeFromPrefix("shop-prod-us-east-1-canary", "shop-prod-us-east-1-")).toBe(false);
    expect(madeFromPrefix("shop-prod-us-east-1-x-20261201103000123400000001", "shop-prod-us-east-1-")).toBe(false);
  });

  it("compares alias targets as Route 53 writes them, and names records as Terraform imports them", () => {
    expect(
      sameDnsName(
        "dualstack.Shop-Prod-9000-1.us-east-1.elb.amazonaws.com.",
        "shop-prod-9000-1.us-east-1.elb.amazonaws.com",
      ),
    ).toBe(true);
    expect(sameDnsName("shop-prod-9000-1.elb.amazonaws.com", "shop-prod-9001-1.elb.amazonaws.com")).toBe(false);
    expect(recordImportId("Z123", "shop.us-east-1.shop.com.", "A", "prod-9000")).toBe(
      "Z123_shop.us-east-1.shop.com_A_prod-9000",
    );
    expect(recordImportId("Z123", "shop0.prod.us-east-1.shop.com", "A")).toBe("Z123_shop0.prod.us-east-1.shop.com_A");
  });

  it("reads a state list, and a stack never applied as an empty state rather than a failure", () => {
    const noState = readFileSync(join(__dirname, "..", "..", "terraform-output", "no-state.txt"), "utf8");
    expect(listedAddresses(1, noState)).toEqual(new Set());
    expect(listedAddresses(1, "Error: error loading state: AccessDenied")).toBeUndefined();
    expect(listedAddresses(0, "data.aws_ami.service_image_1\naws_iam_role.instance_role_8EBCA72E\n\n")).toEqual(
      new Set(["data.aws_ami.service_image_1", "aws_iam_role.instance_role_8EBCA72E"]),
    );
  });
});
