"""SetInstanceHealth Unhealthy (fixes/unhealthy_replacement.py): the instance stays in its group, Unhealthy, until
the group replaces it a moment later, from the group's own launch template version, as AWS does."""

import time
import unittest

from moto_case import InProcessMoto

from fixes import unhealthy_replacement
from fixes.unhealthy_replacement import launches_needed


class LaunchesNeeded(unittest.TestCase):
    def test_launches_what_the_desired_capacity_lacks_and_never_a_negative_count(self):
        self.assertEqual([launches_needed(1, 2), launches_needed(2, 2), launches_needed(3, 2)], [1, 0, 0])


class Replacement(InProcessMoto):
    def sick(self) -> str:
        """A group of two on version 1, one of them set Unhealthy; its id."""
        self.group(self.template(), 2)
        instance_id = self.instance_ids()[0]
        self.autoscaling.set_instance_health(InstanceId=instance_id, HealthStatus="Unhealthy")
        return instance_id

    def health(self) -> dict[str, str]:
        return {i["InstanceId"]: i["HealthStatus"] for i in self.described_group()["Instances"]}

    def test_an_unhealthy_instance_stays_in_its_group_until_the_group_replaces_it(self):
        sick = self.sick()
        self.assertEqual(self.health()[sick], "Unhealthy")
        self.wait_until(lambda: sick not in self.instance_ids(), "replaced the unhealthy instance")
        self.assertEqual(sorted(self.health().values()), ["Healthy", "Healthy"])
        self.assertEqual(self.instance_versions(), ["1", "1"])
        reservations = self.ec2.describe_instances(InstanceIds=[sick])["Reservations"]
        self.assertEqual(reservations[0]["Instances"][0]["State"]["Name"], "terminated")

    def test_the_replacement_launches_the_groups_own_version(self):
        template_id = self.template(versions=2)
        self.group(template_id, 1, version="2")
        sick = self.instance_ids()[0]
        self.autoscaling.set_instance_health(InstanceId=sick, HealthStatus="Unhealthy")
        self.wait_until(lambda: sick not in self.instance_ids(), "replaced the unhealthy instance")
        self.assertEqual(self.instance_versions(), ["2"])

    def test_an_instance_set_healthy_again_in_time_stays(self):
        sick = self.sick()
        self.autoscaling.set_instance_health(InstanceId=sick, HealthStatus="Healthy")
        time.sleep(unhealthy_replacement.REPLACEMENT_DELAY_SECONDS * 2)
        self.assertIn(sick, self.instance_ids())

    def test_a_group_with_replace_unhealthy_suspended_keeps_its_unhealthy_instance(self):
        self.group(self.template(), 2)
        self.autoscaling.suspend_processes(AutoScalingGroupName="web", ScalingProcesses=["ReplaceUnhealthy"])
        sick = self.instance_ids()[0]
        self.autoscaling.set_instance_health(InstanceId=sick, HealthStatus="Unhealthy")
        time.sleep(unhealthy_replacement.REPLACEMENT_DELAY_SECONDS * 2)
        self.assertEqual(self.health()[sick], "Unhealthy")
        self.assertEqual(len(self.instance_ids()), 2)


if __name__ == "__main__":
    unittest.main()
