"""CompleteLifecycleAction and RecordLifecycleActionHeartbeat (fixes/lifecycle_actions.py), through boto3 and moto's
request handling as the instances' boot script calls them: CONTINUE recorded, ABANDON replacing the instance from the
group's own version, and AWS's ValidationError for anything with no lifecycle action in progress."""

import unittest
from urllib.parse import urlencode

import botocore.auth
import botocore.awsrequest
import requests
from botocore.exceptions import ClientError
from moto.autoscaling.models import autoscaling_backends
from moto.core import DEFAULT_ACCOUNT_ID

from moto_case import REGION, InProcessMoto, _SESSION

from fixes.lifecycle_actions import action_problem, lifecycle_results, result_problem

ACTIVE = {"instance_id": "i-1", "token": None, "launch_hook": True, "in_group": True, "completed": False}


class Rules(unittest.TestCase):
    def test_a_result_is_continue_or_abandon(self):
        self.assertIsNone(result_problem("CONTINUE"))
        self.assertIsNone(result_problem("ABANDON"))
        for bad in ("continue", "DEFAULT", None):
            self.assertEqual(
                result_problem(bad), f"LifecycleActionResult {bad!r} is not valid: it must be CONTINUE or ABANDON"
            )

    def test_an_action_is_in_progress_for_a_group_instance_on_a_launch_hook_it_has_not_completed(self):
        self.assertIsNone(action_problem(**ACTIVE))
        for missing in ({"launch_hook": False}, {"in_group": False}, {"completed": True}):
            with self.subTest(missing):
                self.assertEqual(
                    action_problem(**{**ACTIVE, **missing}), "No active Lifecycle Action found with instance ID i-1"
                )

    def test_no_token_is_ever_found_and_one_of_token_or_instance_is_needed(self):
        self.assertEqual(action_problem(**{**ACTIVE, "token": "t-1"}), "No active Lifecycle Action found with token t-1")
        self.assertEqual(
            action_problem(**{**ACTIVE, "instance_id": None}),
            "Either LifecycleActionToken or InstanceId must be specified",
        )


