"""Instance refresh for moto's Auto Scaling groups, run in real time the way AWS documents it.

moto 5.2 implements none of StartInstanceRefresh, DescribeInstanceRefreshes, CancelInstanceRefresh and
RollbackInstanceRefresh. The AWS provider starts a refresh whenever a group's launch template changes (after
cancelling an active one), and a deploy tool polls DescribeInstanceRefreshes to judge the rollout, so each
refresh here runs on its own thread: it replaces instances in batches (launching first when
MaxHealthyPercentage > 100, terminating first otherwise), waits out the instance warmup, watches the CloudWatch
alarms and the health of the instances it launched, pauses at checkpoints and for the bake time, and ends
Successful, Failed, Cancelled or rolled back as AWS would. local-aws/moto_server.py calls install() at startup.

Not emulated: the ReplaceRootVolume strategy, a DesiredConfiguration with a MixedInstancesPolicy, warm pools,
lifecycle hooks holding new instances in Pending:Wait (moto launches straight to InService), load balancer
health checks (an instance is unhealthy only by SetInstanceHealth), scale-outs during a refresh launching the
desired configuration, and the hour AWS retries unhealthy replacements before failing (it fails at once).
"""

from __future__ import annotations

import math
import random
import sys
import threading
import time
import traceback
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable

from moto.autoscaling.exceptions import AutoscalingClientError, ValidationError
from moto.autoscaling.models import (
    ASG_NAME_TAG,
    AutoScalingBackend,
    FakeAutoScalingGroup,
    InstanceState,
)
from moto.autoscaling.responses import AutoScalingResponse
from moto.cloudwatch.models import cloudwatch_backends
from moto.core.exceptions import ServiceException
from moto.core.responses import ActionResult
from moto.core.utils import utcnow
from moto.ec2.models.launch_templates import LaunchTemplate, LaunchTemplateVersion

# The statuses in which AWS counts a refresh as active: a second StartInstanceRefresh is refused, and the
# group's launch template can't be changed while one with a desired configuration is active.
ACTIVE = ("Pending", "InProgress", "Cancelling", "RollbackInProgress", "Baking")
# How often a waiting refresh looks at its alarms, its new instances' health and Cancel/Rollback requests.
POLL_SECONDS = 0.25
# AWS waits this long for protected or Standby instances (the "Wait" preferences) before it fails.
WAIT_LIMIT_SECONDS = 3600

# Guards the refresh records and the moto objects a refresh thread changes. Auto Scaling requests take it
# too (install() wraps call_action), so a DescribeAutoScalingGroups never sees a batch half launched.
_LOCK = threading.RLock()


class InstanceRefreshInProgress(AutoscalingClientError):
    code = "InstanceRefreshInProgress"


class ActiveInstanceRefreshNotFound(AutoscalingClientError):
    code = "ActiveInstanceRefreshNotFound"


class IrreversibleInstanceRefresh(AutoscalingClientError):
    code = "IrreversibleInstanceRefresh"


class _Interrupted(Exception):
    """Stops the replacement loop: a Cancel or Rollback request, a failure, or the group's deletion."""

    def __init__(self, outcome: str, reason: str) -> None:
        super().__init__(reason)
        self.outcome = outcome  # "cancel", "rollback", "fail" or "gone"
        self.reason = reason
        # Launch-before-terminate batch still warming up when the refresh stopped: (new, old) instances.
        self.in_flight: tuple[list[InstanceState], list[InstanceState]] = ([], [])


@dataclass(frozen=True)
class _Config:
    """A group's launch template setting: the template and the version as set on the group."""

    template: LaunchTemplate | None
    version: str | None  # "3", "$Latest" or "$Default"

    @staticmethod
    def of(group: FakeAutoScalingGroup) -> _Config:
        if group.ec2_launch_template is None:
            return _Config(None, None)
        return _Config(group.ec2_launch_template, getattr(group, "launch_template_version", None))

    def resolve(self) -> LaunchTemplateVersion | None:
        if self.template is None:
            return None
        return self.template.get_version(self.version or "$Default")

    @property
    def is_numbered(self) -> bool:
        return self.template is not None and self.version is not None and self.version.isdigit()


