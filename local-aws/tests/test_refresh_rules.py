"""The instance refresh's decisions (fixes/refresh_rules.py), as AWS documents them; no moto, no server."""

import unittest
from datetime import datetime, timezone

import fixes_path  # noqa: F401  (before fixes)

from fixes import refresh_rules as rules
from fixes.refresh_rules import InvalidRefreshRequest

NO_ALARMS: frozenset[str] = frozenset()


def prefs(given=None, default_warmup=None, grace_period=None, known_alarms=NO_ALARMS):
    return rules.refresh_preferences(
        given or {}, default_warmup=default_warmup, grace_period=grace_period, known_alarms=known_alarms
    )


class Preferences(unittest.TestCase):
    def test_fills_in_aws_defaults(self):
        self.assertEqual(
            prefs(),
            {
                "MinHealthyPercentage": 90,
                "MaxHealthyPercentage": 100,
                "InstanceWarmup": 0,
                "SkipMatching": False,
                "AutoRollback": False,
                "ScaleInProtectedInstances": "Wait",
                "StandbyInstances": "Wait",
            },
        )

    def test_warmup_falls_back_to_the_groups_default_warmup_then_its_grace_period(self):
        self.assertEqual(prefs({"InstanceWarmup": 5}, default_warmup=7, grace_period=9)["InstanceWarmup"], 5)
        self.assertEqual(prefs({}, default_warmup=7, grace_period=9)["InstanceWarmup"], 7)
        self.assertEqual(prefs({}, default_warmup=0, grace_period=9)["InstanceWarmup"], 0)
        self.assertEqual(prefs({}, grace_period=9)["InstanceWarmup"], 9)

    def test_a_checkpoint_waits_an_hour_unless_told_otherwise(self):
        self.assertEqual(prefs({"CheckpointPercentages": [50]})["CheckpointDelay"], 3600)
        self.assertEqual(prefs({"CheckpointPercentages": [20, 50], "CheckpointDelay": 5})["CheckpointDelay"], 5)

    def test_keeps_bake_time_and_alarms_that_exist(self):
        given = {"BakeTime": 30, "AlarmSpecification": {"Alarms": ["cpu"]}}
        made = prefs(given, known_alarms={"cpu", "other"})
        self.assertEqual((made["BakeTime"], made["AlarmSpecification"]), (30, {"Alarms": ["cpu"]}))

    def test_refuses_what_aws_refuses_with_its_message(self):
        refused = {
            "If you specify MaxHealthyPercentage, you must also specify MinHealthyPercentage.": {
                "MaxHealthyPercentage": 150
            },
            "MinHealthyPercentage must be between 0 and 100, and MaxHealthyPercentage between 100 and 200.": {
                "MinHealthyPercentage": 50,
                "MaxHealthyPercentage": 201,
            },
            "The difference between MaxHealthyPercentage and MinHealthyPercentage cannot be greater than 100.": {
                "MinHealthyPercentage": 40,
                "MaxHealthyPercentage": 150,
            },
            "MinHealthyPercentage and MaxHealthyPercentage cannot both be 100.": {
                "MinHealthyPercentage": 100,
                "MaxHealthyPercentage": 100,
            },
            "CheckpointDelay requires CheckpointPercentages.": {"CheckpointDelay": 60},
            "CheckpointPercentages must be unique values from 1 to 100 in ascending order.": {
                "CheckpointPercentages": [50, 20]
            },
            "The specified CloudWatch alarms do not exist: gone, lost.": {
                "AlarmSpecification": {"Alarms": ["cpu", "gone", "lost"]}
            },
        }
        for message, given in refused.items():
            with self.subTest(given=given):
                with self.assertRaises(InvalidRefreshRequest) as refusal:
                    prefs(given, known_alarms={"cpu"})
                self.assertEqual(str(refusal.exception), message)

    def test_refuses_checkpoints_out_of_range_or_repeated(self):
        for checkpoints in ([0, 50], [50, 101], [50, 50]):
            with self.subTest(checkpoints=checkpoints), self.assertRaises(InvalidRefreshRequest):
                prefs({"CheckpointPercentages": checkpoints})


class AutoRollback(unittest.TestCase):
    def test_needs_a_desired_configuration_and_a_numbered_version_on_the_group(self):
        rules.check_auto_rollback(True, has_desired_configuration=True, numbered_start=True)
        rules.check_auto_rollback(False, has_desired_configuration=False, numbered_start=False)
        with self.assertRaisesRegex(InvalidRefreshRequest, "DesiredConfiguration parameter is empty"):
            rules.check_auto_rollback(True, has_desired_configuration=False, numbered_start=True)
        with self.assertRaisesRegex(InvalidRefreshRequest, r"\$Latest or \$Default launch template version"):
            rules.check_auto_rollback(True, has_desired_configuration=True, numbered_start=False)

    def test_a_refresh_is_reversible_with_both(self):
        self.assertTrue(rules.is_reversible(has_desired_configuration=True, numbered_start=True))
        self.assertFalse(rules.is_reversible(has_desired_configuration=False, numbered_start=True))
        self.assertFalse(rules.is_reversible(has_desired_configuration=True, numbered_start=False))

    def test_only_a_number_is_a_numbered_version(self):
        self.assertEqual(
            [rules.is_numbered_version(v) for v in ("3", "12", "$Latest", "$Default", None)],
            [True, True, False, False, False],
        )


