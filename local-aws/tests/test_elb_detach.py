"""DetachLoadBalancers (fixes/elb_detach.py): the group's instances leave the classic load balancers it names and
stay registered with the others, as on AWS."""

import unittest

from moto_case import REGION, ZONE, InProcessMoto, _SESSION


class DetachLoadBalancers(InProcessMoto):
    def setUp(self) -> None:
        super().setUp()
        self.elb = _SESSION.client("elb", region_name=REGION)
        for port in (9000, 9001, 9002):
            self.elb.create_load_balancer(
                LoadBalancerName=f"port-{port}",
                Listeners=[{"Protocol": "TCP", "LoadBalancerPort": 9000, "InstancePort": port}],
                AvailabilityZones=[ZONE],
            )

    def registered(self) -> dict[str, list[str]]:
        answer = self.elb.describe_load_balancers()["LoadBalancerDescriptions"]
        return {b["LoadBalancerName"]: [i["InstanceId"] for i in b["Instances"]] for b in answer}

    def test_one_port_detached_leaves_the_instances_with_the_others(self):
        group = self.group(self.template(), 1, LoadBalancerNames=["port-9000", "port-9001", "port-9002"])
        [instance] = self.instance_ids(group)
        self.autoscaling.detach_load_balancers(AutoScalingGroupName=group, LoadBalancerNames=["port-9002"])
        self.assertEqual(self.registered(), {"port-9000": [instance], "port-9001": [instance], "port-9002": []})
        self.assertEqual(sorted(self.described_group(group)["LoadBalancerNames"]), ["port-9000", "port-9001"])


if __name__ == "__main__":
    unittest.main()
