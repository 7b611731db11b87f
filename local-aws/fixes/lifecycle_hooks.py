"""DescribeLifecycleHooks: a hook's role and notification target only when they were given.

moto invents both for every hook (a queue and a role of another account), which the AWS provider plans to remove
on every run. PutLifecycleHook here takes neither, so a hook has none.
"""

from typing import Any

from moto.autoscaling.models import LifecycleHook

_create_hook = LifecycleHook.__init__


def _hook_as_given(self: LifecycleHook, *args: Any, **kwargs: Any) -> None:
    _create_hook(self, *args, **kwargs)
    self.role_arn = None
    self.notification_target_arn = None


def install() -> None:
    LifecycleHook.__init__ = _hook_as_given