class Batches(unittest.TestCase):
    def test_launches_first_only_above_100_percent(self):
        self.assertTrue(rules.launches_first({"MaxHealthyPercentage": 110}))
        self.assertFalse(rules.launches_first({"MaxHealthyPercentage": 100}))

    def test_launching_first_replaces_the_room_above_the_desired_capacity(self):
        launch_first = {"MinHealthyPercentage": 100, "MaxHealthyPercentage": 150}
        self.assertEqual(rules.batch_size(4, launch_first), 2)
        self.assertEqual(rules.batch_size(10, {"MinHealthyPercentage": 90, "MaxHealthyPercentage": 200}), 10)

    def test_terminating_first_replaces_the_room_down_to_the_minimum_healthy(self):
        self.assertEqual(rules.batch_size(4, {"MinHealthyPercentage": 50, "MaxHealthyPercentage": 100}), 2)
        self.assertEqual(rules.batch_size(10, {"MinHealthyPercentage": 70, "MaxHealthyPercentage": 100}), 3)

    def test_a_batch_is_at_least_one_instance(self):
        self.assertEqual(rules.batch_size(4, {"MinHealthyPercentage": 90, "MaxHealthyPercentage": 100}), 1)
        self.assertEqual(rules.batch_size(0, {"MinHealthyPercentage": 0, "MaxHealthyPercentage": 100}), 1)

    def test_a_batch_stops_at_the_next_checkpoint(self):
        # 10 instances, checkpoint at 25%: 3 instances (rounded up) reach it.
        self.assertEqual(rules.batch_size_to_checkpoint(5, [25, 100], total=10, replaced=0), 3)
        self.assertEqual(rules.batch_size_to_checkpoint(5, [25, 100], total=10, replaced=2), 1)
        self.assertEqual(rules.batch_size_to_checkpoint(2, [50], total=10, replaced=0), 2)
        self.assertEqual(rules.batch_size_to_checkpoint(5, [], total=10, replaced=0), 5)

    def test_after_a_checkpoint_only_those_ahead_remain(self):
        self.assertTrue(rules.checkpoint_reached([50, 100], 50))
        self.assertFalse(rules.checkpoint_reached([50, 100], 49))
        self.assertFalse(rules.checkpoint_reached([], 100))
        self.assertEqual(rules.checkpoints_after([20, 40, 100], 50), [100])


class WhichInstances(unittest.TestCase):
    WAIT = {"StandbyInstances": "Wait", "ScaleInProtectedInstances": "Wait"}
    IGNORE = {"StandbyInstances": "Ignore", "ScaleInProtectedInstances": "Ignore"}
    REFRESH = {"StandbyInstances": "Terminate", "ScaleInProtectedInstances": "Refresh"}

    def test_replaces_instances_in_service(self):
        for prefs_ in (self.WAIT, self.IGNORE, self.REFRESH):
            self.assertTrue(rules.is_candidate("InService", False, prefs_))
            self.assertTrue(rules.is_replaceable("InService", False, prefs_))
        self.assertFalse(rules.is_candidate("Pending", False, self.WAIT))
        self.assertFalse(rules.is_candidate("Terminating", False, self.WAIT))

    def test_waits_for_standby_instances_only_when_told_to(self):
        self.assertTrue(rules.is_candidate("Standby", False, self.WAIT))
        self.assertFalse(rules.is_replaceable("Standby", False, self.WAIT))
        self.assertFalse(rules.is_candidate("Standby", False, self.IGNORE))
        self.assertFalse(rules.is_candidate("Standby", False, self.REFRESH))
        self.assertEqual(rules.blocked_reason("Standby"), "in Standby")

    def test_scale_in_protected_instances_wait_or_are_ignored_or_replaced(self):
        self.assertTrue(rules.is_candidate("InService", True, self.WAIT))
        self.assertFalse(rules.is_replaceable("InService", True, self.WAIT))
        self.assertEqual(rules.blocked_reason("InService"), "protected from scale in")
        self.assertFalse(rules.is_candidate("InService", True, self.IGNORE))
        self.assertTrue(rules.is_replaceable("InService", True, self.REFRESH))

    def test_a_stopped_launch_first_batch_sheds_what_it_replaced_down_to_the_desired_capacity(self):
        # 4 wanted, 2 launched on top of 4: the 2 they replace go.
        self.assertEqual(rules.old_instances_to_shed(active=6, desired_capacity=4, launched=2, replacing=2), 2)
        # One of the new ones already died: only one old one goes.
        self.assertEqual(rules.old_instances_to_shed(active=5, desired_capacity=4, launched=2, replacing=2), 1)
        self.assertEqual(rules.old_instances_to_shed(active=4, desired_capacity=4, launched=2, replacing=2), 0)
        self.assertEqual(rules.old_instances_to_shed(active=9, desired_capacity=4, launched=0, replacing=0), 0)