def _launched_from(state: InstanceState) -> LaunchTemplateVersion | None:
    return getattr(state, "launched_from", None)


def _matches(state: InstanceState, version: LaunchTemplateVersion | None) -> bool:
    launched = _launched_from(state)
    return (
        launched is not None
        and version is not None
        and launched.template is version.template
        and launched.number == version.number
    )


@dataclass(eq=False)
class _Refresh:
    id: str
    backend: AutoScalingBackend
    group: FakeAutoScalingGroup
    strategy: str
    preferences: dict[str, Any]
    desired_configuration: dict[str, Any] | None
    start_config: _Config
    status: str = "Pending"
    status_reason: str | None = None
    start_time: datetime = field(default_factory=utcnow)
    end_time: datetime | None = None
    total: int = 0
    replaced: int = 0
    instances_to_update: int = 0
    rollback_details: dict[str, Any] | None = None
    rollback_total: int = 0
    launched: list[InstanceState] = field(default_factory=list)
    cancel_requested: bool = False
    rollback_requested: str | None = None

    # --- what DescribeInstanceRefreshes returns

    @property
    def percentage_complete(self) -> int:
        if self.status == "Successful":
            return 100
        if self.rollback_details is not None:
            # AWS: during a rollback the percentage "gradually goes back down to zero", from where it was.
            still_new = sum(1 for state in self.launched if state in self.group.instance_states)
            start = self.rollback_details["PercentageCompleteOnRollback"]
            return math.floor(start * still_new / self.rollback_total) if self.rollback_total else 0
        return math.floor(self.replaced * 100 / self.total) if self.total else 0

    def describe(self) -> dict[str, Any]:
        progress = {"PercentageComplete": self.percentage_complete, "InstancesToUpdate": self.instances_to_update}
        result: dict[str, Any] = {
            "InstanceRefreshId": self.id,
            "AutoScalingGroupName": self.group.name,
            "Status": self.status,
            "StatusReason": self.status_reason,
            "StartTime": self.start_time,
            "EndTime": self.end_time,
            "PercentageComplete": progress["PercentageComplete"],
            "InstancesToUpdate": progress["InstancesToUpdate"],
            "ProgressDetails": {"LivePoolProgress": progress},
            "Preferences": self.preferences,
            "DesiredConfiguration": self.desired_configuration,
            "RollbackDetails": self.rollback_details,
            "Strategy": self.strategy,
        }
        return {key: value for key, value in result.items() if value is not None}

    # --- the configuration to launch

    def target(self) -> LaunchTemplateVersion | None:
        """The desired configuration's template version, or the group's current one (None: a launch
        configuration). Resolved at each launch: with $Latest or $Default, a version created during the
        refresh is the one AWS launches."""
        spec = (self.desired_configuration or {}).get("LaunchTemplate")
        if spec is not None:
            return _template_version(self.backend, spec)
        return _Config.of(self.group).resolve()

    # --- the thread

    def run(self) -> None:
        try:
            with _LOCK:
                self._set("InProgress")
            try:
                self._forward()
                self._bake()
            except _Interrupted as stop:
                self._stopped(stop)
                return
            with _LOCK:
                if self.desired_configuration is not None:
                    # AWS: "After the instance refresh succeeds, Amazon EC2 Auto Scaling updates the
                    # settings of the Auto Scaling group to reflect the new desired configuration."
                    self.group._set_launch_configuration("", self.desired_configuration["LaunchTemplate"], None)
                self.instances_to_update = 0
                self._finish("Successful", None)
        except Exception as error:  # a refresh must never take the server down: it fails, and says why
            traceback.print_exc(file=sys.stderr)
            with _LOCK:
                self._finish("Failed", f"Internal error in the local instance refresh: {error!r}")

    def _set(self, status: str) -> None:
        # Once cancelled, the refresh shows Cancelling until its thread ends it as Cancelled.
        if not self.cancel_requested:
            self.status = status

    def _finish(self, status: str, reason: str | None) -> None:
        self.status = status
        if reason is not None:
            self.status_reason = reason
        self.end_time = utcnow()

    def _forward(self) -> None:
        prefs = self.preferences
        with _LOCK:
            self._standby_terminate()
            target = self.target()
            candidates = [
                state
                for state in self.group.instance_states
                if self._candidate(state) and not (prefs["SkipMatching"] and _matches(state, target))
            ]
            self.total = len(candidates)
            self.instances_to_update = self.total
        checkpoints = list(prefs.get("CheckpointPercentages") or [])
        pending = candidates
        while True:
            pending = [state for state in pending if state in self.group.instance_states]
            if not pending:
                return
            self._wait(0)  # alarms, Cancel and Rollback are honoured between batches too
            ready = self._wait_for_replaceable(pending)
            size = self._batch_size()
            if checkpoints:
                goal = math.ceil(checkpoints[0] * self.total / 100)
                size = min(size, max(1, goal - self.replaced))
            batch = ready[:size]
            if prefs["MaxHealthyPercentage"] > 100:
                # Launch before terminating: capacity never drops below the desired capacity.
                with _LOCK:
                    new = self._launch(len(batch))
                try:
                    self._wait(prefs["InstanceWarmup"])
                except _Interrupted as stop:
                    stop.in_flight = (new, batch)
                    raise
                with _LOCK:
                    _terminate(self.backend, self.group, batch)
                    self._count(len(batch))
            else:
                # Terminate, then launch: capacity drops to MinHealthyPercentage at most.
                with _LOCK:
                    _terminate(self.backend, self.group, batch)
                    self._launch(len(batch))
                self._wait(prefs["InstanceWarmup"])
                with _LOCK:
                    self._count(len(batch))
            pending = [state for state in pending if state not in batch]
            if checkpoints and self.percentage_complete >= checkpoints[0]:
                checkpoints = [cp for cp in checkpoints if cp > self.percentage_complete]
                if pending:
                    with _LOCK:
                        self.status_reason = f"Waiting at checkpoint ({self.percentage_complete}% complete)."
                    self._wait(prefs.get("CheckpointDelay", 3600))
                    with _LOCK:
                        self.status_reason = None

    def _bake(self) -> None:
        bake_time = self.preferences.get("BakeTime", 0)
        if bake_time:
            with _LOCK:
                self._set("Baking")
            self._wait(bake_time)

    def _candidate(self, state: InstanceState) -> bool:
        prefs = self.preferences
        if state.lifecycle_state == "Standby":
            return prefs["StandbyInstances"] == "Wait"
        if state.lifecycle_state != "InService":
            return False
        return not (state.protected_from_scale_in and prefs["ScaleInProtectedInstances"] == "Ignore")

    def _replaceable(self, state: InstanceState) -> bool:
        return state.lifecycle_state == "InService" and not (
            state.protected_from_scale_in and self.preferences["ScaleInProtectedInstances"] == "Wait"
        )

    def _wait_for_replaceable(self, pending: list[InstanceState]) -> list[InstanceState]:
        """AWS's "Wait" preferences: hold the refresh until Standby instances return to service and
        scale-in protection is removed, for an hour at most."""
        deadline = time.monotonic() + WAIT_LIMIT_SECONDS
        while True:
            with _LOCK:
                ready = [state for state in pending if self._replaceable(state)]
                if ready:
                    self.status_reason = None
                    return ready
                blocked = pending[0]
                why = "in Standby" if blocked.lifecycle_state == "Standby" else "protected from scale in"
                self.status_reason = f"Waiting for instance {blocked.instance.id}, which is {why}."
            if time.monotonic() >= deadline:
                raise _Interrupted("fail", f"Instance {blocked.instance.id} stayed {why} for an hour.")
            self._wait(POLL_SECONDS)

    def _standby_terminate(self) -> None:
        if self.preferences["StandbyInstances"] == "Terminate":
            standby = [state for state in self.group.instance_states if state.lifecycle_state == "Standby"]
            _terminate(self.backend, self.group, standby)

    def _batch_size(self) -> int:
        prefs = self.preferences
        desired = self.group.desired_capacity or 0
        if prefs["MaxHealthyPercentage"] > 100:
            return max(1, math.floor(desired * (prefs["MaxHealthyPercentage"] - 100) / 100))
        return max(1, math.floor(desired * (100 - prefs["MinHealthyPercentage"]) / 100))

    def _launch(self, count: int) -> list[InstanceState]:
        new = _launch(self.backend, self.group, self.target(), count)
        self.launched.extend(new)
        return new

    def _count(self, count: int) -> None:
        self.replaced += count
        self.instances_to_update = max(0, self.total - self.replaced)

    def _wait(self, seconds: float, watch: bool = True) -> None:
        """Sleeps, looking every POLL_SECONDS at what can stop the refresh: the group's deletion, a Cancel
        or Rollback request and, while the refresh goes forward (watch), the alarms in AlarmSpecification
        and the health of the instances this refresh launched."""
        deadline = time.monotonic() + seconds
        while True:
            with _LOCK:
                if self.backend.autoscaling_groups.get(self.group.name) is not self.group:
                    raise _Interrupted("gone", "The Auto Scaling group was deleted.")
                if self.cancel_requested:
                    raise _Interrupted("cancel", "The instance refresh was cancelled.")
                if watch and self.rollback_requested is not None:
                    raise _Interrupted("rollback", self.rollback_requested)
                if watch:
                    reason = self._failure()
                    if reason is not None:
                        raise _Interrupted("fail", reason)
            left = deadline - time.monotonic()
            if left <= 0:
                return
            time.sleep(min(POLL_SECONDS, left))

    def _failure(self) -> str | None:
        alarms = cloudwatch_backends[self.backend.account_id][self.backend.region_name].alarms
        for name in self.preferences.get("AlarmSpecification", {}).get("Alarms", []):
            alarm = alarms.get(name)
            if alarm is not None and alarm.state_value == "ALARM":
                return f"The instance refresh failed because CloudWatch alarm {name} is in the ALARM state."
        for state in self.launched:
            if state.health_status == "Unhealthy" and state in self.group.instance_states:
                return (
                    f"The instance refresh failed because instance {state.instance.id}, which it launched, "
                    "is Unhealthy."
                )
        return None

    # --- how a stopped refresh ends

    def _stopped(self, stop: _Interrupted) -> None:
        if stop.outcome == "gone":
            with _LOCK:
                self._finish("Failed", stop.reason)
            return
        with _LOCK:
            # A launch-before-terminate batch still warming up counts as deployed: its instances stay, and
            # the group sheds the instances they were replacing (as its default termination policy, oldest
            # launch template first, would to get back to its desired capacity).
            new, old = stop.in_flight
            surplus = len(self.group.active_instances()) - (self.group.desired_capacity or 0)
            _terminate(self.backend, self.group, old[: max(0, min(surplus, len(new)))])
            if stop.outcome == "cancel":
                self._finish("Cancelled", None)
                return
            if stop.outcome == "fail" and not self.preferences["AutoRollback"]:
                self._finish("Failed", stop.reason)
                return
            # An automatic rollback after a failure, or a requested one.
            progress = {"PercentageComplete": self.percentage_complete, "InstancesToUpdate": self.instances_to_update}
            self.rollback_details = {
                "RollbackReason": stop.reason,
                "RollbackStartTime": utcnow(),
                "PercentageCompleteOnRollback": progress["PercentageComplete"],
                "InstancesToUpdateOnRollback": progress["InstancesToUpdate"],
                "ProgressDetailsOnRollback": {"LivePoolProgress": progress},
            }
            self.launched = [state for state in self.launched if state in self.group.instance_states]
            self.rollback_total = len(self.launched)
            self._set("RollbackInProgress")
            self.status_reason = stop.reason
        try:
            self._rollback()
        except _Interrupted as again:
            with _LOCK:
                if again.outcome == "cancel":
                    self._finish("Cancelled", None)
                else:
                    self._finish("RollbackFailed", again.reason)
            return
        with _LOCK:
            self._finish("RollbackSuccessful", None)

    def _rollback(self) -> None:
        """Replaces the instances this refresh launched with the configuration the group had when the
        refresh started ("the configuration that you last saved on the Auto Scaling group before starting
        the instance refresh"), in batches as the preferences say."""
        version = self.start_config.resolve()
        while True:
            with _LOCK:
                pending = [state for state in self.launched if state in self.group.instance_states]
            if not pending:
                return
            batch = pending[: self._batch_size()]
            if self.preferences["MaxHealthyPercentage"] > 100:
                with _LOCK:
                    _launch(self.backend, self.group, version, len(batch))
                self._wait(self.preferences["InstanceWarmup"], watch=False)
                with _LOCK:
                    _terminate(self.backend, self.group, batch)
            else:
                with _LOCK:
                    _terminate(self.backend, self.group, batch)
                    _launch(self.backend, self.group, version, len(batch))
                self._wait(self.preferences["InstanceWarmup"], watch=False)


