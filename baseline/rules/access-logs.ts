import { baselineRule } from "../rule";
import { balancers } from "../terraform-json";

/** Access logs are all or nothing: a region that logs one load balancer's connections logs all of them. */
export const accessLogs = baselineRule({
  id: "access-logs",
  mirrors: { checkov: ["CKV_AWS_92", "CKV_AWS_91"] },
  requires: "access logs on every load balancer of a region that logs any",
  reason:
    "Access logs are the record of who connected, which an investigation needs; a region that logs some of its load " +
    "balancers and not others has a blind spot where nobody expects one.",
  check: (stack) => {
    const lbs = balancers(stack);
    if (!lbs.some((lb) => lb.accessLogs)) return [];
    return lbs
      .filter((lb) => !lb.accessLogs)
      .map((lb) => ({
        address: lb.address,
        problem: "has no access logs while the region's other load balancers do",
        fix: "enable access_logs on every load balancer of the region (accessLogs)",
      }));
  },
});
