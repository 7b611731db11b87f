"""DescribeSecurityGroupRules: the Description of a rule that names another security group.

moto keeps that description (it is in DescribeSecurityGroups' UserIdGroupPairs) but reads a rule's description
from its CIDR only, so the AWS provider plans to set it again on every run.
"""

from moto.ec2.models.security_groups import SecurityGroupRule


def install() -> None:
    SecurityGroupRule.description = property(
        lambda self: self.ip_range.get("Description") or (self.source_group or {}).get("Description")
    )