def _refreshes(backend: AutoScalingBackend) -> dict[str, list[_Refresh]]:
    """The backend's refreshes by group name, oldest first. Kept on the backend so that moto's reset
    drops them with everything else."""
    registry: dict[str, list[_Refresh]] | None = getattr(backend, "instance_refreshes", None)
    if registry is None:
        registry = {}
        backend.instance_refreshes = registry  # type: ignore[attr-defined]
    return registry


def _active(backend: AutoScalingBackend, group_name: str) -> _Refresh | None:
    return next((r for r in _refreshes(backend).get(group_name, []) if r.status in ACTIVE), None)


def _group(backend: AutoScalingBackend, name: str) -> FakeAutoScalingGroup:
    group = backend.autoscaling_groups.get(name)
    if group is None:
        raise ValidationError(f"AutoScalingGroup name not found - AutoScalingGroup {name} not found")
    return group


def _template_version(backend: AutoScalingBackend, spec: dict[str, Any]) -> LaunchTemplateVersion:
    template_id, name = spec.get("LaunchTemplateId"), spec.get("LaunchTemplateName")
    if bool(template_id) == bool(name):
        raise ValidationError("Valid requests must contain either launchTemplateId or LaunchTemplateName")
    try:
        ec2 = backend.ec2_backend
        template = ec2.get_launch_template(template_id) if template_id else ec2.get_launch_template_by_name(name)
        return template.get_version(spec.get("Version") or "$Default")
    except ServiceException as error:
        raise ValidationError(f"You must use a valid fully-formed launch template. {error.message}") from None


