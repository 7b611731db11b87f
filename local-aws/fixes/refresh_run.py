"""One instance refresh, run on its own thread in real time the way AWS documents it.

It replaces instances in batches (launching first when MaxHealthyPercentage > 100, terminating first otherwise),
waits for the instances it launched to complete their launch lifecycle hooks (while a live fleet boots them:
live_launches.py), waits out the instance warmup, watches the CloudWatch alarms and the health of the instances it launched, pauses
at checkpoints and for the bake time, and ends Successful, Failed, Cancelled or rolled back as AWS would. What it
decides (batch sizes, checkpoints, progress, statuses) comes from refresh_rules.py; refresh_api.py starts it.
"""

from __future__ import annotations

import sys
import threading
import time
import traceback
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from moto.autoscaling.models import AutoScalingBackend, FakeAutoScalingGroup, InstanceState
from moto.cloudwatch.models import cloudwatch_backends
from moto.core.utils import utcnow
from moto.ec2.models.launch_templates import LaunchTemplateVersion

from fixes import refresh_rules as rules
from fixes.group_launches import LaunchSetting, launch, runs_version, template_version, terminate

# How often a waiting refresh looks at its alarms, its new instances' health and Cancel/Rollback requests.
POLL_SECONDS = 0.25
# AWS waits this long for protected or Standby instances (the "Wait" preferences) before it fails.
WAIT_LIMIT_SECONDS = 3600

# Guards the refresh records and the moto objects a refresh thread changes. Auto Scaling requests take it
# too (refresh_api.install() wraps call_action), so a DescribeAutoScalingGroups never sees a batch half launched.
LOCK = threading.RLock()


class Interrupted(Exception):
    """Stops the replacement loop: a Cancel or Rollback request, a failure, or the group's deletion."""

    def __init__(self, outcome: str, reason: str) -> None:
        super().__init__(reason)
        self.outcome = outcome  # "cancel", "rollback", "fail" or "gone"
        self.reason = reason
        # Launch-before-terminate batch still warming up when the refresh stopped: (new, old) instances.
        self.in_flight: tuple[list[InstanceState], list[InstanceState]] = ([], [])


