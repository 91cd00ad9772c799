"""Writes of nomination requests, each one transaction. Asking locks the member's row (a member's
requests and nominations queue there; the partial unique index is the backstop of "one pending
request"); answering locks the request's row, so two answers queue and the second gets a 409."""

from django.db import IntegrityError, transaction
from django.utils import timezone

from core.errors import InvalidInput, NotAllowed
from ladder.models import Level, Member
from ladder.selectors import member_of
from promotions.eligibility import nomination_blockers
from promotions.errors import ErrorCode, NotEligible
from promotions.packets.services import packet_evidence
from promotions.requests import notify
from promotions.requests.errors import NoManager, RequestAnswered, RequestPending
from promotions.requests.models import NominationRequest, RequestState
from promotions.requests.selectors import (
    REQUEST_WITH_PEOPLE,
    has_pending_request,
    may_answer,
    requests_overdue,
)
from promotions.services import move_of_ladder, promotion_nominate


def _member_locked(member_id: int) -> Member:
    return (
        Member.objects.select_for_update(of=("self",))
        .select_related("user", "level", "manager__user")
        .get(pk=member_id)
    )


def ensure_may_ask(user) -> Member:
    """The asker's member record, or 403 (only members on the ladder ask), or 409 `no_manager`
    (there is nobody to ask: an inactive manager counts as none)."""
    me = member_of(user)
    if me is None:
        raise NotAllowed("Only members of the ladder ask for a nomination.")
    _ensure_has_manager(me)
    return me


def _ensure_has_manager(member: Member) -> None:
    manager = member.manager
    if manager is None or not manager.is_active or not manager.user.is_active:
        raise NoManager()


@transaction.atomic
def nomination_request_create(
    *, user, to_level: Level, justification: str, evidence: list[dict]
) -> NominationRequest:
    """A member asks their manager to nominate them for `to_level`, with a packet as a
    nomination's. One pending request per member (409 `nomination_request_pending`); the member
    must be eligible now, as for a nomination (409 `not_eligible`, every reason); the move must be
    the ladder's (400 `invalid_move`); the packet follows the nomination's rules (400). The
    manager is told."""
    member = _member_locked(ensure_may_ask(user).pk)
    _ensure_has_manager(member)  # again, under the lock
    if has_pending_request(member=member):
        raise RequestPending()
    move = move_of_ladder(from_level=member.level, to_level=to_level)
    blockers = nomination_blockers(member=member, move=move)
    if blockers.reasons:
        raise NotEligible("You cannot ask for this nomination now.", reasons=list(blockers.reasons))
    if not justification.strip():
        raise InvalidInput("A justification is required.", code=ErrorCode.JUSTIFICATION_REQUIRED)
    kept = packet_evidence(to_level=to_level, evidence=evidence)
    try:
        with transaction.atomic():
            request = NominationRequest.objects.create(
                member=member,
                to_level=to_level,
                justification=justification.strip(),
                evidence=kept,
            )
    except IntegrityError:
        raise RequestPending() from None
    notify.notify_requested(request=request)
    return request


def ensure_may_answer(user, request: NominationRequest) -> None:
    """403 for anyone but the member's manager and HR (the member too), then 409 once answered:
    the API's order, before the body is read."""
    if not may_answer(user, request):
        raise NotAllowed("Only the member's manager or HR answers a nomination request.")
    if request.state != RequestState.PENDING:
        raise RequestAnswered(f"This request was {request.state} already.")


def _locked(request: NominationRequest) -> NominationRequest:
    return (
        NominationRequest.objects.select_for_update(of=("self",))
        .select_related(*REQUEST_WITH_PEOPLE)
        .get(pk=request.pk)
    )


@transaction.atomic
def nomination_request_accept(*, request: NominationRequest, actor) -> NominationRequest:
    """Accept: the actor (the manager, or HR) nominates the member through the nomination service,
    the request's packet as version 1; its rules apply again now (eligibility 409, the level's
    criteria as they are now 400). The member is told."""
    request = _locked(request)
    ensure_may_answer(actor, request)
    promotion = promotion_nominate(
        candidate=request.member,
        to_level=request.to_level,
        nominated_by=actor,
        justification=request.justification,
        evidence=[
            {"criterion": item["criterion"], "text": item["text"], "links": item["links"]}
            for item in request.evidence
        ],
    )
    request.state = RequestState.ACCEPTED
    request.promotion = promotion
    request.answered_at = timezone.now()
    request.answered_by = actor
    request.save(update_fields=["state", "promotion", "answered_at", "answered_by"])
    notify.notify_answered(request=request)
    return request


@transaction.atomic
def nomination_request_decline(
    *, request: NominationRequest, actor, reason: str
) -> NominationRequest:
    """Decline, with a reason the member reads (400 `reason_required`). The member is told."""
    request = _locked(request)
    ensure_may_answer(actor, request)
    reason = reason.strip()
    if not reason:
        raise InvalidInput(
            "Say why you decline: the member reads it.", code=ErrorCode.REASON_REQUIRED
        )
    request.state = RequestState.DECLINED
    request.reason = reason
    request.answered_at = timezone.now()
    request.answered_by = actor
    request.save(update_fields=["state", "reason", "answered_at", "answered_by"])
    notify.notify_answered(request=request)
    return request


@transaction.atomic
def nomination_requests_remind(*, now=None) -> int:
    """Remind each manager of requests waiting longer than NOMINATION_REQUEST_SLA_DAYS, at most
    once a day per request. Returns how many reminders were written."""
    now = now or timezone.now()
    return sum(
        notify.notify_waiting(request=request, now=now) for request in requests_overdue(now=now)
    )