class LifecycleActions(InProcessMoto):
    def setUp(self) -> None:
        super().setUp()
        self.template_id = self.template(versions=2)

    def booting_group(self, size: int = 2, version: str = "1") -> list[str]:
        """A group with the launch hook "boot"; its instance ids."""
        self.group(self.template_id, size, version=version)
        self.autoscaling.put_lifecycle_hook(
            LifecycleHookName="boot",
            AutoScalingGroupName="web",
            LifecycleTransition="autoscaling:EC2_INSTANCE_LAUNCHING",
            HeartbeatTimeout=600,
            DefaultResult="ABANDON",
        )
        return self.instance_ids()

    def complete(self, instance_id: str, result: str = "CONTINUE", **request: str) -> dict:
        return self.autoscaling.complete_lifecycle_action(
            **{
                "AutoScalingGroupName": "web",
                "LifecycleHookName": "boot",
                "InstanceId": instance_id,
                "LifecycleActionResult": result,
                **request,
            }
        )

    def refused(self, call, **request) -> str:
        """The message of the ValidationError the call answers."""
        with self.assertRaises(ClientError) as refused:
            call(**request)
        self.assertEqual(refused.exception.response["Error"]["Code"], "ValidationError")
        return refused.exception.response["Error"]["Message"]

    def recorded(self, instance_id: str) -> dict[str, str]:
        group = autoscaling_backends[DEFAULT_ACCOUNT_ID][REGION].autoscaling_groups["web"]
        return next(lifecycle_results(s) for s in group.instance_states if s.instance.id == instance_id)

    def test_continue_is_answered_empty_and_recorded_on_the_instance(self):
        first, second = self.booting_group()
        answer = self.complete(first)
        self.assertEqual(answer["ResponseMetadata"]["HTTPStatusCode"], 200)
        self.assertEqual(set(answer) - {"ResponseMetadata"}, set())
        self.assertEqual(self.recorded(first), {"boot": "CONTINUE"})
        self.assertEqual(self.recorded(second), {})
        self.assertEqual(self.instance_ids(), [first, second])

    def test_a_completed_action_is_no_longer_in_progress(self):
        first, _ = self.booting_group()
        self.complete(first)
        self.assertEqual(
            self.refused(self.complete, instance_id=first), f"No active Lifecycle Action found with instance ID {first}"
        )

    def test_abandon_terminates_the_instance_and_the_group_launches_its_own_version_instead(self):
        first, second = self.booting_group(version="2")
        self.complete(first, "ABANDON")
        ids = self.instance_ids()
        self.assertNotIn(first, ids)
        self.assertIn(second, ids)
        self.assertEqual(len(ids), 2)
        self.assertEqual(self.instance_versions(), ["2", "2"])
        reservations = self.ec2.describe_instances(InstanceIds=[first])["Reservations"]
        self.assertEqual(reservations[0]["Instances"][0]["State"]["Name"], "terminated")

    def test_an_unknown_group_is_refused(self):
        (instance_id,) = self.booting_group(1)
        message = self.refused(self.complete, instance_id=instance_id, AutoScalingGroupName="api")
        self.assertEqual(message, "AutoScalingGroup name not found - AutoScalingGroup api not found")

    def test_a_hook_the_group_does_not_have_is_refused(self):
        (instance_id,) = self.booting_group(1)
        message = self.refused(self.complete, instance_id=instance_id, LifecycleHookName="drain")
        self.assertEqual(message, f"No active Lifecycle Action found with instance ID {instance_id}")

    def test_a_termination_hook_has_no_action_in_progress(self):
        (instance_id,) = self.booting_group(1)
        self.autoscaling.put_lifecycle_hook(
            LifecycleHookName="drain",
            AutoScalingGroupName="web",
            LifecycleTransition="autoscaling:EC2_INSTANCE_TERMINATING",
        )
        message = self.refused(self.complete, instance_id=instance_id, LifecycleHookName="drain")
        self.assertEqual(message, f"No active Lifecycle Action found with instance ID {instance_id}")

    def test_an_instance_not_in_the_group_is_refused(self):
        self.booting_group(1)
        stranger = self.ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
        message = self.refused(self.complete, instance_id=stranger)
        self.assertEqual(message, f"No active Lifecycle Action found with instance ID {stranger}")

    def test_a_result_other_than_continue_or_abandon_is_refused_and_changes_nothing(self):
        (instance_id,) = self.booting_group(1)
        message = self.refused(self.complete, instance_id=instance_id, result="RETRY")
        self.assertEqual(message, "LifecycleActionResult 'RETRY' is not valid: it must be CONTINUE or ABANDON")
        self.assertEqual(self.instance_ids(), [instance_id])
        self.assertEqual(self.recorded(instance_id), {})

    def test_a_heartbeat_is_accepted_for_an_action_in_progress_and_refused_as_completion_is(self):
        (instance_id,) = self.booting_group(1)
        beat = self.autoscaling.record_lifecycle_action_heartbeat
        answer = beat(AutoScalingGroupName="web", LifecycleHookName="boot", InstanceId=instance_id)
        self.assertEqual(set(answer) - {"ResponseMetadata"}, set())
        self.assertEqual(self.recorded(instance_id), {})
        message = self.refused(beat, AutoScalingGroupName="web", LifecycleHookName="drain", InstanceId=instance_id)
        self.assertEqual(message, f"No active Lifecycle Action found with instance ID {instance_id}")

    def test_the_boot_scripts_signed_get_request_is_routed(self):
        (instance_id,) = self.booting_group(1)
        query = urlencode(
            {
                "Action": "CompleteLifecycleAction",
                "AutoScalingGroupName": "web",
                "InstanceId": instance_id,
                "LifecycleActionResult": "CONTINUE",
                "LifecycleHookName": "boot",
                "Version": "2011-01-01",
            }
        )
        request = botocore.awsrequest.AWSRequest(
            method="GET", url=f"https://autoscaling.{REGION}.amazonaws.com/?{query}"
        )
        botocore.auth.SigV4Auth(_SESSION.get_credentials(), "autoscaling", REGION).add_auth(request)
        answer = requests.get(request.url, headers=dict(request.headers.items()), timeout=10)
        self.assertEqual(answer.status_code, 200, answer.text)
        self.assertIn("<CompleteLifecycleActionResponse", answer.text)
        self.assertEqual(self.recorded(instance_id), {"boot": "CONTINUE"})


if __name__ == "__main__":
    unittest.main()
