"""Writes to the ladder. Each service is one transaction."""

from collections.abc import Hashable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts.services import tokens_revoke_for
from core import roles
from core.errors import Conflict, InvalidInput, NotAllowed
from ladder.errors import ErrorCode
from ladder.models import Level, LevelChange, LevelTransition, Member, MemberChange

User = get_user_model()


def ensure_can_manage_members(actor) -> None:
    if not roles.is_hr(actor):
        raise NotAllowed("Only HR may create or change members.")


def ensure_may_manage_user(actor, user, *, outranks_hr: bool | None = None) -> None:
    """The records of a superuser (or of an account with rights beyond HR's) are changed by
    superusers only. `outranks_hr`: the answer of roles.outranking_hr, when asked for many."""
    if outranks_hr is None and not actor.is_superuser:
        outranks_hr = roles.outranks_hr(user)
    if not actor.is_superuser and outranks_hr:
        raise NotAllowed(
            "Only a superuser may change the records of this account.",
            code=ErrorCode.SUPERUSER_PROTECTED,
        )


def ensure_may_administer_accounts(actor) -> None:
    """Separation of duties (roles.account_conflict): e.g. while HR's own promotion is open they
    change no committee membership, password, activity or reporting line."""
    reason = roles.account_conflict(actor)
    if reason:
        raise NotAllowed(reason, code=ErrorCode.CONFLICT_OF_INTEREST)


def ensure_not_erased(member: Member) -> None:
    """An erased member's record is closed (docs/data-rights.md): no route changes it, invites
    or renames them again. 409 `already_erased`."""
    if member.erased_at is not None:
        raise Conflict(
            "This member's personal data is erased: their record is closed to changes.",
            code=ErrorCode.ALREADY_ERASED,
        )


def ensure_not_own_record(actor, member: Member) -> None:
    if member.user_id == actor.pk and not actor.is_superuser:
        raise NotAllowed("You may not change your own record.", code=ErrorCode.OWN_RECORD)


# A password changed (by its owner on the site or the admin, or by HR): recorded, never the value.
PASSWORD_CHANGED = {"password": {"from": None, "to": "changed"}}


def member_change_record(*, actor, user, changes: dict, route: str) -> MemberChange | None:
    """Append to the audit trail of people's records; nothing when nothing changed."""
    if not changes:
        return None
    return MemberChange.objects.create(
        user=user, actor=actor if actor.is_authenticated else None, route=route, changes=changes
    )


def member_changes_record(*, actor, changes: dict[int, dict], route: str) -> list[MemberChange]:
    """member_change_record for many people at once (`changes`: user id → their changes), in one
    INSERT: HR's invitations to a whole import."""
    return MemberChange.objects.bulk_create(
        MemberChange(
            user_id=user_id,
            actor=actor if actor.is_authenticated else None,
            route=route,
            changes=changed,
        )
        for user_id, changed in changes.items()
        if changed
    )


def audit_value(value):
    if isinstance(value, Member):
        return value.user.get_username()
    if isinstance(value, Level):
        return value.code
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, bool | int | float | str | None):
        return value
    return str(value)


def _diff(before: dict, after: dict) -> dict:
    return {
        field: {"from": audit_value(before.get(field)), "to": audit_value(after[field])}
        for field in after
        if before.get(field) != after[field]
    }


def ensure_valid_manager(*, member: Member | None, manager: Member | None) -> None:
    if manager is None:
        return
    if not manager.is_active:
        raise InvalidInput("The manager is not an active member.", code=ErrorCode.MANAGER_INACTIVE)
    if member is None:
        return
    # Walk up from the new manager: meeting `member` means the change would close a loop.
    seen: set[int] = set()
    boss: Member | None = manager
    while boss is not None and boss.pk not in seen:
        if boss.pk == member.pk:
            raise InvalidInput(
                "A member cannot be managed by themselves or by one of their own reports.",
                code=ErrorCode.MANAGER_CYCLE,
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
    level_since=None,
    route: str = "api",
) -> Member:
    """Create a user and their place on the ladder. Without a password the user cannot log in
    until they choose one from HR's invitation (ladder.invitations)."""
    ensure_can_manage_members(actor)
    ensure_valid_manager(member=None, manager=manager)
    if User.objects.filter(username__iexact=username).exists():
        raise InvalidInput("That username is taken.", code=ErrorCode.USERNAME_TAKEN)
    user = User(username=username, email=email, first_name=first_name, last_name=last_name)
    if password:
        try:
            validate_password(password, user=user)
        except ValidationError as exc:
            raise InvalidInput(" ".join(exc.messages), code=ErrorCode.PASSWORD_INVALID) from None
        user.set_password(password)
    else:
        user.set_unusable_password()
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:  # a concurrent request took the username first
        raise InvalidInput("That username is taken.", code=ErrorCode.USERNAME_TAKEN) from None
    member = Member.objects.create(
        user=user, level=level, manager=manager, level_since=level_since or timezone.localdate()
    )
    _record_placement(actor=actor, member=member, route=route, password_set=bool(password))
    return member


