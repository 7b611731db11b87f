"""The instance refresh actions (fixes/refresh_api.py, refresh_run.py, group_launches.py) against moto in
process, through boto3 as the AWS provider and the deploy call them. Warmups are 0 and checkpoints hold a refresh
where a test acts on it, so each refresh runs in milliseconds; test/e2e/local-aws-refresh.test.ts drives the
timed behaviour through a real server."""

import time
import unittest

from botocore.exceptions import ClientError

from moto_case import InProcessMoto

from fixes import unhealthy_replacement


def to_version(template_id: str, version: str) -> dict:
    return {"LaunchTemplate": {"LaunchTemplateId": template_id, "Version": version}}


class Refresh(InProcessMoto):
    def test_replaces_every_instance_with_the_groups_new_version_and_shows_each_instances_version(self):
        template = self.template()
        self.group(template, 3, version="$Latest")
        self.new_version(template, "v2")
        self.assertEqual(self.instance_versions(), ["1", "1", "1"])
        refresh = self.wait_for(self.start(Preferences={"InstanceWarmup": 0, "MinHealthyPercentage": 50}))
        self.assertEqual(
            (refresh["Status"], refresh["PercentageComplete"], refresh["InstancesToUpdate"]), ("Successful", 100, 0)
        )
        self.assertEqual(self.instance_versions(), ["2", "2", "2"])
        self.assertEqual(len(self.described_group()["Instances"]), 3)

    def test_applies_the_desired_configuration_to_the_group_once_successful(self):
        template = self.template(versions=2)
        self.group(template, 2)
        refresh_id = self.start(DesiredConfiguration=to_version(template, "2"), Preferences={"InstanceWarmup": 0})
        self.assertEqual(self.wait_for(refresh_id)["Status"], "Successful")
        self.assertEqual(self.described_group()["LaunchTemplate"]["Version"], "2")
        self.assertEqual(self.instance_versions(), ["2", "2"])

    def test_skip_matching_leaves_instances_of_the_target_version(self):
        template = self.template(versions=2)
        self.group(template, 2, version="2")
        refresh = self.wait_for(
            self.start(DesiredConfiguration=to_version(template, "2"), Preferences={"SkipMatching": True})
        )
        self.assertEqual((refresh["Status"], refresh["InstancesToUpdate"]), ("Successful", 0))


    def test_launching_first_keeps_the_old_instances_until_stopped_then_sheds_what_the_new_ones_replace(self):
        template = self.template(versions=2)
        self.group(template, 2)
        refresh_id = self.start(
            DesiredConfiguration=to_version(template, "2"),
            Preferences={"InstanceWarmup": 3600, "MinHealthyPercentage": 100, "MaxHealthyPercentage": 200},
        )
        self.wait_until(lambda: self.instance_versions() == ["1", "1", "2", "2"], "a batch of 2 launched first")
        self.autoscaling.cancel_instance_refresh(AutoScalingGroupName="web")
        self.assertEqual(self.wait_for(refresh_id)["Status"], "Cancelled")
        self.assertEqual(self.instance_versions(), ["2", "2"])

HELD_AT_HALF = {"InstanceWarmup": 0, "MinHealthyPercentage": 0, "CheckpointPercentages": [50], "CheckpointDelay": 3600}


