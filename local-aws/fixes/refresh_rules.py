"""The instance refresh's decisions, as AWS documents them: validated preferences, batch sizes, checkpoints,
progress, and the status a refresh moves to. Plain functions of numbers, statuses and dictionaries, with no moto
in them, so local-aws/tests checks them without a server; refresh_run.py and refresh_api.py act on them.
"""

from __future__ import annotations

import math
from collections.abc import Container, Sequence
from datetime import datetime
from typing import Any, TypeVar

# The statuses in which AWS counts a refresh as active: a second StartInstanceRefresh is refused, and the
# group's launch template can't be changed while one with a desired configuration is active.
ACTIVE = ("Pending", "InProgress", "Cancelling", "RollbackInProgress", "Baking")
# The statuses from which RollbackInstanceRefresh rolls a refresh back (not while cancelling or rolling back).
ROLLBACK_FROM = ("Pending", "InProgress", "Baking")
# AWS's default wait at a checkpoint, in seconds.
DEFAULT_CHECKPOINT_DELAY = 3600
# DescribeInstanceRefreshes' default page size.
DEFAULT_MAX_RECORDS = 50

_Item = TypeVar("_Item")


class InvalidRefreshRequest(ValueError):
    """A request AWS refuses with a ValidationError; the message is AWS's (refresh_api.py raises it as one)."""


def refresh_preferences(
    given: dict[str, Any],
    *,
    default_warmup: int | None,
    grace_period: int | None,
    known_alarms: Container[str],
) -> dict[str, Any]:
    """StartInstanceRefresh's Preferences with AWS's defaults filled in, validated as AWS validates them (the
    first problem refuses the request). Without an InstanceWarmup the group's DefaultInstanceWarmup applies,
    then its health check grace period."""
    if "MaxHealthyPercentage" in given and "MinHealthyPercentage" not in given:
        raise InvalidRefreshRequest(
            "If you specify MaxHealthyPercentage, you must also specify MinHealthyPercentage."
        )
    low, high = given.get("MinHealthyPercentage", 90), given.get("MaxHealthyPercentage", 100)
    if not 0 <= low <= 100 or not 100 <= high <= 200:
        raise InvalidRefreshRequest(
            "MinHealthyPercentage must be between 0 and 100, and MaxHealthyPercentage between 100 and 200."
        )
    if high - low > 100:
        raise InvalidRefreshRequest(
            "The difference between MaxHealthyPercentage and MinHealthyPercentage cannot be greater than 100."
        )
    if low == 100 and high == 100:
        raise InvalidRefreshRequest("MinHealthyPercentage and MaxHealthyPercentage cannot both be 100.")
    warmup = given.get("InstanceWarmup")
    if warmup is None:
        warmup = default_warmup
    if warmup is None:
        warmup = grace_period or 0
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
        raise InvalidRefreshRequest("CheckpointDelay requires CheckpointPercentages.")
    if checkpoints:
        if checkpoints != sorted(set(checkpoints)) or not all(1 <= cp <= 100 for cp in checkpoints):
            raise InvalidRefreshRequest(
                "CheckpointPercentages must be unique values from 1 to 100 in ascending order."
            )
        prefs["CheckpointPercentages"] = checkpoints
        prefs["CheckpointDelay"] = given.get("CheckpointDelay", DEFAULT_CHECKPOINT_DELAY)
    if given.get("BakeTime") is not None:
        prefs["BakeTime"] = given["BakeTime"]
    alarms = (given.get("AlarmSpecification") or {}).get("Alarms") or []
    if alarms:
        missing = [name for name in alarms if name not in known_alarms]
        if missing:
            raise InvalidRefreshRequest(f"The specified CloudWatch alarms do not exist: {', '.join(missing)}.")
        prefs["AlarmSpecification"] = {"Alarms": alarms}
    return prefs


def is_numbered_version(version: str | None) -> bool:
    """A launch template version set as a number ("3"), not "$Latest" or "$Default"."""
    return version is not None and version.isdigit()