class Progress(unittest.TestCase):
    def test_percentage_is_the_share_replaced_rounded_down(self):
        self.assertEqual(rules.percentage_complete("InProgress", 1, 3), 33)
        self.assertEqual(rules.percentage_complete("InProgress", 0, 0), 0)
        self.assertEqual(rules.percentage_complete("Baking", 3, 3), 100)

    def test_a_successful_refresh_is_complete_even_with_nothing_to_replace(self):
        self.assertEqual(rules.percentage_complete("Successful", 0, 0), 100)

    def test_a_rollback_goes_back_down_to_zero_from_where_it_was(self):
        def rolling_back(still_new):
            return rules.percentage_complete(
                "RollbackInProgress", 2, 4, rollback_start=50, still_new=still_new, rollback_total=2
            )

        self.assertEqual([rolling_back(n) for n in (2, 1, 0)], [50, 25, 0])
        self.assertEqual(
            rules.percentage_complete("RollbackSuccessful", 0, 4, rollback_start=0, still_new=0, rollback_total=0), 0
        )

    def test_rollback_details_keep_the_progress_at_the_rollback(self):
        started = datetime(2025, 1, 1, tzinfo=timezone.utc)
        self.assertEqual(
            rules.rollback_details("alarm cpu", started, 50, 2),
            {
                "RollbackReason": "alarm cpu",
                "RollbackStartTime": started,
                "PercentageCompleteOnRollback": 50,
                "InstancesToUpdateOnRollback": 2,
                "ProgressDetailsOnRollback": {"LivePoolProgress": {"PercentageComplete": 50, "InstancesToUpdate": 2}},
            },
        )

    def test_the_description_leaves_out_what_has_no_value(self):
        started = datetime(2025, 1, 1, tzinfo=timezone.utc)
        described = rules.description(
            refresh_id="r-1",
            group_name="web",
            status="InProgress",
            status_reason=None,
            start_time=started,
            end_time=None,
            percentage=0,
            instances_to_update=2,
            preferences={"MinHealthyPercentage": 90},
            desired_configuration=None,
            rollback=None,
            strategy="Rolling",
        )
        self.assertEqual(
            described,
            {
                "InstanceRefreshId": "r-1",
                "AutoScalingGroupName": "web",
                "Status": "InProgress",
                "StartTime": started,
                "PercentageComplete": 0,
                "InstancesToUpdate": 2,
                "ProgressDetails": {"LivePoolProgress": {"PercentageComplete": 0, "InstancesToUpdate": 2}},
                "Preferences": {"MinHealthyPercentage": 90},
                "Strategy": "Rolling",
            },
        )


class Statuses(unittest.TestCase):
    def test_active_statuses_block_a_new_refresh_and_some_can_roll_back(self):
        self.assertEqual(rules.ACTIVE, ("Pending", "InProgress", "Cancelling", "RollbackInProgress", "Baking"))
        self.assertEqual(set(rules.ROLLBACK_FROM), {"Pending", "InProgress", "Baking"})

    def test_a_cancelled_refresh_shows_cancelling_whatever_its_thread_reaches(self):
        self.assertEqual(rules.shown_status("Cancelling", "Baking", cancel_requested=True), "Cancelling")
        self.assertEqual(rules.shown_status("InProgress", "Baking", cancel_requested=False), "Baking")

    def test_a_stopped_refresh_ends_by_what_stopped_it(self):
        self.assertEqual(rules.status_after_stop("cancel", auto_rollback=True), "Cancelled")
        self.assertEqual(rules.status_after_stop("gone", auto_rollback=True), "Failed")
        self.assertEqual(rules.status_after_stop("fail", auto_rollback=False), "Failed")
        self.assertEqual(rules.status_after_stop("fail", auto_rollback=True), "RollbackInProgress")
        self.assertEqual(rules.status_after_stop("rollback", auto_rollback=False), "RollbackInProgress")

    def test_a_rollback_ends_successful_cancelled_or_failed(self):
        self.assertEqual(rules.status_after_rollback(None), "RollbackSuccessful")
        self.assertEqual(rules.status_after_rollback("cancel"), "Cancelled")
        self.assertEqual(rules.status_after_rollback("gone"), "RollbackFailed")


class Pages(unittest.TestCase):
    def test_pages_by_index_with_a_token_while_more_remain(self):
        items = list(range(5))
        self.assertEqual(rules.page(items, None, 2), ([0, 1], "2"))
        self.assertEqual(rules.page(items, "2", 2), ([2, 3], "4"))
        self.assertEqual(rules.page(items, "4", 2), ([4], None))

    def test_fifty_to_a_page_by_default(self):
        shown, token = rules.page(list(range(60)), None, None)
        self.assertEqual((len(shown), token), (50, "50"))


if __name__ == "__main__":
    unittest.main()
