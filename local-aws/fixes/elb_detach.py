"""DetachLoadBalancers takes the group's instances out of the load balancers it names, and only those, as AWS does;
moto takes them out of every classic load balancer the group has. A deploy that removes one port's load balancer
then left the remaining ports with no instance until the group launched new ones, which a fleet without instance
refresh never does (test/e2e/no-refresh.e2e.test.ts).
"""

from __future__ import annotations

from moto.autoscaling.models import AutoScalingBackend


def _detach_load_balancers(self: AutoScalingBackend, group_name: str, load_balancer_names: list[str]) -> None:
    group = self.autoscaling_groups[group_name]
    detached = [name for name in group.load_balancer_names if name in load_balancer_names]
    group_instance_ids = {state.instance.id for state in group.instance_states}
    if detached:
        for balancer in self.elb_backend.describe_load_balancers(names=detached):
            self.elb_backend.deregister_instances(balancer.name, group_instance_ids, from_autoscaling=True)
    group.load_balancer_names = [name for name in group.load_balancer_names if name not in load_balancer_names]


def install() -> None:
    AutoScalingBackend.detach_load_balancers = _detach_load_balancers  # type: ignore[method-assign]
