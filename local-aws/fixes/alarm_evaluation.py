"""Alarms evaluated from the metrics put to the local CloudWatch, as CloudWatch evaluates them; moto stores alarms and
metric data and never connects the two (an alarm stays in the state it was created in, or the one SetAlarmState set).

On a local minute of CLOUDRIM_LOCAL_AWS_ALARM_MINUTE seconds (unset or 0: off, and alarms keep moto's behaviour, so
a test can still set them by hand), a thread wakes at each local minute's boundary and, in every account and region:
  - judges every metric alarm on its last evaluation periods (each period scaled: 60 s is one local minute), from the
    samples put in each period, its statistic (or each metric-math query's), the threshold, datapoints to alarm and
    missing data, by alarm_rules;
  - then judges every composite alarm's rule on the states just decided;
  - changes an alarm's state only when its verdict differs, with CloudWatch's kind of reason, kept in its history;
  - forgets samples older than the longest window any alarm looks at, so the server's memory stays bounded.
An alarm it cannot judge (a statistic or a function the fleet never uses) keeps its state, and the reason is logged
once. The live fleet's runner is what puts the metrics (live/metrics.ts): the load balancers' health, traffic,
latency and backend errors, and the groups' capacity.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Any

from moto.cloudwatch.models import Alarm, CloudWatchBackend, MetricAggregatedDatum, MetricDatum, cloudwatch_backends

from fixes import alarm_rules as rules
from fixes.emulator_settings import seconds

ENVIRONMENT_VARIABLE = "CLOUDRIM_LOCAL_AWS_ALARM_MINUTE"
# Samples are kept this many local minutes past the longest window an alarm looks at.
KEEP_EXTRA_MINUTES = 5

MetricKey = tuple[str, str, frozenset[tuple[str, str]]]

_logged: set[tuple[str, str]] = set()


def _epoch(moment: Any) -> float:
    if isinstance(moment, datetime):
        return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).timestamp()
    if isinstance(moment, (int, float)):
        return float(moment)
    return datetime.fromisoformat(str(moment).replace("Z", "+00:00")).timestamp()


def _key(namespace: str | None, name: str | None, dimensions: Iterable[Any]) -> MetricKey:
    return (namespace or "", name or "", frozenset((d.name, d.value) for d in dimensions))


def _samples(backend: CloudWatchBackend) -> dict[MetricKey, list[rules.Sample]]:
    indexed: dict[MetricKey, list[rules.Sample]] = defaultdict(list)
    for datum in list(backend.metric_data):
        at = _epoch(datum.timestamp)
        key = _key(datum.namespace, datum.name, datum.dimensions)
        if isinstance(datum, MetricDatum):
            indexed[key].append(rules.Sample(at, datum.value))
        elif isinstance(datum, MetricAggregatedDatum):
            count = datum.sample_count or 1.0
            indexed[key].append(
                rules.Sample(at, datum.sum_stat / count, count, datum.sum_stat, datum.min_stat, datum.max_stat)
            )
    return indexed


def alarm_datapoints(
    alarm: Alarm, samples: dict[MetricKey, list[rules.Sample]], minute: float, end: float
) -> rules.Series:
    """The alarm's last evaluation periods' datapoints, oldest first, ending at `end`."""
    periods = int(alarm.evaluation_periods)

    def scaled(period: Any) -> float:
        return float(period or 60) / 60 * minute

    if not alarm.metric_data_queries:
        if alarm.extended_statistic:
            raise rules.UnsupportedAlarm(f"extended statistic {alarm.extended_statistic!r}")
        key = _key(alarm.namespace, alarm.metric_name, alarm.dimensions)
        return rules.period_series(samples.get(key, []), alarm.statistic, scaled(alarm.period), end, periods)
    series: dict[str, rules.Series] = {}
    for query in alarm.metric_data_queries:
        stat = query.metric_stat
        if stat is not None:
            key = _key(stat.metric.namespace, stat.metric.metric_name, stat.metric.dimensions)
            series[query.id] = rules.period_series(samples.get(key, []), stat.stat, scaled(stat.period), end, periods)
    returned = [q for q in alarm.metric_data_queries if str(q.return_data).lower() in ("true", "none", "")]
    expressions = [q for q in returned if q.expression]
    if len(expressions) != 1:
        raise rules.UnsupportedAlarm("metric math without exactly one expression that returns data")
    return rules.evaluate_math(expressions[0].expression, series, periods)


def _window_minutes(alarm: Alarm) -> float:
    periods = [float(alarm.period or 60)]
    periods += [float(q.metric_stat.period or 60) for q in alarm.metric_data_queries or [] if q.metric_stat]
    return max(periods) / 60 * int(alarm.evaluation_periods or 1)


# The reason moto gives an alarm it creates, in the OK state, where AWS starts at INSUFFICIENT_DATA.
_CREATED = "Unchecked: Initial alarm creation"


def _set(alarm: Alarm, verdict: rules.Verdict) -> None:
    """The verdict, kept when the state changes, and on the first evaluation (moto created the alarm OK, unjudged)."""
    if verdict.state != alarm.state_value or alarm.state_reason == _CREATED:
        alarm.update_state(verdict.reason, "{}", verdict.state)


def _log_once(alarm: Alarm, problem: str) -> None:
    if (alarm.name, problem) not in _logged:
        _logged.add((alarm.name, problem))
        logging.getLogger(__name__).warning("alarm %s is not evaluated: %s", alarm.name, problem)


def evaluate_backend(backend: CloudWatchBackend, minute: float, end: float) -> None:
    """One evaluation of one region's alarms, as of `end` (a local minute's boundary)."""
    samples = _samples(backend)
    alarms = list(backend.alarms.values())
    longest = 1.0
    for alarm in alarms:
        if alarm.rule:
            continue
        try:
            longest = max(longest, _window_minutes(alarm))
            datapoints = alarm_datapoints(alarm, samples, minute, end)
            _set(
                alarm,
                rules.judge(
                    datapoints,
                    alarm.comparison_operator,
                    float(alarm.threshold),
                    int(alarm.datapoints_to_alarm) if alarm.datapoints_to_alarm else None,
                    alarm.treat_missing_data,
                    alarm.state_value,
                ),
            )
        except (rules.UnsupportedAlarm, TypeError, ValueError) as problem:
            _log_once(alarm, str(problem))
    states = {alarm.name: alarm.state_value for alarm in alarms}
    for alarm in alarms:
        if not alarm.rule:
            continue
        try:
            holds = rules.evaluate_rule(alarm.rule, states)
        except rules.UnsupportedAlarm as problem:
            _log_once(alarm, str(problem))
            continue
        _set(alarm, rules.Verdict("ALARM" if holds else "OK", f"The rule {alarm.rule} is {str(holds).upper()}."))
    # Removed from the front in place: a sample put meanwhile is appended at the end, and kept.
    forget_before = end - (longest + KEEP_EXTRA_MINUTES) * minute
    stale = 0
    for datum in backend.metric_data:
        if _epoch(datum.timestamp) >= forget_before:
            break
        stale += 1
    del backend.metric_data[:stale]


def evaluate_all(minute: float, end: float) -> None:
    for account_id, regions in list(cloudwatch_backends.items()):
        for region_name in list(regions.keys()):
            backend = cloudwatch_backends[account_id][region_name]
            if backend.alarms:
                evaluate_backend(backend, minute, end)


def _run(minute: float) -> None:
    while True:
        now = time.time()
        boundary = (now // minute + 1) * minute
        time.sleep(boundary - now)
        try:
            evaluate_all(minute, boundary)
        except Exception:  # noqa: BLE001 - one bad round must not end every later one
            logging.getLogger(__name__).exception("alarm evaluation failed; trying again at the next minute")


def install() -> None:
    minute = seconds(os.environ, ENVIRONMENT_VARIABLE, 0)
    if minute > 0:
        threading.Thread(target=_run, args=(minute,), name="alarm-evaluation", daemon=True).start()
