"""What a fix keeps on one of moto's own objects (a balancer, an instance's state, a backend): a dict stored on it as
an attribute, so it goes with the object and moto's reset drops it with everything else. Plain Python, no moto."""

from __future__ import annotations

from typing import Any


def kept_dict(owner: Any, name: str) -> dict[str, Any]:
    """The dict kept on `owner` under `name`, made empty the first time."""
    kept: dict[str, Any] | None = getattr(owner, name, None)
    if kept is None:
        kept = {}
        setattr(owner, name, kept)
    return kept
