import type { BaselineException } from "../../../baseline/engine";
import { noPublicIngress } from "../../../baseline/rules/no-public-ingress";
import { checkRule, compliantRegion, findingsOf, LB_GROUP, STACK } from "./stacks";

describe("no-public-ingress: the internet comes in only on a public load balancer's listener", () => {
  it("passes ingress from a private range", () => {
    expect(findingsOf(noPublicIngress, compliantRegion().resources)).toEqual([]);
  });

  it("fails ingress from anywhere to an internal load balancer, naming the rule and the fix", () => {
    const stack = compliantRegion();
    stack.listener.cidr_ipv4 = "0.0.0.0/0";
    expect(findingsOf(noPublicIngress, stack.resources)).toEqual([
      {
        rule: "no-public-ingress",
        mirrors: ["CKV_AWS_260", "CKV_AWS_24", "CKV_AWS_25", "AWS-0107"],
        stack: STACK,
        address: "aws_vpc_security_group_ingress_rule.listener",
        problem: "admits 0.0.0.0/0 on ports 9000-9000, not only a public load balancer's listener",
        fix: "narrow the CIDR (allowedCidrs), or admit anywhere only on the listener of a load balancer with internal: false",
      },
    ]);
  });

  it("passes ingress from anywhere on exactly the listener port of a public load balancer, classic or network", () => {
    const stack = compliantRegion();
    stack.listener.cidr_ipv4 = "0.0.0.0/0";
    stack.elb.internal = false;
    expect(findingsOf(noPublicIngress, stack.resources)).toEqual([]);
    delete stack.resources.aws_elb;
    stack.resources.aws_lb = { port9000: { internal: "false", security_groups: [LB_GROUP] } };
    stack.resources.aws_lb_listener = { l: { load_balancer_arn: "${aws_lb.port9000.arn}", port: 9000 } };
    expect(findingsOf(noPublicIngress, stack.resources)).toEqual([]);
  });

  it("fails ingress from anywhere on more than the listener port, or to a group no load balancer uses", () => {
    const stack = compliantRegion();
    stack.elb.internal = false;
    delete stack.listener.cidr_ipv4;
    Object.assign(stack.listener, { cidr_ipv6: "::/0", to_port: 9010 });
    expect(findingsOf(noPublicIngress, stack.resources).map((f) => f.problem)).toEqual([
      "admits ::/0 on ports 9000-9010, not only a public load balancer's listener",
    ]);
    Object.assign(stack.listener, { to_port: 9000, security_group_id: "${aws_security_group.instances_1234ABCD.id}" });
    expect(findingsOf(noPublicIngress, stack.resources).map((f) => f.problem)).toEqual([
      "admits ::/0 on ports 9000-9000, not only a public load balancer's listener",
    ]);
  });

  it("sets a finding an exception covers apart, with the exception's reason", () => {
    const stack = compliantRegion();
    stack.listener.cidr_ipv4 = "0.0.0.0/0";
    const partner: BaselineException = {
      rule: "no-public-ingress",
      resources: /^shop-prod-us-east-1\//,
      reason: "a partner's network",
    };
    const covered = checkRule(noPublicIngress, stack.resources, [partner]);
    expect(covered.findings).toEqual([]);
    expect(covered.excepted.map((e) => [e.finding.address, e.reason])).toEqual([
      ["aws_vpc_security_group_ingress_rule.listener", "a partner's network"],
    ]);
    const elsewhere = checkRule(noPublicIngress, stack.resources, [partner], "shop-prod-eu-west-1");
    expect(elsewhere.findings.map((f) => f.stack)).toEqual(["shop-prod-eu-west-1"]);
  });
});
