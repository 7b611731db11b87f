"""DescribeInstanceHealth and DescribeTargetHealth from a live fleet's file (fixes/live_health.py): a load balancer or
target group the file lists answers each registered instance as the file says (or "registering" until the file has
it); everything else, and everything without a readable file, keeps moto's answer."""

import json
import os
import tempfile
import unittest
from typing import Any

from moto_case import REGION, ZONE, InProcessMoto, _SESSION

from fixes import elb_registration, live_health
from fixes.live_health import (
    CLASSIC_REGISTERING,
    TARGET_REGISTERING,
    NotALiveView,
    classic_states,
    listed,
    parse_view,
    read_view,
    target_health,
)

IN_SERVICE = {"State": "InService", "ReasonCode": "N/A", "Description": "N/A"}
FAILING = {
    "State": "OutOfService",
    "ReasonCode": "Instance",
    "Description": "Instance has failed at least the UnhealthyThreshold number of health checks consecutively.",
}
HEALTHY = {"State": "healthy"}
UNHEALTHY = {"State": "unhealthy", "Reason": "Target.FailedHealthChecks", "Description": "Health checks failed"}


def view(classic: dict[str, Any] | None = None, network: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"classic": classic or {}, "network": network or {}}


class ParseView(unittest.TestCase):
    def test_the_runners_shape_is_read_as_written(self):
        written = view(
            classic={REGION: {"port-9000": {"i-1": IN_SERVICE, "i-2": FAILING}}},
            network={REGION: {"tg-9000": {"i-1": HEALTHY, "i-2": UNHEALTHY}}},
        )
        self.assertEqual(parse_view(json.dumps(written)), written)

    def test_a_file_with_one_kind_only_lists_nothing_of_the_other(self):
        self.assertEqual(parse_view('{"classic": {}}'), view())

    def test_anything_else_is_no_live_view_naming_what_is_wrong(self):
        cases = {
            "not JSON": "{",
            "not a JSON object": "[]",
            "'clasic': only 'classic' and 'network' are read": '{"clasic": {}}',
            "classic.us-east-1: expected a JSON object, not list": '{"classic": {"us-east-1": []}}',
            "classic.us-east-1.lb.i-1.State='Healthy': expected InService or OutOfService": json.dumps(
                view(classic={REGION: {"lb": {"i-1": {**IN_SERVICE, "State": "Healthy"}}}})
            ),
            "classic.us-east-1.lb.i-1.Description: missing": json.dumps(
                view(classic={REGION: {"lb": {"i-1": {"State": "InService", "ReasonCode": "N/A"}}}})
            ),
            "network.us-east-1.tg.i-1.reason: not a field": json.dumps(
                view(network={REGION: {"tg": {"i-1": {"State": "unhealthy", "reason": "Target.Timeout"}}}})
            ),
            "network.us-east-1.tg.i-1.Reason='Target.Timeout': expected": json.dumps(
                view(network={REGION: {"tg": {"i-1": {"State": "unhealthy", "Reason": "Target.Timeout"}}}})
            ),
        }
        for problem, text in cases.items():
            with self.subTest(problem), self.assertRaises(NotALiveView) as refused:
                parse_view(text)
            self.assertIn(problem, str(refused.exception))


class Answers(unittest.TestCase):
    LISTED = {"i-checked": FAILING}
    MOTO = [
        {"InstanceId": "i-checked", "State": "InService", "ReasonCode": "N/A", "Description": "N/A"},
        {"InstanceId": "i-new", "State": "InService", "ReasonCode": "N/A", "Description": "N/A"},
        {"InstanceId": "i-stranger", "State": "Unknown", "ReasonCode": "N/A", "Description": "N/A"},
    ]

    def test_a_listed_balancer_answers_its_registered_instances_from_the_file_or_as_registering(self):
        answered = classic_states(self.LISTED, ["i-checked", "i-new"], self.MOTO)
        self.assertEqual(
            answered,
            [
                {"InstanceId": "i-checked", **FAILING},
                {"InstanceId": "i-new", **CLASSIC_REGISTERING},
                self.MOTO[2],
            ],
        )

    def test_a_balancer_the_file_does_not_list_keeps_the_answer(self):
        self.assertEqual(classic_states(None, ["i-checked", "i-new"], self.MOTO), self.MOTO)

    def test_a_target_is_the_files_entry_or_registering(self):
        self.assertEqual(target_health({"i-1": UNHEALTHY}, "i-1"), UNHEALTHY)
        self.assertEqual(target_health({"i-1": UNHEALTHY}, "i-2"), TARGET_REGISTERING)

    def test_only_the_region_and_name_the_file_lists(self):
        live = view(classic={REGION: {"port-9000": self.LISTED}})
        self.assertEqual(listed(live, "classic", REGION, "port-9000"), self.LISTED)
        self.assertIsNone(listed(live, "classic", "eu-west-1", "port-9000"))
        self.assertIsNone(listed(live, "classic", REGION, "port-9001"))
        self.assertIsNone(listed(live, "network", REGION, "port-9000"))
        self.assertIsNone(listed(None, "classic", REGION, "port-9000"))


