"""Who hears of what (docs/notifications.md), and what the message says. Called by the
promotion services inside their transaction; the notifications app delivers after commit.

Committee notes go only to the committee: messages to the candidate, the nominator and the
candidate's manager say what happened, never why the committee decided it."""

from collections.abc import Iterable

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from core.roles import (
    committee_and_readers_among,
    committee_user_ids,
    executive_user_ids,
    hr_user_ids,
)
from core.site import absolute_url
from notifications.models import Notification
from notifications.services import Message, notifications_create, notifications_create_each
from promotions import blind
from promotions.models import Cycle, Promotion, PromotionState, Review
from promotions.pages import promotion_page_for
from promotions.permissions import REQUEST_CHANGES, RESUBMIT, WITHDRAW, involved_user_ids
from promotions.selectors import PROMOTION_WITH_PEOPLE, overdue
from promotions.workflow import TRANSITIONS, Transition

# The kinds of messages no transition sends; each transition's kind is in its row of the table
# (promotions/workflow.py).
REVIEW_REQUESTED = "review_requested"
REMINDER = "review_reminder"
EFFECTIVE = "effective"
CYCLE_CALIBRATING = "cycle_calibrating"

# Where a subject or headline names the candidate: _notify writes in each recipient's copy the
# name, or the pseudonym for a committee member (an Executive) reading the case blind
# (promotions/blind.py). No name holds it: names refuse control characters.
CANDIDATE = "\x1fcandidate\x1f"


def _notify(
    promotion: Promotion,
    *,
    kind: str,
    subject: str,
    headline: str,
    facts: list[tuple[str, str]] | None = None,
    recipient_ids: Iterable[int] = (),
    to_committee: bool = False,
    to_executives: bool = False,
    dedupe_key: str | None = None,
) -> list[Notification]:
    """Every message about a promotion goes out here, to those who may read it now. With
    `to_committee` it is committee work (the justification, votes to look at again): for the
    committee, and those of `recipient_ids` who see the committee's work (HR), never anyone
    involved in the promotion. Otherwise it is for those of `recipient_ids` involved in it.
    Active users only: a member who left the committee, or was deactivated, hears nothing more.
    Each recipient's copy links to the page of their role (promotion_page_for); still one INSERT."""
    audience = COMMITTEE if to_committee else EXECUTIVES if to_executives else INVOLVED
    committee = set(committee_and_readers_among(recipient_ids)) if to_committee else set()
    readers = _readers(promotion, audience, committee)
    # Committee (Executives') work goes to all of them; the rest to those named who may read it.
    recipients = readers if audience != INVOLVED else readers & set(recipient_ids)
    blinded = _blind_among(promotion, recipients) if audience != INVOLVED else set()
    # Composed once per page and blindness, whatever the number of readers.
    by_page: dict[tuple[str, bool], Message] = {}
    messages = {}
    for recipient_id in recipients:
        link = promotion_page_for(promotion, user_id=recipient_id)
        is_blind = recipient_id in blinded
        if (link, is_blind) not in by_page:
            name = blind.pseudonym(promotion.pk) if is_blind else promotion.candidate.name
            text, html = _compose(
                promotion,
                _named(headline, name),
                facts or [],
                absolute_url(link),
                name=name,
                nominator=not is_blind,
            )
            by_page[(link, is_blind)] = Message(
                subject=_named(subject, name), body=text, html_body=html, link=link
            )
        messages[recipient_id] = by_page[(link, is_blind)]
    return notifications_create_each(
        messages=messages,
        kind=kind,
        promotion_id=promotion.pk,
        audience=audience,
        dedupe_key=dedupe_key,
    )


def _named(text: str, name: str) -> str:
    return text.replace(CANDIDATE, name)


def _blind_among(promotion: Promotion, recipients: set[int]) -> set[int]:
    """Those of the committee's (Executives') `recipients` who read the promotion blind: of a
    blind cycle, all but HR and those who have voted on its current version (blind.py's rule;
    those involved never receive committee work). Two queries, only for a blind cycle."""
    if not recipients or not blind.in_blind_cycle(promotion):
        return set()
    voters = Review.objects.filter(promotion=promotion, packet_version=promotion.packet_version)
    voted = {i for pair in voters.values_list("reviewer_id", "cast_by_id") for i in pair}
    return recipients - set(hr_user_ids()) - voted


