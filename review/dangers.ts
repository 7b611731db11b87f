/*
 * Pure: the changes a reviewer must not miss (a load balancer, record, zone, group or security group
 * replaced or deleted, the state bucket touched, a change of load balancer type), each with why it matters.
 */
import type { Change } from "../terraform/plan-json";
import type { StackSummary } from "./topology";

export interface Danger {
  readonly stack: string;
  readonly change: Change;
  readonly why: string;
}

const DANGEROUS_TYPES: Readonly<Record<string, string>> = {
  aws_elb: "load balancer",
  aws_lb: "load balancer",
  aws_lb_target_group: "target group",
  aws_lb_listener: "listener",
  aws_route53_record: "DNS record",
  aws_route53_zone: "hosted zone",
  aws_security_group: "security group",
  aws_autoscaling_group: "Auto Scaling group",
};

/** Changes a reviewer must not miss: lost load balancers, records, groups, and anything on the state bucket. */
export function dangersOf(summary: StackSummary): Danger[] {
  const [before, after] = [summary.before.loadBalancerTypes.join(", "), summary.after.loadBalancerTypes.join(", ")];
  const typeChange: Danger[] =
    before !== "" && after !== "" && before !== after
      ? [
          {
            stack: summary.stack,
            change: { address: "", type: "load balancer type", action: "replace", forcedBy: [] },
            why: `changes the load balancer type ${before} → ${after}: every load balancer of the region is replaced (new DNS names behind every record)`,
          },
        ]
      : [];
  return typeChange.concat(
    summary.changes.flatMap((change): Danger[] => {
      const kind = DANGEROUS_TYPES[change.type];
      const removes = change.action === "replace" || change.action === "delete";
      if (kind !== undefined && removes) {
        const forced = change.forcedBy.length > 0 ? ` (forced by ${change.forcedBy.join(", ")})` : "";
        const stuck =
          change.deletionProtected === true
            ? ": its deletion protection is on, so this apply fails there; deploy deletionProtection: false first, then this change"
            : "";
        return [{ stack: summary.stack, change, why: `${change.action}s a ${kind}${forced}${stuck}` }];
      }
      if (change.type.startsWith("aws_s3_bucket") && summary.stack.endsWith("-state")) {
        return [{ stack: summary.stack, change, why: `${change.action}s the state bucket's configuration` }];
      }
      if (change.type === "aws_s3_bucket" && removes) {
        return [
          { stack: summary.stack, change, why: `${change.action}s the region's access log bucket, and the logs in it` },
        ];
      }
      return [];
    }),
  );
}