class LiveFile(unittest.TestCase):
    """A file the runner replaces by rename, read on every call."""

    def setUp(self) -> None:
        directory = tempfile.TemporaryDirectory()
        self.addCleanup(directory.cleanup)
        self.path = os.path.join(directory.name, "live-health.json")
        saved = live_health.LIVE_HEALTH_PATH
        self.addCleanup(setattr, live_health, "LIVE_HEALTH_PATH", saved)
        live_health.LIVE_HEALTH_PATH = self.path

    def write(self, content: dict[str, Any] | str) -> None:
        text = content if isinstance(content, str) else json.dumps(content)
        with open(self.path + ".next", "w", encoding="utf-8") as file:
            file.write(text)
        os.replace(self.path + ".next", self.path)


class ReadView(LiveFile):
    def test_no_path_or_no_file_yet_is_no_live_view(self):
        self.assertIsNone(read_view(None))
        self.assertIsNone(read_view(self.path))

    def test_each_read_sees_the_file_as_it_is_now(self):
        first = view(classic={REGION: {"lb": {"i-1": IN_SERVICE}}})
        self.write(first)
        self.assertEqual(read_view(self.path), first)
        self.write(view())
        self.assertEqual(read_view(self.path), view())

    def test_a_file_of_another_shape_is_no_live_view_and_is_logged_once(self):
        self.write('{"classic": []}')
        with self.assertLogs(live_health.__name__, "WARNING") as logged:
            self.assertIsNone(read_view(self.path))
            self.assertIsNone(read_view(self.path))
        self.assertEqual(len(logged.records), 1)
        self.assertIn("CLOUDRIM_LOCAL_AWS_LIVE_HEALTH=", logged.output[0])
        self.assertIn("classic: expected a JSON object", logged.output[0])


class DescribeInstanceHealth(LiveFile, InProcessMoto):
    def setUp(self) -> None:
        LiveFile.setUp(self)
        InProcessMoto.setUp(self)
        self.elb = _SESSION.client("elb", region_name=REGION)
        for port in (9000, 9001):
            self.elb.create_load_balancer(
                LoadBalancerName=f"port-{port}",
                Listeners=[{"Protocol": "TCP", "LoadBalancerPort": port, "InstancePort": port}],
                AvailabilityZones=[ZONE],
            )
        self.group(self.template(), 2, LoadBalancerNames=["port-9000", "port-9001"])
        self.checked, self.unchecked = self.instance_ids()

    def states(self, balancer: str = "port-9000", **request: Any) -> dict[str, dict[str, str]]:
        answer = self.elb.describe_instance_health(LoadBalancerName=balancer, **request)["InstanceStates"]
        return {s["InstanceId"]: {key: s[key] for key in ("State", "ReasonCode", "Description")} for s in answer}

    def test_a_listed_balancer_answers_as_the_file_says_and_registering_for_what_it_lacks(self):
        self.write(view(classic={REGION: {"port-9000": {self.checked: FAILING}}}))
        self.assertEqual(self.states(), {self.checked: FAILING, self.unchecked: CLASSIC_REGISTERING})

    def test_a_balancer_the_file_does_not_list_keeps_motos_answer(self):
        self.write(view(classic={REGION: {"port-9000": {self.checked: FAILING}}}))
        self.assertEqual(self.states()[self.checked], FAILING)
        self.assertEqual(self.states("port-9001"), {self.checked: IN_SERVICE, self.unchecked: IN_SERVICE})

    def test_a_balancer_listed_for_another_region_only_keeps_motos_answer(self):
        self.write(
            view(
                classic={
                    REGION: {"port-9000": {self.checked: FAILING}},
                    "eu-west-1": {"port-9001": {self.checked: FAILING}},
                }
            )
        )
        self.assertEqual(self.states()[self.checked], FAILING)
        self.assertEqual(self.states("port-9001")[self.checked], IN_SERVICE)

    def test_an_instance_asked_for_that_is_not_registered_stays_unknown(self):
        stranger = self.ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
        self.write(view(classic={REGION: {"port-9000": {self.checked: FAILING, stranger: IN_SERVICE}}}))
        answer = self.states(Instances=[{"InstanceId": self.checked}, {"InstanceId": stranger}])
        self.assertEqual(answer[self.checked], FAILING)
        self.assertEqual(answer[stranger]["State"], "Unknown")

    def test_every_call_reads_the_file_and_one_that_does_not_parse_leaves_motos_answer(self):
        self.write(view(classic={REGION: {"port-9000": {self.checked: FAILING, self.unchecked: FAILING}}}))
        self.assertEqual(self.states()[self.checked], FAILING)
        self.write(view(classic={REGION: {"port-9000": {self.checked: IN_SERVICE, self.unchecked: FAILING}}}))
        self.assertEqual(self.states()[self.checked], IN_SERVICE)
        self.write("{not json")
        with self.assertLogs(live_health.__name__, "WARNING"):
            self.assertEqual(self.states()[self.unchecked], IN_SERVICE)
        os.remove(self.path)
        self.assertEqual(self.states()[self.unchecked], IN_SERVICE)

    def test_the_live_answer_wins_over_elb_registration_for_a_listed_balancer_only(self):
        saved = elb_registration.REGISTRATION_SECONDS
        self.addCleanup(setattr, elb_registration, "REGISTRATION_SECONDS", saved)
        elb_registration.REGISTRATION_SECONDS = 60
        stranger = self.ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
        for balancer in ("port-9000", "port-9001"):
            self.elb.register_instances_with_load_balancer(
                LoadBalancerName=balancer, Instances=[{"InstanceId": stranger}]
            )
        self.write(view(classic={REGION: {"port-9000": {stranger: IN_SERVICE}}}))
        self.assertEqual(self.states("port-9000")[stranger], IN_SERVICE)
        self.assertEqual(self.states("port-9001")[stranger], CLASSIC_REGISTERING)


