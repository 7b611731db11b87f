"""DescribeInstanceHealth on a classic load balancer (fixes/elb_registration.py): with
CLOUDRIM_LOCAL_AWS_REGISTRATION_SECONDS set, a newly registered instance is OutOfService for its first checks, with
AWS's reason codes and descriptions, then InService; unset, moto's answer stands."""

import time
import unittest

from moto_case import REGION, ZONE, InProcessMoto, _SESSION

from fixes import elb_registration
from fixes.elb_registration import NOT_YET_HEALTHY, REGISTERING, registration_state
from fixes.emulator_settings import seconds

VARIABLE = "CLOUDRIM_LOCAL_AWS_REGISTRATION_SECONDS"
IN_SERVICE = {"State": "InService", "ReasonCode": "N/A", "Description": "N/A"}


class RegistrationState(unittest.TestCase):
    def test_registering_for_the_first_half_of_the_window_then_not_yet_healthy_then_in_service(self):
        self.assertEqual(
            [registration_state("InService", since, 10)["Description"] for since in (0, 4.9, 5, 9.9, 10)],
            [REGISTERING, REGISTERING, NOT_YET_HEALTHY, NOT_YET_HEALTHY, "N/A"],
        )
        codes = [registration_state("InService", since, 10)["ReasonCode"] for since in (0, 5, 10)]
        self.assertEqual(codes, ["ELB", "Instance", "N/A"])

    def test_a_window_of_0_keeps_motos_answer(self):
        self.assertEqual(registration_state("InService", 0, 0), IN_SERVICE)

    def test_an_instance_moto_reports_otherwise_or_registered_at_an_unknown_time_keeps_its_state(self):
        self.assertEqual(registration_state("OutOfService", 0, 10)["State"], "OutOfService")
        self.assertEqual(registration_state("Unknown", 0, 10)["State"], "Unknown")
        self.assertEqual(registration_state("InService", None, 10), IN_SERVICE)


class Setting(unittest.TestCase):
    def test_unset_or_empty_is_the_default_and_a_number_is_taken(self):
        self.assertEqual(
            [seconds({}, VARIABLE, 0), seconds({VARIABLE: " "}, VARIABLE, 0), seconds({VARIABLE: "2.5"}, VARIABLE, 0)],
            [0, 0, 2.5],
        )

    def test_a_bad_value_stops_the_server_naming_the_variable(self):
        for bad in ("soon", "-1", "nan"):
            with self.assertRaises(SystemExit) as stop:
                seconds({VARIABLE: bad}, VARIABLE, 0)
            self.assertIn(f"{VARIABLE}={bad!r}: must be a number of seconds, 0 or more", str(stop.exception))


class DescribeInstanceHealth(InProcessMoto):
    WINDOW = 2.0

    def setUp(self) -> None:
        super().setUp()
        self.elb = _SESSION.client("elb", region_name=REGION)
        self.elb.create_load_balancer(
            LoadBalancerName="port-9000",
            Listeners=[{"Protocol": "TCP", "LoadBalancerPort": 9000, "InstancePort": 9000}],
            AvailabilityZones=[ZONE],
        )
        saved = elb_registration.REGISTRATION_SECONDS
        self.addCleanup(setattr, elb_registration, "REGISTRATION_SECONDS", saved)

    def states(self) -> list[dict[str, str]]:
        answer = self.elb.describe_instance_health(LoadBalancerName="port-9000")["InstanceStates"]
        return [{key: state[key] for key in ("State", "ReasonCode", "Description")} for state in answer]

    def group_behind_the_balancer(self) -> float:
        """A group of one behind the load balancer; when its instance was registered (time.monotonic())."""
        self.group(self.template(), 1, LoadBalancerNames=["port-9000"])
        return time.monotonic()

    def sleep_until(self, moment: float) -> None:
        time.sleep(max(0, moment - time.monotonic()))

    def test_a_new_group_instance_is_registering_then_not_yet_healthy_then_in_service(self):
        elb_registration.REGISTRATION_SECONDS = self.WINDOW
        registered = self.group_behind_the_balancer()
        self.assertEqual(self.states(), [{"State": "OutOfService", "ReasonCode": "ELB", "Description": REGISTERING}])
        self.sleep_until(registered + self.WINDOW * 0.6)
        self.assertEqual(
            self.states(), [{"State": "OutOfService", "ReasonCode": "Instance", "Description": NOT_YET_HEALTHY}]
        )
        self.sleep_until(registered + self.WINDOW)
        self.assertEqual(self.states(), [IN_SERVICE])

    def test_an_instance_registered_by_hand_is_registering_too(self):
        elb_registration.REGISTRATION_SECONDS = self.WINDOW
        instance_id = self.ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1)["Instances"][0][
            "InstanceId"
        ]
        self.elb.register_instances_with_load_balancer(
            LoadBalancerName="port-9000", Instances=[{"InstanceId": instance_id}]
        )
        self.assertEqual(self.states()[0]["Description"], REGISTERING)

    def test_off_by_default_every_registered_instance_is_in_service_at_once(self):
        elb_registration.REGISTRATION_SECONDS = 0
        self.group_behind_the_balancer()
        self.assertEqual(self.states(), [IN_SERVICE])


if __name__ == "__main__":
    unittest.main()