class Checkpoints(InProcessMoto):
    """A group of 2 moving from version 1 to 2 by a refresh that holds at its 50% checkpoint for an hour."""

    def setUp(self):
        super().setUp()
        self.template_id = self.template(versions=2)
        self.group(self.template_id, 2)
        self.refresh_id = self.start(DesiredConfiguration=to_version(self.template_id, "2"), Preferences=HELD_AT_HALF)
        self.held = self.wait_for_reason(self.refresh_id, "Waiting at checkpoint")

    def test_waits_at_a_checkpoint_with_half_the_group_replaced(self):
        self.assertEqual(self.held["StatusReason"], "Waiting at checkpoint (50% complete).")
        self.assertEqual((self.held["Status"], self.held["PercentageComplete"]), ("InProgress", 50))
        self.assertEqual(self.held["InstancesToUpdate"], 1)
        self.assertEqual(self.instance_versions(), ["1", "2"])
        self.autoscaling.cancel_instance_refresh(AutoScalingGroupName="web")
        self.wait_for(self.refresh_id)

    def test_a_rollback_puts_back_the_version_the_group_had_at_the_start(self):
        self.autoscaling.rollback_instance_refresh(AutoScalingGroupName="web")
        refresh = self.wait_for(self.refresh_id)
        self.assertEqual((refresh["Status"], refresh["PercentageComplete"]), ("RollbackSuccessful", 0))
        self.assertEqual(refresh["RollbackDetails"]["PercentageCompleteOnRollback"], 50)
        self.assertEqual(
            refresh["RollbackDetails"]["RollbackReason"], "Rollback initiated by the user (RollbackInstanceRefresh)."
        )
        self.assertEqual(self.instance_versions(), ["1", "1"])
        self.assertEqual(self.described_group()["LaunchTemplate"]["Version"], "1")

    def test_a_cancel_stops_it_where_it_is(self):
        self.autoscaling.cancel_instance_refresh(AutoScalingGroupName="web")
        self.assertIn(self.refresh(self.refresh_id)["Status"], ("Cancelling", "Cancelled"))
        self.assertEqual(self.wait_for(self.refresh_id)["Status"], "Cancelled")
        self.assertEqual(self.instance_versions(), ["1", "2"])
        with self.assertRaises(ClientError) as refusal:
            self.autoscaling.cancel_instance_refresh(AutoScalingGroupName="web")
        self.assertEqual(refusal.exception.response["Error"]["Code"], "ActiveInstanceRefreshNotFound")

    def test_refuses_a_second_refresh_and_a_new_launch_template_while_it_is_active(self):
        with self.assertRaises(ClientError) as refusal:
            self.start(DesiredConfiguration=to_version(self.template_id, "2"))
        self.assertEqual(refusal.exception.response["Error"]["Code"], "InstanceRefreshInProgress")
        with self.assertRaisesRegex(ClientError, "An active instance refresh with a desired configuration exists"):
            self.autoscaling.update_auto_scaling_group(
                AutoScalingGroupName="web", LaunchTemplate={"LaunchTemplateId": self.template_id, "Version": "2"}
            )
        self.autoscaling.cancel_instance_refresh(AutoScalingGroupName="web")
        self.wait_for(self.refresh_id)

    def test_a_deleted_group_takes_its_refreshes_with_it(self):
        self.autoscaling.delete_auto_scaling_group(AutoScalingGroupName="web", ForceDelete=True)
        self.group(self.template_id, 1)
        found = self.autoscaling.describe_instance_refreshes(AutoScalingGroupName="web")["InstanceRefreshes"]
        self.assertEqual(found, [])


class Failures(InProcessMoto):
    """A refresh held at its checkpoint, failed by what it watches."""

    def hold(self, **prefs):
        self.cloudwatch.put_metric_alarm(
            AlarmName="errors",
            MetricName="Errors",
            Namespace="Fleet",
            Statistic="Sum",
            Period=60,
            EvaluationPeriods=1,
            Threshold=1,
            ComparisonOperator="GreaterThanOrEqualToThreshold",
        )
        template_id = self.template(versions=2)
        self.group(template_id, 2)
        refresh_id = self.start(
            DesiredConfiguration=to_version(template_id, "2"),
            Preferences={**HELD_AT_HALF, "AlarmSpecification": {"Alarms": ["errors"]}, **prefs},
        )
        self.wait_for_reason(refresh_id, "Waiting at checkpoint")
        return refresh_id

    def test_an_alarm_in_alarm_fails_it_and_auto_rollback_restores_the_group(self):
        refresh_id = self.hold(AutoRollback=True)
        self.cloudwatch.set_alarm_state(AlarmName="errors", StateValue="ALARM", StateReason="test")
        refresh = self.wait_for(refresh_id)
        reason = "The instance refresh failed because CloudWatch alarm errors is in the ALARM state."
        self.assertEqual((refresh["Status"], refresh["RollbackDetails"]["RollbackReason"]), ("RollbackSuccessful", reason))
        self.assertEqual(self.instance_versions(), ["1", "1"])

    def test_an_unhealthy_new_instance_fails_it_where_it_is_without_auto_rollback(self):
        refresh_id = self.hold()
        new = next(i for i in self.described_group()["Instances"] if i["LaunchTemplate"]["Version"] == "2")
        self.autoscaling.set_instance_health(InstanceId=new["InstanceId"], HealthStatus="Unhealthy")
        refresh = self.wait_for(refresh_id)
        self.assertEqual(refresh["Status"], "Failed")
        self.assertEqual(
            refresh["StatusReason"],
            f"The instance refresh failed because instance {new['InstanceId']}, which it launched, is Unhealthy.",
        )
        self.assertIn(new["InstanceId"], self.instance_ids())
        # The group then replaces it, from its own version: the refresh's was never applied to it.
        self.wait_until(lambda: new["InstanceId"] not in self.instance_ids(), "replaced the unhealthy instance")
        self.assertEqual(self.instance_versions(), ["1", "1"])

    def test_an_unhealthy_new_instance_with_auto_rollback_rolls_it_back_to_the_start_version(self):
        refresh_id = self.hold(AutoRollback=True)
        new = next(i for i in self.described_group()["Instances"] if i["LaunchTemplate"]["Version"] == "2")
        self.autoscaling.set_instance_health(InstanceId=new["InstanceId"], HealthStatus="Unhealthy")
        refresh = self.wait_for(refresh_id)
        self.assertEqual(
            (refresh["Status"], refresh["RollbackDetails"]["RollbackReason"]),
            (
                "RollbackSuccessful",
                f"The instance refresh failed because instance {new['InstanceId']}, which it launched, is Unhealthy.",
            ),
        )
        self.assertEqual(self.instance_versions(), ["1", "1"])
        # The group's replacement of the unhealthy instance, due after the rollback, adds none: the group is full.
        self.wait_until(lambda: new["InstanceId"] not in self.instance_ids(), "dropped the unhealthy instance")
        time.sleep(unhealthy_replacement.REPLACEMENT_DELAY_SECONDS)
        self.assertEqual(self.instance_versions(), ["1", "1"])


