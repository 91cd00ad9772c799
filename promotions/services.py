"""Writes to promotions. Each service is one transaction that locks the promotion row (for a
nomination, the candidate's row), so concurrent requests on one promotion queue and exactly one
wins; the others then see the new state and get a 409."""

import hashlib
import json
from collections.abc import Callable
from datetime import date, timedelta
from typing import Protocol

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from core import roles
from core.errors import InvalidInput
from core.validators import DATE_HORIZON
from ladder.models import Level, LevelTransition, Member
from ladder.selectors import level_next_levels
from ladder.services import member_level_change
from promotions import blind, notify, permissions, release, webhook_events, workflow
from promotions.appeals import services as appeals
from promotions.appeals.models import STATEMENT_LIMIT, Appeal
from promotions.delegations.selectors import delegated_seat_for_review
from promotions.eligibility import CYCLE_REASONS, Reason, nomination_blockers, reason
from promotions.errors import (
    ActionNotAllowed,
    ErrorCode,
    IdempotencyKeyReused,
    InvalidIdempotencyKey,
    InvalidLevelMove,
    NotEligible,
)
from promotions.models import (
    EFFECTIVE,
    PENDING,
    Cycle,
    CycleState,
    Decision,
    NominationKey,
    Promotion,
    PromotionEvent,
    PromotionState,
    Review,
)
from promotions.packets.services import packet_evidence, packet_first_version, packet_ratings
from promotions.selectors import (
    approval_blocker,
    decision_blocker,
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
    record (promotion_votes), counted and not: its event keeps them. A note the table requires
    is checked here, after the caller's 404, 403 and 409."""
    from_state = promotion.state
    row = workflow.transition_of(transition.__name__)  # its row in the table of transitions
    if row.note_required and not note.strip():
        raise InvalidInput(row.note_prompt, code=ErrorCode.NOTE_REQUIRED)
    transition()
    # The row as it went (approve: into approved, or awaiting_executive with its own message).
    row = row.taken(promotion.state)
    # A decision before its cycle's release date is held from the candidate (release.py).
    release.hold_if_due(promotion, decides=row.decides)
    promotion.save()
    _record(promotion, from_state=from_state, actor=actor, note=note.strip(), votes=votes)
    notify.notify_transition(promotion=promotion, transition=row, note=note.strip())
    webhook_events.emit_transition(promotion=promotion, transition=row)
    return promotion


def move_of_ladder(*, from_level: Level, to_level: Level) -> LevelTransition:
    """The ladder's move from → to, active or not; 400 if there is none, naming the active ones.
    (A deactivated move is a reason against eligibility: 409.)"""
    move = (
        LevelTransition.objects.filter(from_level=from_level, to_level=to_level)
        .select_related("to_level")
        .first()
    )
    if move is not None:
        return move
    allowed = [level.code for level in level_next_levels(level=from_level)]
    if allowed:
        hint = f"Allowed moves from {from_level.code}: {', '.join(allowed)}."
    else:
        hint = f"There is no move up from {from_level.code}."
    raise InvalidLevelMove(
        f"{from_level.code} → {to_level.code} is not an allowed move. {hint}",
        allowed_moves=allowed,
    )


def _open_promotion_refusal() -> NotEligible:
    """What the one-open-promotion constraint means when a concurrent nomination trips it."""
    return NotEligible(reasons=[reason(Reason.OPEN_PROMOTION, "The member has an open promotion.")])


def _candidate_locked(member_id: int) -> Member:
    """The candidate's row, locked to the end of the transaction, with what the checks and the
    messages read: nominations of one member queue here, and their level cannot move under an
    approval."""
    return (
        Member.objects.select_for_update(of=("self",))
        .select_related("user", "level", "manager__user")
        .get(pk=member_id)
    )


def _cycle_still_open(cycle: Cycle) -> bool:
    """Re-read under a share lock: a cycle moving to calibration now waits for this nomination,
    or this nomination sees it closed."""
    if connection.vendor != "postgresql":
        return True  # SQLite runs one write transaction at a time
    with connection.cursor() as cursor:
        cursor.execute("SELECT state FROM promotions_cycle WHERE id = %s FOR SHARE", [cycle.pk])
        row = cursor.fetchone()
    return row is not None and row[0] == CycleState.OPEN


@transaction.atomic
def promotion_nominate(
    *,
    candidate: Member,
    to_level: Level,
    nominated_by,
    justification: str,
    evidence: list[dict],
    off_cycle_reason: str = "",
    eligibility_override_reason: str = "",
) -> Promotion:
    """Nominate a member for a move up the ladder: by their direct manager or HR, never oneself,
    with a packet (version 1): the justification and evidence for every active criterion of the
    target level. The member must be eligible (promotions.eligibility); HR may override time in
    level, or nominate outside a cycle, each with a reason the committee sees. The promotion
    joins the open cycle of its track, if any."""
    # Two nominations of one member queue on this lock; the partial unique index is the backstop.
    candidate = _candidate_locked(candidate.pk)
    if candidate.user_id == nominated_by.pk:
        raise ActionNotAllowed("You cannot nominate yourself.", code=ErrorCode.SELF_NOMINATION)
    is_hr = roles.is_hr(nominated_by)
    if not permissions.may_nominate(nominated_by, candidate):
        raise ActionNotAllowed("Only the candidate's direct manager or HR may nominate them.")
    permissions.ensure_may_nominate_candidate(nominated_by, candidate)
    off_cycle_reason = off_cycle_reason.strip()
    override_reason = eligibility_override_reason.strip()
    if (off_cycle_reason or override_reason) and not is_hr:
        raise ActionNotAllowed(
            "Only HR may nominate off-cycle or override eligibility.", code=ErrorCode.HR_ONLY
        )
    move = move_of_ladder(from_level=candidate.level, to_level=to_level)
    blockers = nomination_blockers(member=candidate, move=move)
    waived = set(CYCLE_REASONS) if off_cycle_reason else set()
    if override_reason:
        waived.add(Reason.TIME_IN_LEVEL)
    cycle = None if off_cycle_reason else blockers.cycle
    if cycle is not None and not _cycle_still_open(cycle):
        blockers.add(
            Reason.NOMINATIONS_CLOSED,
            f"Nominations to {cycle.name} closed a moment ago: it is calibrating.",
        )
    reasons = [given for given in blockers.reasons if given["code"] not in waived]
    if reasons:
        raise NotEligible(reasons=reasons)
    if not justification.strip():
        raise InvalidInput("A justification is required.", code=ErrorCode.JUSTIFICATION_REQUIRED)
    evidence = packet_evidence(to_level=to_level, evidence=evidence)  # 400 before any write
    try:
        with transaction.atomic():
            promotion = Promotion.objects.create(
                candidate=candidate,
                from_level=candidate.level,
                from_level_since=candidate.level_since,
                to_level=to_level,
                nominated_by=nominated_by,
                justification=justification.strip(),
                packet_authors=[nominated_by.pk],
                cycle=cycle,
                off_cycle_reason=off_cycle_reason,
                eligibility_override_reason=override_reason,
            )
    except IntegrityError:
        raise _open_promotion_refusal() from None
    packet_first_version(promotion=promotion, submitted_by=nominated_by, evidence=evidence)
    _record(promotion, from_state=None, actor=nominated_by)
    notify.notify_nominated(promotion=promotion)
    webhook_events.emit_nominated(promotion=promotion)
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
    on_behalf_of: str | None = None,
) -> tuple[Review, bool]:
    """Record or change the reviewer's vote on the current packet version, with a rating for each
    of its criteria. Returns the review and whether it is new (a first vote on this version is
    new, also when the reviewer's vote on an older version stays on record, stale).
    `on_behalf_of`: the username of a delegator whose seat `reviewer` holds today
    (promotions.delegations): the vote is the seat's (its reviewer), cast by `reviewer`; one vote
    per seat and version, whoever casts it."""
    promotion = promotion_locked(promotion)
    permissions.ensure_can(reviewer, permissions.REVIEW, promotion)
    cast_by = reviewer
    if on_behalf_of is not None:
        reviewer = delegated_seat_for_review(
            delegate=cast_by, delegator_username=on_behalf_of, promotion=promotion
        )
    if decision not in Decision.values:
        raise InvalidInput("The decision is approve or reject.", code=ErrorCode.INVALID_DECISION)
    if decision == Decision.REJECT and not comment.strip():
        raise InvalidInput("A comment is required to reject.", code=ErrorCode.COMMENT_REQUIRED)
    ratings = packet_ratings(promotion=promotion, ratings=ratings or {})
    vote = {
        "decision": decision,
        "comment": comment.strip(),
        "ratings": ratings,
        "cast_by": cast_by,
    }
    review, created = Review.objects.update_or_create(
        promotion=promotion,
        reviewer=reviewer,
        packet_version=promotion.packet_version,
        defaults=vote,
        # Whether the one casting it read the case blind: as at the first cast on this version.
        create_defaults={**vote, "blind": blind.is_blind_for(cast_by, promotion)},
    )
    return review, created


