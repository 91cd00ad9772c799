"""Between the ladder's records and SCIM's resources (scim2-models): a member as a SCIM User, a
role group as a SCIM Group, and a User sent by the identity provider as the ladder's input
(`UserInput`), with what does not fit refused as a SCIM error. Rules stay in the services."""

from dataclasses import dataclass
from datetime import date

from django.contrib.auth.models import Group as RoleGroup
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError as DjangoValidationError
from pydantic import ValidationError
from scim2_models import Context, Email, Group, GroupMember, Meta, Name, PatchOp

from accounts.models import ScimIdentity
from accounts.scim import errors
from accounts.scim.resources import EnterpriseUser, LadderUser, Manager, ScimUser
from core.validators import refuse_control_characters
from ladder.models import Level, Member

NAME_MAX = 150
EMAIL_MAX = 254
TEXT_MAX = 255


def _identity(member: Member) -> ScimIdentity | None:
    try:
        return member.user.scim_identity
    except ScimIdentity.DoesNotExist:
        return None


def member_to_scim(member: Member, *, base_url: str) -> ScimUser:
    user = member.user
    identity = _identity(member)
    resource = ScimUser(
        id=str(user.pk),
        external_id=identity.external_id if identity else None,
        user_name=user.get_username(),
        name=Name(given_name=user.first_name or None, family_name=user.last_name or None),
        active=member.is_active,
        emails=[Email(value=user.email)] if user.email else None,
        meta=Meta(
            resource_type="User",
            created=user.date_joined,
            location=f"{base_url}/Users/{user.pk}",
        ),
    )
    manager = None
    if member.manager is not None:
        boss = member.manager
        manager = Manager(value=str(boss.user_id))
    enterprise = EnterpriseUser(
        employee_number=(identity.employee_number or None) if identity else None,
        department=(identity.department or None) if identity else None,
        manager=manager,
    )
    if enterprise.employee_number or enterprise.department or enterprise.manager:
        resource[EnterpriseUser] = enterprise
    resource[LadderUser] = LadderUser(
        level=member.level.code, level_since=member.level_since.isoformat()
    )
    return resource


def group_to_scim(group: RoleGroup, *, member_ids: list[int], base_url: str) -> Group:
    return Group(
        id=str(group.pk),
        display_name=group.name,
        members=[
            GroupMember.model_validate(
                {"value": str(pk), "$ref": f"{base_url}/Users/{pk}", "type": "User"}
            )
            for pk in member_ids
        ]
        or None,
        meta=Meta(resource_type="Group", location=f"{base_url}/Groups/{group.pk}"),
    )


@dataclass
class UserInput:
    """A SCIM User as the ladder's fields; `manager` None: no manager."""

    username: str
    email: str
    first_name: str
    last_name: str
    is_active: bool
    manager: Member | None
    external_id: str | None
    employee_number: str
    department: str
    level: Level | None  # None: not given (only a creation requires it)
    level_since: date | None


def _text(value: str | None, *, label: str, limit: int = TEXT_MAX) -> str:
    value = (value or "").strip()
    if len(value) > limit:
        raise errors.invalid_value(f"{label} is longer than {limit} characters.")
    try:
        refuse_control_characters(value)
    except DjangoValidationError:  # a NUL, control or bidi character
        raise errors.invalid_value(f"{label} holds a character that is not allowed.") from None
    return value


def _primary_email(resource: ScimUser) -> str:
    emails = [email for email in resource.emails or [] if email.value]
    chosen = next((email for email in emails if email.primary), emails[0] if emails else None)
    return _text(str(chosen.value) if chosen else "", label="The e-mail address", limit=EMAIL_MAX)


def _manager(resource: ScimUser) -> Member | None:
    enterprise = resource[EnterpriseUser]
    value = enterprise.manager.value if enterprise and enterprise.manager else None
    if not value:
        return None
    pk = int(value) if value.isascii() and value.isdigit() and len(value) <= 18 else None
    manager = (
        Member.objects.select_related("user")
        .filter(user_id=pk)
        .exclude(user__scim_identity__deleted_at__isnull=False)
        .first()
        if pk
        else None
    )
    if manager is None:
        raise errors.invalid_value(f"The manager {value!r} is not a known user.")
    return manager


def _level(resource: ScimUser) -> tuple[Level | None, date | None]:
    ladder = resource[LadderUser]
    code = ladder.level if ladder else None
    since = ladder.level_since if ladder else None
    level = None
    if code is not None:
        level = Level.objects.filter(code=code).first()
        if level is None:
            raise errors.invalid_value(f"No level has the code {code!r}.")
    day = None
    if since is not None:
        try:
            day = date.fromisoformat(since)
        except ValueError:
            raise errors.invalid_value(
                f"levelSince {since!r} is not a date (YYYY-MM-DD)."
            ) from None
        if day > date.today():
            raise errors.invalid_value("levelSince is in the future.")
    return level, day