@dataclass(eq=False)
class InstanceRefresh:
    id: str
    backend: AutoScalingBackend
    group: FakeAutoScalingGroup
    strategy: str
    preferences: dict[str, Any]
    desired_configuration: dict[str, Any] | None
    start_setting: LaunchSetting
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
        if self.rollback_details is None:
            return rules.percentage_complete(self.status, self.replaced, self.total)
        return rules.percentage_complete(
            self.status,
            self.replaced,
            self.total,
            rollback_start=self.rollback_details["PercentageCompleteOnRollback"],
            still_new=sum(1 for state in self.launched if state in self.group.instance_states),
            rollback_total=self.rollback_total,
        )

    def describe(self) -> dict[str, Any]:
        return rules.description(
            refresh_id=self.id,
            group_name=self.group.name,
            status=self.status,
            status_reason=self.status_reason,
            start_time=self.start_time,
            end_time=self.end_time,
            percentage=self.percentage_complete,
            instances_to_update=self.instances_to_update,
            preferences=self.preferences,
            desired_configuration=self.desired_configuration,
            rollback=self.rollback_details,
            strategy=self.strategy,
        )

    # --- the configuration to launch

    def target(self) -> LaunchTemplateVersion | None:
        """The desired configuration's template version, or the group's current one (None: a launch
        configuration). Resolved at each launch: with $Latest or $Default, a version created during the
        refresh is the one AWS launches."""
        spec = (self.desired_configuration or {}).get("LaunchTemplate")
        if spec is not None:
            return template_version(self.backend, spec)
        return LaunchSetting.of(self.group).resolve()

    # --- the thread

    def run(self) -> None:
        try:
            with LOCK:
                self._set("InProgress")
            try:
                self._forward()
                self._bake()
            except Interrupted as stop:
                self._stopped(stop)
                return
            with LOCK:
                if self.desired_configuration is not None:
                    # AWS: "After the instance refresh succeeds, Amazon EC2 Auto Scaling updates the
                    # settings of the Auto Scaling group to reflect the new desired configuration."
                    self.group._set_launch_configuration("", self.desired_configuration["LaunchTemplate"], None)
                self.instances_to_update = 0
                self._finish("Successful", None)
        except Exception as error:  # a refresh must never take the server down: it fails, and says why
            traceback.print_exc(file=sys.stderr)
            with LOCK:
                self._finish("Failed", f"Internal error in the local instance refresh: {error!r}")

    def _set(self, status: str) -> None:
        self.status = rules.shown_status(self.status, status, self.cancel_requested)

    def _finish(self, status: str, reason: str | None) -> None:
        self.status = status
        if reason is not None:
            self.status_reason = reason
        self.end_time = utcnow()

    def _forward(self) -> None:
        prefs = self.preferences
        with LOCK:
            self._standby_terminate()
            target = self.target()
            candidates = [
                state
                for state in self.group.instance_states
                if rules.is_candidate(state.lifecycle_state, state.protected_from_scale_in, prefs)
                and not (prefs["SkipMatching"] and runs_version(state, target))
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
            size = rules.batch_size_to_checkpoint(self._batch_size(), checkpoints, self.total, self.replaced)
            batch = ready[:size]
            if rules.launches_first(prefs):
                # Launch before terminating: capacity never drops below the desired capacity.
                with LOCK:
                    new = self._launch(len(batch))
                try:
                    self._wait_for_launches(new)
                    self._wait(prefs["InstanceWarmup"])
                except Interrupted as stop:
                    stop.in_flight = (new, batch)
                    raise
                with LOCK:
                    terminate(self.backend, self.group, batch)
                    self._count(len(batch))
            else:
                # Terminate, then launch: capacity drops to MinHealthyPercentage at most.
                with LOCK:
                    terminate(self.backend, self.group, batch)
                    new = self._launch(len(batch))
                self._wait_for_launches(new)
                self._wait(prefs["InstanceWarmup"])
                with LOCK:
                    self._count(len(batch))
            pending = [state for state in pending if state not in batch]
            if rules.checkpoint_reached(checkpoints, self.percentage_complete):
                checkpoints = rules.checkpoints_after(checkpoints, self.percentage_complete)
                if pending:
                    with LOCK:
                        self.status_reason = rules.checkpoint_reason(self.percentage_complete)
                    self._wait(prefs.get("CheckpointDelay", rules.DEFAULT_CHECKPOINT_DELAY))
                    with LOCK:
                        self.status_reason = None

    def _bake(self) -> None:
        bake_time = self.preferences.get("BakeTime", 0)
        if bake_time:
            with LOCK:
                self._set("Baking")
            self._wait(bake_time)

    def _wait_for_replaceable(self, pending: list[InstanceState]) -> list[InstanceState]:
        """AWS's "Wait" preferences: hold the refresh until Standby instances return to service and
        scale-in protection is removed, for an hour at most."""
        deadline = time.monotonic() + WAIT_LIMIT_SECONDS
        while True:
            with LOCK:
                ready = [
                    state
                    for state in pending
                    if rules.is_replaceable(state.lifecycle_state, state.protected_from_scale_in, self.preferences)
                ]
                if ready:
                    self.status_reason = None
                    return ready
                blocked = pending[0]
                why = rules.blocked_reason(blocked.lifecycle_state)
                self.status_reason = f"Waiting for instance {blocked.instance.id}, which is {why}."
            if time.monotonic() >= deadline:
                raise Interrupted("fail", f"Instance {blocked.instance.id} stayed {why} for an hour.")
            self._wait(POLL_SECONDS)

    def _wait_for_launches(self, new: list[InstanceState]) -> None:
        """AWS starts a batch's warmup once its new instances are InService: while a live fleet boots them, once each
        has completed its group's launch lifecycle hooks (live_launches.py). One that left the group without (its boot
        abandoned the launch, or the hook's timeout did) fails the refresh."""
        # Imported here: live_launches completes and abandons launches under this module's LOCK.
        from fixes.live_launches import unfinished_launches

        try:
            while True:
                with LOCK:
                    unfinished = unfinished_launches(self.backend, self.group, new)
                    if not unfinished:
                        return
                    for state in unfinished:
                        if state not in self.group.instance_states:
                            raise Interrupted(
                                "fail",
                                f"The instance refresh failed because instance {state.instance.id}, which it launched, "
                                "abandoned its launch lifecycle action.",
                            )
                    self.status_reason = (
                        f"Waiting for instance {unfinished[0].instance.id} to complete its launch lifecycle action."
                    )
                self._wait(POLL_SECONDS)
        finally:
            with LOCK:
                self.status_reason = None

    def _standby_terminate(self) -> None:
        if self.preferences["StandbyInstances"] == "Terminate":
            standby = [state for state in self.group.instance_states if state.lifecycle_state == "Standby"]
            terminate(self.backend, self.group, standby)

    def _batch_size(self) -> int:
        return rules.batch_size(self.group.desired_capacity or 0, self.preferences)

    def _launch(self, count: int) -> list[InstanceState]:
        new = launch(self.backend, self.group, self.target(), count)
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
            with LOCK:
                if self.backend.autoscaling_groups.get(self.group.name) is not self.group:
                    raise Interrupted("gone", "The Auto Scaling group was deleted.")
                if self.cancel_requested:
                    raise Interrupted("cancel", "The instance refresh was cancelled.")
                if watch and self.rollback_requested is not None:
                    raise Interrupted("rollback", self.rollback_requested)
                if watch:
                    reason = self._failure()
                    if reason is not None:
                        raise Interrupted("fail", reason)
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

    def _stopped(self, stop: Interrupted) -> None:
        if stop.outcome == "gone":
            with LOCK:
                self._finish("Failed", stop.reason)
            return
        with LOCK:
            # A launch-before-terminate batch still warming up counts as deployed: its instances stay, and
            # the group sheds the instances they were replacing (as its default termination policy, oldest
            # launch template first, would to get back to its desired capacity).
            new, old = stop.in_flight
            shed = rules.old_instances_to_shed(
                len(self.group.active_instances()), self.group.desired_capacity or 0, len(new), len(old)
            )
            terminate(self.backend, self.group, old[:shed])
            ending = rules.status_after_stop(stop.outcome, self.preferences["AutoRollback"])
            if ending != "RollbackInProgress":
                self._finish(ending, stop.reason if ending == "Failed" else None)
                return
            # An automatic rollback after a failure, or a requested one.
            self.rollback_details = rules.rollback_details(
                stop.reason, utcnow(), self.percentage_complete, self.instances_to_update
            )
            self.launched = [state for state in self.launched if state in self.group.instance_states]
            self.rollback_total = len(self.launched)
            self._set("RollbackInProgress")
            self.status_reason = stop.reason
        try:
            self._rollback()
        except Interrupted as again:
            with LOCK:
                ending = rules.status_after_rollback(again.outcome)
                self._finish(ending, again.reason if ending == "RollbackFailed" else None)
            return
        with LOCK:
            self._finish(rules.status_after_rollback(None), None)

    def _rollback(self) -> None:
        """Replaces the instances this refresh launched with the configuration the group had when the
        refresh started ("the configuration that you last saved on the Auto Scaling group before starting
        the instance refresh"), in batches as the preferences say."""
        version = self.start_setting.resolve()
        while True:
            with LOCK:
                pending = [state for state in self.launched if state in self.group.instance_states]
            if not pending:
                return
            batch = pending[: self._batch_size()]
            if rules.launches_first(self.preferences):
                with LOCK:
                    launch(self.backend, self.group, version, len(batch))
                self._wait(self.preferences["InstanceWarmup"], watch=False)
                with LOCK:
                    terminate(self.backend, self.group, batch)
            else:
                with LOCK:
                    terminate(self.backend, self.group, batch)
                    launch(self.backend, self.group, version, len(batch))
                self._wait(self.preferences["InstanceWarmup"], watch=False)
