import type { BaselineException } from "./engine";

/*
 * The baseline's findings this project accepts by design, in one place, each with its reason (as
 * cdk-nag's suppressions are). A pattern matches `{stack}/{terraform address}`; keep each as narrow as the
 * resource it is about. A fleet adds its own in the fleet file (`baselineExceptions`), and the plan report
 * lists every one that applied.
 */
export const PROJECT_EXCEPTIONS: readonly BaselineException[] = [
  {
    rule: "iam-no-wildcards",
    resources: /\/aws_iam_role_policy\.instance_session-manager_[0-9A-F]{8}$/,
    reason:
      "Session Manager's channels (ssmmessages:*Channel, ec2messages:*) and ssm:UpdateInstanceInformation have no " +
      "resource-level permissions, so AWS's own minimal Session Manager policy grants them on *; nothing of Parameter " +
      "Store is in it (ssm: false drops the policy)",
  },
  {
    rule: "iam-no-wildcards",
    resources: /\/aws_iam_role_policy\.instance_group-health_[0-9A-F]{8}$/,
    reason:
      "autoscaling:DescribeAutoScalingGroups has no resource-level permissions; the watchdog reads its own group's " +
      "instances before a hand-over (its cap on hand-overs at a time), and the policy holds that one read-only action",
  },
  {
    rule: "no-open-egress",
    resources: /\/aws_vpc_security_group_egress_rule\.security_instances-out-443_[0-9A-F]{8}$/,
    reason:
      "the default instanceEgress: a booting instance reaches AWS's APIs (S3 for the release, Auto Scaling for its launch " +
      "hook, CloudWatch Logs, Session Manager) and the log agent's and Debian's package servers over HTTPS, from " +
      "addresses that are not fixed; list your own destinations in instanceEgress (prefix lists, VPC endpoints) to drop it",
  },
  {
    rule: "no-open-egress",
    resources: /\/aws_vpc_security_group_egress_rule\.security_instances-out-80_[0-9A-F]{8}$/,
    reason:
      "the default instanceEgress: Debian's package mirrors serve apt over HTTP (apt checks every package's signature); " +
      "a fleet whose image needs no packages at boot, or that mirrors them, sets instanceEgress without port 80",
  },
];
