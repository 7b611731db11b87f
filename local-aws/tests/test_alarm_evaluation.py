"""Alarms judged from the metric data put to moto (fixes/alarm_evaluation.py), as the fleet creates them: a metric
alarm, a metric-math alarm over ports, a composite over the ports' alarms; one local minute of 1 s here, the
evaluation called at a boundary the test chooses (the server's thread calls it at each minute's boundary)."""

import time
import unittest
from datetime import datetime, timezone

from moto.cloudwatch.models import cloudwatch_backends
from moto_case import REGION, InProcessMoto

from fixes import alarm_evaluation

ACCOUNT = "123456789012"
MINUTE = 1.0


class AlarmEvaluation(InProcessMoto):
    def setUp(self) -> None:
        super().setUp()
        self.backend = cloudwatch_backends[ACCOUNT][REGION]
        # The minute boundary the evaluations are at.
        self.now = float(int(time.time()))
        # Each port's alarm on having no healthy instance, as the fleet makes it (monitoring/alarms.ts).
        for port in (9000, 9001):
            self.cloudwatch.put_metric_alarm(
                AlarmName=f"port-{port}-down",
                Namespace="AWS/ELB",
                MetricName="HealthyHostCount",
                Dimensions=[{"Name": "LoadBalancerName", "Value": f"shop-{port}"}],
                Statistic="Maximum",
                Period=60,
                EvaluationPeriods=2,
                Threshold=1,
                ComparisonOperator="LessThanThreshold",
                TreatMissingData="breaching",
            )
        self.cloudwatch.put_metric_alarm(
            AlarmName="guard",
            Metrics=[
                {"Id": "worst", "Expression": "MAX([u9000, u9001])", "Label": "unhealthy", "ReturnData": True},
                *(
                    {
                        "Id": f"u{port}",
                        "ReturnData": False,
                        "MetricStat": {
                            "Metric": {
                                "Namespace": "AWS/ELB",
                                "MetricName": "UnHealthyHostCount",
                                "Dimensions": [{"Name": "LoadBalancerName", "Value": f"shop-{port}"}],
                            },
                            "Period": 60,
                            "Stat": "Maximum",
                        },
                    }
                    for port in (9000, 9001)
                ),
            ],
            EvaluationPeriods=2,
            DatapointsToAlarm=2,
            Threshold=0,
            ComparisonOperator="GreaterThanThreshold",
            TreatMissingData="notBreaching",
        )
        self.cloudwatch.put_composite_alarm(
            AlarmName="all-ports-down", AlarmRule='ALARM("port-9000-down") AND ALARM("port-9001-down")'
        )

    def put(self, port: int, healthy: float, unhealthy: float, minutes_ago: float | None = 0.5) -> None:
        """Both counts of a port, put `minutes_ago` local minutes ago (the runner puts them mid-minute); None: now."""
        before = len(self.backend.metric_data)
        dimensions = [{"Name": "LoadBalancerName", "Value": f"shop-{port}"}]
        self.cloudwatch.put_metric_data(
            Namespace="AWS/ELB",
            MetricData=[
                {"MetricName": "HealthyHostCount", "Dimensions": dimensions, "Value": healthy},
                {"MetricName": "UnHealthyHostCount", "Dimensions": dimensions, "Value": unhealthy},
            ],
        )
        for datum in self.backend.metric_data[before:] if minutes_ago is not None else []:
            datum.timestamp = datetime.fromtimestamp(self.now - minutes_ago * MINUTE, timezone.utc)

    def states(self) -> dict[str, str]:
        answer = self.cloudwatch.describe_alarms(AlarmTypes=["MetricAlarm", "CompositeAlarm"])
        return {a["AlarmName"]: a["StateValue"] for a in answer["MetricAlarms"] + answer["CompositeAlarms"]}

    def evaluate(self) -> None:
        alarm_evaluation.evaluate_backend(self.backend, MINUTE, self.now)

    def test_alarms_follow_the_data_put_each_minute(self):
        # Two minutes of both ports healthy; port 9001 with an unhealthy instance besides.
        for minutes_ago in (1.5, 0.5):
            self.put(9000, 2, 0, minutes_ago)
            self.put(9001, 1, 1, minutes_ago)
        self.evaluate()
        self.assertEqual(
            self.states(),
            {"port-9000-down": "OK", "port-9001-down": "OK", "guard": "ALARM", "all-ports-down": "OK"},
        )
        reason = self.cloudwatch.describe_alarms(AlarmNames=["guard"])["MetricAlarms"][0]["StateReason"]
        self.assertIn("2 out of the last 2 datapoints [1, 1] were greater than the threshold (0)", reason)
        # A minute later, port 9001's unhealthy instance has recovered for one minute of the two: the guard is OK.
        self.now += MINUTE
        self.put(9000, 2, 0)
        self.put(9001, 2, 0)
        self.evaluate()
        self.assertEqual(self.states()["guard"], "OK")

    def test_an_alarm_judged_ok_says_why_from_its_first_evaluation(self):
        # moto creates every alarm OK with a placeholder reason; judged OK, it says why as CloudWatch would.
        self.evaluate()
        reason = self.cloudwatch.describe_alarms(AlarmNames=["guard"])["MetricAlarms"][0]["StateReason"]
        self.assertEqual(reason, "no datapoints in the last 2 periods: treated as not breaching")

    def test_no_data_breaches_where_the_alarm_says_so_and_the_composite_follows(self):
        self.evaluate()
        self.assertEqual(
            self.states(),
            {"port-9000-down": "ALARM", "port-9001-down": "ALARM", "guard": "OK", "all-ports-down": "ALARM"},
        )

    def test_data_put_now_is_in_the_minute_that_ends_next(self):
        self.put(9000, 0, 1, minutes_ago=None)
        alarm_evaluation.evaluate_backend(self.backend, MINUTE, time.time() + 0.01)
        reason = self.cloudwatch.describe_alarms(AlarmNames=["port-9000-down"])["MetricAlarms"][0]["StateReason"]
        self.assertIn("[(missing), 0]", reason)

    def test_samples_older_than_every_alarms_window_are_forgotten(self):
        self.put(9000, 1, 0)
        self.assertEqual(len(self.backend.metric_data), 2)
        self.now += (2 + alarm_evaluation.KEEP_EXTRA_MINUTES) * MINUTE
        self.evaluate()
        self.assertEqual(self.backend.metric_data, [])

    def test_an_alarm_it_cannot_judge_keeps_its_state(self):
        self.cloudwatch.put_metric_alarm(
            AlarmName="p99",
            Namespace="AWS/ELB",
            MetricName="Latency",
            ExtendedStatistic="p99",
            Period=60,
            EvaluationPeriods=1,
            Threshold=1,
            ComparisonOperator="GreaterThanThreshold",
        )
        self.cloudwatch.set_alarm_state(AlarmName="p99", StateValue="ALARM", StateReason="by hand")
        self.evaluate()
        self.assertEqual(self.states()["p99"], "ALARM")


if __name__ == "__main__":
    unittest.main()