EFFECTIVE_ON_HORIZON = DATE_HORIZON  # the bound of every date a person enters


def effective_date_for(*, promotion: Promotion, requested: date | None, today: date) -> date:
    """When an approval takes effect: the cycle's date for a promotion in a cycle (which the
    request may not set), else the requested date (default today, never in the past)."""
    if promotion.cycle is not None:
        if requested is not None:
            raise InvalidInput(
                f"The effective date is the cycle's ({promotion.cycle.effective_on.isoformat()}); "
                "do not send one.",
                code=ErrorCode.EFFECTIVE_ON_SET_BY_CYCLE,
            )
        return promotion.cycle.effective_on
    if requested is None:
        return today
    if requested < today:
        raise InvalidInput(
            "The effective date cannot be in the past.", code=ErrorCode.EFFECTIVE_ON_PAST
        )
    if requested > today + EFFECTIVE_ON_HORIZON:
        # An approved promotion cannot be moved or undone: a typo would freeze the member.
        raise InvalidInput(
            f"The effective date is at most {EFFECTIVE_ON_HORIZON.days} days ahead.",
            code=ErrorCode.EFFECTIVE_ON_TOO_FAR,
        )
    return requested


@transaction.atomic
def promotion_approve(
    *, promotion: Promotion, actor, note: str = "", effective_on: date | None = None
) -> Promotion:
    """Approve. The promotion takes effect on `effective_on` (see effective_date_for): today or
    earlier, the candidate moves up in this transaction, with career history; later, the level
    stays until promotions_apply_effective runs on that day. The committee's approval of a move to
    a level with `executive_approval` sends it to the Executives instead (awaiting_executive); an
    appeal's approval counts only the votes cast on the appeal."""
    promotion = promotion_locked(promotion)
    permissions.ensure_can(actor, permissions.APPROVE, promotion)
    # The candidate's row is locked too: their level must not move under us.
    promotion.candidate = _candidate_locked(promotion.candidate_id)
    votes = promotion_votes(promotion=promotion)
    blocker = decision_blocker(promotion) or approval_blocker(promotion, votes=votes)
    if blocker:
        raise blocker
    if promotion.needs_executive:
        # The committee's approval of a senior move: an Executive's approval follows, and sets
        # the date.
        if effective_on is not None:
            raise InvalidInput(
                "The move needs an Executive's approval, which sets the effective date: do not "
                "send one.",
                code=ErrorCode.EFFECTIVE_ON_SET_BY_EXECUTIVE,
            )
        return _apply(promotion, promotion.approve, actor=actor, note=note, votes=votes)
    today = timezone.localdate()
    promotion.effective_on = effective_date_for(
        promotion=promotion, requested=effective_on, today=today
    )
    if promotion.effective_on <= today:
        _apply_level(promotion)
    _apply(promotion, promotion.approve, actor=actor, note=note, votes=votes)
    if promotion.level_applied:
        webhook_events.emit_effective(promotion=promotion)
    return promotion


