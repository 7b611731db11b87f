"""PutCompositeAlarm (the region's all-ports alarm).

moto stores composite alarms already (put_metric_alarm reads AlarmRule, and DescribeAlarms lists alarms with a
rule as CompositeAlarms), but routes no action to it: "not implemented", which the AWS provider retries for many
minutes. The action goes to moto's own code path.
"""

from moto.cloudwatch.responses import CloudWatchResponse


def install() -> None:
    CloudWatchResponse.put_composite_alarm = CloudWatchResponse.put_metric_alarm