def _record_placement(*, actor, member: Member, route: str, password_set: bool = False) -> None:
    user = member.user
    placed = {
        "username": user.get_username(),
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "level": member.level,
        "manager": member.manager,
        "level_since": member.level_since,
        "is_active": member.is_active,
    }
    changes = _diff({}, placed)
    if password_set:
        changes["password"] = {"from": None, "to": "set"}
    member_change_record(actor=actor, user=user, changes=changes, route=route)


@transaction.atomic
def member_place(
    *, actor, user, level: Level, manager: Member | None = None, level_since=None
) -> Member:
    """Put an existing user on the ladder (the admin's "add member")."""
    ensure_can_manage_members(actor)
    ensure_may_manage_user(actor, user)
    ensure_valid_manager(member=None, manager=manager)
    if Member.objects.filter(user=user).exists():
        raise InvalidInput("This user is on the ladder already.", code=ErrorCode.MEMBER_EXISTS)
    member = Member.objects.create(
        user=user, level=level, manager=manager, level_since=level_since or timezone.localdate()
    )
    _record_placement(actor=actor, member=member, route="admin")
    return member


def user_grant_staff_for_roles(*, user) -> bool:
    """HR, committee and People analytics members work in the admin, so they must be staff.
    Returns whether the user was made staff now."""
    if not user.is_staff and user.groups.filter(name__in=roles.STAFF_GROUPS).exists():
        user.is_staff = True
        user.save(update_fields=["is_staff"])
        return True
    return False


REPORTING_LINES_LOCK = 7_104_2026  # an arbitrary advisory-lock key of our own

MEMBER_UPDATABLE = {"manager", "username", "email", "first_name", "last_name", "is_active"}


@transaction.atomic
def member_update(*, actor, member: Member, changes: dict, route: str = "api") -> Member:
    """Change who manages a member, their contact details, or whether they are active.
    The level is not among them: it changes only through an approved promotion. Every change is
    kept in the audit trail; deactivating someone revokes their API tokens. An erased member's
    record is closed: 409 `already_erased`, whatever the route (API, admin, SCIM, import)."""
    ensure_can_manage_members(actor)
    ensure_not_own_record(actor, member)
    if {"is_active", "manager"} & set(changes):
        # Who is active and who manages whom decide whose votes count and who is recused.
        ensure_may_administer_accounts(actor)
    if "level" in changes:
        raise InvalidInput(
            "The level changes only through an approved promotion.", code=ErrorCode.LEVEL_READ_ONLY
        )
    unknown = set(changes) - MEMBER_UPDATABLE
    if unknown:
        raise InvalidInput(f"These fields cannot be changed: {', '.join(sorted(unknown))}.")
    if "manager" in changes and connection.vendor == "postgresql":
        # Changes to reporting lines queue one behind the other, so two edits at once cannot
        # close a loop that each one alone would not (SQLite's IMMEDIATE transactions queue).
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [REPORTING_LINES_LOCK])
    member = (
        Member.objects.select_for_update(of=("self",))
        .select_related("user", "manager__user")
        .get(pk=member.pk)
    )
    ensure_may_manage_user(actor, member.user)
    ensure_not_erased(member)
    user = member.user
    before = {
        "manager": member.manager,
        "username": user.get_username(),
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "is_active": member.is_active,
    }
    if "manager" in changes:
        manager = changes["manager"]
        if manager is not None:  # read again under the lock: the chain above may have moved
            manager = Member.objects.get(pk=manager.pk)
        ensure_valid_manager(member=member, manager=manager)
        member.manager = manager
    # The identity provider renames people (SCIM userName); usernames are unique whatever their
    # case.
    if (
        "username" in changes
        and User.objects.filter(username__iexact=changes["username"]).exclude(pk=user.pk).exists()
    ):
        raise InvalidInput("That username is taken.", code=ErrorCode.USERNAME_TAKEN)
    for field in ("username", "email", "first_name", "last_name"):
        if field in changes:
            setattr(user, field, changes[field])
    if "is_active" in changes:
        # A member who has left cannot log in any more; reactivating lets them back in.
        member.is_active = user.is_active = changes["is_active"]
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:  # a concurrent request took the username first
        raise InvalidInput("That username is taken.", code=ErrorCode.USERNAME_TAKEN) from None
    member.save()
    after = {**before, **changes, "manager": member.manager}
    member_change_record(actor=actor, user=user, changes=_diff(before, after), route=route)
    if not member.is_active:
        tokens_revoke_for(user=user)
    return member


