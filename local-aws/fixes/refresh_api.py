"""The instance refresh actions moto 5.2 lacks: StartInstanceRefresh, DescribeInstanceRefreshes,
CancelInstanceRefresh and RollbackInstanceRefresh, with AWS's validation and error codes.

The AWS provider starts a refresh whenever a group's launch template changes (after cancelling an active one),
and a deploy tool polls DescribeInstanceRefreshes to judge the rollout. Each refresh runs on its own thread
(refresh_run.py). install() adds the actions to moto's Auto Scaling, serialises its requests with the refresh
threads, refuses a launch template change while a refresh with a desired configuration is active, and drops a
group's refreshes with the group.

Not emulated: the ReplaceRootVolume strategy, a DesiredConfiguration with a MixedInstancesPolicy, warm pools,
lifecycle hooks holding new instances in Pending:Wait (moto launches straight to InService; only while a live
fleet boots them, live_launches.py), load balancer
health checks (an instance is unhealthy only by SetInstanceHealth), scale-outs during a refresh launching the
desired configuration, and the hour AWS retries unhealthy replacements before failing (it fails at once).
"""

from __future__ import annotations

import threading
import uuid
from typing import Any

from moto.autoscaling.exceptions import AutoscalingClientError, ValidationError
from moto.autoscaling.models import AutoScalingBackend, FakeAutoScalingGroup
from moto.autoscaling.responses import AutoScalingResponse
from moto.cloudwatch.models import cloudwatch_backends
from moto.core.responses import ActionResult

from fixes import group_launches
from fixes import refresh_rules as rules
from fixes.group_launches import LaunchSetting, template_version
from fixes.refresh_run import LOCK, InstanceRefresh
from fixes.kept import kept_dict


class InstanceRefreshInProgress(AutoscalingClientError):
    code = "InstanceRefreshInProgress"


class ActiveInstanceRefreshNotFound(AutoscalingClientError):
    code = "ActiveInstanceRefreshNotFound"


class IrreversibleInstanceRefresh(AutoscalingClientError):
    code = "IrreversibleInstanceRefresh"


def refreshes(backend: AutoScalingBackend) -> dict[str, list[InstanceRefresh]]:
    """The backend's refreshes by group name, oldest first. Kept on the backend so that moto's reset
    drops them with everything else."""
    return kept_dict(backend, "instance_refreshes")
    return registry


def active(backend: AutoScalingBackend, group_name: str) -> InstanceRefresh | None:
    return next((r for r in refreshes(backend).get(group_name, []) if r.status in rules.ACTIVE), None)


def _group(backend: AutoScalingBackend, name: str) -> FakeAutoScalingGroup:
    group = backend.autoscaling_groups.get(name)
    if group is None:
        raise ValidationError(f"AutoScalingGroup name not found - AutoScalingGroup {name} not found")
    return group


def _preferences(group: FakeAutoScalingGroup, given: dict[str, Any]) -> dict[str, Any]:
    alarms = (given.get("AlarmSpecification") or {}).get("Alarms") or []
    known = cloudwatch_backends[group.account_id][group.region].alarms if alarms else {}
    try:
        return rules.refresh_preferences(
            given,
            default_warmup=getattr(group, "default_instance_warmup", None),
            grace_period=group.health_check_grace_period,
            known_alarms=known,
        )
    except rules.InvalidRefreshRequest as error:
        raise ValidationError(str(error)) from None


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
        template_version(backend, desired["LaunchTemplate"])  # refuse a template or version that doesn't exist
    else:
        desired = None
    prefs = _preferences(group, self._get_param("Preferences") or {})
    start_setting = LaunchSetting.of(group)
    try:
        rules.check_auto_rollback(
            prefs["AutoRollback"],
            has_desired_configuration=desired is not None,
            numbered_start=start_setting.is_numbered,
        )
    except rules.InvalidRefreshRequest as error:
        raise ValidationError(str(error)) from None
    if active(backend, group.name) is not None:
        raise InstanceRefreshInProgress(
            "An Instance Refresh is already in progress and blocks the execution of this Instance Refresh."
        )
    refresh = InstanceRefresh(
        id=str(uuid.uuid4()),
        backend=backend,
        group=group,
        strategy=strategy,
        preferences=prefs,
        desired_configuration=desired,
        start_setting=start_setting,
    )
    refreshes(backend).setdefault(group.name, []).append(refresh)
    threading.Thread(target=refresh.run, name=f"instance-refresh-{refresh.id}", daemon=True).start()
    return ActionResult({"InstanceRefreshId": refresh.id})


def describe_instance_refreshes(self: AutoScalingResponse) -> ActionResult:
    backend = self.autoscaling_backend
    group = _group(backend, self._get_param("AutoScalingGroupName"))
    ids = self._get_param("InstanceRefreshIds") or []
    newest_first = [r for r in reversed(refreshes(backend).get(group.name, [])) if not ids or r.id in ids]
    shown, next_token = rules.page(newest_first, self._get_param("NextToken"), self._get_int_param("MaxRecords"))
    return ActionResult({"InstanceRefreshes": [r.describe() for r in shown], "NextToken": next_token})


def _no_active_refresh(group: FakeAutoScalingGroup) -> ActiveInstanceRefreshNotFound:
    return ActiveInstanceRefreshNotFound(
        f"No in progress or pending Instance Refresh found for Auto Scaling group {group.name}"
    )


def cancel_instance_refresh(self: AutoScalingResponse) -> ActionResult:
    backend = self.autoscaling_backend
    group = _group(backend, self._get_param("AutoScalingGroupName"))
    refresh = active(backend, group.name)
    if refresh is None:
        raise _no_active_refresh(group)
    # AWS cancels a refresh or a rollback in progress; the thread stops at its next look (POLL_SECONDS).
    refresh.cancel_requested = True
    refresh.status = "Cancelling"
    return ActionResult({"InstanceRefreshId": refresh.id})


def rollback_instance_refresh(self: AutoScalingResponse) -> ActionResult:
    backend = self.autoscaling_backend
    group = _group(backend, self._get_param("AutoScalingGroupName"))
    refresh = active(backend, group.name)
    if refresh is None or refresh.status not in rules.ROLLBACK_FROM:
        raise _no_active_refresh(group)
    if not rules.is_reversible(
        has_desired_configuration=refresh.desired_configuration is not None,
        numbered_start=refresh.start_setting.is_numbered,
    ):
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
        refresh = active(self, kwargs.get("name", args[0] if args else ""))
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
    refreshes(self).pop(group_name, None)


def install() -> None:
    """Adds the four instance refresh actions to moto's Auto Scaling and the launch bookkeeping they need."""
    # moto routes Action=StartInstanceRefresh to a response method named start_instance_refresh, found by name.
    AutoScalingResponse.start_instance_refresh = start_instance_refresh
    AutoScalingResponse.describe_instance_refreshes = describe_instance_refreshes
    AutoScalingResponse.cancel_instance_refresh = cancel_instance_refresh
    AutoScalingResponse.rollback_instance_refresh = rollback_instance_refresh

    call_action = AutoScalingResponse.call_action

    def call_action_locked(self: AutoScalingResponse) -> Any:
        with LOCK:
            return call_action(self)

    AutoScalingResponse.call_action = call_action_locked
    AutoScalingBackend.update_auto_scaling_group = _update_group
    AutoScalingBackend.delete_auto_scaling_group = _delete_group
    group_launches.install()
