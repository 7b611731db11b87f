import type { Finding } from "../../../baseline/engine";
import { exceptionRows, formatFinding } from "../../../baseline/format";

const finding = (address: string, rule = "no-open-egress"): Finding => ({
  rule,
  mirrors: ["CKV_AWS_382", "AWS-0104"],
  stack: "shop-prod-us-east-1",
  address,
  problem: "allows egress to 0.0.0.0/0 on port 443",
  fix: "list the destinations the instances need in instanceEgress (a CIDR or prefix list per port)",
});

describe("the baseline's findings as the synth prints them", () => {
  it("name the rule, the scanners' ids, the stack, the resource, the problem and the fix, on one line", () => {
    expect(formatFinding(finding("aws_vpc_security_group_egress_rule.out"))).toBe(
      "no-open-egress (CKV_AWS_382, AWS-0104): shop-prod-us-east-1 aws_vpc_security_group_egress_rule.out: allows egress to 0.0.0.0/0 on port 443; fix: list the destinations the instances need in instanceEgress (a CIDR or prefix list per port)",
    );
  });
});

describe("the accepted findings as the plan report lists them", () => {
  it("make one row per rule and reason, naming every resource it covers", () => {
    const rows = exceptionRows([
      { finding: finding("aws_vpc_security_group_egress_rule.out-443"), reason: "HTTPS to AWS's APIs" },
      { finding: finding("aws_vpc_security_group_egress_rule.out-80"), reason: "apt over HTTP" },
      {
        finding: { ...finding("aws_vpc_security_group_egress_rule.out-443"), stack: "shop-prod-eu-west-1" },
        reason: "HTTPS to AWS's APIs",
      },
    ]);
    expect(rows).toEqual([
      "| no-open-egress (CKV_AWS_382, AWS-0104) | `shop-prod-us-east-1` `aws_vpc_security_group_egress_rule.out-443`<br>`shop-prod-eu-west-1` `aws_vpc_security_group_egress_rule.out-443` | HTTPS to AWS's APIs |",
      "| no-open-egress (CKV_AWS_382, AWS-0104) | `shop-prod-us-east-1` `aws_vpc_security_group_egress_rule.out-80` | apt over HTTP |",
    ]);
  });
});
