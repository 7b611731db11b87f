"""Load balancer health from a live fleet: DescribeInstanceHealth and DescribeTargetHealth answer what a runner that
boots the instances and health-checks them saw, as AWS answers what its own checks saw; moto reports every running
registered instance InService (healthy) the moment it is registered, whether anything answers on it or not.

The runner writes what each load balancer would answer to a JSON file, replacing it by rename (a read sees a whole
file), and the server reads it on every call, from the path in the environment variable
CLOUDRIM_LOCAL_AWS_LIVE_HEALTH (unset: this fix changes nothing). Its shape, in AWS's own strings:

  {"classic": {region: {load balancer name: {instance id: {"State", "ReasonCode", "Description"}}}},
   "network": {region: {target group name: {instance id: {"State", "Reason" (not for healthy), "Description"}}}}}

Only a load balancer or target group the file lists, for the backend's region, is answered from it; every other one
keeps moto's answer (and elb_registration's). A listed one answers each instance moto has registered with the
file's entry, or, for one the file does not list yet, AWS's answer for an instance still registering; an instance
asked for by id that is not registered keeps moto's answer. A missing file, or one not of this shape (logged once
per problem), is no live view: moto's answer, as without the runner.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Collection, Mapping
from typing import Any

from moto.core.responses import ActionResult
from moto.elb.responses import ELBResponse
from moto.elbv2.models import ELBv2Backend, FakeHealthStatus

from fixes.elb_registration import REGISTERING

ENVIRONMENT_VARIABLE = "CLOUDRIM_LOCAL_AWS_LIVE_HEALTH"
# The runner's file; None: no live fleet, moto answers.
LIVE_HEALTH_PATH: str | None = os.environ.get(ENVIRONMENT_VARIABLE, "").strip() or None

# What AWS answers for an instance registered but not yet checked.
CLASSIC_REGISTERING = {"State": "OutOfService", "ReasonCode": "ELB", "Description": REGISTERING}
TARGET_REGISTERING = {
    "State": "initial",
    "Reason": "Elb.RegistrationInProgress",
    "Description": "Target registration is in progress",
}

# The strings the runner may write: what AWS answers for an instance it checks.
_CLASSIC_FIELDS = {
    "State": ("InService", "OutOfService"),
    "ReasonCode": ("N/A", "ELB", "Instance"),
    "Description": None,  # any string
}
_TARGET_FIELDS = {
    "State": ("initial", "healthy", "unhealthy", "draining"),
    "Reason": (
        "Elb.RegistrationInProgress",
        "Elb.InitialHealthChecking",
        "Target.FailedHealthChecks",
        "Target.DeregistrationInProgress",
    ),
    "Description": None,
}
_TARGET_OPTIONAL = ("Reason", "Description")

# An instance's health as the runner saw it, by instance id; by load balancer (or target group) name; by region.
Health = dict[str, str]
Listed = dict[str, Health]
LiveView = dict[str, dict[str, dict[str, Listed]]]  # "classic" and "network"

_log = logging.getLogger(__name__)
_last_problem: str | None = None


class NotALiveView(ValueError):
    """The file is not of the runner's shape; the message names the first field that is not."""


