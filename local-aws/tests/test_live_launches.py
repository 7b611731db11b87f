"""A group's launch lifecycle hook while a live fleet boots the instances (fixes/live_launches.py): Pending:Wait until
the hook is completed, an instance refresh that waits for the instances it launched, and the hook's heartbeat timeout
applying its DefaultResult. Without the live fleet's file, each of the same calls keeps moto's behaviour."""

import os
import tempfile
import threading
import time
import unittest
from datetime import datetime, timezone

from moto.autoscaling.models import autoscaling_backends
from moto.core import DEFAULT_ACCOUNT_ID

from moto_case import REGION, ZONE, InProcessMoto

from fixes import live_health
from fixes.lifecycle_actions import lifecycle_results
from fixes.live_launches import launch_completed, shown_lifecycle_state

LAUNCHING = "autoscaling:EC2_INSTANCE_LAUNCHING"


class LaunchCompleted(unittest.TestCase):
    def test_completed_once_every_launch_hook_has_continue(self):
        self.assertTrue(launch_completed(["boot"], {"boot": "CONTINUE"}))
        self.assertTrue(launch_completed(["boot", "warm"], {"boot": "CONTINUE", "warm": "CONTINUE"}))
        self.assertFalse(launch_completed(["boot"], {}))
        self.assertFalse(launch_completed(["boot", "warm"], {"boot": "CONTINUE"}))

    def test_a_group_without_launch_hooks_holds_nothing(self):
        self.assertTrue(launch_completed([], {}))

    def test_only_continue_completes(self):
        self.assertFalse(launch_completed(["boot"], {"boot": "ABANDON"}))


class ShownLifecycleState(unittest.TestCase):
    def test_an_instance_moto_has_in_service_waits_while_live_until_completed(self):
        self.assertEqual(shown_lifecycle_state("InService", live=True, completed=False), "Pending:Wait")
        self.assertEqual(shown_lifecycle_state("InService", live=True, completed=True), "InService")

    def test_without_the_live_fleet_moto_answers(self):
        self.assertEqual(shown_lifecycle_state("InService", live=False, completed=False), "InService")

    def test_other_states_are_shown_as_they_are(self):
        for state in ("Standby", "Terminating", "Detaching"):
            self.assertEqual(shown_lifecycle_state(state, live=True, completed=False), state)