class Refusals(InProcessMoto):
    def refused(self, **request) -> tuple[str, str]:
        with self.assertRaises(ClientError) as refusal:
            self.start(**request)
        error = refusal.exception.response["Error"]
        return error["Code"], error["Message"]

    def test_refuses_auto_rollback_without_a_desired_configuration_or_numbered_version(self):
        template_id = self.template(versions=2)
        self.group(template_id, 1, version="$Latest")
        code, message = self.refused(Preferences={"AutoRollback": True})
        self.assertEqual(code, "ValidationError")
        self.assertIn("DesiredConfiguration parameter is empty", message)
        _, message = self.refused(DesiredConfiguration=to_version(template_id, "2"), Preferences={"AutoRollback": True})
        self.assertIn("$Latest or $Default launch template version", message)

    def test_refuses_alarms_that_do_not_exist_and_templates_that_do_not_exist(self):
        self.group(self.template(), 1)
        self.assertEqual(
            self.refused(Preferences={"AlarmSpecification": {"Alarms": ["nope"]}}),
            ("ValidationError", "The specified CloudWatch alarms do not exist: nope."),
        )
        code, message = self.refused(DesiredConfiguration=to_version("lt-0000000000000000", "1"))
        self.assertEqual(code, "ValidationError")
        self.assertTrue(message.startswith("You must use a valid fully-formed launch template."), message)

    def test_refuses_an_unknown_group_and_strategies_it_does_not_emulate(self):
        self.assertEqual(
            self.refused(name="nope"),
            ("ValidationError", "AutoScalingGroup name not found - AutoScalingGroup nope not found"),
        )
        self.group(self.template(), 1)
        self.assertEqual(self.refused(Strategy="ReplaceRootVolume")[0], "ValidationError")

    def test_refuses_to_roll_back_a_refresh_without_a_desired_configuration(self):
        self.group(self.template(versions=2), 2, version="$Latest")
        refresh_id = self.start(Preferences=HELD_AT_HALF)
        self.wait_for_reason(refresh_id, "Waiting at checkpoint")
        with self.assertRaises(ClientError) as refusal:
            self.autoscaling.rollback_instance_refresh(AutoScalingGroupName="web")
        self.assertEqual(refusal.exception.response["Error"]["Code"], "IrreversibleInstanceRefresh")
        self.autoscaling.cancel_instance_refresh(AutoScalingGroupName="web")
        self.assertEqual(self.wait_for(refresh_id)["Status"], "Cancelled")


class Describe(InProcessMoto):
    def test_lists_the_newest_first_a_page_at_a_time(self):
        self.group(self.template(), 1)
        first = self.wait_for(self.start(Preferences={"InstanceWarmup": 0}))["InstanceRefreshId"]
        second = self.wait_for(self.start(Preferences={"InstanceWarmup": 0}))["InstanceRefreshId"]
        page = self.autoscaling.describe_instance_refreshes(AutoScalingGroupName="web", MaxRecords=1)
        self.assertEqual([r["InstanceRefreshId"] for r in page["InstanceRefreshes"]], [second])
        rest = self.autoscaling.describe_instance_refreshes(
            AutoScalingGroupName="web", MaxRecords=1, NextToken=page["NextToken"]
        )
        self.assertEqual([r["InstanceRefreshId"] for r in rest["InstanceRefreshes"]], [first])
        self.assertNotIn("NextToken", rest)


if __name__ == "__main__":
    unittest.main()
