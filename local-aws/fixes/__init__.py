"""What our stacks need from AWS and moto 5.2 lacks, restored in moto's own classes; local-aws/moto_server.py
calls install() before it serves. Each fix makes moto answer as AWS does for calls the AWS provider or the
rollout makes; without them the provider retries a missing action until it times out, or plans a change on every
run. docs/local-aws-internals.md ("moto and its fixes") lists them with what they restore.

  composite_alarms     PutCompositeAlarm
  alarm_evaluation     metric, metric-math and composite alarms judged each local minute from the metric data put
                       (alarm_rules decides; off unless CLOUDRIM_LOCAL_AWS_ALARM_MINUTE gives the minute's seconds)
  scaling_policies     DescribePolicies: Enabled, no empty PredictiveScalingConfiguration
  template_user_data   a launch from a version made by CreateLaunchTemplateVersion with user data
  refresh_api          StartInstanceRefresh, DescribeInstanceRefreshes, CancelInstanceRefresh,
                       RollbackInstanceRefresh; each refresh runs in refresh_run, deciding by refresh_rules,
                       launching through group_launches (each instance shows the version it was launched from)
  unhealthy_replacement  SetInstanceHealth Unhealthy: the group replaces the instance a few seconds later
  group_settings       InstanceMaintenancePolicy and DefaultInstanceWarmup kept on a group
  lifecycle_hooks      DescribeLifecycleHooks: no invented role or notification target
  lifecycle_actions    CompleteLifecycleAction (CONTINUE recorded, ABANDON: the group replaces the instance, through
                       group_launches) and RecordLifecycleActionHeartbeat, with AWS's validation
  rule_descriptions    DescribeSecurityGroupRules: the description of a rule that names another group
  elb_registration     DescribeInstanceHealth: OutOfService for a new instance's first checks (off by default:
                       CLOUDRIM_LOCAL_AWS_REGISTRATION_SECONDS turns it on)
  elb_detach           DetachLoadBalancers: the instances leave the load balancers it names, not every one
  route53_recreate     ChangeResourceRecordSets: CREATE refused only when that very record set exists
  live_health          DescribeInstanceHealth, DescribeTargetHealth: what a live fleet's runner saw, from the file
                       CLOUDRIM_LOCAL_AWS_LIVE_HEALTH names (unset: moto's answer); after elb_registration, whose
                       answer it wraps
  live_launches        while the live fleet runs (live_health's file exists): an instance that has not completed its
                       group's launch hook shows Pending:Wait, a refresh waits for the instances it launched to
                       complete it, and a hook's HeartbeatTimeout applies its DefaultResult; after lifecycle_actions

refresh_rules and alarm_rules import no moto, and this package imports the fixes in install() only: the rules load without it.
"""

_installed = False


def install() -> None:
    """Patches moto, once: a second call (a test module after another) changes nothing."""
    global _installed
    if _installed:
        return
    from fixes import (
        alarm_evaluation,
        composite_alarms,
        elb_detach,
        elb_registration,
        group_settings,
        lifecycle_actions,
        lifecycle_hooks,
        live_health,
        live_launches,
        refresh_api,
        route53_recreate,
        rule_descriptions,
        scaling_policies,
        template_user_data,
        unhealthy_replacement,
    )

    for fix in (
        composite_alarms,
        alarm_evaluation,
        scaling_policies,
        template_user_data,
        refresh_api,
        unhealthy_replacement,
        group_settings,
        lifecycle_hooks,
        lifecycle_actions,
        rule_descriptions,
        elb_registration,
        elb_detach,
        route53_recreate,
        live_health,
        live_launches,
    ):
        fix.install()
    _installed = True