def user_input(resource: ScimUser) -> UserInput:
    enterprise = resource[EnterpriseUser]
    level, since = _level(resource)
    name = resource.name
    username = _text(resource.user_name, label="userName", limit=NAME_MAX)
    if not username:
        raise errors.invalid_value("userName is required.")
    try:
        UnicodeUsernameValidator()(username)
    except DjangoValidationError:
        raise errors.invalid_value(
            "userName may hold letters, digits and @ . + - _ only (an e-mail address will do)."
        ) from None
    external_id = _text(resource.external_id, label="externalId") or None
    return UserInput(
        username=username,
        email=_primary_email(resource),
        first_name=_text(name.given_name if name else None, label="givenName", limit=NAME_MAX),
        last_name=_text(name.family_name if name else None, label="familyName", limit=NAME_MAX),
        is_active=True if resource.active is None else bool(resource.active),
        manager=_manager(resource),
        external_id=external_id,
        employee_number=_text(
            enterprise.employee_number if enterprise else None, label="employeeNumber"
        ),
        department=_text(enterprise.department if enterprise else None, label="department"),
        level=level,
        level_since=since,
    )


def read_user(payload, *, context: Context) -> ScimUser:
    """A User from a request body: 400 `invalidSyntax` / `invalidValue` for what does not fit."""
    if not isinstance(payload, dict):
        raise errors.ScimError(400, "The body is not a SCIM User (a JSON object).", "invalidSyntax")
    try:
        return ScimUser.model_validate(payload, scim_ctx=context)
    except ValidationError as exc:
        raise validation_error(exc) from None


def validation_error(exc: ValidationError) -> errors.ScimError:
    found = exc.errors()
    if not found:
        return errors.ScimError(400, str(exc), "invalidValue")
    first = found[0]
    where = ".".join(str(part) for part in first["loc"])
    scim_type = (first.get("ctx") or {}).get("scim_type") or "invalidValue"
    detail = f"{where}: {first['msg']}" if where else first["msg"]
    return errors.ScimError(400, detail, scim_type)


def read_group(payload, *, context: Context) -> Group:
    if not isinstance(payload, dict):
        raise errors.ScimError(
            400, "The body is not a SCIM Group (a JSON object).", "invalidSyntax"
        )
    try:
        return Group.model_validate(payload, scim_ctx=context)
    except ValidationError as exc:
        raise validation_error(exc) from None


def group_member_ids(group: Group) -> set[int]:
    ids = set()
    for member in group.members or []:
        value = member.value or ""
        if not (value.isascii() and value.isdigit() and len(value) <= 18):
            raise errors.invalid_value(f"No user has the id {value!r}.")
        ids.add(int(value))
    return ids


def _entra_manager(operation):
    """Entra ID sends the manager as the bare id: `{"path": "urn:...:User:manager", "value":
    "42"}`; RFC 7643 has it as `{"value": "42"}`."""
    if (
        isinstance(operation, dict)
        and str(operation.get("path", "")).lower().endswith(":user:manager")
        and isinstance(operation.get("value"), str)
    ):
        return {**operation, "value": {"value": operation["value"]}}
    return operation


def _entra_removal(operation) -> list:
    """Entra ID removes group members naming them in the value: `{"op": "Remove", "path":
    "members", "value": [{"value": "42"}]}`; RFC 7644 selects them by a filter in the path:
    `members[value eq "42"]`, one operation each."""
    if not (
        isinstance(operation, dict)
        and str(operation.get("op", "")).lower() == "remove"
        and isinstance(operation.get("path"), str)
        and "[" not in operation["path"]
        and isinstance(operation.get("value"), list)
        and all(
            isinstance(item, dict) and isinstance(item.get("value"), str)
            for item in operation["value"]
        )
    ):
        return [operation]
    removals = []
    for item in operation["value"]:
        value = item["value"].replace("\\", "\\\\").replace('"', '\\"')
        removals.append({"op": "remove", "path": f'{operation["path"]}[value eq "{value}"]'})
    return removals


def read_patch(payload, model) -> PatchOp:
    """A PatchOp for `model` (the User or Group resource) from a request body."""
    if not isinstance(payload, dict):
        raise errors.ScimError(
            400, "The body is not a SCIM PatchOp (a JSON object).", "invalidSyntax"
        )
    operations = payload.get("Operations")
    if isinstance(operations, list):
        operations = [_entra_manager(op) for op in operations]
        payload = {**payload, "Operations": [o for op in operations for o in _entra_removal(op)]}
    try:
        return PatchOp[model].model_validate(payload, scim_ctx=Context.RESOURCE_PATCH_REQUEST)
    except ValidationError as exc:
        raise validation_error(exc) from None
