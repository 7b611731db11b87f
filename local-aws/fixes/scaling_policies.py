"""DescribePolicies as AWS answers it, so the AWS provider plans no change to a scaling policy on every run.

- AWS creates scaling policies enabled and says so (Enabled: true); moto leaves the field out, which the provider
  reads as false and plans to re-enable.
- AWS returns no PredictiveScalingConfiguration for other policy types; moto returns an empty one, which the
  provider plans to remove.
"""

from typing import Any

from moto.autoscaling.models import FakeScalingPolicy

_create_policy = FakeScalingPolicy.__init__


def _policy_as_aws_describes_it(self: FakeScalingPolicy, *args: Any, **kwargs: Any) -> None:
    _create_policy(self, *args, **kwargs)
    self.enabled = True
    if not self.predictive_scaling_configuration:
        self.predictive_scaling_configuration = None


def install() -> None:
    FakeScalingPolicy.__init__ = _policy_as_aws_describes_it