def _launch(
    backend: AutoScalingBackend,
    group: FakeAutoScalingGroup,
    version: LaunchTemplateVersion | None,
    count: int,
) -> list[InstanceState]:
    """Launches instances into the group as moto launches any group instance (tags, subnet, load balancers,
    target groups), from the given template version (None: the group's launch configuration)."""
    if count <= 0:
        return []
    before = list(group.instance_states)
    if version is None:
        _replace_instances(group, count, group.get_propagated_tags())
    else:
        _launch_from_template(group, version, count, group.get_propagated_tags())
    new = [state for state in group.instance_states if state not in before]
    if backend.autoscaling_groups.get(group.name) is group:
        backend.update_attached_elbs(group.name)
        backend.update_attached_target_groups(group.name)
    return new


def _terminate(backend: AutoScalingBackend, group: FakeAutoScalingGroup, states: list[InstanceState]) -> None:
    """Terminates group instances without a replacement (moto's TerminateInstances response would launch
    one), deregistering them from the group's load balancers and target groups."""
    states = [state for state in states if state in group.instance_states]
    if not states:
        return
    group.instance_states = [state for state in group.instance_states if state not in states]
    ids = [state.instance.id for state in states]
    backend.ec2_backend.terminate_instances(ids)
    backend.elbv2_backend.notify_terminate_instances(ids)
    if backend.autoscaling_groups.get(group.name) is group:
        backend.update_attached_elbs(group.name)


