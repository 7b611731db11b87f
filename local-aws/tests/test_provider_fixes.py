"""The fixes that make moto describe what the AWS provider set as AWS does (fixes/composite_alarms.py,
scaling_policies.py, template_user_data.py, group_settings.py, lifecycle_hooks.py, rule_descriptions.py), against
moto in process; each test fails on a plain moto."""

import base64
import unittest

from moto_case import InProcessMoto, user_data


class Alarms(InProcessMoto):
    def test_put_composite_alarm_stores_a_composite_alarm(self):
        self.cloudwatch.put_composite_alarm(AlarmName="all-ports", AlarmRule="FALSE")
        alarms = self.cloudwatch.describe_alarms(AlarmTypes=["CompositeAlarm"])["CompositeAlarms"]
        self.assertEqual([(a["AlarmName"], a["AlarmRule"]) for a in alarms], [("all-ports", "FALSE")])


class ScalingPolicies(InProcessMoto):
    def test_a_target_tracking_policy_is_enabled_with_no_predictive_configuration(self):
        self.group(self.template(), 1)
        self.autoscaling.put_scaling_policy(
            AutoScalingGroupName="web",
            PolicyName="cpu",
            PolicyType="TargetTrackingScaling",
            TargetTrackingConfiguration={
                "PredefinedMetricSpecification": {"PredefinedMetricType": "ASGAverageCPUUtilization"},
                "TargetValue": 50.0,
            },
        )
        (policy,) = self.autoscaling.describe_policies(AutoScalingGroupName="web")["ScalingPolicies"]
        self.assertIs(policy["Enabled"], True)
        self.assertNotIn("PredictiveScalingConfiguration", policy)


class LaunchTemplateVersions(InProcessMoto):
    def test_a_group_launches_from_a_version_made_with_new_user_data(self):
        template_id = self.template()
        version = self.new_version(template_id, "#!/bin/sh\necho v2\n")
        self.group(template_id, 2, version=version)
        self.assertEqual(self.instance_versions(), ["2", "2"])
        instance_id = self.described_group()["Instances"][0]["InstanceId"]
        attribute = self.ec2.describe_instance_attribute(InstanceId=instance_id, Attribute="userData")
        self.assertEqual(base64.b64decode(attribute["UserData"]["Value"]).decode(), "#!/bin/sh\necho v2\n")


class GroupSettings(InProcessMoto):
    def test_keeps_the_instance_maintenance_policy_until_both_values_are_minus_one(self):
        policy = {"MinHealthyPercentage": 100, "MaxHealthyPercentage": 110}
        self.group(self.template(), 1, InstanceMaintenancePolicy=policy)
        self.assertEqual(self.described_group()["InstanceMaintenancePolicy"], policy)
        self.autoscaling.update_auto_scaling_group(AutoScalingGroupName="web", MaxSize=3)
        self.assertEqual(self.described_group()["InstanceMaintenancePolicy"], policy)
        self.autoscaling.update_auto_scaling_group(
            AutoScalingGroupName="web",
            InstanceMaintenancePolicy={"MinHealthyPercentage": -1, "MaxHealthyPercentage": -1},
        )
        self.assertNotIn("InstanceMaintenancePolicy", self.described_group())

    def test_a_refresh_warms_up_for_the_default_instance_warmup_then_once_cleared_the_grace_period(self):
        self.group(self.template(), 1, HealthCheckGracePeriod=45)
        self.autoscaling.update_auto_scaling_group(AutoScalingGroupName="web", DefaultInstanceWarmup=7)
        self.assertEqual(self.warmup_of_a_refresh(), 7)
        self.autoscaling.update_auto_scaling_group(AutoScalingGroupName="web", DefaultInstanceWarmup=-1)
        self.assertEqual(self.warmup_of_a_refresh(), 45)

    def warmup_of_a_refresh(self) -> int:
        """The InstanceWarmup of a refresh started without one (cancelled once read)."""
        refresh_id = self.start(Preferences={"MinHealthyPercentage": 0})
        warmup = self.refresh(refresh_id)["Preferences"]["InstanceWarmup"]
        self.autoscaling.cancel_instance_refresh(AutoScalingGroupName="web")
        self.wait_for(refresh_id)
        return warmup


class LifecycleHooks(InProcessMoto):
    def test_a_hook_has_no_role_or_notification_target_it_was_not_given(self):
        self.group(self.template(), 1)
        self.autoscaling.put_lifecycle_hook(
            AutoScalingGroupName="web",
            LifecycleHookName="boot",
            LifecycleTransition="autoscaling:EC2_INSTANCE_LAUNCHING",
            HeartbeatTimeout=300,
            DefaultResult="ABANDON",
        )
        (hook,) = self.autoscaling.describe_lifecycle_hooks(AutoScalingGroupName="web")["LifecycleHooks"]
        self.assertEqual(hook["LifecycleHookName"], "boot")
        self.assertNotIn("RoleARN", hook)
        self.assertNotIn("NotificationTargetARN", hook)


class SecurityGroupRules(InProcessMoto):
    def test_a_rule_naming_another_group_keeps_its_description(self):
        vpc_id = self.ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        balancers = self.ec2.create_security_group(GroupName="lb", Description="lb", VpcId=vpc_id)["GroupId"]
        instances = self.ec2.create_security_group(GroupName="i", Description="i", VpcId=vpc_id)["GroupId"]
        self.ec2.authorize_security_group_ingress(
            GroupId=instances,
            IpPermissions=[
                {
                    "IpProtocol": "tcp",
                    "FromPort": 9000,
                    "ToPort": 9001,
                    "UserIdGroupPairs": [{"GroupId": balancers, "Description": "from the load balancers"}],
                },
                {
                    "IpProtocol": "tcp",
                    "FromPort": 22,
                    "ToPort": 22,
                    "IpRanges": [{"CidrIp": "10.0.0.0/8", "Description": "from the VPN"}],
                },
            ],
        )
        rules = self.ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [instances]}])[
            "SecurityGroupRules"
        ]
        described = {rule["FromPort"]: rule.get("Description") for rule in rules if not rule["IsEgress"]}
        self.assertEqual(described, {9000: "from the load balancers", 22: "from the VPN"})


if __name__ == "__main__":
    unittest.main()
