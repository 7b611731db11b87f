"""ChangeResourceRecordSets (fixes/route53_recreate.py): a CREATE fails only on a record set that exists with the
same name, type and set identifier, as on AWS."""

import unittest

import botocore.exceptions

from moto_case import InProcessMoto, _SESSION

NAME = "shop.us-east-1.shop.test."


class RecreatedRecords(InProcessMoto):
    def setUp(self) -> None:
        super().setUp()
        self.route53 = _SESSION.client("route53")
        self.zone = self.route53.create_hosted_zone(Name="shop.test", CallerReference="zone")["HostedZone"]["Id"]

    def change(self, action: str, port: int) -> None:
        member = {
            "Name": NAME,
            "Type": "A",
            "SetIdentifier": f"port-{port}",
            "Weight": 1,
            "AliasTarget": {"HostedZoneId": "Z35SXDOTRQ7X7K", "DNSName": f"lb-{port}.elb.test.", "EvaluateTargetHealth": True},
        }
        self.route53.change_resource_record_sets(
            HostedZoneId=self.zone,
            ChangeBatch={"Changes": [{"Action": action, "ResourceRecordSet": member}]},
        )

    def members(self) -> list[str]:
        answer = self.route53.list_resource_record_sets(HostedZoneId=self.zone)["ResourceRecordSets"]
        return sorted(r["SetIdentifier"] for r in answer if r["Name"] == NAME)

    def test_a_deleted_member_is_created_again_beside_its_siblings(self):
        for port in (9000, 9001, 9002):
            self.change("CREATE", port)
        self.change("DELETE", 9002)
        self.change("CREATE", 9002)
        self.assertEqual(self.members(), ["port-9000", "port-9001", "port-9002"])

    def test_creating_a_member_that_exists_fails_and_adds_nothing(self):
        self.change("CREATE", 9000)
        with self.assertRaisesRegex(botocore.exceptions.ClientError, "InvalidChangeBatch.*already exists"):
            self.change("CREATE", 9000)
        self.assertEqual(self.members(), ["port-9000"])


if __name__ == "__main__":
    unittest.main()
