"""Who hears of a nomination request, and what the message says (docs/notifications.md): the
manager of the request and of a reminder, the member of the answer (with the reason when
declined). Called by the services inside their transaction; delivered after commit."""

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from core.site import absolute_url
from notifications.services import notifications_create
from promotions.requests.models import NominationRequest, RequestState

REQUESTED = "nomination_requested"
ANSWERED = "nomination_request_answered"
REMINDER = "nomination_request_reminder"


def _send(
    *,
    recipient_id: int,
    kind: str,
    subject: str,
    headline: str,
    facts: list[tuple[str, str]],
    page: str,
    link_text: str,
    dedupe_key: str | None = None,
) -> int:
    link = absolute_url(page)
    text = "\n".join(
        [headline, "", *(f"{label}: {value}" for label, value in facts), "", f"Open: {link}"]
    )
    html = format_html(
        '<p>{}</p><table>{}</table><p><a href="{}">{}</a></p>',
        headline,
        format_html_join("", "<tr><th align=left>{}</th><td>{}</td></tr>", facts),
        link,
        link_text,
    )
    rows = notifications_create(
        recipient_ids=[recipient_id],
        kind=kind,
        subject=subject,
        body=text,
        html_body=html,
        link=page,
        dedupe_key=dedupe_key,
    )
    return len(rows)


def _manager_user(request: NominationRequest):
    manager = request.member.manager
    if manager is None or not manager.is_active or not manager.user.is_active:
        return None
    return manager.user


def _team_page(request: NominationRequest) -> str:
    """The manager's team page at its requests (which say so once none waits any more)."""
    return f"{reverse('portal:team')}#requests"


def notify_requested(*, request: NominationRequest) -> None:
    """The member's manager: a request waits for their answer."""
    manager = _manager_user(request)
    if manager is None:
        return
    name, level = request.member.name, request.to_level.title
    _send(
        recipient_id=manager.pk,
        kind=REQUESTED,
        subject=f"Nomination requested: {name} asks to be nominated for {level}",
        headline=f"{name} asks you to nominate them for {level}. Accept it to nominate them "
        "with their packet, or decline it with a reason they will read.",
        facts=[
            ("Member", name),
            ("Move", f"{request.member.level.title} → {level}"),
            ("Justification", request.justification),
        ],
        page=_team_page(request),
        link_text="Answer the request",
    )


def notify_answered(*, request: NominationRequest) -> None:
    """The member: accepted (a nomination now goes to the committee) or declined, with why."""
    member = request.member
    if not member.user.is_active:
        return
    level = request.to_level.title
    assert request.answered_by is not None
    answered_by = request.answered_by.get_full_name() or request.answered_by.get_username()
    if request.state == RequestState.ACCEPTED:
        assert request.promotion_id is not None
        _send(
            recipient_id=member.user_id,
            kind=ANSWERED,
            subject=f"Your request was accepted: nominated for {level}",
            headline=f"Your manager accepted your request: you are nominated for {level}, with "
            "your packet. The committee reviews it next.",
            facts=[("Answered by", answered_by)],
            page=reverse("portal:my-promotion", args=[request.promotion_id]),
            link_text="Open your promotion",
        )
        return
    _send(
        recipient_id=member.user_id,
        kind=ANSWERED,
        subject=f"Your request for {level} was declined",
        headline=f"Your request to be nominated for {level} was declined.",
        facts=[("Reason", request.reason), ("Answered by", answered_by)],
        page=f"{reverse('portal:me')}#requests",
        link_text="See your requests",
    )


def notify_waiting(*, request: NominationRequest, now=None) -> int:
    """Remind the manager of a request waiting longer than NOMINATION_REQUEST_SLA_DAYS, at most
    once a day (a key per request and day)."""
    manager = _manager_user(request)
    if manager is None:
        return 0
    now = now or timezone.now()
    days = (now - request.created_at).days
    name, level = request.member.name, request.to_level.title
    return _send(
        recipient_id=manager.pk,
        kind=REMINDER,
        subject=f"Waiting {days} days: {name} asks to be nominated for {level}",
        headline=f"{name}'s request to be nominated for {level} has waited {days} days for "
        f"your answer (answers are due within {settings.NOMINATION_REQUEST_SLA_DAYS}).",
        facts=[("Member", name), ("Asked on", request.created_at.date().isoformat())],
        page=_team_page(request),
        link_text="Answer the request",
        dedupe_key=f"nomination-request-reminder:{request.pk}:{now.date().isoformat()}",
    )
