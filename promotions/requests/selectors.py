"""Reads of nomination requests, scoped as the API and the member site show them: the member their
own, the manager their direct reports', HR every request; anyone else a 404."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from core import roles
from ladder.models import Member
from ladder.selectors import member_of
from promotions.requests.errors import NominationRequestNotFound
from promotions.requests.models import NominationRequest, RequestState

REQUEST_WITH_PEOPLE = ("member__user", "member__level", "member__manager__user", "to_level")


def request_list_visible_to(*, user) -> QuerySet[NominationRequest]:
    """Newest first."""
    requests = NominationRequest.objects.select_related(*REQUEST_WITH_PEOPLE)
    if roles.is_hr(user):
        return requests
    if not user.is_authenticated:
        return requests.none()
    return requests.filter(Q(member__user=user) | Q(member__manager__user=user))


def request_get_visible_to(*, user, request_id) -> NominationRequest:
    try:
        return request_list_visible_to(user=user).get(pk=request_id)
    except (NominationRequest.DoesNotExist, ValueError, TypeError):
        raise NominationRequestNotFound() from None


def may_answer(user, request: NominationRequest) -> bool:
    """The member's direct manager now, or HR; never the member."""
    member = request.member
    if member.user_id == user.pk:
        return False
    manages = member.manager is not None and member.manager.user_id == user.pk
    return manages or roles.is_hr(user)


def has_pending_request(*, member: Member) -> bool:
    return member.nomination_requests.filter(state=RequestState.PENDING).exists()


def requests_of_member(*, member: Member) -> list[NominationRequest]:
    """A member's requests, newest first (their page shows them)."""
    return list(member.nomination_requests.select_related("to_level", "promotion"))


def requests_pending_for(*, user) -> list[NominationRequest]:
    """The pending requests of the user's active direct reports, oldest first (the team page)."""
    me = member_of(user)
    if me is None:
        return []
    return list(
        NominationRequest.objects.filter(
            state=RequestState.PENDING, member__manager=me, member__is_active=True
        )
        .select_related(*REQUEST_WITH_PEOPLE)
        .order_by("created_at", "id")
    )


def requests_overdue(*, now: datetime | None = None) -> QuerySet[NominationRequest]:
    """Pending requests older than NOMINATION_REQUEST_SLA_DAYS, of active members who have a
    manager (a member who left asks nothing of anyone any more)."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.NOMINATION_REQUEST_SLA_DAYS)
    return (
        NominationRequest.objects.filter(
            state=RequestState.PENDING,
            created_at__lt=cutoff,
            member__is_active=True,
            member__manager__isnull=False,
        )
        .select_related(*REQUEST_WITH_PEOPLE)
        .order_by("created_at", "id")
    )
