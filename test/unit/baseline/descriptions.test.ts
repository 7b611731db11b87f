import { descriptions } from "../../../baseline/rules/descriptions";
import { compliantRegion, findingsOf, STACK } from "./stacks";

describe("descriptions: every security group and rule says what it admits", () => {
  it("passes groups and rules that each have a description", () => {
    const stack = compliantRegion();
    expect(findingsOf(descriptions, stack.resources)).toEqual([]);
    stack.group.ingress = [{ description: "the listener, from the office" }];
    stack.resources.aws_vpc_security_group_egress_rule = { out: { cidr_ipv4: "10.0.0.0/8", description: "the db" } };
    expect(findingsOf(descriptions, stack.resources)).toEqual([]);
  });

  it("fails a group with Terraform's default description, naming it and the fix", () => {
    const stack = compliantRegion();
    stack.group.description = "Managed by Terraform";
    expect(findingsOf(descriptions, stack.resources)).toEqual([
      {
        rule: "descriptions",
        mirrors: ["CKV_AWS_23", "AWS-0099", "AWS-0124"],
        stack: STACK,
        address: "aws_security_group.lb_ABCD1234",
        problem: "has no description",
        fix: "say what the group or rule admits and why (description)",
      },
    ]);
  });

  it("fails a group's inline rules and the separate rules without one, a blank one included", () => {
    const stack = compliantRegion();
    stack.group.egress = [{ description: "the db" }, { cidr_blocks: ["0.0.0.0/0"] }];
    stack.listener.description = "  ";
    stack.resources.aws_vpc_security_group_egress_rule = { out: { cidr_ipv4: "10.0.0.0/8" } };
    expect(findingsOf(descriptions, stack.resources).map((f) => f.address)).toEqual([
      "aws_security_group.lb_ABCD1234 (egress)",
      "aws_vpc_security_group_ingress_rule.listener",
      "aws_vpc_security_group_egress_rule.out",
    ]);
  });
});