def _launch_from_template(
    group: FakeAutoScalingGroup,
    version: LaunchTemplateVersion,
    count: int,
    propagated_tags: dict[str, str],
) -> None:
    """moto's replace_autoscaling_group_instances, launching the given template version. moto passes the
    template without a version, so EC2 takes key pair, security group IDs, tags and block devices (and the
    user data, when the group's version has none) from the template's default version, and tags every
    instance aws:ec2launchtemplate:version=<default>."""
    propagated_tags[ASG_NAME_TAG] = group.name
    propagated_tags.update(version.instance_tags)
    subnet_id = group.vpc_zone_identifier.split(",")[0] if group.vpc_zone_identifier else None
    reservation = group.autoscaling_backend.ec2_backend.run_instances(
        version.image_id,
        count,
        version.user_data,
        version.security_groups,
        instance_type=version.instance_type,
        tags={"instance": propagated_tags},
        placement=random.choice(group.availability_zones),
        launch_config=group.launch_config,
        launch_template={"LaunchTemplateId": version.template.id, "Version": str(version.number)},
        is_instance_type_default=False,
        associate_public_ip=group.launch_config.associate_public_ip_address if group.launch_config else None,
        subnet_id=subnet_id,
    )
    for instance in reservation.instances:
        instance.autoscaling_group = group
        state = InstanceState(instance, protected_from_scale_in=group.new_instances_protected_from_scale_in)
        state.launched_from = version  # type: ignore[attr-defined]
        group.instance_states.append(state)