COMMITTEE, INVOLVED = "committee", "involved"  # a message's audience, asked again when it is sent
EXECUTIVES = "executives"  # the Executives: a case awaits one of them


def _readers(promotion: Promotion, audience: str, committee: set[int]) -> set[int]:
    """The one rule, asked when a message is written and when it is sent: who may read a message
    about `promotion` for `audience`. `committee`: the active users who see the committee's work
    among those asked about (committee_and_readers_among)."""
    if audience == COMMITTEE:
        return committee - involved_user_ids(promotion)
    if audience == EXECUTIVES:
        return set(executive_user_ids()) - involved_user_ids(promotion)
    return _active_involved(promotion)


def unreadable_now(rows: list[Notification]) -> set[int]:
    """Of messages about promotions about to be sent, those whose recipient may no longer read
    them by _notify's rule (registered with the notifications app: promotions/apps.py)."""
    about = [row for row in rows if row.promotion_id is not None and row.audience]
    if not about:
        return set()
    promotions = Promotion.objects.select_related(*PROMOTION_WITH_PEOPLE).in_bulk(
        {row.promotion_id for row in about}
    )
    asked = [row.recipient_id for row in about if row.audience == COMMITTEE]
    committee = set(committee_and_readers_among(asked)) if asked else set()
    return {
        row.pk
        for row in about
        if row.recipient_id not in _readers(promotions[row.promotion_id], row.audience, committee)
    }


def _active_involved(promotion: Promotion) -> set[int]:
    """The candidate, the nominator and the candidate's manager, those still active (the callers
    load them with the promotion: PROMOTION_WITH_PEOPLE)."""
    candidate = promotion.candidate
    people = [candidate.user, promotion.nominated_by]
    if candidate.manager is not None:
        people.append(candidate.manager.user)
    return {person.pk for person in people if person.is_active}


def _compose(
    promotion: Promotion,
    headline: str,
    extra: list[tuple[str, str]],
    link: str,
    *,
    name: str,
    nominator: bool = True,
):
    facts = [
        ("Candidate", name),
        ("Move", f"{promotion.from_level.title} → {promotion.to_level.title}"),
        ("State", promotion.get_state_display()),
        *([("Nominated by", promotion.nominated_by.get_username())] if nominator else []),
        *extra,
    ]
    text = "\n".join(
        [headline, "", *(f"{label}: {value}" for label, value in facts), "", f"Open: {link}"]
    )
    html = format_html(
        '<p>{}</p><table>{}</table><p><a href="{}">Open the promotion</a></p>',
        headline,
        format_html_join("", "<tr><th align=left>{}</th><td>{}</td></tr>", facts),
        link,
    )
    return text, html


def notify_nominated(*, promotion: Promotion) -> None:
    _notify(
        promotion,
        kind=REVIEW_REQUESTED,
        subject=f"Review requested: {CANDIDATE} for {promotion.to_level.title}",
        headline="A promotion awaits the committee's review.",
        facts=[("Justification", promotion.justification)],
        to_committee=True,
    )


def notify_transition(*, promotion: Promotion, transition: Transition, note: str = "") -> None:
    """Who hears of a transition, with the kind and headline of its row in the table: the
    request for changes and the resubmission have their own audiences; the others go to the
    candidate and the nominator, and to the candidate's manager when the case is decided."""
    if transition.action == REQUEST_CHANGES:
        return _notify_changes_requested(promotion=promotion, transition=transition, note=note)
    if transition.action == RESUBMIT:
        return _notify_resubmitted(promotion=promotion, transition=transition)
    if promotion.state == PromotionState.AWAITING_EXECUTIVE:
        return _notify_awaiting_executive(promotion=promotion, transition=transition)
    if promotion.state == PromotionState.APPEALED:
        _notify_appealed(promotion=promotion, transition=transition)
    subject = (
        f"Promotion {promotion.get_state_display().lower()}: {CANDIDATE}, "
        f"{promotion.from_level.code} → {promotion.to_level.code}"
    )
    people = {promotion.candidate.user_id, promotion.nominated_by_id}
    if transition.decides and promotion.candidate.manager is not None:
        people.add(promotion.candidate.manager.user_id)
    facts = []
    if promotion.state == PromotionState.APPROVED:
        facts = [("Effective on", _effective_on(promotion))]
    if promotion.release_held:
        # Held for the cycle's release date: the candidate hears of it when it is released
        # (notify_released); those who tell them hear of it now.
        people.discard(promotion.candidate.user_id)
        facts.append(("Released to the candidate", _release_words(promotion)))
    headline = _headline(promotion, transition)
    kind = transition.notification
    _notify(
        promotion,
        recipient_ids=people,
        kind=kind,
        subject=subject,
        headline=headline,
        facts=facts,
    )
    if transition.action == WITHDRAW:
        _notify(
            promotion,
            kind=kind,
            subject=subject,
            headline=headline,
            facts=[("Note", note)] if note else [],
            to_committee=True,
        )