def check_auto_rollback(auto_rollback: bool, *, has_desired_configuration: bool, numbered_start: bool) -> None:
    """AWS rolls back only to a numbered template version set on the group, and only a refresh that brings a
    desired configuration."""
    if not auto_rollback:
        return
    if not has_desired_configuration:
        raise InvalidRefreshRequest(
            "The request isn't valid. The AutoRollback parameter cannot be set to true when the "
            "DesiredConfiguration parameter is empty. Set AutoRollback to false or specify a desired "
            "configuration and try again."
        )
    if not numbered_start:
        raise InvalidRefreshRequest(
            "The request isn't valid. The AutoRollback parameter cannot be set to true when the Auto Scaling "
            "group uses a launch configuration or the $Latest or $Default launch template version. Set "
            "AutoRollback to false or set a numbered launch template version on the group and try again."
        )


def is_reversible(*, has_desired_configuration: bool, numbered_start: bool) -> bool:
    """Whether RollbackInstanceRefresh can roll a refresh back: AWS rolls back to the numbered template version
    the group had at the start, and only a refresh that brought a desired configuration."""
    return has_desired_configuration and numbered_start


# --- which instances a refresh replaces, and how many at a time


def launches_first(prefs: dict[str, Any]) -> bool:
    """MaxHealthyPercentage above 100: launch each batch before terminating what it replaces, so capacity never
    drops below the desired capacity; otherwise terminate first, down to MinHealthyPercentage at most."""
    return prefs["MaxHealthyPercentage"] > 100


def batch_size(desired_capacity: int, prefs: dict[str, Any]) -> int:
    """How many instances a batch replaces: the room above the desired capacity when launching first, the
    room below it otherwise; at least one."""
    if launches_first(prefs):
        return max(1, math.floor(desired_capacity * (prefs["MaxHealthyPercentage"] - 100) / 100))
    return max(1, math.floor(desired_capacity * (100 - prefs["MinHealthyPercentage"]) / 100))


def batch_size_to_checkpoint(size: int, checkpoints: Sequence[int], total: int, replaced: int) -> int:
    """A batch stops at the next checkpoint: it replaces no more than the checkpoint's share of the total still
    needs (at least one)."""
    if not checkpoints:
        return size
    goal = math.ceil(checkpoints[0] * total / 100)
    return min(size, max(1, goal - replaced))


def is_candidate(lifecycle_state: str, protected: bool, prefs: dict[str, Any]) -> bool:
    """Whether the refresh replaces an instance it finds at its start: those in service, Standby ones when it
    waits for them, scale-in protected ones unless it ignores them."""
    if lifecycle_state == "Standby":
        return prefs["StandbyInstances"] == "Wait"
    if lifecycle_state != "InService":
        return False
    return not (protected and prefs["ScaleInProtectedInstances"] == "Ignore")


def is_replaceable(lifecycle_state: str, protected: bool, prefs: dict[str, Any]) -> bool:
    """Whether a candidate can be replaced now: in service, and not protected while the refresh waits for
    protection to be removed."""
    return lifecycle_state == "InService" and not (protected and prefs["ScaleInProtectedInstances"] == "Wait")


def blocked_reason(lifecycle_state: str) -> str:
    """Why a candidate that is not replaceable holds the refresh."""
    return "in Standby" if lifecycle_state == "Standby" else "protected from scale in"


def old_instances_to_shed(active: int, desired_capacity: int, launched: int, replacing: int) -> int:
    """When a refresh stops with a launch-first batch still warming up, the batch stays, and the group sheds as
    many of the instances it was replacing as it holds above its desired capacity."""
    return min(replacing, max(0, min(active - desired_capacity, launched)))


# --- progress and status


def percentage_complete(
    status: str,
    replaced: int,
    total: int,
    rollback_start: int | None = None,
    still_new: int = 0,
    rollback_total: int = 0,
) -> int:
    """PercentageComplete: the share of the instances to replace that are replaced, 100 once successful. During a
    rollback it "gradually goes back down to zero" from where it was (rollback_start), with the share of the
    instances the refresh launched that are still in the group."""
    if status == "Successful":
        return 100
    if rollback_start is not None:
        return math.floor(rollback_start * still_new / rollback_total) if rollback_total else 0
    return math.floor(replaced * 100 / total) if total else 0