_replace_instances_moto = FakeAutoScalingGroup.replace_autoscaling_group_instances


def _replace_instances(group: FakeAutoScalingGroup, count_needed: int, propagated_tags: dict[str, str]) -> None:
    """Every launch of a template group (scaling, replacing a terminated instance) goes through here, so
    that each instance records the version it was launched from."""
    if group.ec2_launch_template is None:
        _replace_instances_moto(group, count_needed, propagated_tags)
        return
    _launch_from_template(group, _Config.of(group).resolve(), count_needed, propagated_tags)  # type: ignore[arg-type]


_instance_launch_template_moto = InstanceState.launch_template


def _instance_launch_template(self: InstanceState) -> dict[str, Any] | None:
    """AWS shows, for each instance, the template version it was launched from; moto shows the template's
    default version for every instance, which hides an unfinished rollout."""
    version = _launched_from(self)
    if version is None:
        return _instance_launch_template_moto.fget(self)  # type: ignore[attr-defined]
    return {
        "LaunchTemplateId": version.template.id,
        "LaunchTemplateName": version.template.name,
        "Version": str(version.number),
    }


# --- the API


def _preferences(group: FakeAutoScalingGroup, given: dict[str, Any]) -> dict[str, Any]:
    """The preferences with AWS's defaults filled in, validated as AWS validates them."""
    if "MaxHealthyPercentage" in given and "MinHealthyPercentage" not in given:
        raise ValidationError("If you specify MaxHealthyPercentage, you must also specify MinHealthyPercentage.")
    low, high = given.get("MinHealthyPercentage", 90), given.get("MaxHealthyPercentage", 100)
    if not 0 <= low <= 100 or not 100 <= high <= 200:
        raise ValidationError(
            "MinHealthyPercentage must be between 0 and 100, and MaxHealthyPercentage between 100 and 200."
        )
    if high - low > 100:
        raise ValidationError(
            "The difference between MaxHealthyPercentage and MinHealthyPercentage cannot be greater than 100."
        )
    if low == 100 and high == 100:
        raise ValidationError("MinHealthyPercentage and MaxHealthyPercentage cannot both be 100.")
    warmup = given.get("InstanceWarmup")
    if warmup is None:
        warmup = getattr(group, "default_instance_warmup", None)
    if warmup is None:
        warmup = group.health_check_grace_period or 0
    prefs: dict[str, Any] = {
        "MinHealthyPercentage": low,
        "MaxHealthyPercentage": high,
        "InstanceWarmup": warmup,
        "SkipMatching": bool(given.get("SkipMatching", False)),
        "AutoRollback": bool(given.get("AutoRollback", False)),
        "ScaleInProtectedInstances": given.get("ScaleInProtectedInstances") or "Wait",
        "StandbyInstances": given.get("StandbyInstances") or "Wait",
    }
    checkpoints = given.get("CheckpointPercentages") or []
    if "CheckpointDelay" in given and not checkpoints:
        raise ValidationError("CheckpointDelay requires CheckpointPercentages.")
    if checkpoints:
        if checkpoints != sorted(set(checkpoints)) or not all(1 <= cp <= 100 for cp in checkpoints):
            raise ValidationError("CheckpointPercentages must be unique values from 1 to 100 in ascending order.")
        prefs["CheckpointPercentages"] = checkpoints
        prefs["CheckpointDelay"] = given.get("CheckpointDelay", 3600)
    if given.get("BakeTime") is not None:
        prefs["BakeTime"] = given["BakeTime"]
    alarms = (given.get("AlarmSpecification") or {}).get("Alarms") or []
    if alarms:
        known = cloudwatch_backends[group.account_id][group.region].alarms
        missing = [name for name in alarms if name not in known]
        if missing:
            raise ValidationError(f"The specified CloudWatch alarms do not exist: {', '.join(missing)}.")
        prefs["AlarmSpecification"] = {"Alarms": alarms}
    return prefs


