import { exceptionFromPattern } from "../../../baseline/engine";
import { listenerTls } from "../../../baseline/rules/listener-tls";
import { checkRule, compliantRegion, findingsOf, LB_GROUP, STACK } from "./stacks";

describe("listener-tls: a TLS listener on every load balancer reachable from outside the VPC", () => {
  it("passes an internal load balancer with a plaintext listener, and a public one with a TLS listener", () => {
    const stack = compliantRegion();
    expect(findingsOf(listenerTls, stack.resources)).toEqual([]);
    stack.elb.internal = false;
    stack.elb.listener = [{ lb_port: 9000, lb_protocol: "SSL" }];
    expect(findingsOf(listenerTls, stack.resources)).toEqual([]);
  });

  it("fails a public classic load balancer with a plaintext listener, naming it and the fix", () => {
    const stack = compliantRegion();
    stack.elb.internal = false;
    expect(findingsOf(listenerTls, stack.resources)).toEqual([
      {
        rule: "listener-tls",
        mirrors: ["CKV_AWS_127", "CKV_AWS_2", "AWS-0054"],
        stack: STACK,
        address: "aws_elb.port9000",
        problem: "is reachable from outside the VPC (internal: false) and its listener is plaintext TCP",
        fix: "set tls.certificateArn (an ACM certificate in the region) for a TLS listener, or internal: true",
      },
    ]);
  });

  it("judges a network load balancer by its listeners", () => {
    const { resources } = compliantRegion();
    delete resources.aws_elb;
    const listener: Record<string, unknown> = {
      load_balancer_arn: "${aws_lb.port9000.arn}",
      port: 9000,
      protocol: "TCP",
    };
    resources.aws_lb = { port9000: { internal: false, security_groups: [LB_GROUP] } };
    resources.aws_lb_listener = { listener9000: listener };
    expect(findingsOf(listenerTls, resources).map((f) => f.address)).toEqual(["aws_lb.port9000"]);
    listener.protocol = "TLS";
    expect(findingsOf(listenerTls, resources)).toEqual([]);
  });

  it("honours a fleet file's exception for the deployment's load balancers (docs/security.md's example)", () => {
    const stack = compliantRegion();
    stack.elb.internal = false;
    stack.elbs["balancers_port-9001_0A1B2C3D"] = stack.elb;
    const endToEnd = exceptionFromPattern(
      "listener-tls",
      "shop-prod-*/aws_*.balancers_port-*",
      "the clients speak TLS end to end to the service itself",
    );
    const result = checkRule(listenerTls, stack.resources, [endToEnd]);
    expect(result.excepted.map((e) => [e.finding.address, e.reason])).toEqual([
      ["aws_elb.balancers_port-9001_0A1B2C3D", "the clients speak TLS end to end to the service itself"],
    ]);
    expect(result.findings.map((f) => f.address)).toEqual(["aws_elb.port9000"]);
  });
});
