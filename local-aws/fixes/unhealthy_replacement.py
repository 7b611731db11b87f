"""An instance set Unhealthy is replaced by its group, as AWS does; moto only records the status, and the instance
stays in the group, Unhealthy, for ever.

AWS: "After an instance has been marked unhealthy ..., it is almost immediately scheduled for replacement. It never
automatically recovers its health." The group terminates it, then launches what its desired capacity lacks, from
its own launch template version (during a refresh that has not succeeded, the version it had before). Until then
the instance stays in the group, Unhealthy, for anyone to see: here for REPLACEMENT_DELAY_SECONDS of real time, so a
poller (a rollout, a refresh) sees it, as it would on AWS (5 s; the environment variable
CLOUDRIM_LOCAL_AWS_UNHEALTHY_REPLACEMENT_SECONDS sets it for a server). A group with ReplaceUnhealthy suspended
keeps it.

Not emulated: ShouldRespectGracePeriod (AWS may ignore the call during the group's health check grace period; here
it always counts), and the activities AWS records for the replacement.
"""

from __future__ import annotations

import os
import threading

from moto.autoscaling.models import AutoScalingBackend, FakeAutoScalingGroup, InstanceState

from fixes.emulator_settings import seconds
from fixes.group_launches import LaunchSetting, launch, terminate
from fixes.refresh_run import LOCK

ENVIRONMENT_VARIABLE = "CLOUDRIM_LOCAL_AWS_UNHEALTHY_REPLACEMENT_SECONDS"
# How long an Unhealthy instance stays in its group before the group replaces it.
REPLACEMENT_DELAY_SECONDS = seconds(os.environ, ENVIRONMENT_VARIABLE, 5)


def launches_needed(in_service: int, desired_capacity: int) -> int:
    """What the group launches once it has terminated an unhealthy instance: what its desired capacity lacks, so a
    refresh that launched a replacement of its own (or a rollback) does not end up with one too many."""
    return max(0, desired_capacity - in_service)


def _replace(backend: AutoScalingBackend, group: FakeAutoScalingGroup, state: InstanceState) -> None:
    with LOCK:
        if backend.autoscaling_groups.get(group.name) is not group or state not in group.instance_states:
            return  # the group, or the instance, went meanwhile (a refresh or rollback replaced it)
        if state.health_status != "Unhealthy" or "ReplaceUnhealthy" in _suspended(group):
            return  # set Healthy again in time, or the group keeps its unhealthy instances
        terminate(backend, group, [state])
        needed = launches_needed(len(group.active_instances()), group.desired_capacity or 0)
        launch(backend, group, LaunchSetting.of(group).resolve(), needed)


def _suspended(group: FakeAutoScalingGroup) -> list[str]:
    return [process["ProcessName"] for process in group.suspended_processes]


def _group_of(backend: AutoScalingBackend, instance_id: str) -> tuple[FakeAutoScalingGroup, InstanceState] | None:
    for group in backend.autoscaling_groups.values():
        for state in group.instance_states:
            if state.instance.id == instance_id:
                return group, state
    return None


_set_instance_health_moto = AutoScalingBackend.set_instance_health


def _set_instance_health(self: AutoScalingBackend, instance_id: str, health_status: str) -> None:
    _set_instance_health_moto(self, instance_id, health_status)
    found = _group_of(self, instance_id)
    if health_status != "Unhealthy" or found is None:
        return
    group, state = found
    timer = threading.Timer(REPLACEMENT_DELAY_SECONDS, _replace, args=(self, group, state))
    timer.daemon = True  # a pending replacement never holds the server (or a test run) open
    timer.start()


def install() -> None:
    AutoScalingBackend.set_instance_health = _set_instance_health
