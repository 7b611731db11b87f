"""CompleteLifecycleAction and RecordLifecycleActionHeartbeat, which moto 5.2 lacks ("not implemented", HTTP 500):
an instance's boot script completes the group's launch hook with them, as on AWS.

AWS accepts them for a lifecycle action in progress: the group's launch hook of that name, for an instance of the
group that has not completed it. Anything else is a ValidationError ("No active Lifecycle Action found with instance
ID i-…"), and so is a result other than CONTINUE or ABANDON. CONTINUE lets the instance go on (here it is recorded on
the instance's state, lifecycle_results(state), by hook); ABANDON makes the group terminate the instance and launch
what its desired capacity then lacks, from its own launch template version, as for an unhealthy instance
(unhealthy_replacement.py). A heartbeat only extends the wait on AWS: here it is validated and answered (and
live_launches.py extends the wait it emulates).

Not emulated here: the wait itself (moto launches an instance straight to InService, never Pending:Wait, so any
instance of the group may complete a launch hook once) and the hook's heartbeat timeout and DefaultResult, which
live_launches.py adds while a live fleet boots the instances. Not emulated at all: the hook's global timeout,
termination hooks (no termination waits, so none has an action in progress), and lifecycle action tokens (none is
issued, so none is found).
"""

from __future__ import annotations

from moto.autoscaling.exceptions import ValidationError
from moto.autoscaling.models import AutoScalingBackend, FakeAutoScalingGroup, InstanceState
from moto.autoscaling.responses import AutoScalingResponse
from moto.core.responses import ActionResult, EmptyResult

from fixes.group_launches import LaunchSetting, launch, terminate
from fixes.refresh_run import LOCK
from fixes.unhealthy_replacement import launches_needed
from fixes.kept import kept_dict

LAUNCHING = "autoscaling:EC2_INSTANCE_LAUNCHING"
RESULTS = ("CONTINUE", "ABANDON")


def result_problem(result: str | None) -> str | None:
    """Why CompleteLifecycleAction refuses this LifecycleActionResult; None when it takes it."""
    if result in RESULTS:
        return None
    return f"LifecycleActionResult {result!r} is not valid: it must be CONTINUE or ABANDON"


def action_problem(
    *,
    instance_id: str | None,
    token: str | None,
    launch_hook: bool,
    in_group: bool,
    completed: bool,
) -> str | None:
    """Why no lifecycle action is in progress for this instance (or token) and hook; None when one is. launch_hook:
    the group has a launch hook of the name asked for; in_group: the instance is the group's; completed: the instance
    has completed that hook already."""
    if token:
        return f"No active Lifecycle Action found with token {token}"
    if not instance_id:
        return "Either LifecycleActionToken or InstanceId must be specified"
    if not (launch_hook and in_group) or completed:
        return f"No active Lifecycle Action found with instance ID {instance_id}"
    return None


def lifecycle_results(state: InstanceState) -> dict[str, str]:
    """The result each launch hook of the instance was completed with (CONTINUE), by hook name; kept on its state,
    so it goes with the instance."""
    return kept_dict(state, "lifecycle_results")
    return results


def _group(backend: AutoScalingBackend, name: str) -> FakeAutoScalingGroup:
    group = backend.autoscaling_groups.get(name)
    if group is None:
        raise ValidationError(f"AutoScalingGroup name not found - AutoScalingGroup {name} not found")
    return group


def _active_action(self: AutoScalingResponse, group: FakeAutoScalingGroup) -> tuple[str, InstanceState]:
    """The hook name and instance of the group's lifecycle action the request names; ValidationError when none is in
    progress."""
    backend = self.autoscaling_backend
    hook_name = self._get_param("LifecycleHookName")
    instance_id = self._get_param("InstanceId")
    hook = backend.lifecycle_hooks.get(f"{group.name}_{hook_name}")
    state = next((s for s in group.instance_states if s.instance.id == instance_id), None)
    problem = action_problem(
        instance_id=instance_id,
        token=self._get_param("LifecycleActionToken"),
        launch_hook=hook is not None and hook.lifecycle_transition == LAUNCHING,
        in_group=state is not None,
        completed=state is not None and hook_name in lifecycle_results(state),
    )
    if problem is not None:
        raise ValidationError(problem)
    return hook_name, state  # type: ignore[return-value]


def abandon(backend: AutoScalingBackend, group: FakeAutoScalingGroup, state: InstanceState) -> None:
    """What ABANDON does to the instance's launch: the group terminates it and launches what its desired capacity then
    lacks, from its own launch template version."""
    terminate(backend, group, [state])
    needed = launches_needed(len(group.active_instances()), group.desired_capacity or 0)
    launch(backend, group, LaunchSetting.of(group).resolve(), needed)


def complete_lifecycle_action(self: AutoScalingResponse) -> ActionResult:
    with LOCK:
        group = _group(self.autoscaling_backend, self._get_param("AutoScalingGroupName"))
        result = self._get_param("LifecycleActionResult")
        problem = result_problem(result)
        if problem is not None:
            raise ValidationError(problem)
        hook_name, state = _active_action(self, group)
        if result == "ABANDON":
            abandon(self.autoscaling_backend, group, state)
        else:
            lifecycle_results(state)[hook_name] = result
    return EmptyResult()


def record_lifecycle_action_heartbeat(self: AutoScalingResponse) -> ActionResult:
    with LOCK:
        _active_action(self, _group(self.autoscaling_backend, self._get_param("AutoScalingGroupName")))
    return EmptyResult()


def install() -> None:
    # moto routes Action=CompleteLifecycleAction to a response method named complete_lifecycle_action, found by name.
    AutoScalingResponse.complete_lifecycle_action = complete_lifecycle_action
    AutoScalingResponse.record_lifecycle_action_heartbeat = record_lifecycle_action_heartbeat
