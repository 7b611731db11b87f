"""moto_server with what our stacks need from AWS and moto 5.2 lacks, restored at startup.

Run as `python3 scripts/moto_server.py -H 127.0.0.1 -p 5055` (scripts/local-aws.ts does). Each fix makes moto
answer as AWS does for one call the AWS provider makes; without them the provider retries a missing action
until it times out, or plans a change on every run. docs/local-aws.md lists them with what they restore.
"""

import sys

from moto.autoscaling.models import FakeScalingPolicy
from moto.cloudwatch.responses import CloudWatchResponse
from moto.server import main

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

if __name__ == "__main__":
    sys.exit(main())