def start_instance_refresh(self: AutoScalingResponse) -> ActionResult:
    backend = self.autoscaling_backend
    group = _group(backend, self._get_param("AutoScalingGroupName"))
    strategy = self._get_param("Strategy") or "Rolling"
    if strategy != "Rolling":
        raise ValidationError(f"The local AWS supports the Rolling strategy only, not {strategy}.")
    desired = self._get_param("DesiredConfiguration") or None
    if desired is not None and desired.get("MixedInstancesPolicy"):
        raise ValidationError("The local AWS supports a DesiredConfiguration with a LaunchTemplate only.")
    if desired is not None and desired.get("LaunchTemplate"):
        _template_version(backend, desired["LaunchTemplate"])  # refuse a template or version that doesn't exist
    else:
        desired = None
    prefs = _preferences(group, self._get_param("Preferences") or {})
    start_config = _Config.of(group)
    if prefs["AutoRollback"]:
        if desired is None:
            raise ValidationError(
                "The request isn't valid. The AutoRollback parameter cannot be set to true when the "
                "DesiredConfiguration parameter is empty. Set AutoRollback to false or specify a desired "
                "configuration and try again."
            )
        if not start_config.is_numbered:
            raise ValidationError(
                "The request isn't valid. The AutoRollback parameter cannot be set to true when the Auto Scaling "
                "group uses a launch configuration or the $Latest or $Default launch template version. Set "
                "AutoRollback to false or set a numbered launch template version on the group and try again."
            )
    if _active(backend, group.name) is not None:
        raise InstanceRefreshInProgress(
            "An Instance Refresh is already in progress and blocks the execution of this Instance Refresh."
        )
    refresh = _Refresh(
        id=str(uuid.uuid4()),
        backend=backend,
        group=group,
        strategy=strategy,
        preferences=prefs,
        desired_configuration=desired,
        start_config=start_config,
    )
    _refreshes(backend).setdefault(group.name, []).append(refresh)
    threading.Thread(target=refresh.run, name=f"instance-refresh-{refresh.id}", daemon=True).start()
    return ActionResult({"InstanceRefreshId": refresh.id})


def describe_instance_refreshes(self: AutoScalingResponse) -> ActionResult:
    backend = self.autoscaling_backend
    group = _group(backend, self._get_param("AutoScalingGroupName"))
    ids = self._get_param("InstanceRefreshIds") or []
    refreshes = [r for r in reversed(_refreshes(backend).get(group.name, [])) if not ids or r.id in ids]
    start = int(self._get_param("NextToken") or 0)
    size = self._get_int_param("MaxRecords") or 50
    page = refreshes[start : start + size]
    next_token = str(start + size) if start + size < len(refreshes) else None
    return ActionResult({"InstanceRefreshes": [r.describe() for r in page], "NextToken": next_token})


def _no_active_refresh(group: FakeAutoScalingGroup) -> ActiveInstanceRefreshNotFound:
    return ActiveInstanceRefreshNotFound(
        f"No in progress or pending Instance Refresh found for Auto Scaling group {group.name}"
    )


def cancel_instance_refresh(self: AutoScalingResponse) -> ActionResult:
    backend = self.autoscaling_backend
    group = _group(backend, self._get_param("AutoScalingGroupName"))
    refresh = _active(backend, group.name)
    if refresh is None:
        raise _no_active_refresh(group)
    # AWS cancels a refresh or a rollback in progress; the thread stops at its next look (POLL_SECONDS).
    refresh.cancel_requested = True
    refresh.status = "Cancelling"
    return ActionResult({"InstanceRefreshId": refresh.id})