def _apply_level(promotion: Promotion) -> None:
    """The candidate (locked by the caller) moves to the promotion's level, dated its effective
    date."""
    member_level_change(
        member=promotion.candidate,
        to_level=promotion.to_level,
        promotion=promotion,
        effective_date=promotion.effective_on,
    )
    promotion.level_applied = True


@transaction.atomic
def promotion_reject(*, promotion: Promotion, actor, note: str = "") -> Promotion:
    promotion = promotion_locked(promotion)
    permissions.ensure_can(actor, permissions.REJECT, promotion)
    blocker = decision_blocker(promotion)
    if blocker:
        raise blocker
    votes = promotion_votes(promotion=promotion)
    return _apply(promotion, promotion.reject, actor=actor, note=note, votes=votes)


def promotions_apply_effective(*, today: date | None = None, batch: int = 100) -> int:
    """Apply the level change of every approved promotion whose effective date has come (also
    those a stopped scheduler left behind). Each in its own transaction, the promotion row locked
    with SKIP LOCKED: workers running at once share the work and each change happens once."""
    today = today or timezone.localdate()
    applied = 0
    while True:
        with transaction.atomic():
            due = list(
                Promotion.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(PENDING, effective_on__lte=today)
                .select_related("to_level", "from_level", "nominated_by", "candidate__user")
                .order_by("effective_on", "id")[:batch]
            )
            for promotion in due:
                promotion_take_effect(promotion=promotion)
        applied += len(due)
        if len(due) < batch:
            return applied


