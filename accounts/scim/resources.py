"""The SCIM resources this service speaks, as scim2-models classes, and what it publishes about
itself (ServiceProviderConfig, ResourceTypes, Schemas). Requests are read with the full core
User (an identity provider sends more than the ladder keeps: displayName, locale, phone numbers
are accepted and not kept); the published schemas list only what is kept, so a client knows
what it will read back."""

from typing import Annotated

from scim2_models import (
    URN,
    AuthenticationScheme,
    Bulk,
    CaseExact,
    ChangePassword,
    ComplexAttribute,
    ETag,
    Extension,
    Filter,
    Group,
    Mutability,
    Patch,
    Required,
    ResourceType,
    Schema,
    ServiceProviderConfig,
    Sort,
    User,
)

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
LADDER = "urn:pmladder:params:scim:schemas:extension:ladder:2.0:User"
MAX_RESULTS = 200  # the largest page of a list


class Manager(ComplexAttribute):
    """The enterprise extension's manager, by `value`: the manager's SCIM id (scim2-models' own
    class requires `$ref` in requests, which neither Okta nor Entra ID send)."""

    value: Annotated[str | None, CaseExact.true] = None


class EnterpriseUser(Extension):
    """The attributes of RFC 7643's enterprise extension that the ladder keeps."""

    __schema__ = URN(ENTERPRISE)

    employee_number: str | None = None
    department: str | None = None
    manager: Manager | None = None


class LadderUser(Extension):
    """A member's place on the ladder: given when the member is created, changed afterwards
    only by approved promotions."""

    __schema__ = URN(LADDER)

    level: Annotated[str | None, Required.true, Mutability.immutable] = None
    """The code of the member's level."""

    level_since: Annotated[str | None, Required.true, Mutability.immutable] = None
    """The date (YYYY-MM-DD) the member reached that level."""


ScimUser = User[EnterpriseUser | LadderUser]

# What the published schemas list (the rest of RFC 7643's User is read and not kept).
KEPT_USER_ATTRIBUTES = {
    "userName": None,
    "name": {"givenName", "familyName"},
    "active": None,
    "emails": {"value"},
}


def _user_schema() -> Schema:
    schema = User.to_schema()
    kept = []
    for attribute in schema.attributes or []:
        if attribute.name not in KEPT_USER_ATTRIBUTES:
            continue
        if attribute.name == "active":
            attribute.required = Required.true  # a member is active or not, never neither
        subs = KEPT_USER_ATTRIBUTES[attribute.name]
        if subs is not None:
            attribute.sub_attributes = [
                sub for sub in attribute.sub_attributes or [] if sub.name in subs
            ]
        kept.append(attribute)
    schema.attributes = kept
    schema.description = "A person on the ladder (a member)"
    return schema


def _ladder_schema(level_codes: list[str]) -> Schema:
    schema = LadderUser.to_schema()
    schema.name = "LadderUser"
    schema.description = "A member's place on the ladder (read-only once created)"
    for attribute in schema.attributes or []:
        if attribute.name == "level":
            attribute.canonical_values = level_codes
    return schema


def _enterprise_schema() -> Schema:
    schema = EnterpriseUser.to_schema()
    schema.name = "EnterpriseUser"
    schema.description = "Enterprise User"
    return schema


def _group_schema() -> Schema:
    schema = Group.to_schema()
    schema.description = "A role: HR, Promotion committee or Executives"
    for attribute in schema.attributes or []:
        if attribute.name == "displayName":
            attribute.mutability = Mutability.read_only
    return schema


def schemas(*, level_codes: list[str]) -> list[Schema]:
    found = [_user_schema(), _enterprise_schema(), _ladder_schema(level_codes), _group_schema()]
    for schema in found:
        schema.meta = None
    return found


def resource_types() -> list[ResourceType]:
    core = "urn:ietf:params:scim:schemas:core:2.0:"
    return [
        ResourceType.model_validate(
            {
                "id": "User",
                "name": "User",
                "description": "A person on the ladder",
                "endpoint": "/Users",
                "schema": f"{core}User",
                "schemaExtensions": [
                    {"schema": ENTERPRISE, "required": False},
                    {"schema": LADDER, "required": True},
                ],
            }
        ),
        ResourceType.model_validate(
            {
                "id": "Group",
                "name": "Group",
                "description": "A role group (HR, Promotion committee, Executives): members only",
                "endpoint": "/Groups",
                "schema": f"{core}Group",
            }
        ),
    ]


def service_provider_config() -> ServiceProviderConfig:
    return ServiceProviderConfig(
        patch=Patch(supported=True),
        bulk=Bulk(supported=False, max_operations=0, max_payload_size=0),
        filter=Filter(supported=True, max_results=MAX_RESULTS),
        change_password=ChangePassword(supported=False),
        sort=Sort(supported=False),
        etag=ETag(supported=False),
        authentication_schemes=[
            AuthenticationScheme(
                type=AuthenticationScheme.Type.oauthbearertoken,
                name="Bearer token",
                description="A SCIM token HR makes in the admin (or with manage.py scim_token): "
                "Authorization: Bearer <token>",
                primary=True,
            )
        ],
    )