def checkpoint_reached(checkpoints: Sequence[int], percentage: int) -> bool:
    return bool(checkpoints) and percentage >= checkpoints[0]


def checkpoints_after(checkpoints: Sequence[int], percentage: int) -> list[int]:
    """The checkpoints still ahead once the refresh is this far: one batch may pass several."""
    return [cp for cp in checkpoints if cp > percentage]


def checkpoint_reason(percentage: int) -> str:
    return f"Waiting at checkpoint ({percentage}% complete)."


def shown_status(current: str, wanted: str, cancel_requested: bool) -> str:
    """Once cancelled, a refresh shows Cancelling until its thread ends it as Cancelled."""
    return current if cancel_requested else wanted


def status_after_stop(outcome: str, auto_rollback: bool) -> str:
    """Where a refresh stopped before its end goes: a cancel ends it Cancelled; a failure (the group deleted, an
    alarm, an unhealthy new instance, an instance that never became replaceable) ends it Failed unless
    AutoRollback rolls it back; a rollback request rolls it back."""
    if outcome == "cancel":
        return "Cancelled"
    if outcome == "gone" or (outcome == "fail" and not auto_rollback):
        return "Failed"
    return "RollbackInProgress"


def status_after_rollback(outcome: str | None) -> str:
    """A rollback that ran to its end is RollbackSuccessful; a cancelled one Cancelled; one whose group went away
    RollbackFailed."""
    if outcome is None:
        return "RollbackSuccessful"
    return "Cancelled" if outcome == "cancel" else "RollbackFailed"


def progress(percentage: int, instances_to_update: int) -> dict[str, Any]:
    return {"PercentageComplete": percentage, "InstancesToUpdate": instances_to_update}


def rollback_details(reason: str, start_time: datetime, percentage: int, instances_to_update: int) -> dict[str, Any]:
    """DescribeInstanceRefreshes' RollbackDetails: why and when the rollback started, and the progress then."""
    at_rollback = progress(percentage, instances_to_update)
    return {
        "RollbackReason": reason,
        "RollbackStartTime": start_time,
        "PercentageCompleteOnRollback": at_rollback["PercentageComplete"],
        "InstancesToUpdateOnRollback": at_rollback["InstancesToUpdate"],
        "ProgressDetailsOnRollback": {"LivePoolProgress": at_rollback},
    }


def description(
    *,
    refresh_id: str,
    group_name: str,
    status: str,
    status_reason: str | None,
    start_time: datetime,
    end_time: datetime | None,
    percentage: int,
    instances_to_update: int,
    preferences: dict[str, Any],
    desired_configuration: dict[str, Any] | None,
    rollback: dict[str, Any] | None,
    strategy: str,
) -> dict[str, Any]:
    """One refresh as DescribeInstanceRefreshes returns it: the fields that have no value are left out."""
    now = progress(percentage, instances_to_update)
    result: dict[str, Any] = {
        "InstanceRefreshId": refresh_id,
        "AutoScalingGroupName": group_name,
        "Status": status,
        "StatusReason": status_reason,
        "StartTime": start_time,
        "EndTime": end_time,
        "PercentageComplete": now["PercentageComplete"],
        "InstancesToUpdate": now["InstancesToUpdate"],
        "ProgressDetails": {"LivePoolProgress": now},
        "Preferences": preferences,
        "DesiredConfiguration": desired_configuration,
        "RollbackDetails": rollback,
        "Strategy": strategy,
    }
    return {key: value for key, value in result.items() if value is not None}


def page(items: Sequence[_Item], next_token: str | None, max_records: int | None) -> tuple[list[_Item], str | None]:
    """One page of DescribeInstanceRefreshes and the token of the next (None: the last page). The token is the
    index the next page starts at."""
    start = int(next_token or 0)
    size = max_records or DEFAULT_MAX_RECORDS
    return list(items[start : start + size]), str(start + size) if start + size < len(items) else None