def parse_view(text: str) -> LiveView:
    """The live view in the file's text; NotALiveView for any departure from its shape."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise NotALiveView(f"not JSON: {error}") from None
    if not isinstance(document, dict):
        raise NotALiveView("not a JSON object")
    unknown = sorted(set(document) - {"classic", "network"})
    if unknown:
        raise NotALiveView(f"{unknown[0]!r}: only 'classic' and 'network' are read")
    return {
        "classic": _balancers(document.get("classic", {}), "classic", _CLASSIC_FIELDS, ()),
        "network": _balancers(document.get("network", {}), "network", _TARGET_FIELDS, _TARGET_OPTIONAL),
    }


def _balancers(
    regions: Any, where: str, fields: Mapping[str, tuple[str, ...] | None], optional: Collection[str]
) -> dict[str, dict[str, Listed]]:
    _expect_object(regions, where)
    for region, balancers in regions.items():
        _expect_object(balancers, f"{where}.{region}")
        for balancer, instances in balancers.items():
            _expect_object(instances, f"{where}.{region}.{balancer}")
            for instance_id, health in instances.items():
                _check_health(health, f"{where}.{region}.{balancer}.{instance_id}", fields, optional)
    return regions  # type: ignore[no-any-return]


def _check_health(
    health: Any, where: str, fields: Mapping[str, tuple[str, ...] | None], optional: Collection[str]
) -> None:
    _expect_object(health, where)
    unknown = sorted(set(health) - set(fields))
    if unknown:
        raise NotALiveView(f"{where}.{unknown[0]}: not a field of an instance's health ({', '.join(fields)})")
    for field, allowed in fields.items():
        if field not in health:
            if field in optional:
                continue
            raise NotALiveView(f"{where}.{field}: missing")
        value = health[field]
        if not isinstance(value, str) or (allowed is not None and value not in allowed):
            expected = "a string" if allowed is None else " or ".join(allowed)
            raise NotALiveView(f"{where}.{field}={value!r}: expected {expected}")


def _expect_object(value: Any, where: str) -> None:
    if not isinstance(value, dict):
        raise NotALiveView(f"{where}: expected a JSON object, not {type(value).__name__}")


def read_view(path: str | None) -> LiveView | None:
    """The live view in the file at the path, read now; None when there is no path, no file, or no live view in it
    (that problem logged once, until another one)."""
    global _last_problem
    if path is None:
        return None
    try:
        with open(path, encoding="utf-8") as file:
            text = file.read()
    except FileNotFoundError:
        return None  # the runner has not written it yet
    try:
        view = parse_view(text)
    except NotALiveView as problem:
        message = f"{ENVIRONMENT_VARIABLE}={path}: no live view, moto answers ({problem})"
        if message != _last_problem:
            _log.warning(message)
            _last_problem = message
        return None
    _last_problem = None
    return view


def listed(view: LiveView | None, kind: str, region: str, name: str) -> Listed | None:
    """The file's instances of the load balancer ("classic") or target group ("network") of that name in the region;
    None when the file does not list it (moto answers for it)."""
    if view is None:
        return None
    return view[kind].get(region, {}).get(name)


def classic_states(
    instances: Listed | None, registered: Collection[str], answered: list[dict[str, str]]
) -> list[dict[str, str]]:
    """DescribeInstanceHealth's InstanceStates: moto's (or elb_registration's) answer, each registered instance of a
    listed load balancer replaced by the file's entry, or by "registering" when the file does not have it yet."""
    if instances is None:
        return answered
    return [
        {"InstanceId": state["InstanceId"], **instances.get(state["InstanceId"], CLASSIC_REGISTERING)}
        if state["InstanceId"] in registered
        else state
        for state in answered
    ]


def target_health(instances: Listed, instance_id: str) -> Health:
    """A registered target's TargetHealth in a listed target group: the file's entry, or "registering"."""
    return instances.get(instance_id, TARGET_REGISTERING)


_describe_target_health_moto = ELBv2Backend.describe_target_health


def _describe_target_health(
    self: ELBv2Backend, target_group_arn: str, targets: list[dict[str, Any]]
) -> list[FakeHealthStatus]:
    statuses = _describe_target_health_moto(self, target_group_arn, targets)
    group = self.target_groups[target_group_arn]  # moto refused an unknown one above
    instances = listed(read_view(LIVE_HEALTH_PATH), "network", self.region_name, group.name)
    if instances is None:
        return statuses
    for status in statuses:
        if status.instance_id in group.targets:
            health = target_health(instances, status.instance_id)
            status.status = health["State"]
            status.reason = health.get("Reason")
            status.description = health.get("Description")
    return statuses


def _describing_instance_health_live(previous: Any) -> Any:
    """DescribeInstanceHealth as the response method installed before (elb_registration's) answers it, then each
    registered instance of a listed load balancer as the file says."""

    def describe_instance_health(self: ELBResponse) -> ActionResult:
        answer = previous(self)
        name = self._get_param("LoadBalancerName")
        instances = listed(read_view(LIVE_HEALTH_PATH), "classic", self.elb_backend.region_name, name)
        if instances is None:
            return answer
        registered = self.elb_backend.get_load_balancer(name).instance_ids
        return ActionResult({"InstanceStates": classic_states(instances, registered, answer.result["InstanceStates"])})

    return describe_instance_health


def install() -> None:
    """After elb_registration: the live answer wraps its answer, and wins for a load balancer the file lists."""
    ELBResponse.describe_instance_health = _describing_instance_health_live(ELBResponse.describe_instance_health)
    ELBv2Backend.describe_target_health = _describe_target_health
