"""In-process moto with the fixes installed, for the tests of the patched calls: a fresh account per test (moto's
mock_aws), boto3 clients that go through moto's request handling as the server's clients do, and a short poll for
the refresh threads."""

from __future__ import annotations

import base64
import os
import time
import unittest
from typing import Any, Callable

import fixes_path  # noqa: F401  (before fixes)

# The tests launch from an image id they name; loading moto's thousands of default images costs each test a second.
os.environ.setdefault("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")

import boto3
from moto import mock_aws

import fixes
from fixes import refresh_run, unhealthy_replacement

fixes.install()
# A refresh looks at its alarms and requests this often; the tests wait on it, so keep it short.
refresh_run.POLL_SECONDS = 0.02
# An Unhealthy instance stays this long before its group replaces it: long enough for a test (and a refresh) to see it.
unhealthy_replacement.REPLACEMENT_DELAY_SECONDS = 0.5

REGION = "us-east-1"
ZONE = "us-east-1a"
IMAGE = "ami-12c6146b"  # one of the images moto ships (moto launches it without it loaded, as it does any id)
ENDED = ("Successful", "Failed", "Cancelled", "RollbackSuccessful", "RollbackFailed")

# Made once: moto answers any client made after it was imported, and each test's mock_aws gives a fresh account.
_SESSION = boto3.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name=REGION)
AUTOSCALING = _SESSION.client("autoscaling")
EC2 = _SESSION.client("ec2")
CLOUDWATCH = _SESSION.client("cloudwatch")


def user_data(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


class InProcessMoto(unittest.TestCase):
    def setUp(self) -> None:
        self.mock = mock_aws()
        self.mock.start()
        self.addCleanup(self.mock.stop)
        self.autoscaling = AUTOSCALING
        self.ec2 = EC2
        self.cloudwatch = CLOUDWATCH

    # --- a launch template and a group of it

    def template(self, name: str = "web", versions: int = 1) -> str:
        """A launch template with this many versions (1, 2, …), each with its own user data; its id."""
        made = self.ec2.create_launch_template(
            LaunchTemplateName=name,
            LaunchTemplateData={"ImageId": IMAGE, "InstanceType": "t3.micro", "UserData": user_data("v1")},
        )
        template_id: str = made["LaunchTemplate"]["LaunchTemplateId"]
        for number in range(2, versions + 1):
            self.new_version(template_id, f"v{number}")
        return template_id

    def new_version(self, template_id: str, text: str) -> str:
        made = self.ec2.create_launch_template_version(
            LaunchTemplateId=template_id,
            LaunchTemplateData={"ImageId": IMAGE, "InstanceType": "t3.micro", "UserData": user_data(text)},
        )
        return str(made["LaunchTemplateVersion"]["VersionNumber"])

    def group(self, template_id: str, size: int, version: str = "1", name: str = "web", **extra: Any) -> str:
        self.autoscaling.create_auto_scaling_group(
            AutoScalingGroupName=name,
            LaunchTemplate={"LaunchTemplateId": template_id, "Version": version},
            MinSize=0,
            MaxSize=size * 2,
            DesiredCapacity=size,
            AvailabilityZones=[ZONE],
            **extra,
        )
        return name

    def described_group(self, name: str = "web") -> dict[str, Any]:
        groups: list[dict[str, Any]] = self.autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[name])[
            "AutoScalingGroups"
        ]
        return groups[0]

    def instance_ids(self, name: str = "web") -> list[str]:
        return [i["InstanceId"] for i in self.described_group(name)["Instances"]]

    def instance_versions(self, name: str = "web") -> list[str]:
        """The launch template version each of the group's instances shows, sorted."""
        return sorted(i["LaunchTemplate"]["Version"] for i in self.described_group(name)["Instances"])

    # --- refreshes

    def start(self, name: str = "web", **request: Any) -> str:
        refresh_id: str = self.autoscaling.start_instance_refresh(AutoScalingGroupName=name, **request)[
            "InstanceRefreshId"
        ]
        return refresh_id

    def refresh(self, refresh_id: str, name: str = "web") -> dict[str, Any]:
        found: list[dict[str, Any]] = self.autoscaling.describe_instance_refreshes(
            AutoScalingGroupName=name, InstanceRefreshIds=[refresh_id]
        )["InstanceRefreshes"]
        return found[0]

    def wait_until(self, condition: Callable[[], bool], what: str) -> None:
        """Polls the condition (a refresh thread is moving); fails after 10 s."""
        deadline = time.monotonic() + 10
        while not condition():
            if time.monotonic() > deadline:
                self.fail(f"never {what}")
            time.sleep(0.02)

    def wait_for(self, refresh_id: str, statuses: tuple[str, ...] = ENDED, name: str = "web") -> dict[str, Any]:
        """The refresh once its status is one of these (by default, one it ends in)."""
        self.wait_until(lambda: self.refresh(refresh_id, name)["Status"] in statuses, f"{statuses} ({refresh_id})")
        return self.refresh(refresh_id, name)

    def wait_for_reason(self, refresh_id: str, start: str) -> dict[str, Any]:
        """The refresh once its StatusReason starts so (a checkpoint, a wait for an instance)."""
        self.wait_until(
            lambda: str(self.refresh(refresh_id).get("StatusReason", "")).startswith(start), f"{start!r} ({refresh_id})"
        )
        return self.refresh(refresh_id)
