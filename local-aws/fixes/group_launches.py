"""Launching and terminating an Auto Scaling group's instances from a given launch template version, and
remembering the version each instance was launched from.

AWS shows, for each group instance, the template version it was launched from; moto launches every instance from
the template's default version and shows that one, which hides an unfinished rollout. install() routes every
launch of a template group through here (each instance records its version) and makes DescribeAutoScalingGroups
show it. An instance refresh (refresh_run.py) launches and terminates with launch() and terminate(). Every new group
instance, whatever launched it (moto's scaling, a refresh, a replacement), is told to the listeners on_launch() adds.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from moto.autoscaling.exceptions import ValidationError
from moto.autoscaling.models import ASG_NAME_TAG, AutoScalingBackend, FakeAutoScalingGroup, InstanceState
from moto.core.exceptions import ServiceException
from moto.ec2.models.launch_templates import LaunchTemplate, LaunchTemplateVersion

from fixes.refresh_rules import is_numbered_version

# Told of the instances each launch added to a group, once they are in it.
LaunchListener = Callable[[FakeAutoScalingGroup, list[InstanceState]], None]
_listeners: list[LaunchListener] = []


def on_launch(listener: LaunchListener) -> None:
    """Adds a listener for every launch into any group, once: adding it again changes nothing."""
    if listener not in _listeners:
        _listeners.append(listener)


def _launched(group: FakeAutoScalingGroup, new: list[InstanceState]) -> None:
    if new:
        for listener in _listeners:
            listener(group, new)


@dataclass(frozen=True)
class LaunchSetting:
    """A group's launch template setting: the template and the version as set on the group."""

    template: LaunchTemplate | None
    version: str | None  # "3", "$Latest" or "$Default"

    @staticmethod
    def of(group: FakeAutoScalingGroup) -> LaunchSetting:
        if group.ec2_launch_template is None:
            return LaunchSetting(None, None)
        return LaunchSetting(group.ec2_launch_template, getattr(group, "launch_template_version", None))

    def resolve(self) -> LaunchTemplateVersion | None:
        if self.template is None:
            return None
        return self.template.get_version(self.version or "$Default")

    @property
    def is_numbered(self) -> bool:
        return self.template is not None and is_numbered_version(self.version)


def launched_from(state: InstanceState) -> LaunchTemplateVersion | None:
    return getattr(state, "launched_from", None)


def runs_version(state: InstanceState, version: LaunchTemplateVersion | None) -> bool:
    """Whether the instance was launched from this template version (SkipMatching leaves it in place)."""
    launched = launched_from(state)
    return (
        launched is not None
        and version is not None
        and launched.template is version.template
        and launched.number == version.number
    )


def template_version(backend: AutoScalingBackend, spec: dict[str, Any]) -> LaunchTemplateVersion:
    """The version a LaunchTemplate specification names ({LaunchTemplateId or LaunchTemplateName, Version}),
    refused as AWS refuses one that does not exist."""
    template_id, name = spec.get("LaunchTemplateId"), spec.get("LaunchTemplateName")
    if bool(template_id) == bool(name):
        raise ValidationError("Valid requests must contain either launchTemplateId or LaunchTemplateName")
    try:
        ec2 = backend.ec2_backend
        template = ec2.get_launch_template(template_id) if template_id else ec2.get_launch_template_by_name(name)
        return template.get_version(spec.get("Version") or "$Default")
    except ServiceException as error:
        raise ValidationError(f"You must use a valid fully-formed launch template. {error.message}") from None


def launch(
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


def terminate(backend: AutoScalingBackend, group: FakeAutoScalingGroup, states: list[InstanceState]) -> None:
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
    new = []
    for instance in reservation.instances:
        instance.autoscaling_group = group
        state = InstanceState(instance, protected_from_scale_in=group.new_instances_protected_from_scale_in)
        state.launched_from = version  # type: ignore[attr-defined]
        group.instance_states.append(state)
        new.append(state)
    _launched(group, new)


_replace_instances_moto = FakeAutoScalingGroup.replace_autoscaling_group_instances


def _replace_instances(group: FakeAutoScalingGroup, count_needed: int, propagated_tags: dict[str, str]) -> None:
    """Every launch of a template group (scaling, replacing a terminated instance) goes through here, so
    that each instance records the version it was launched from; and every launch of a launch configuration group."""
    if group.ec2_launch_template is None:
        before = list(group.instance_states)
        _replace_instances_moto(group, count_needed, propagated_tags)
        _launched(group, [state for state in group.instance_states if state not in before])
        return
    _launch_from_template(group, LaunchSetting.of(group).resolve(), count_needed, propagated_tags)  # type: ignore[arg-type]


_instance_launch_template_moto = InstanceState.launch_template


def _instance_launch_template(self: InstanceState) -> dict[str, Any] | None:
    """AWS shows, for each instance, the template version it was launched from; moto shows the template's
    default version for every instance, which hides an unfinished rollout."""
    version = launched_from(self)
    if version is None:
        return _instance_launch_template_moto.fget(self)  # type: ignore[attr-defined]
    return {
        "LaunchTemplateId": version.template.id,
        "LaunchTemplateName": version.template.name,
        "Version": str(version.number),
    }


def install() -> None:
    FakeAutoScalingGroup.replace_autoscaling_group_instances = _replace_instances
    InstanceState.launch_template = property(_instance_launch_template)