class LiveFleetCase(InProcessMoto):
    """A template and, for each test, the live fleet's file written (live) or not (not_live)."""

    def setUp(self) -> None:
        super().setUp()
        self.template_id = self.template(versions=2)
        saved = live_health.LIVE_HEALTH_PATH
        self.addCleanup(setattr, live_health, "LIVE_HEALTH_PATH", saved)
        directory = tempfile.TemporaryDirectory()
        self.addCleanup(directory.cleanup)
        self.live_file = os.path.join(directory.name, "live-health.json")

    def live(self) -> None:
        """The runner runs: its file exists (what is in it does not matter here)."""
        with open(self.live_file, "w", encoding="utf-8") as file:
            file.write('{"classic": {}, "network": {}}')
        live_health.LIVE_HEALTH_PATH = self.live_file

    def not_live(self) -> None:
        """The path is set, but the runner has stopped (or not started): no file."""
        live_health.LIVE_HEALTH_PATH = self.live_file

    def hook(self, timeout: int = 600, default: str = "ABANDON", transition: str = LAUNCHING) -> None:
        self.autoscaling.put_lifecycle_hook(
            LifecycleHookName="boot",
            AutoScalingGroupName="web",
            LifecycleTransition=transition,
            HeartbeatTimeout=timeout,
            DefaultResult=default,
        )

    def hooked_group(self, size: int, timeout: int = 600, default: str = "ABANDON", version: str = "1") -> list[str]:
        """A group created empty, given its boot hook, then scaled to size, as the AWS provider creates a group with
        an initial lifecycle hook: its instances launch with the hook in place. Their ids."""
        self.autoscaling.create_auto_scaling_group(
            AutoScalingGroupName="web",
            LaunchTemplate={"LaunchTemplateId": self.template_id, "Version": version},
            MinSize=0,
            MaxSize=4,
            DesiredCapacity=0,
            AvailabilityZones=[ZONE],
        )
        self.hook(timeout, default)
        self.autoscaling.set_desired_capacity(AutoScalingGroupName="web", DesiredCapacity=size)
        return self.instance_ids()

    def complete(self, instance_id: str, result: str = "CONTINUE") -> None:
        self.autoscaling.complete_lifecycle_action(
            AutoScalingGroupName="web",
            LifecycleHookName="boot",
            InstanceId=instance_id,
            LifecycleActionResult=result,
        )

    def heartbeat(self, instance_id: str) -> None:
        self.autoscaling.record_lifecycle_action_heartbeat(
            AutoScalingGroupName="web", LifecycleHookName="boot", InstanceId=instance_id
        )

    def shown(self) -> dict[str, str]:
        """Each instance's LifecycleState as DescribeAutoScalingGroups shows it."""
        return {i["InstanceId"]: i["LifecycleState"] for i in self.described_group()["Instances"]}

    def shown_one_by_one(self) -> dict[str, str]:
        """Each instance's LifecycleState as DescribeAutoScalingInstances shows it."""
        found = self.autoscaling.describe_auto_scaling_instances()["AutoScalingInstances"]
        return {i["InstanceId"]: i["LifecycleState"] for i in found}

    def moto_states(self) -> dict[str, str]:
        """moto's own lifecycle_state of each instance, by which it counts capacity and registers load balancers."""
        group = autoscaling_backends[DEFAULT_ACCOUNT_ID][REGION].autoscaling_groups["web"]
        return {state.instance.id: state.lifecycle_state for state in group.instance_states}

    def recorded(self, instance_id: str) -> dict[str, str]:
        group = autoscaling_backends[DEFAULT_ACCOUNT_ID][REGION].autoscaling_groups["web"]
        return next(lifecycle_results(s) for s in group.instance_states if s.instance.id == instance_id)

    def ec2_state(self, instance_id: str) -> str:
        reservations = self.ec2.describe_instances(InstanceIds=[instance_id])["Reservations"]
        return str(reservations[0]["Instances"][0]["State"]["Name"])


class PendingWait(LiveFleetCase):
    def test_live_an_instance_waits_until_it_completes_the_launch_hook(self):
        self.live()
        first, second = self.hooked_group(2)
        self.assertEqual(self.shown(), {first: "Pending:Wait", second: "Pending:Wait"})
        self.assertEqual(self.shown_one_by_one(), {first: "Pending:Wait", second: "Pending:Wait"})
        self.complete(first)
        self.assertEqual(self.shown(), {first: "InService", second: "Pending:Wait"})
        self.assertEqual(self.shown_one_by_one(), {first: "InService", second: "Pending:Wait"})

    def test_live_the_wait_is_shown_only_moto_keeps_its_instances_in_service(self):
        self.live()
        first, second = self.hooked_group(2)
        self.assertEqual(self.moto_states(), {first: "InService", second: "InService"})

    def test_live_an_instance_of_a_group_without_a_launch_hook_is_in_service(self):
        self.live()
        self.group(self.template_id, 1)
        self.hook(transition="autoscaling:EC2_INSTANCE_TERMINATING")
        (instance_id,) = self.instance_ids()
        self.assertEqual(self.shown(), {instance_id: "InService"})

    def test_not_live_an_instance_is_in_service_from_its_launch(self):
        self.not_live()
        first, second = self.hooked_group(2)
        self.assertEqual(self.shown(), {first: "InService", second: "InService"})
        self.assertEqual(self.shown_one_by_one(), {first: "InService", second: "InService"})

    def test_once_the_runner_stops_a_waiting_instance_is_in_service_again(self):
        self.live()
        (instance_id,) = self.hooked_group(1)
        self.assertEqual(self.shown(), {instance_id: "Pending:Wait"})
        os.remove(self.live_file)
        self.assertEqual(self.shown(), {instance_id: "InService"})


