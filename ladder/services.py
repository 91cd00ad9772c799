"""Writes to the ladder. Each service is one transaction."""

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from ladder import roles
from ladder.errors import InvalidInput, NotAllowed
from ladder.models import Level, LevelChange, Member

User = get_user_model()


def ensure_can_manage_members(actor) -> None:
    if not roles.is_hr(actor):
        raise NotAllowed("Only HR may create or change members.")


def ensure_valid_manager(*, member: Member | None, manager: Member | None) -> None:
    if manager is None:
        return
    if not manager.is_active:
        raise InvalidInput("The manager is not an active member.", code="manager_inactive")
    if member is None:
        return
    # Walk up from the new manager: meeting `member` means the change would close a loop.
    seen, boss = set(), manager
    while boss is not None and boss.pk not in seen:
        if boss.pk == member.pk:
            raise InvalidInput(
                "A member cannot be managed by themselves or by one of their own reports.",
                code="manager_cycle",
            )
        seen.add(boss.pk)
        boss = boss.manager


@transaction.atomic
def member_create(
    *,
    actor,
    username: str,
    email: str,
    first_name: str = "",
    last_name: str = "",
    level: Level,
    manager: Member | None = None,
    password: str | None = None,
) -> Member:
    """Create a user and their place on the ladder. Without a password the user cannot log in
    until one is set (by HR in the admin, or by a password reset)."""
    ensure_can_manage_members(actor)
    ensure_valid_manager(member=None, manager=manager)
    if User.objects.filter(username__iexact=username).exists():
        raise InvalidInput("That username is taken.", code="username_taken")
    user = User(username=username, email=email, first_name=first_name, last_name=last_name)
    if password:
        try:
            validate_password(password, user=user)
        except ValidationError as exc:
            raise InvalidInput(" ".join(exc.messages), code="password_invalid") from None
        user.set_password(password)
    else:
        user.set_unusable_password()
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:  # a concurrent request took the username first
        raise InvalidInput("That username is taken.", code="username_taken") from None
    return Member.objects.create(
        user=user, level=level, manager=manager, level_since=timezone.localdate()
    )


def user_grant_staff_for_roles(*, user) -> None:
    """HR and committee members work in the admin, so they must be staff."""
    if not user.is_staff and user.groups.filter(name__in=roles.ROLE_GROUPS).exists():
        user.is_staff = True
        user.save(update_fields=["is_staff"])


REPORTING_LINES_LOCK = 7_104_2026  # an arbitrary advisory-lock key of our own

MEMBER_UPDATABLE = {"manager", "email", "first_name", "last_name", "is_active"}


@transaction.atomic
def member_update(*, actor, member: Member, changes: dict) -> Member:
    """Change who manages a member, their contact details, or whether they are active.
    The level is not among them: it changes only through an approved promotion."""
    ensure_can_manage_members(actor)
    if "level" in changes:
        raise InvalidInput(
            "The level changes only through an approved promotion.", code="level_read_only"
        )
    unknown = set(changes) - MEMBER_UPDATABLE
    if unknown:
        raise InvalidInput(f"These fields cannot be changed: {', '.join(sorted(unknown))}.")
    if "manager" in changes and connection.vendor == "postgresql":
        # Changes to reporting lines queue one behind the other, so two edits at once cannot
        # close a loop that each one alone would not (SQLite's IMMEDIATE transactions queue).
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [REPORTING_LINES_LOCK])
    member = Member.objects.select_for_update().select_related("user").get(pk=member.pk)
    if "manager" in changes:
        manager = changes["manager"]
        if manager is not None:  # read again under the lock: the chain above may have moved
            manager = Member.objects.get(pk=manager.pk)
        ensure_valid_manager(member=member, manager=manager)
        member.manager = manager
    user = member.user
    for field in ("email", "first_name", "last_name"):
        if field in changes:
            setattr(user, field, changes[field])
    if "is_active" in changes:
        # A member who has left cannot log in any more; reactivating lets them back in.
        member.is_active = user.is_active = changes["is_active"]
    user.save()
    member.save()
    return member


def member_level_change(*, member: Member, to_level: Level, promotion=None) -> LevelChange:
    """Move a member to a new level and keep the change as career history. Called by an approved
    promotion, inside its transaction."""
    today = timezone.localdate()
    change = LevelChange.objects.create(
        member=member,
        from_level=member.level,
        to_level=to_level,
        effective_date=today,
        promotion=promotion,
    )
    member.level = to_level
    member.level_since = today
    member.save(update_fields=["level", "level_since"])
    return change
