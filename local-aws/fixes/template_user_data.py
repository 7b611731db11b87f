"""CreateLaunchTemplateVersion with user data: the version's UserData parsed, as for a new template.

AWS launches from any version of a template; moto's create_launch_template_version stores the version's UserData
as the string it received, skipping the parsing create_launch_template does, so the next Auto Scaling launch from
that version (a scale-out, a replacement, an instance refresh after the provider changed the user data) fails an
assert: HTTP 500.
"""

from typing import Any

from moto.core.types import Base64EncodedString
from moto.ec2.models.launch_templates import LaunchTemplate, LaunchTemplateVersion
from moto.ec2.utils import parse_user_data

_create_template_version = LaunchTemplate.create_version


def _version_with_parsed_user_data(
    self: LaunchTemplate, data: dict[str, Any], description: str
) -> LaunchTemplateVersion:
    user_data = data.get("UserData")
    if user_data is not None and not isinstance(user_data, Base64EncodedString):
        data["UserData"] = parse_user_data(user_data)
    return _create_template_version(self, data, description)


def install() -> None:
    LaunchTemplate.create_version = _version_with_parsed_user_data
