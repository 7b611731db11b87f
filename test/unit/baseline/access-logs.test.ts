import { accessLogs } from "../../../baseline/rules/access-logs";
import { compliantRegion, findingsOf, LB_GROUP, STACK } from "./stacks";

describe("access-logs: every load balancer of a region logs, once one does", () => {
  it("passes a region that logs none of its load balancers, and one that logs all of them", () => {
    const stack = compliantRegion();
    stack.elbs.port9001 = { ...stack.elb };
    expect(findingsOf(accessLogs, stack.resources)).toEqual([]);
    stack.elbs.port9000 = { ...stack.elb, access_logs: { bucket: "logs" } };
    stack.elbs.port9001 = { ...stack.elb, access_logs: [{ bucket: "logs", enabled: "true" }] };
    expect(findingsOf(accessLogs, stack.resources)).toEqual([]);
  });

  it("fails the load balancer a logging region leaves out, naming it and the fix", () => {
    const stack = compliantRegion();
    stack.elbs.port9001 = { ...stack.elb, access_logs: { bucket: "logs", enabled: true } };
    expect(findingsOf(accessLogs, stack.resources)).toEqual([
      {
        rule: "access-logs",
        mirrors: ["CKV_AWS_92", "CKV_AWS_91"],
        stack: STACK,
        address: "aws_elb.port9000",
        problem: "has no access logs while the region's other load balancers do",
        fix: "enable access_logs on every load balancer of the region (accessLogs)",
      },
    ]);
  });

  it("counts a network load balancer's access logs only when enabled", () => {
    const { resources } = compliantRegion();
    delete resources.aws_elb;
    resources.aws_lb = {
      port9000: { security_groups: [LB_GROUP], access_logs: { bucket: "logs", enabled: true } },
      port9001: { security_groups: [LB_GROUP], access_logs: { bucket: "logs" } },
    };
    expect(findingsOf(accessLogs, resources).map((f) => f.address)).toEqual(["aws_lb.port9001"]);
  });
});
