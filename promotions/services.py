"""Writes to promotions. Each service is one transaction that locks the promotion row (for a
nomination, the candidate's row), so concurrent requests on one promotion queue and exactly one
wins; the others then see the new state and get a 409."""

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Protocol

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from ladder import roles
from ladder.errors import InvalidInput
from ladder.models import Level, Member
from ladder.selectors import level_next_levels, move_is_allowed
from ladder.services import member_level_change
from promotions import notify, permissions
from promotions.errors import (
    ActionNotAllowed,
    ErrorCode,
    IdempotencyKeyReused,
    InvalidIdempotencyKey,
    InvalidLevelMove,
    PromotionAlreadyOpen,
)
from promotions.models import (
    OPEN_STATES,
    Decision,
    NominationKey,
    Promotion,
    PromotionEvent,
    Review,
)
from promotions.packets import packet_evidence, packet_first_version, packet_ratings
from promotions.selectors import (
    approval_blocker,
    promotion_locked,
    promotion_votes,
    resubmit_blocker,
)


def _record(
    promotion: Promotion, *, from_state, actor, note: str = "", votes=None
) -> PromotionEvent:
    return PromotionEvent.objects.create(
        promotion=promotion,
        from_state=from_state,
        to_state=promotion.state,
        actor=actor,
        note=note,
        votes=votes,
    )


def _apply(promotion: Promotion, transition, *, actor, note: str, votes=None) -> Promotion:
    """Run a state transition on a locked, checked promotion: save it, append its event and
    write its notifications, all in the caller's transaction. A decision passes the votes on
    record (promotion_votes), counted and not: its event keeps them."""
    from_state = promotion.state
    transition()
    promotion.save()
    _record(promotion, from_state=from_state, actor=actor, note=note.strip(), votes=votes)
    notify.notify_transition(promotion=promotion, from_state=from_state, note=note.strip())
    return promotion


def ensure_valid_move(*, from_level: Level, to_level: Level) -> None:
    """400 unless from → to is an active allowed move; the message names the allowed moves."""
    if move_is_allowed(from_level_id=from_level.pk, to_level_id=to_level.pk):
        return
    allowed = [level.code for level in level_next_levels(level=from_level)]
    if allowed:
        hint = f"Allowed moves from {from_level.code}: {', '.join(allowed)}."
    else:
        hint = f"There is no move up from {from_level.code}."
    raise InvalidLevelMove(
        f"{from_level.code} → {to_level.code} is not an allowed move. {hint}",
        allowed_moves=allowed,
    )


@transaction.atomic
def promotion_nominate(
    *, candidate: Member, to_level: Level, nominated_by, justification: str, evidence: list[dict]
) -> Promotion:
    """Nominate a member for a move up the ladder: by their direct manager or HR, never oneself,
    with a packet (version 1): the justification and evidence for every active criterion of the
    target level."""
    # Two nominations of one member queue on this lock; the partial unique index is the backstop.
    candidate = (
        Member.objects.select_for_update(of=("self",))
        .select_related("user", "level", "manager")
        .get(pk=candidate.pk)
    )
    if candidate.user_id == nominated_by.pk:
        raise ActionNotAllowed("You cannot nominate yourself.", code=ErrorCode.SELF_NOMINATION)
    manages = candidate.manager is not None and candidate.manager.user_id == nominated_by.pk
    if not (manages or roles.is_hr(nominated_by)):
        raise ActionNotAllowed("Only the candidate's direct manager or HR may nominate them.")
    permissions.ensure_may_open_or_withdraw(nominated_by, candidate)
    if Promotion.objects.filter(candidate=candidate, state__in=OPEN_STATES).exists():
        raise PromotionAlreadyOpen()
    if not candidate.is_active:
        raise InvalidInput(
            "The candidate is not an active member.", code=ErrorCode.CANDIDATE_INACTIVE
        )
    ensure_valid_move(from_level=candidate.level, to_level=to_level)
    if not justification.strip():
        raise InvalidInput("A justification is required.", code=ErrorCode.JUSTIFICATION_REQUIRED)
    evidence = packet_evidence(to_level=to_level, evidence=evidence)  # 400 before any write
    try:
        with transaction.atomic():
            promotion = Promotion.objects.create(
                candidate=candidate,
                from_level=candidate.level,
                to_level=to_level,
                nominated_by=nominated_by,
                justification=justification.strip(),
            )
    except IntegrityError:
        raise PromotionAlreadyOpen() from None
    packet_first_version(promotion=promotion, submitted_by=nominated_by, evidence=evidence)
    _record(promotion, from_state=None, actor=nominated_by)
    notify.notify_nominated(promotion=promotion)
    return promotion


@transaction.atomic
def promotion_start_review(*, promotion: Promotion, actor, note: str = "") -> Promotion:
    promotion = promotion_locked(promotion)
    permissions.ensure_can(actor, permissions.START_REVIEW, promotion)
    return _apply(promotion, promotion.start_review, actor=actor, note=note)


@transaction.atomic
def promotion_review(
    *,
    promotion: Promotion,
    reviewer,
    decision: str,
    comment: str = "",
    ratings: dict[str, str] | None = None,
) -> tuple[Review, bool]:
    """Record or change the reviewer's vote on the current packet version, with a rating for each
    of its criteria. Returns the review and whether it is new (a first vote on this version is
    new, also when the reviewer's vote on an older version stays on record, stale)."""
    promotion = promotion_locked(promotion)
    permissions.ensure_can(reviewer, permissions.REVIEW, promotion)
    if decision not in Decision.values:
        raise InvalidInput("The decision is approve or reject.", code=ErrorCode.INVALID_DECISION)
    if decision == Decision.REJECT and not comment.strip():
        raise InvalidInput("A comment is required to reject.", code=ErrorCode.COMMENT_REQUIRED)
    ratings = packet_ratings(promotion=promotion, ratings=ratings or {})
    review, created = Review.objects.update_or_create(
        promotion=promotion,
        reviewer=reviewer,
        packet_version=promotion.packet_version,
        defaults={"decision": decision, "comment": comment.strip(), "ratings": ratings},
    )
    return review, created


