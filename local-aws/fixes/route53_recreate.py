"""ChangeResourceRecordSets refuses to CREATE a record set that exists (the same name, type and set identifier), and
only that, as AWS does. moto refuses a CREATE it has seen before whenever any record of that name and type exists,
whatever its set identifier: a weighted member deleted and created again (Terraform replacing a tainted one, which a
cancelled apply leaves) failed with "already exists" while its siblings stood (test/e2e/interrupted.e2e.test.ts);
and it accepts, as a duplicate, a CREATE of an existing record it has not seen.
"""

from __future__ import annotations

from typing import Any

from moto.route53.exceptions import ResourceRecordAlreadyExists
from moto.route53.models import ChangeList, Route53Backend

_change_resource_record_sets = Route53Backend.change_resource_record_sets


def _dns_name(name: str) -> str:
    return f"{name.rstrip('.')}.".lower()


def _change(self: Route53Backend, zoneid: str, change_list: list[dict[str, Any]]) -> None:
    zone = self.get_hosted_zone(zoneid)
    for change in change_list:
        if change["Action"] != "CREATE":
            continue
        wanted = change["ResourceRecordSet"]
        name = _dns_name(wanted["Name"])
        if any(
            _dns_name(existing.name) == name
            and existing.type == wanted["Type"]
            and existing.set_identifier == wanted.get("SetIdentifier")
            for existing in zone.rrsets
        ):
            raise ResourceRecordAlreadyExists(name=name, _type=wanted["Type"])
    _change_resource_record_sets(self, zoneid, change_list)


def _never_seen(self: ChangeList, item: Any) -> bool:
    # moto's own check of a CREATE looks its change up in the zone's journal; the check above replaces it.
    return False


def install() -> None:
    Route53Backend.change_resource_record_sets = _change  # type: ignore[method-assign]
    ChangeList.__contains__ = _never_seen  # type: ignore[method-assign]
