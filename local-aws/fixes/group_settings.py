"""Two Auto Scaling group settings moto drops and AWS keeps, set by CreateAutoScalingGroup and
UpdateAutoScalingGroup:

- InstanceMaintenancePolicy: the policy for replacing unhealthy instances (launch the successor before
  terminating, with min/max healthy percentages), described back; without it the provider plans to set it again
  on every run. Both values -1 remove it, as on AWS.
- DefaultInstanceWarmup: an instance refresh without an InstanceWarmup preference uses it. -1 clears it, as on AWS.
"""

from typing import Callable

from moto.autoscaling.responses import AutoScalingResponse
from moto.core.responses import ActionResult

Responder = Callable[[AutoScalingResponse], ActionResult]


def _with_default_instance_warmup(respond: Responder) -> Responder:
    def responder(self: AutoScalingResponse) -> ActionResult:
        result = respond(self)
        warmup = self._get_int_param("DefaultInstanceWarmup")
        group = self.autoscaling_backend.autoscaling_groups.get(self._get_param("AutoScalingGroupName"))
        if warmup is not None and group is not None:
            group.default_instance_warmup = None if warmup == -1 else warmup
        return result

    return responder


def _with_instance_maintenance_policy(respond: Responder) -> Responder:
    def responder(self: AutoScalingResponse) -> ActionResult:
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


def install() -> None:
    for action in ("create_auto_scaling_group", "update_auto_scaling_group"):
        respond = getattr(AutoScalingResponse, action)
        setattr(AutoScalingResponse, action, _with_instance_maintenance_policy(_with_default_instance_warmup(respond)))