def member_level_change(
    *, member: Member, to_level: Level, promotion=None, effective_date=None
) -> LevelChange:
    """Move a member to a new level and keep the change as career history, dated the day it took
    effect (default today). Called by an approved promotion, inside its transaction."""
    effective_date = effective_date or timezone.localdate()
    change = LevelChange.objects.create(
        member=member,
        from_level=member.level,
        to_level=to_level,
        effective_date=effective_date,
        promotion=promotion,
    )
    member.level = to_level
    member.level_since = effective_date
    member.save(update_fields=["level", "level_since"])
    return change


# --- The ladder's integrity ----------------------------------------------------------------


@dataclass(frozen=True)
class LevelFacts:
    key: Hashable  # the level's id, or any marker for one not saved yet
    code: str
    rank: int
    track: str


Move = tuple[Hashable, Hashable]  # (from level key, to level key)


def ladder_problems(*, levels: list[LevelFacts], moves: list[Move]) -> list[str]:
    """What is wrong with a ladder of these levels and moves (from key, to key), active or not:
    every move goes to a higher rank, and a move within one track goes to that track's next
    level up (no skipping). Empty when the ladder holds. Pure: forms ask it about what they are
    about to save, ensure_ladder_integrity about what is saved."""
    by_key = {level.key: level for level in levels}
    problems = []
    for from_key, to_key in moves:
        start, end = by_key[from_key], by_key[to_key]
        move = f"{start.code} → {end.code}"
        if end.rank <= start.rank:
            problems.append(
                f"The move {move} would go down or sideways "
                f"(rank {start.rank} → {end.rank}); a move goes up the ladder."
            )
        elif start.track == end.track:
            above = [lv for lv in levels if lv.track == start.track and lv.rank > start.rank]
            following = min(above, key=lambda lv: lv.rank)
            if following.key != end.key:
                problems.append(
                    f"The move {move} would skip {following.code}: within a track a move goes "
                    "to the next level up."
                )
    return problems


def ladder_as_saved() -> tuple[list[LevelFacts], list[Move]]:
    levels = [
        LevelFacts(key=pk, code=code, rank=rank, track=track)
        for pk, code, rank, track in Level.objects.values_list("pk", "code", "rank", "track")
    ]
    moves: list[Move] = list(LevelTransition.objects.values_list("from_level_id", "to_level_id"))
    return levels, moves


LADDER_EDITS_LOCK = 7_104_2027  # an advisory-lock key of our own


def ensure_ladder_integrity() -> None:
    """Raise unless the saved ladder holds; called inside every transaction that edits it, so
    an edit that breaks it is rolled back, whatever form or route made it. Checks queue on a
    lock held to commit: each sees the edits committed before it (two edits, each sound alone,
    cannot together break the ladder)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LADDER_EDITS_LOCK])
    levels, moves = ladder_as_saved()
    problems = ladder_problems(levels=levels, moves=moves)
    if problems:
        raise InvalidInput(" ".join(problems), code=ErrorCode.LADDER_INTEGRITY)