class DescribeTargetHealth(LiveFile, InProcessMoto):
    def setUp(self) -> None:
        LiveFile.setUp(self)
        InProcessMoto.setUp(self)
        self.elbv2 = _SESSION.client("elbv2", region_name=REGION)
        vpc = self.ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        subnet = self.ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.0.0/24", AvailabilityZone=ZONE)["Subnet"]
        self.arns = {}
        for port in (9000, 9001):
            made = self.elbv2.create_target_group(
                Name=f"tg-{port}", Protocol="TCP", Port=port, VpcId=vpc, TargetType="instance"
            )
            self.arns[port] = made["TargetGroups"][0]["TargetGroupArn"]
        launched = self.ec2.run_instances(ImageId="ami-12c6146b", MinCount=3, MaxCount=3, SubnetId=subnet["SubnetId"])
        self.checked, self.unchecked, self.stranger = [i["InstanceId"] for i in launched["Instances"]]
        for arn in self.arns.values():
            self.elbv2.register_targets(
                TargetGroupArn=arn, Targets=[{"Id": self.checked}, {"Id": self.unchecked}]
            )

    def health(self, port: int = 9000, **request: Any) -> dict[str, dict[str, str]]:
        answer = self.elbv2.describe_target_health(TargetGroupArn=self.arns[port], **request)
        return {d["Target"]["Id"]: d["TargetHealth"] for d in answer["TargetHealthDescriptions"]}

    def test_a_listed_target_group_answers_as_the_file_says_and_initial_for_what_it_lacks(self):
        self.write(view(network={REGION: {"tg-9000": {self.checked: UNHEALTHY}}}))
        self.assertEqual(self.health(), {self.checked: UNHEALTHY, self.unchecked: TARGET_REGISTERING})

    def test_a_healthy_target_has_no_reason(self):
        self.write(view(network={REGION: {"tg-9000": {self.checked: HEALTHY, self.unchecked: UNHEALTHY}}}))
        self.assertEqual(self.health(), {self.checked: HEALTHY, self.unchecked: UNHEALTHY})

    def test_a_target_group_the_file_does_not_list_keeps_motos_answer(self):
        self.write(view(network={REGION: {"tg-9000": {self.checked: UNHEALTHY}}}))
        self.assertEqual(self.health()[self.checked], UNHEALTHY)
        self.assertEqual(self.health(9001), {self.checked: HEALTHY, self.unchecked: HEALTHY})

    def test_a_target_asked_for_that_is_not_registered_keeps_motos_answer(self):
        self.write(view(network={REGION: {"tg-9000": {self.checked: UNHEALTHY, self.stranger: HEALTHY}}}))
        answer = self.health(Targets=[{"Id": self.checked}, {"Id": self.stranger}])
        self.assertEqual(answer[self.checked], UNHEALTHY)
        self.assertEqual(answer[self.stranger]["State"], "unused")
        self.assertEqual(answer[self.stranger]["Reason"], "Target.NotRegistered")

    def test_every_call_reads_the_file_and_without_one_moto_answers(self):
        self.write(view(network={REGION: {"tg-9000": {self.checked: UNHEALTHY, self.unchecked: UNHEALTHY}}}))
        self.assertEqual(self.health()[self.checked], UNHEALTHY)
        self.write(view(network={REGION: {"tg-9000": {self.checked: HEALTHY, self.unchecked: UNHEALTHY}}}))
        self.assertEqual(self.health()[self.checked], HEALTHY)
        os.remove(self.path)
        self.assertEqual(self.health()[self.unchecked], HEALTHY)


if __name__ == "__main__":
    unittest.main()