class HeartbeatTimeout(LiveFleetCase):
    """A boot hook with a HeartbeatTimeout of 1 s (AWS's least is 30 s; moto takes any)."""

    def test_live_abandon_by_default_terminates_and_replaces_an_instance_that_never_completes(self):
        self.live()
        (stuck,) = self.hooked_group(1, timeout=1, default="ABANDON", version="2")
        self.assertEqual(self.shown(), {stuck: "Pending:Wait"})
        self.wait_until(lambda: stuck not in self.instance_ids(), "abandoned the instance that never completed")
        self.assertEqual(self.ec2_state(stuck), "terminated")
        (replacement,) = self.instance_ids()
        self.assertEqual(self.instance_versions(), ["2"])
        self.assertEqual(self.shown(), {replacement: "Pending:Wait"})
        self.complete(replacement)  # its own timer then finds it completed
        self.assertEqual(self.shown(), {replacement: "InService"})

    def test_live_continue_by_default_is_recorded_and_the_instance_stays(self):
        self.live()
        (slow,) = self.hooked_group(1, timeout=1, default="CONTINUE")
        self.wait_until(lambda: self.shown() == {slow: "InService"}, "continued the instance that never completed")
        self.assertEqual(self.recorded(slow), {"boot": "CONTINUE"})

    def test_live_an_instance_that_completed_in_time_is_left_alone(self):
        self.live()
        (booted,) = self.hooked_group(1, timeout=1, default="ABANDON")
        self.complete(booted)
        time.sleep(1.5)
        self.assertEqual(self.shown(), {booted: "InService"})

    def test_live_each_heartbeat_moves_the_timeout_to_a_heartbeat_timeout_from_then(self):
        self.live()
        (beating,) = self.hooked_group(1, timeout=1, default="ABANDON")
        for _ in range(3):
            time.sleep(0.6)
            self.heartbeat(beating)
        self.assertEqual(self.shown(), {beating: "Pending:Wait"})  # 1.8 s after its launch
        self.wait_until(lambda: beating not in self.instance_ids(), "abandoned it once the heartbeats stopped")

    def test_not_live_no_timeout_applies(self):
        self.not_live()
        (instance_id,) = self.hooked_group(1, timeout=1, default="ABANDON")
        time.sleep(1.5)
        self.assertEqual(self.shown(), {instance_id: "InService"})
        self.assertEqual(self.recorded(instance_id), {})

    def test_a_timeout_that_comes_after_the_runner_stopped_changes_nothing(self):
        self.live()
        (instance_id,) = self.hooked_group(1, timeout=1, default="ABANDON")
        os.remove(self.live_file)
        time.sleep(1.5)
        self.assertEqual(self.instance_ids(), [instance_id])


def to_version(template_id: str, version: str) -> dict:
    return {"LaunchTemplate": {"LaunchTemplateId": template_id, "Version": version}}


LAUNCH_FIRST = {"InstanceWarmup": 0, "MinHealthyPercentage": 100, "MaxHealthyPercentage": 200}
TERMINATE_FIRST = {"InstanceWarmup": 0, "MinHealthyPercentage": 0}


