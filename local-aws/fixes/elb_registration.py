"""A classic load balancer reports a newly registered instance OutOfService for its first checks, as AWS does; moto
reports every running instance InService the moment it is registered. Off unless asked for.

AWS answers DescribeInstanceHealth for a new instance with "Instance registration is still in progress." (ReasonCode
ELB), then "Instance has not passed the configured HealthyThreshold number of health checks consecutively."
(ReasonCode Instance), then InService (Description and ReasonCode N/A). Here an instance shows each of the first two
for half of REGISTRATION_SECONDS of real time after its registration with that load balancer, then InService. moto's
own answer stands for everything else (Unknown for an instance not registered, OutOfService for one not running).

It is off by default (REGISTRATION_SECONDS 0), so a rehearsal waits for nothing it need not; the rollout reads these
two answers as "not yet", never as failure, and the rollout scenario runs with it on (test/e2e/rollout-and-retire).
Turn it on for a server with the environment variable CLOUDRIM_LOCAL_AWS_REGISTRATION_SECONDS
(docs/local-aws-internals.md).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from typing import Any

from moto.core.responses import ActionResult
from moto.elb.models import ELBBackend, LoadBalancer
from moto.elb.responses import ELBResponse

from fixes.emulator_settings import seconds
from fixes.kept import kept_dict

ENVIRONMENT_VARIABLE = "CLOUDRIM_LOCAL_AWS_REGISTRATION_SECONDS"

REGISTERING = "Instance registration is still in progress."
NOT_YET_HEALTHY = "Instance has not passed the configured HealthyThreshold number of health checks consecutively."

# How long a newly registered instance is OutOfService: registering for the first half, not yet healthy for the rest.
REGISTRATION_SECONDS = seconds(os.environ, ENVIRONMENT_VARIABLE, 0)


def registration_state(state: str, seconds_registered: float | None, window: float) -> dict[str, str]:
    """What DescribeInstanceHealth says of an instance moto reports in this state, registered this long ago (None:
    not known, as for one registered before the server had this fix)."""
    if state != "InService" or seconds_registered is None or seconds_registered >= window:
        return {"State": state, "ReasonCode": "N/A", "Description": "N/A"}
    if seconds_registered < window / 2:
        return {"State": "OutOfService", "ReasonCode": "ELB", "Description": REGISTERING}
    return {"State": "OutOfService", "ReasonCode": "Instance", "Description": NOT_YET_HEALTHY}


def _registered_at(balancer: LoadBalancer) -> dict[str, float]:
    """When each instance was registered with the balancer (time.monotonic()); kept on it, so it goes with it."""
    return kept_dict(balancer, "registered_at")
    return times


_register_instances_moto = ELBBackend.register_instances


def _register_instances(
    self: ELBBackend, load_balancer_name: str, instance_ids: Iterable[str], from_autoscaling: bool = False
) -> LoadBalancer:
    instance_ids = list(instance_ids)
    balancer = self.get_load_balancer(load_balancer_name)
    already = set(balancer.instance_ids) if balancer is not None else set()
    registered = _register_instances_moto(self, load_balancer_name, instance_ids, from_autoscaling)
    now = time.monotonic()
    times = _registered_at(registered)
    for instance_id in instance_ids:
        if instance_id not in already:
            times[instance_id] = now
    return registered


def _describe_instance_health(self: ELBResponse) -> ActionResult:
    name = self._get_param("LoadBalancerName")
    answered = self.elb_backend.describe_instance_health(name, self._get_param("Instances", []))
    times = _registered_at(self.elb_backend.get_load_balancer(name))
    now = time.monotonic()
    states: list[dict[str, Any]] = []
    for instance in answered:
        registered = times.get(instance["InstanceId"])
        since = None if registered is None else now - registered
        states.append(
            {"InstanceId": instance["InstanceId"], **registration_state(instance["State"], since, REGISTRATION_SECONDS)}
        )
    return ActionResult({"InstanceStates": states})


def install() -> None:
    ELBBackend.register_instances = _register_instances
    ELBResponse.describe_instance_health = _describe_instance_health
