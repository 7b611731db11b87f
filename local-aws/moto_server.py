"""moto_server with what our stacks need from AWS and moto 5.2 lacks, restored at startup.

Run as `python3 local-aws/moto_server.py -H 127.0.0.1 -p 5055` (local-aws/adapters/emulator.ts does). Each fix makes moto
answer as AWS does for one call the AWS provider makes; without them the provider retries a missing action
until it times out, or plans a change on every run. docs/local-aws-internals.md ("moto and its fixes")
lists them with what they restore.
"""

import sys

from moto.autoscaling.models import FakeScalingPolicy, LifecycleHook
from moto.autoscaling.responses import AutoScalingResponse
from moto.cloudwatch.responses import CloudWatchResponse
from moto.core.types import Base64EncodedString
from moto.ec2.models.security_groups import SecurityGroupRule
from moto.ec2.models.launch_templates import LaunchTemplate
from moto.ec2.utils import parse_user_data
from moto.server import main

# The launcher's own directory is on sys.path when it runs as a script.
import local_aws_refresh

# 1. PutCompositeAlarm. moto stores composite alarms already (put_metric_alarm reads AlarmRule, and
#    DescribeAlarms lists alarms with a rule as CompositeAlarms), but routes no action to it.
CloudWatchResponse.put_composite_alarm = CloudWatchResponse.put_metric_alarm

_create_policy = FakeScalingPolicy.__init__


def _policy_as_aws_describes_it(self, *args, **kwargs):
    _create_policy(self, *args, **kwargs)
    # 2. AWS creates scaling policies enabled and says so (Enabled: true); moto leaves the field out, which
    #    the provider reads as false and plans to re-enable.
    self.enabled = True
    # 3. AWS returns no PredictiveScalingConfiguration for other policy types; moto returns an empty one,
    #    which the provider plans to remove.
    if not self.predictive_scaling_configuration:
        self.predictive_scaling_configuration = None


FakeScalingPolicy.__init__ = _policy_as_aws_describes_it

_create_template_version = LaunchTemplate.create_version


def _version_with_parsed_user_data(self, data, description):
    # 4. CreateLaunchTemplateVersion. AWS launches from any version of a template; moto's
    #    create_launch_template_version stores the version's UserData as the string it received, skipping the
    #    parsing create_launch_template does, so the next Auto Scaling launch from that version (a scale-out,
    #    a replacement, an instance refresh after the provider changed the user data) fails an assert: 500.
    user_data = data.get("UserData")
    if user_data is not None and not isinstance(user_data, Base64EncodedString):
        data["UserData"] = parse_user_data(user_data)
    return _create_template_version(self, data, description)


LaunchTemplate.create_version = _version_with_parsed_user_data

# 5. Instance refresh (StartInstanceRefresh, DescribeInstanceRefreshes, CancelInstanceRefresh,
#    RollbackInstanceRefresh), none of which moto implements. The provider starts a refresh whenever a group
#    with an instance_refresh block gets a new launch template version, and retries a missing action until
#    it times out; a deploy tool polls the refresh to judge the rollout. local-aws/local_aws_refresh.py runs
#    each refresh in real time as AWS does, and makes DescribeAutoScalingGroups show the template version
#    each instance was launched from (moto shows the template's default version for every instance).
local_aws_refresh.install()


def _with_instance_maintenance_policy(respond):
    # 6. InstanceMaintenancePolicy. AWS keeps a group's policy for replacing unhealthy instances (launch the
    #    successor before terminating, with min/max healthy percentages) and describes it back; moto drops
    #    it, so the provider plans to set it again on every run. Both values -1 remove it, as on AWS.
    def responder(self):
        result = respond(self)
        given = {
            key: self._get_int_param(f"InstanceMaintenancePolicy.{key}")
            for key in ("MinHealthyPercentage", "MaxHealthyPercentage")
        }
        group = self.autoscaling_backend.autoscaling_groups.get(self._get_param("AutoScalingGroupName"))
        if group is not None and any(value is not None for value in given.values()):
            removed = all(value == -1 for value in given.values())
            group.instance_maintenance_policy = None if removed else given
        return result

    return responder


AutoScalingResponse.create_auto_scaling_group = _with_instance_maintenance_policy(
    AutoScalingResponse.create_auto_scaling_group
)
AutoScalingResponse.update_auto_scaling_group = _with_instance_maintenance_policy(
    AutoScalingResponse.update_auto_scaling_group
)

_create_hook = LifecycleHook.__init__


def _hook_as_given(self, *args, **kwargs):
    # 7. DescribeLifecycleHooks. AWS describes a hook's role and notification target only when they were
    #    given; moto invents both for every hook (a queue and a role of another account), which the provider
    #    plans to remove on every run. PutLifecycleHook here takes neither, so a hook has none.
    _create_hook(self, *args, **kwargs)
    self.role_arn = None
    self.notification_target_arn = None


LifecycleHook.__init__ = _hook_as_given

# 8. DescribeSecurityGroupRules: a rule's Description. moto keeps the description of a rule that names
#    another security group (it is in DescribeSecurityGroups' UserIdGroupPairs) but reads a rule's
#    description from its CIDR only, so the provider plans to set it again on every run.
SecurityGroupRule.description = property(
    lambda self: self.ip_range.get("Description") or (self.source_group or {}).get("Description")
)

if __name__ == "__main__":
    sys.exit(main())