def rollback_instance_refresh(self: AutoScalingResponse) -> ActionResult:
    backend = self.autoscaling_backend
    group = _group(backend, self._get_param("AutoScalingGroupName"))
    refresh = _active(backend, group.name)
    if refresh is None or refresh.status not in ("Pending", "InProgress", "Baking"):
        raise _no_active_refresh(group)
    if refresh.desired_configuration is None or not refresh.start_config.is_numbered:
        raise IrreversibleInstanceRefresh(
            "The request failed because a desired configuration was not found or an incompatible launch template "
            "(uses a Systems Manager parameter instead of an AMI ID) or launch template version ($Latest or "
            "$Default) is present on the Auto Scaling group."
        )
    refresh.rollback_requested = "Rollback initiated by the user (RollbackInstanceRefresh)."
    return ActionResult({"InstanceRefreshId": refresh.id})


_update_group_moto = AutoScalingBackend.update_auto_scaling_group


def _update_group(self: AutoScalingBackend, *args: Any, **kwargs: Any) -> FakeAutoScalingGroup:
    # AWS refuses to change the group's launch source while a refresh with a desired configuration is
    # active (the refresh applies it when it succeeds); the provider hits this on a second apply.
    if kwargs.get("launch_config_name") or kwargs.get("launch_template") or kwargs.get("mixed_instances_policy"):
        refresh = _active(self, kwargs.get("name", args[0] if args else ""))
        if refresh is not None and refresh.desired_configuration is not None:
            raise ValidationError(
                "An active instance refresh with a desired configuration exists. All configuration options "
                "derived from the desired configuration are not available for update while the instance "
                "refresh is active."
            )
    return _update_group_moto(self, *args, **kwargs)


_delete_group_moto = AutoScalingBackend.delete_auto_scaling_group


def _delete_group(self: AutoScalingBackend, group_name: str) -> None:
    # A refresh dies with its group (its thread sees the group gone), and so does its history.
    _delete_group_moto(self, group_name)
    _refreshes(self).pop(group_name, None)


def _with_default_instance_warmup(
    respond: Callable[[AutoScalingResponse], ActionResult],
) -> Callable[[AutoScalingResponse], ActionResult]:
    # moto drops DefaultInstanceWarmup; an instance refresh without an InstanceWarmup preference uses it.
    def responder(self: AutoScalingResponse) -> ActionResult:
        result = respond(self)
        warmup = self._get_int_param("DefaultInstanceWarmup")
        group = self.autoscaling_backend.autoscaling_groups.get(self._get_param("AutoScalingGroupName"))
        if warmup is not None and group is not None:
            group.default_instance_warmup = None if warmup == -1 else warmup  # -1 clears it, as on AWS
        return result

    return responder


def install() -> None:
    """Adds the four instance refresh actions to moto's Auto Scaling and the launch bookkeeping they need."""
    # moto routes Action=StartInstanceRefresh to a response method named start_instance_refresh, found by name.
    AutoScalingResponse.start_instance_refresh = start_instance_refresh
    AutoScalingResponse.describe_instance_refreshes = describe_instance_refreshes
    AutoScalingResponse.cancel_instance_refresh = cancel_instance_refresh
    AutoScalingResponse.rollback_instance_refresh = rollback_instance_refresh

    call_action = AutoScalingResponse.call_action

    def call_action_locked(self: AutoScalingResponse) -> Any:
        with _LOCK:
            return call_action(self)

    AutoScalingResponse.call_action = call_action_locked
    AutoScalingResponse.create_auto_scaling_group = _with_default_instance_warmup(
        AutoScalingResponse.create_auto_scaling_group
    )
    AutoScalingResponse.update_auto_scaling_group = _with_default_instance_warmup(
        AutoScalingResponse.update_auto_scaling_group
    )
    AutoScalingBackend.update_auto_scaling_group = _update_group
    AutoScalingBackend.delete_auto_scaling_group = _delete_group
    FakeAutoScalingGroup.replace_autoscaling_group_instances = _replace_instances
    InstanceState.launch_template = property(_instance_launch_template)
