"""The local AWS's own settings, read from the server's environment: each one a number of seconds (docs/local-aws-
internals.md lists them). Plain functions with no moto in them, so local-aws/tests checks them without a server."""

from __future__ import annotations

import math
from collections.abc import Mapping


def seconds(environment: Mapping[str, str], variable: str, default: float) -> float:
    """The variable's value, or the default when it is unset or empty. A bad value stops the server at its start,
    naming the variable, rather than serving without what was asked for."""
    given = environment.get(variable, "").strip()
    if given == "":
        return default
    try:
        value = float(given)
    except ValueError:
        value = math.nan
    if not value >= 0:  # also refuses nan
        raise SystemExit(f"{variable}={given!r}: must be a number of seconds, 0 or more (unset: {default:g})")
    return value