def _notify_changes_requested(*, promotion: Promotion, transition: Transition, note: str) -> None:
    """The note is the nominator's to read; the candidate and their manager hear of the state."""
    name, level = CANDIDATE, promotion.to_level.title
    subject = f"Changes requested: {name}, {promotion.from_level.code} → {promotion.to_level.code}"
    _notify(
        promotion,
        recipient_ids=[promotion.nominated_by_id],
        kind=transition.notification,
        subject=subject,
        headline=f"The committee asks for changes to the case for {name} ({level}) before "
        "deciding. Submit a new version of the packet, then send it back to review.",
        facts=[("What to change", note)],
    )
    _notify(
        promotion,
        recipient_ids=involved_user_ids(promotion) - {promotion.nominated_by_id},
        kind=transition.notification,
        subject=subject,
        headline=_headline(promotion, transition),
    )


def _notify_awaiting_executive(*, promotion: Promotion, transition: Transition) -> None:
    """The Executives: a case approved by the committee awaits one of them. The people involved
    hear nothing yet: for the candidate it is still in review (docs/decisions.md)."""
    name = CANDIDATE
    _notify(
        promotion,
        kind=transition.notification,
        subject=f"Awaiting your approval: {name}, {promotion.from_level.code} → "
        f"{promotion.to_level.code}",
        headline=_headline(promotion, transition),
        facts=[("Justification", promotion.justification)],
        to_executives=True,
    )


def _notify_appealed(*, promotion: Promotion, transition: Transition) -> None:
    """The committee: an appeal awaits those of them who did not decide it before (the
    statement is theirs to read, with the promotion)."""
    _notify(
        promotion,
        kind=transition.notification,
        subject=f"Appeal to review: {CANDIDATE}, {promotion.from_level.code} → "
        f"{promotion.to_level.code}",
        headline="An appeal awaits the committee: members who neither voted on it before nor "
        "decided it review it.",
        to_committee=True,
    )


def _notify_resubmitted(*, promotion: Promotion, transition: Transition) -> None:
    """The committee, and each reviewer whose vote went stale: look again."""
    older = promotion.reviews.exclude(packet_version=promotion.packet_version)
    stale = set(older.values_list("reviewer_id", flat=True)) - involved_user_ids(promotion)
    _notify(
        promotion,
        recipient_ids=stale,
        kind=transition.notification,
        subject=f"Back in review, look again: {CANDIDATE}, v{promotion.packet_version}",
        headline=_headline(promotion, transition),
        to_committee=True,
    )


def _effective_on(promotion: Promotion) -> str:
    """The day an approved promotion takes effect (set by the approval)."""
    return promotion.effective_on.isoformat() if promotion.effective_on else "approval"


def _headline(promotion: Promotion, transition: Transition) -> str:
    name, level = CANDIDATE, promotion.to_level.title
    if promotion.state == PromotionState.APPROVED and not promotion.level_applied:
        return f"Approved: {name} becomes {level} on {_effective_on(promotion)}."
    return transition.headline.format(name=name, level=level, version=promotion.packet_version)


def _release_words(promotion: Promotion) -> str:
    cycle = promotion.cycle
    release_on = cycle.release_on if cycle is not None else None
    when = f"on {release_on.isoformat()}" if release_on else "on the cycle's release date"
    return f"{when}, or sooner once you have told them and release it (the nominator or manager)"