@transaction.atomic
def promotion_approve(*, promotion: Promotion, actor, note: str = "") -> Promotion:
    """Approve: the candidate moves to the new level, with career history, in this transaction."""
    promotion = promotion_locked(promotion)
    permissions.ensure_can(actor, permissions.APPROVE, promotion)
    # The candidate's row is locked too: their level must not move under us.
    promotion.candidate = (
        Member.objects.select_for_update(of=("self",))
        .select_related("user", "level", "manager")
        .get(pk=promotion.candidate_id)
    )
    votes = promotion_votes(promotion=promotion)
    blocker = approval_blocker(promotion, votes=votes)
    if blocker:
        raise blocker
    member_level_change(
        member=promotion.candidate, to_level=promotion.to_level, promotion=promotion
    )
    return _apply(promotion, promotion.approve, actor=actor, note=note, votes=votes)


@transaction.atomic
def promotion_reject(*, promotion: Promotion, actor, note: str = "") -> Promotion:
    promotion = promotion_locked(promotion)
    permissions.ensure_can(actor, permissions.REJECT, promotion)
    if not note.strip():
        raise InvalidInput("A note is required to reject.", code=ErrorCode.NOTE_REQUIRED)
    votes = promotion_votes(promotion=promotion)
    return _apply(promotion, promotion.reject, actor=actor, note=note, votes=votes)


@transaction.atomic
def promotion_withdraw(*, promotion: Promotion, actor, note: str = "") -> Promotion:
    promotion = promotion_locked(promotion)
    permissions.ensure_can(actor, permissions.WITHDRAW, promotion)
    permissions.ensure_may_open_or_withdraw(actor, promotion.candidate)
    return _apply(promotion, promotion.withdraw, actor=actor, note=note)


@transaction.atomic
def promotion_request_changes(*, promotion: Promotion, actor, note: str = "") -> Promotion:
    """Send the case back to its nominator, saying what to change (the note is theirs to read)."""
    promotion = promotion_locked(promotion)
    permissions.ensure_can(actor, permissions.REQUEST_CHANGES, promotion)
    if not note.strip():
        raise InvalidInput("Say what to change: a note is required.", code=ErrorCode.NOTE_REQUIRED)
    promotion.changes_requested_note = note.strip()
    return _apply(promotion, promotion.request_changes, actor=actor, note=note)


@transaction.atomic
def promotion_resubmit(*, promotion: Promotion, actor, note: str = "") -> Promotion:
    """Back to review, once a new packet version was submitted since changes were requested."""
    promotion = promotion_locked(promotion)
    permissions.ensure_can(actor, permissions.RESUBMIT, promotion)
    blocker = resubmit_blocker(promotion)
    if blocker:
        raise blocker
    return _apply(promotion, promotion.resubmit, actor=actor, note=note)


class TransitionService(Protocol):
    def __call__(self, *, promotion: Promotion, actor, note: str = "") -> Promotion: ...


TRANSITION_SERVICES: dict[str, TransitionService] = {
    permissions.START_REVIEW: promotion_start_review,
    permissions.APPROVE: promotion_approve,
    permissions.REJECT: promotion_reject,
    permissions.WITHDRAW: promotion_withdraw,
    permissions.REQUEST_CHANGES: promotion_request_changes,
    permissions.RESUBMIT: promotion_resubmit,
}


def request_fingerprint(data) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


@transaction.atomic
def promotion_nominate_once(
    *, key: str, request_data, render: Callable[[Promotion], dict], **nomination
) -> tuple[dict, bool]:
    """A nomination sent with an `Idempotency-Key`. The first request with a key nominates and
    keeps `render(promotion)`; the same key with the same body returns that again (and False:
    nothing created); with another body it is refused (422). Errors are not kept: a request that
    failed may be sent again with the same key."""
    if not (1 <= len(key) <= 255 and key.isascii() and key.isprintable()):
        raise InvalidIdempotencyKey()
    user = nomination["nominated_by"]
    fingerprint = request_fingerprint(request_data)
    if connection.vendor == "postgresql":
        # Requests with one key queue here (SQLite's IMMEDIATE transactions queue anyway).
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(hashtext(%s))", [f"nominate:{user.pk}:{key}"]
            )
    earlier = NominationKey.objects.filter(user=user, key=key).first()
    if earlier is not None:
        if earlier.request_hash != fingerprint:
            raise IdempotencyKeyReused()
        return earlier.response, False
    promotion = promotion_nominate(**nomination)
    response = render(promotion)
    NominationKey.objects.create(
        user=user, key=key, request_hash=fingerprint, promotion=promotion, response=response
    )
    return response, True


IDEMPOTENCY_KEY_LIFETIME = timedelta(hours=24)


def nomination_keys_purge(*, now=None) -> int:
    """Forget `Idempotency-Key`s older than a day: a client retries within minutes, not days."""
    cutoff = (now or timezone.now()) - IDEMPOTENCY_KEY_LIFETIME
    deleted, _ = NominationKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted
