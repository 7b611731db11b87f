"""How CloudWatch decides an alarm's state, as plain functions with no moto in them (alarm_evaluation.py runs them on
moto's alarms and metric data): a metric alarm's datapoints (one per period, the statistic over the samples in it),
metric math over them, the breaching rule with datapoints to alarm and missing data, and a composite alarm's rule.

Time is in seconds and already scaled by the caller: a period here is the alarm's period in local seconds.

What is covered is what the fleet's alarms use (monitoring/alarms.ts, monitoring/serving.ts): the statistics
Minimum, Maximum, Sum, Average and SampleCount; metric math with numbers, metric ids, + - * /, comparisons, and the
functions ABS, IF, MAX, MIN, SUM, AVG (over a list `[a, b]` of series, per period); composite rules of ALARM, OK,
INSUFFICIENT_DATA, TRUE, FALSE, AND, OR, NOT and parentheses. Anything else raises UnsupportedAlarm, naming it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

# One value per period, None where the period has no data.
Series = list["float | None"]

COMPARISONS: dict[str, Callable[[float, float], bool]] = {
    "GreaterThanThreshold": lambda value, threshold: value > threshold,
    "GreaterThanOrEqualToThreshold": lambda value, threshold: value >= threshold,
    "LessThanThreshold": lambda value, threshold: value < threshold,
    "LessThanOrEqualToThreshold": lambda value, threshold: value <= threshold,
}

_WORDS = {
    "GreaterThanThreshold": "greater than",
    "GreaterThanOrEqualToThreshold": "greater than or equal to",
    "LessThanThreshold": "less than",
    "LessThanOrEqualToThreshold": "less than or equal to",
}


class UnsupportedAlarm(ValueError):
    """An alarm this evaluator cannot judge: it is left in the state it has, and the reason is logged once."""


@dataclass(frozen=True)
class Sample:
    at: float  # seconds since the epoch
    value: float
    # For data put as StatisticValues: how many samples, their sum, minimum and maximum.
    count: float = 1.0
    total: float | None = None
    minimum: float | None = None
    maximum: float | None = None


def statistic(name: str, samples: Sequence[Sample]) -> float | None:
    """The statistic over one period's samples; None for a period with none."""
    if name not in ("SampleCount", "Sum", "Average", "Minimum", "Maximum"):
        raise UnsupportedAlarm(f"statistic {name!r}")
    if not samples:
        return None
    count = sum(s.count for s in samples)
    total = sum(s.value * s.count if s.total is None else s.total for s in samples)
    if name == "SampleCount":
        return count
    if name == "Sum":
        return total
    if name == "Average":
        return total / count if count else None
    if name == "Minimum":
        return min(s.value if s.minimum is None else s.minimum for s in samples)
    return max(s.value if s.maximum is None else s.maximum for s in samples)


def period_series(samples: Sequence[Sample], stat: str, period: float, end: float, periods: int) -> Series:
    """`periods` datapoints, oldest first: the statistic over the samples of each period [end - (k+1)p, end - kp)."""
    series: Series = []
    for k in range(periods - 1, -1, -1):
        start, stop = end - (k + 1) * period, end - k * period
        series.append(statistic(stat, [s for s in samples if start <= s.at < stop]))
    return series


# --- metric math ---------------------------------------------------------------------------------------------------

_TOKEN = re.compile(r"\s*(?:(\d+(?:\.\d+)?)|([A-Za-z_][A-Za-z0-9_]*)|(>=|<=|==|!=|[-+*/()<>\[\],]))")


def _tokens(expression: str) -> list[str]:
    tokens, position = [], 0
    expression = expression.strip()
    while position < len(expression):
        match = _TOKEN.match(expression, position)
        if match is None or match.end() == position:
            raise UnsupportedAlarm(f"metric math {expression!r} at {expression[position:]!r}")
        tokens.append(match.group(match.lastindex or 0))
        position = match.end()
    return tokens


def _lift(op: Callable[..., float | None], *args: Series) -> Series:
    return [None if any(a is None for a in values) else op(*values) for values in zip(*args)]


def _divide(a: float, b: float) -> float | None:
    return None if b == 0 else a / b


_BINARY: dict[str, Callable[[float, float], float | None]] = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": _divide,
    ">=": lambda a, b: float(a >= b),
    "<=": lambda a, b: float(a <= b),
    ">": lambda a, b: float(a > b),
    "<": lambda a, b: float(a < b),
    "==": lambda a, b: float(a == b),
    "!=": lambda a, b: float(a != b),
}


def _across(reduce: Callable[[list[float]], float], series: list[Series]) -> Series:
    """A function of a list of series, per period: over the values present (None where none is)."""
    return [
        (lambda present: reduce(present) if present else None)([v for v in values if v is not None])
        for values in zip(*series)
    ]


_LIST_FUNCTIONS: dict[str, Callable[[list[float]], float]] = {
    "MAX": max,
    "MIN": min,
    "SUM": sum,
    "AVG": lambda values: sum(values) / len(values),
}


def evaluate_math(expression: str, series: Mapping[str, Series], periods: int) -> Series:
    """The expression per period over the named series (each `periods` long)."""
    tokens = _tokens(expression)
    position = 0

    def peek() -> str | None:
        return tokens[position] if position < len(tokens) else None

    def take(expected: str | None = None) -> str:
        nonlocal position
        token = peek()
        if token is None or (expected is not None and token != expected):
            raise UnsupportedAlarm(f"metric math {expression!r}: expected {expected or 'more'}, found {token!r}")
        position += 1
        return token

    def left_to_right(operators: tuple[str, ...], operand: Callable[[], Series]) -> Callable[[], Series]:
        """One precedence level: operands joined by any of `operators`, applied left to right."""

        def level() -> Series:
            left = operand()
            while peek() in operators:
                op = _BINARY[take()]
                left = _lift(op, left, operand())
            return left

        return level

    def term() -> Series:
        return left_to_right(("*", "/"), unary)()

    def additive() -> Series:
        return left_to_right(("+", "-"), term)()

    def comparison() -> Series:
        return left_to_right((">=", "<=", ">", "<", "==", "!="), additive)()

    def unary() -> Series:
        if peek() == "-":
            take()
            return _lift(lambda a: -a, unary())
        return primary()

    def primary() -> Series:
        token = take()
        if token == "(":
            inner = comparison()
            take(")")
            return inner
        if re.fullmatch(r"\d+(?:\.\d+)?", token):
            return [float(token)] * periods
        if peek() == "(":
            return call(token.upper())
        if token not in series:
            raise UnsupportedAlarm(f"metric math {expression!r}: no metric with id {token!r}")
        return list(series[token])

    def call(name: str) -> Series:
        take("(")
        if name in _LIST_FUNCTIONS:
            if peek() == "[":
                take("[")
                members = [comparison()]
                while peek() == ",":
                    take(",")
                    members.append(comparison())
                take("]")
            else:
                members = [comparison()]
            take(")")
            return _across(_LIST_FUNCTIONS[name], members)
        arguments = [comparison()]
        while peek() == ",":
            take(",")
            arguments.append(comparison())
        take(")")
        if name == "ABS" and len(arguments) == 1:
            return _lift(abs, arguments[0])
        if name == "IF" and len(arguments) in (2, 3):
            otherwise = arguments[2] if len(arguments) == 3 else [None] * periods
            return [
                None if c is None else (t if c != 0 else e)
                for c, t, e in zip(arguments[0], arguments[1], otherwise)
            ]
        raise UnsupportedAlarm(f"metric math {expression!r}: function {name} with {len(arguments)} argument(s)")

    result = comparison()
    if peek() is not None:
        raise UnsupportedAlarm(f"metric math {expression!r}: unexpected {peek()!r}")
    return result


# --- the state -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    state: str  # OK, ALARM or INSUFFICIENT_DATA
    reason: str


def judge(
    datapoints: Series,
    comparison: str,
    threshold: float,
    datapoints_to_alarm: int | None,
    treat_missing_data: str | None,
    current_state: str,
) -> Verdict:
    """The alarm's state from its last evaluation periods' datapoints (oldest first), as CloudWatch decides it: ALARM
    when at least `datapoints_to_alarm` of them breach, missing ones counted as `treat_missing_data` says."""
    if comparison not in COMPARISONS:
        raise UnsupportedAlarm(f"comparison {comparison!r}")
    breaches = COMPARISONS[comparison]
    periods = len(datapoints)
    needed = datapoints_to_alarm or periods
    missing = treat_missing_data or "missing"
    present = [v for v in datapoints if v is not None]
    shown = ", ".join("(missing)" if v is None else f"{v:g}" for v in datapoints)
    words = _WORDS[comparison]
    if not present:
        if missing == "breaching":
            return Verdict("ALARM", f"no datapoints in the last {periods} periods: treated as breaching")
        if missing == "notBreaching":
            return Verdict("OK", f"no datapoints in the last {periods} periods: treated as not breaching")
        if missing == "ignore":
            return Verdict(current_state, f"no datapoints in the last {periods} periods: the state is kept")
        return Verdict("INSUFFICIENT_DATA", f"Insufficient Data: no datapoints in the last {periods} periods.")
    breaching = sum(1 for v in datapoints if v is not None and breaches(v, threshold))
    if missing == "breaching":
        breaching += periods - len(present)
    if breaching >= needed:
        return Verdict(
            "ALARM",
            f"Threshold Crossed: {breaching} out of the last {periods} datapoints [{shown}] were {words} the "
            f"threshold ({threshold:g}) (minimum {needed} datapoints for OK -> ALARM transition).",
        )
    return Verdict(
        "OK",
        f"Threshold Crossed: {periods - breaching} out of the last {periods} datapoints [{shown}] were not {words} "
        f"the threshold ({threshold:g}) (minimum {periods - needed + 1} datapoints for ALARM -> OK transition).",
    )


# --- composite rules -----------------------------------------------------------------------------------------------

_RULE_TOKEN = re.compile(r'\s*(?:("(?:[^"\\]|\\.)*")|([A-Za-z_]+)|([()]))')


def evaluate_rule(rule: str, states: Mapping[str, str]) -> bool:
    """Whether a composite alarm's rule holds for the alarms' states (an alarm it names that does not exist is
    INSUFFICIENT_DATA)."""
    tokens: list[tuple[str, str]] = []
    position, text = 0, rule.strip()
    while position < len(text):
        match = _RULE_TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise UnsupportedAlarm(f"alarm rule {rule!r} at {text[position:]!r}")
        if match.group(1) is not None:
            tokens.append(("name", match.group(1)[1:-1].replace('\\"', '"')))
        elif match.group(2) is not None:
            tokens.append(("word", match.group(2).upper()))
        else:
            tokens.append(("paren", match.group(3)))
        position = match.end()
    index = 0

    def peek() -> tuple[str, str] | None:
        return tokens[index] if index < len(tokens) else None

    def take() -> tuple[str, str]:
        nonlocal index
        token = peek()
        if token is None:
            raise UnsupportedAlarm(f"alarm rule {rule!r}: ends too early")
        index += 1
        return token

    def disjunction() -> bool:
        value = conjunction()
        while peek() == ("word", "OR"):
            take()
            value = conjunction() or value
        return value

    def conjunction() -> bool:
        value = negation()
        while peek() == ("word", "AND"):
            take()
            value = negation() and value
        return value

    def negation() -> bool:
        if peek() == ("word", "NOT"):
            take()
            return not negation()
        return atom()

    def atom() -> bool:
        kind, value = take()
        if (kind, value) == ("paren", "("):
            inner = disjunction()
            if take() != ("paren", ")"):
                raise UnsupportedAlarm(f"alarm rule {rule!r}: unbalanced parentheses")
            return inner
        if kind == "word" and value in ("TRUE", "FALSE"):
            return value == "TRUE"
        if kind == "word" and value in ("ALARM", "OK", "INSUFFICIENT_DATA"):
            if take() != ("paren", "("):
                raise UnsupportedAlarm(f"alarm rule {rule!r}: {value} takes an alarm name in parentheses")
            name_kind, name = take()
            if name_kind != "name":
                raise UnsupportedAlarm(f"alarm rule {rule!r}: {value}(…) takes a quoted alarm name")
            if take() != ("paren", ")"):
                raise UnsupportedAlarm(f"alarm rule {rule!r}: {value}(…) not closed")
            return states.get(name, "INSUFFICIENT_DATA") == value
        raise UnsupportedAlarm(f"alarm rule {rule!r}: unexpected {value!r}")

    result = disjunction()
    if peek() is not None:
        raise UnsupportedAlarm(f"alarm rule {rule!r}: unexpected {peek()!r}")
    return result
