"""How an alarm's state is decided (fixes/alarm_rules.py): datapoints per period, metric math, the breaching rule and
composite rules, on the alarms the fleet makes (monitoring/alarms.ts and monitoring/serving.ts)."""

import unittest

import fixes_path  # noqa: F401  (before fixes)

from fixes.alarm_rules import (
    Sample,
    UnsupportedAlarm,
    evaluate_math,
    evaluate_rule,
    judge,
    period_series,
    statistic,
)


class Statistics(unittest.TestCase):
    def test_each_statistic_over_one_periods_samples(self):
        samples = [Sample(0, 1), Sample(1, 3), Sample(2, 2)]
        self.assertEqual(
            {name: statistic(name, samples) for name in ("Minimum", "Maximum", "Sum", "Average", "SampleCount")},
            {"Minimum": 1, "Maximum": 3, "Sum": 6, "Average": 2, "SampleCount": 3},
        )

    def test_a_period_without_samples_has_no_datapoint(self):
        self.assertIsNone(statistic("Maximum", []))

    def test_statistic_values_count_as_the_samples_they_stand_for(self):
        aggregated = Sample(0, 2.5, count=4, total=10, minimum=1, maximum=4)
        self.assertEqual(statistic("Sum", [aggregated, Sample(1, 5)]), 15)
        self.assertEqual(statistic("SampleCount", [aggregated, Sample(1, 5)]), 5)
        self.assertEqual(statistic("Maximum", [aggregated]), 4)

    def test_a_percentile_is_not_judged(self):
        with self.assertRaisesRegex(UnsupportedAlarm, "p99"):
            statistic("p99", [Sample(0, 1)])


class Periods(unittest.TestCase):
    def test_one_datapoint_per_period_oldest_first_the_end_excluded(self):
        samples = [Sample(0.5, 1), Sample(1.5, 2), Sample(1.9, 7), Sample(3.0, 9)]
        self.assertEqual(period_series(samples, "Maximum", 1.0, 3.0, 3), [1, 7, None])


class MetricMath(unittest.TestCase):
    series = {"a": [1.0, None, 4.0], "b": [3.0, 2.0, None], "n": [0.0, 5.0, 2.0]}

    def test_max_and_sum_of_a_list_take_the_values_present(self):
        self.assertEqual(evaluate_math("MAX([a, b])", self.series, 3), [3.0, 2.0, 4.0])
        self.assertEqual(evaluate_math("SUM([a, b])", self.series, 3), [4.0, 2.0, 4.0])

    def test_arithmetic_is_missing_where_an_operand_is(self):
        self.assertEqual(evaluate_math("b - a", self.series, 3), [2.0, None, None])

    def test_division_by_zero_is_no_datapoint(self):
        self.assertEqual(evaluate_math("a / n", self.series, 3), [None, None, 2.0])

    def test_the_traffic_share_alarms_expression(self):
        series = {"r9000": [30.0, 5.0], "r9001": [10.0, 5.0]}
        drift = evaluate_math(
            "IF(SUM([r9000, r9001]) >= 20, ABS(r9000 / SUM([r9000, r9001]) - 0.5000) / 0.5000, 0)", series, 2
        )
        self.assertEqual(drift, [0.5, 0.0])

    def test_the_below_desired_alarms_expression(self):
        series = {"desired": [3.0, 3.0], "inService": [3.0, 1.0]}
        self.assertEqual(evaluate_math("desired - inService", series, 2), [0.0, 2.0])

    def test_an_unknown_id_or_function_is_named(self):
        with self.assertRaisesRegex(UnsupportedAlarm, "no metric with id 'c'"):
            evaluate_math("MAX([a, c])", self.series, 3)
        with self.assertRaisesRegex(UnsupportedAlarm, "function FILL"):
            evaluate_math("FILL(a, 0)", self.series, 3)


class Judge(unittest.TestCase):
    def test_alarm_when_enough_datapoints_breach(self):
        verdict = judge([1.0, 0.0, 1.0], "GreaterThanThreshold", 0, 2, "notBreaching", "OK")
        self.assertEqual(verdict.state, "ALARM")
        self.assertIn("2 out of the last 3 datapoints [1, 0, 1] were greater than the threshold (0)", verdict.reason)

    def test_ok_when_too_few_breach(self):
        self.assertEqual(judge([1.0, 0.0, 1.0], "GreaterThanThreshold", 0, 3, None, "ALARM").state, "OK")

    def test_missing_data_as_the_alarm_treats_it(self):
        none = [None, None]
        self.assertEqual(judge(none, "LessThanThreshold", 1, None, "missing", "OK").state, "INSUFFICIENT_DATA")
        self.assertEqual(judge(none, "LessThanThreshold", 1, None, None, "OK").state, "INSUFFICIENT_DATA")
        self.assertEqual(judge(none, "LessThanThreshold", 1, None, "breaching", "OK").state, "ALARM")
        self.assertEqual(judge(none, "LessThanThreshold", 1, None, "notBreaching", "ALARM").state, "OK")
        self.assertEqual(judge(none, "LessThanThreshold", 1, None, "ignore", "ALARM").state, "ALARM")
        self.assertEqual(judge([0.0, None], "LessThanThreshold", 1, 2, "breaching", "OK").state, "ALARM")
        self.assertEqual(judge([0.0, None], "LessThanThreshold", 1, 2, "notBreaching", "OK").state, "OK")

    def test_each_comparison(self):
        for comparison, expected in (
            ("GreaterThanOrEqualToThreshold", "ALARM"),
            ("GreaterThanThreshold", "OK"),
            ("LessThanOrEqualToThreshold", "ALARM"),
            ("LessThanThreshold", "OK"),
        ):
            self.assertEqual(judge([1.0], comparison, 1, None, None, "OK").state, expected, comparison)


class CompositeRules(unittest.TestCase):
    states = {"port-9000": "ALARM", "port-9001": "OK", "quoted \"one\"": "ALARM"}

    def test_the_all_ports_down_rule(self):
        self.assertFalse(evaluate_rule('ALARM("port-9000") AND ALARM("port-9001")', self.states))
        self.assertTrue(evaluate_rule('ALARM("port-9000") AND ALARM("quoted \\"one\\"")', self.states))

    def test_or_not_parentheses_and_constants(self):
        self.assertTrue(evaluate_rule('ALARM("port-9001") OR (NOT OK("port-9000") AND TRUE)', self.states))
        self.assertFalse(evaluate_rule("FALSE", self.states))

    def test_an_alarm_that_does_not_exist_has_insufficient_data(self):
        self.assertTrue(evaluate_rule('INSUFFICIENT_DATA("gone")', self.states))

    def test_an_unquoted_name_or_an_unknown_word_is_named(self):
        with self.assertRaisesRegex(UnsupportedAlarm, "quoted alarm name"):
            evaluate_rule("ALARM(port)", self.states)
        with self.assertRaisesRegex(UnsupportedAlarm, "AT_LEAST"):
            evaluate_rule('AT_LEAST(2, ALARM, ("a", "b"))', self.states)


if __name__ == "__main__":
    unittest.main()