def _decision_headline(promotion: Promotion) -> str:
    """What the people involved read of the decision that put the promotion in its state."""
    for row in TRANSITIONS.values():
        taken = row.taken(promotion.state)
        if taken.decides and promotion.state in row.targets:
            return _headline(promotion, taken)
    return ""


def notify_released(*, promotion: Promotion, transition: Transition) -> None:
    """A held decision is released: the candidate now hears of it, as the others did when it
    was made (the release's kind; the decision's headline and effective date)."""
    facts = []
    if promotion.state == PromotionState.APPROVED:
        facts = [("Effective on", _effective_on(promotion))]
    name, level = CANDIDATE, promotion.to_level.title
    decision = _decision_headline(promotion)
    _notify(
        promotion,
        recipient_ids=[promotion.candidate.user_id],
        kind=transition.notification,
        subject=f"Promotion {promotion.get_state_display().lower()}: {name}, "
        f"{promotion.from_level.code} → {promotion.to_level.code}",
        headline=decision or transition.headline.format(name=name, level=level),
        facts=facts,
    )


def notify_effective(*, promotion: Promotion) -> None:
    """An approved promotion took effect: those who heard of the approval hear of the date."""
    name, level = CANDIDATE, promotion.to_level.title
    _notify(
        promotion,
        recipient_ids=involved_user_ids(promotion),
        kind=EFFECTIVE,
        subject=f"Promotion effective: {name}, {promotion.from_level.code} → "
        f"{promotion.to_level.code}",
        headline=f"Effective today: {name} is now {level}.",
        facts=[("Effective on", _effective_on(promotion))],
    )


def notify_cycle_calibrating(*, cycle: Cycle, awaiting: int) -> None:
    """The committee: the cycle's candidates may now be compared and decided."""
    page = reverse("admin:promotions_cycle_calibration", args=[cycle.pk])
    link = absolute_url(page)
    text = (
        f"{cycle.name} is calibrating: {awaiting} candidate(s) await a decision by "
        f"{cycle.decisions_due_on.isoformat()}.\n\nCompare them: {link}"
    )
    html = format_html(
        "<p>{} is calibrating: {} candidate(s) await a decision by {}.</p>"
        '<p><a href="{}">Compare them</a></p>',
        cycle.name,
        awaiting,
        cycle.decisions_due_on.isoformat(),
        link,
    )
    notifications_create(
        recipient_ids=committee_user_ids(),
        kind=CYCLE_CALIBRATING,
        subject=f"Calibration: {cycle.name}, {awaiting} candidate(s) await a decision",
        body=text,
        html_body=html,
        link=page,
    )


def notify_overdue(*, now=None) -> int:
    """Remind the committee of promotions open longer than PROMOTIONS_REVIEW_SLA_DAYS, at most
    once a day per promotion (a unique key per promotion, day and recipient)."""
    now = now or timezone.now()
    promotions = overdue(now=now).select_related(
        "candidate__user", "candidate__manager__user", "from_level", "to_level", "nominated_by"
    )
    reminded = 0
    for promotion in promotions:
        days = (now - promotion.created_at).days
        # A case sent back waits on its nominator, not on the committee; one the committee
        # approved for an Executive, on the Executives.
        waits_on_nominator = promotion.state == PromotionState.CHANGES_REQUESTED
        waits_on_executive = promotion.state == PromotionState.AWAITING_EXECUTIVE
        rows = _notify(
            promotion,
            recipient_ids=[promotion.nominated_by_id] if waits_on_nominator else [],
            kind=REMINDER,
            subject=f"Overdue review: {CANDIDATE}, open {days} days",
            headline=f"This promotion has been open for {days} days "
            f"(the committee aims for {settings.PROMOTIONS_REVIEW_SLA_DAYS})"
            + (": it waits on your new version of the packet." if waits_on_nominator else "")
            + (": it waits on an executive's approval." if waits_on_executive else "")
            + ("" if waits_on_nominator or waits_on_executive else "."),
            dedupe_key=f"reminder:{promotion.pk}:{now.date().isoformat()}",
            to_committee=not (waits_on_nominator or waits_on_executive),
            to_executives=waits_on_executive,
        )
        reminded += bool(rows)
    return reminded