def promotion_take_effect(*, promotion: Promotion) -> None:
    """One due promotion, locked by the caller: the level changes, an `effective` event is
    appended and the people involved are told. A decision still held (its release task has not
    run yet) is released first: a cycle's release date is never after its effective date."""
    if promotion.release_held:
        release.release_locked(promotion, actor=None)
    promotion.candidate = _candidate_locked(promotion.candidate_id)
    _apply_level(promotion)
    promotion.save(update_fields=["level_applied", "updated_at"])
    PromotionEvent.objects.create(
        promotion=promotion, from_state=PromotionState.APPROVED, to_state=EFFECTIVE, actor=None
    )
    notify.notify_effective(promotion=promotion)
    webhook_events.emit_effective(promotion=promotion)


@transaction.atomic
def promotion_withdraw(*, promotion: Promotion, actor, note: str = "") -> Promotion:
    promotion = promotion_locked(promotion)
    permissions.ensure_can(actor, permissions.WITHDRAW, promotion)
    return _apply(promotion, promotion.withdraw, actor=actor, note=note)


@transaction.atomic
def promotion_request_changes(*, promotion: Promotion, actor, note: str = "") -> Promotion:
    """Send the case back to its nominator, saying what to change (the note is theirs to read)."""
    promotion = promotion_locked(promotion)
    permissions.ensure_can(actor, permissions.REQUEST_CHANGES, promotion)
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
    # Each takes these; approve also `effective_on` (the API passes what its body holds).
    def __call__(self, *, promotion: Promotion, actor, note: str = "") -> Promotion: ...


@transaction.atomic
def promotion_hold(*, promotion: Promotion, actor, note: str = "") -> Promotion:
    """Pause the committee's work on a nominated or in-review case, saying why (the committee
    reads the note; the candidate sees the state): open, never overdue, waiting on no vote."""
    promotion = promotion_locked(promotion)
    permissions.ensure_can(actor, permissions.HOLD, promotion)
    return _apply(promotion, promotion.hold, actor=actor, note=note)


@transaction.atomic
def promotion_resume(*, promotion: Promotion, actor, note: str = "") -> Promotion:
    """Back to the state the case was held from."""
    promotion = promotion_locked(promotion)
    permissions.ensure_can(actor, permissions.RESUME, promotion)
    return _apply(promotion, promotion.resume, actor=actor, note=note)


@transaction.atomic
def promotion_appeal(
    *, promotion: Promotion, actor, note: str = "", statement: str = ""
) -> Promotion:
    """Appeal the rejection: the promotion is open again (appealed) with the appellant's
    statement, for the appeal panel to decide. One appeal per promotion."""
    promotion = promotion_locked(promotion)
    permissions.ensure_can(actor, permissions.APPEAL, promotion)
    # The candidate's row is locked too: a nomination of them queues behind the appeal.
    promotion.candidate = _candidate_locked(promotion.candidate_id)
    blocker = appeals.appeal_blocker(promotion)
    if blocker:
        raise blocker
    statement = statement.strip()
    if not statement:
        raise InvalidInput(
            "Say why the decision should change: a statement is required.",
            code=ErrorCode.STATEMENT_REQUIRED,
        )
    if len(statement) > STATEMENT_LIMIT:
        raise InvalidInput(
            f"A statement is at most {STATEMENT_LIMIT:,} characters; this one has "
            f"{len(statement):,}.",
            code=ErrorCode.STATEMENT_TOO_LONG,
        )
    try:
        with transaction.atomic():
            Appeal.objects.create(promotion=promotion, appellant=actor, statement=statement)
            # The statement is the appeal event's note: the committee reads it in the timeline.
            _apply(promotion, promotion.appeal, actor=actor, note=statement)
    except IntegrityError:  # the open-promotion constraint, should the check above be passed by
        raise appeals.open_promotion_refusal() from None
    return promotion


@transaction.atomic
def promotion_uphold(*, promotion: Promotion, actor, note: str = "") -> Promotion:
    """The appeal panel keeps the rejection (note required): closed as upheld."""
    promotion = promotion_locked(promotion)
    permissions.ensure_can(actor, permissions.UPHOLD, promotion)
    votes = promotion_votes(promotion=promotion)
    return _apply(promotion, promotion.uphold, actor=actor, note=note, votes=votes)


TRANSITION_SERVICES: dict[str, TransitionService] = {
    permissions.START_REVIEW: promotion_start_review,
    permissions.APPROVE: promotion_approve,
    permissions.REJECT: promotion_reject,
    permissions.WITHDRAW: promotion_withdraw,
    permissions.REQUEST_CHANGES: promotion_request_changes,
    permissions.RESUBMIT: promotion_resubmit,
    permissions.HOLD: promotion_hold,
    permissions.RESUME: promotion_resume,
    permissions.RELEASE: release.promotion_release,
    permissions.APPEAL: promotion_appeal,
    permissions.UPHOLD: promotion_uphold,
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
