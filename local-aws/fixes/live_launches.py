"""What AWS does with a launch lifecycle hook, while a live fleet boots the instances moto launches.

On AWS an instance launched into a group with a launch hook (autoscaling:EC2_INSTANCE_LAUNCHING) waits in
Pending:Wait until the hook is completed (CompleteLifecycleAction, lifecycle_actions.py) or its heartbeat timeout
applies the hook's DefaultResult; only then is it InService, and only then does an instance refresh start its warmup.
moto launches every instance straight to InService.

That wait matters only while someone boots the instances: while the live fleet's runner runs, which it shows by the
file at live_health.LIVE_HEALTH_PATH (written while it runs, removed when it stops). Without that file nobody boots
anything or completes a hook, and nothing here changes moto's behaviour. With it:

- DescribeAutoScalingGroups and DescribeAutoScalingInstances show Pending:Wait for an instance of a group with a launch
  hook that has not completed each of them with CONTINUE, then its own state (InService). Display only: moto's
  lifecycle_state, by which it counts capacity and registers load balancer members, stays as it is.
- An instance refresh waits, after launching a batch, for each instance it launched to complete (refresh_run.py).
- An instance launched into a group with a launch hook that completes it neither within the hook's HeartbeatTimeout of
  its launch nor of its last RecordLifecycleActionHeartbeat gets the hook's DefaultResult: ABANDON as lifecycle_actions
  abandons (terminated, replaced), CONTINUE recorded. Its timer does nothing if the runner has stopped meanwhile.

Not emulated: the hook's global timeout (100 heartbeats or 48 h), and the hold being for instances launched after the
hook was put only (here any instance of the group without a result shows Pending:Wait, and a live boot completes it;
only an instance launched in live mode has a heartbeat timer).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Collection, Mapping

from moto.autoscaling.models import AutoScalingBackend, FakeAutoScalingGroup, InstanceState, LifecycleHook
from moto.autoscaling.responses import AutoScalingResponse
from moto.core.responses import ActionResult

from fixes import group_launches, live_health, refresh_run
from fixes.lifecycle_actions import LAUNCHING, abandon, action_problem, lifecycle_results
from fixes.kept import kept_dict

PENDING_WAIT = "Pending:Wait"

ResponseMethod = Callable[[AutoScalingResponse], ActionResult]


def is_live() -> bool:
    """Whether the live fleet's runner runs now (its file exists)."""
    path = live_health.LIVE_HEALTH_PATH
    return path is not None and os.path.exists(path)


def launch_completed(hook_names: Collection[str], results: Mapping[str, str]) -> bool:
    """Whether an instance has completed its group's launch hooks (hook_names), given the results recorded for it by
    hook name: each with CONTINUE. ABANDON is never recorded (the instance is terminated); no hook: nothing to wait
    for."""
    return all(results.get(name) == "CONTINUE" for name in hook_names)


def shown_lifecycle_state(lifecycle_state: str, *, live: bool, completed: bool) -> str:
    """The LifecycleState AWS would show for an instance moto has in this state: Pending:Wait for one a live fleet is
    booting (moto has it InService) until it has completed its launch hooks."""
    if live and not completed and lifecycle_state == "InService":
        return PENDING_WAIT
    return lifecycle_state


def launch_hooks(backend: AutoScalingBackend, group: FakeAutoScalingGroup) -> list[LifecycleHook]:
    return [
        hook
        for hook in backend.lifecycle_hooks.values()
        if hook.auto_scaling_group_name == group.name and hook.lifecycle_transition == LAUNCHING
    ]


def unfinished_launches(
    backend: AutoScalingBackend, group: FakeAutoScalingGroup, states: list[InstanceState]
) -> list[InstanceState]:
    """Of these instances (in the group or gone from it), those that have not completed the group's launch hooks, while
    a live fleet runs; none otherwise (nobody boots them: moto has them in service)."""
    if not is_live():
        return []
    names = [hook.name for hook in launch_hooks(backend, group)]
    return [state for state in states if not launch_completed(names, lifecycle_results(state))]


def _shown_lifecycle_state(self: InstanceState) -> str:
    group: FakeAutoScalingGroup = self.auto_scaling_group
    names = [hook.name for hook in launch_hooks(group.autoscaling_backend, group)]
    return shown_lifecycle_state(
        self.lifecycle_state, live=is_live(), completed=launch_completed(names, lifecycle_results(self))
    )


class _ShownFields:
    # moto's serializer reads a response field from the attribute its model's Meta names before the snake_case one:
    # both describe calls show the instance's state through shown_lifecycle_state, and moto keeps lifecycle_state.
    serialization_aliases = {"LifecycleState": "shown_lifecycle_state"}


# --- the heartbeat timeout


def _deadlines(state: InstanceState) -> dict[str, float]:
    """When (time.monotonic()) each launch hook of the instance times out, by hook name."""
    return kept_dict(state, "launch_deadlines")
    return deadlines


def _in_progress(backend: AutoScalingBackend, group: FakeAutoScalingGroup, state: InstanceState, name: str) -> bool:
    """Whether the instance's launch action for the hook of that name is still in progress, as lifecycle_actions
    judges it for a CompleteLifecycleAction (the group or the instance gone, the hook deleted or completed: not)."""
    hook = backend.lifecycle_hooks.get(f"{group.name}_{name}")
    return (
        action_problem(
            instance_id=state.instance.id,
            token=None,
            launch_hook=hook is not None and hook.lifecycle_transition == LAUNCHING,
            in_group=backend.autoscaling_groups.get(group.name) is group and state in group.instance_states,
            completed=name in lifecycle_results(state),
        )
        is None
    )


def _arm(group: FakeAutoScalingGroup, state: InstanceState, name: str, seconds: float) -> None:
    timer = threading.Timer(seconds, _timed_out, args=(group, state, name))
    timer.daemon = True  # a pending timeout never holds the server (or a test run) open
    timer.start()


def _timed_out(group: FakeAutoScalingGroup, state: InstanceState, name: str) -> None:
    backend = group.autoscaling_backend
    with refresh_run.LOCK:
        if not is_live() or not _in_progress(backend, group, state, name):
            return
        left = _deadlines(state)[name] - time.monotonic()
        if left > 0:  # a heartbeat moved the deadline
            _arm(group, state, name, left)
            return
        if backend.lifecycle_hooks[f"{group.name}_{name}"].default_result == "ABANDON":
            abandon(backend, group, state)
        else:
            lifecycle_results(state)[name] = "CONTINUE"


def _start_heartbeat_timers(group: FakeAutoScalingGroup, new: list[InstanceState]) -> None:
    """A launch listener (group_launches.on_launch): in live mode, each new instance's launch hooks time out."""
    if not is_live():
        return
    for hook in launch_hooks(group.autoscaling_backend, group):
        for state in new:
            _deadlines(state)[hook.name] = time.monotonic() + hook.heartbeat_timeout
            _arm(group, state, hook.name, hook.heartbeat_timeout)


def _extending_heartbeat(previous: ResponseMethod) -> ResponseMethod:
    """RecordLifecycleActionHeartbeat as lifecycle_actions answers it (refusing one with no action in progress), then
    the instance's deadline for that hook moved to a HeartbeatTimeout from now."""

    def record_lifecycle_action_heartbeat(self: AutoScalingResponse) -> ActionResult:
        with refresh_run.LOCK:
            answer = previous(self)
            backend = self.autoscaling_backend
            group = backend.autoscaling_groups[self._get_param("AutoScalingGroupName")]
            name = self._get_param("LifecycleHookName")
            instance_id = self._get_param("InstanceId")
            state = next(s for s in group.instance_states if s.instance.id == instance_id)
            deadlines = _deadlines(state)
            if name in deadlines:
                deadlines[name] = time.monotonic() + backend.lifecycle_hooks[f"{group.name}_{name}"].heartbeat_timeout
        return answer

    return record_lifecycle_action_heartbeat


def install() -> None:
    """After lifecycle_actions, whose heartbeat it extends."""
    InstanceState.Meta = _ShownFields  # type: ignore[attr-defined]
    InstanceState.shown_lifecycle_state = property(_shown_lifecycle_state)  # type: ignore[attr-defined]
    group_launches.on_launch(_start_heartbeat_timers)
    AutoScalingResponse.record_lifecycle_action_heartbeat = _extending_heartbeat(
        AutoScalingResponse.record_lifecycle_action_heartbeat
    )