class RefreshWaits(LiveFleetCase):
    """A group of one on version 1, booted, refreshed to version 2 with a warmup of 0."""

    def booted_group(self) -> str:
        (booted,) = self.hooked_group(1)
        self.complete(booted)
        return booted

    def refresh_to_2(self, preferences: dict) -> str:
        return self.start(DesiredConfiguration=to_version(self.template_id, "2"), Preferences=preferences)

    def new_instance(self, old: str) -> str:
        return next(i for i in self.instance_ids() if i != old)

    def continued_later(self, instance_id: str, seconds: float) -> list[datetime]:
        """Completes the instance's launch hook from a timer, as its boot would; the time it called, once it has."""
        done: list[datetime] = []

        def boot_ends() -> None:
            called = datetime.now(timezone.utc)
            self.complete(instance_id, "CONTINUE")
            done.append(called)

        timer = threading.Timer(seconds, boot_ends)
        timer.start()
        self.addCleanup(timer.cancel)
        return done

    def ends_successful_only_once_its_new_instance_continues(self, preferences: dict) -> None:
        self.live()
        old = self.booted_group()
        refresh_id = self.refresh_to_2(preferences)
        waiting = self.wait_for_reason(refresh_id, "Waiting for instance")
        new = self.new_instance(old)
        self.assertEqual(
            (waiting["Status"], waiting["StatusReason"]),
            ("InProgress", f"Waiting for instance {new} to complete its launch lifecycle action."),
        )
        self.assertEqual(self.shown()[new], "Pending:Wait")
        continued = self.continued_later(new, 0.5)
        refresh = self.wait_for(refresh_id)
        self.assertEqual(refresh["Status"], "Successful")
        self.assertNotIn("StatusReason", refresh)
        self.assertEqual(len(continued), 1)
        self.assertGreaterEqual(refresh["EndTime"], continued[0].replace(microsecond=0))
        self.assertEqual(self.shown(), {new: "InService"})

    def test_live_launching_first_its_warmup_starts_once_the_new_instance_completed_the_hook(self):
        self.ends_successful_only_once_its_new_instance_continues(LAUNCH_FIRST)

    def test_live_terminating_first_its_warmup_starts_once_the_new_instance_completed_the_hook(self):
        self.ends_successful_only_once_its_new_instance_continues(TERMINATE_FIRST)

    def test_live_a_new_instance_that_abandons_its_launch_fails_the_refresh(self):
        self.live()
        old = self.booted_group()
        refresh_id = self.refresh_to_2({**TERMINATE_FIRST, "AutoRollback": False})
        self.wait_for_reason(refresh_id, "Waiting for instance")
        new = self.new_instance(old)
        self.complete(new, "ABANDON")
        refresh = self.wait_for(refresh_id)
        self.assertEqual(
            (refresh["Status"], refresh["StatusReason"]),
            (
                "Failed",
                f"The instance refresh failed because instance {new}, which it launched, abandoned its launch "
                "lifecycle action.",
            ),
        )
        # The group replaced the abandoned instance from its own version: the refresh's was never applied to it.
        self.assertEqual(self.instance_versions(), ["1"])

    def test_live_an_abandoned_launch_rolls_back_with_auto_rollback(self):
        self.live()
        old = self.booted_group()
        refresh_id = self.refresh_to_2({**LAUNCH_FIRST, "AutoRollback": True})
        self.wait_for_reason(refresh_id, "Waiting for instance")
        new = self.new_instance(old)
        self.complete(new, "ABANDON")
        refresh = self.wait_for(refresh_id)
        self.assertEqual(
            (refresh["Status"], refresh["RollbackDetails"]["RollbackReason"]),
            (
                "RollbackSuccessful",
                f"The instance refresh failed because instance {new}, which it launched, abandoned its launch "
                "lifecycle action.",
            ),
        )
        self.assertEqual(self.instance_ids(), [old])

    def test_live_a_cancel_stops_a_refresh_waiting_for_its_new_instance(self):
        self.live()
        old = self.booted_group()
        refresh_id = self.refresh_to_2(LAUNCH_FIRST)
        self.wait_for_reason(refresh_id, "Waiting for instance")
        new = self.new_instance(old)
        self.autoscaling.cancel_instance_refresh(AutoScalingGroupName="web")
        refresh = self.wait_for(refresh_id)
        self.assertEqual(refresh["Status"], "Cancelled")
        self.assertNotIn("StatusReason", refresh)
        # The batch still booting counts as deployed, as one still warming up does: the old instance is shed.
        self.assertEqual(self.instance_ids(), [new])

    def test_not_live_nothing_waits(self):
        self.not_live()
        self.booted_group()
        refresh = self.wait_for(self.refresh_to_2(TERMINATE_FIRST))
        self.assertEqual(refresh["Status"], "Successful")
        self.assertEqual(self.instance_versions(), ["2"])
        self.assertEqual(list(self.shown().values()), ["InService"])


if __name__ == "__main__":
    unittest.main()
