"""Notifications: inbox messages written with the change that causes them, each sent on the
recipient's channels (e-mail, and Slack where it is set up) by its deliveries after commit.

This app knows nothing of promotions or the ladder: callers choose the recipients and compose the
subject and bodies."""

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.html import escape, format_html

from notifications import messages
from notifications.channels import TRANSPORTS
from notifications.messages import stand_ins as stand_ins_of
from notifications.models import (
    Channel,
    ChannelOptOut,
    Delivery,
    DeliveryStatus,
    Notification,
    SweeperRun,
)
from notifications.outbox import outbox


@dataclass(frozen=True)
class Message:
    """What one recipient reads: the subject, the plain and HTML bodies (with the link whole, as
    the caller wrote it), and the page it is about as a path on this site (the inbox's "Open")."""

    subject: str
    body: str
    html_body: str = ""
    link: str = ""


def notifications_create(
    *,
    recipient_ids: Iterable[int],
    kind: str,
    subject: str,
    body: str,
    html_body: str = "",
    link: str = "",
    promotion_id: int | None = None,
    dedupe_key: str | None = None,
    audience: str = "",
) -> list[Notification]:
    """The same message to every recipient: see notifications_create_each."""
    message = Message(subject=subject, body=body, html_body=html_body, link=link)
    return notifications_create_each(
        messages=dict.fromkeys(recipient_ids, message),
        kind=kind,
        promotion_id=promotion_id,
        dedupe_key=dedupe_key,
        audience=audience,
    )


def notifications_create_each(
    *,
    messages: Mapping[int, Message],
    kind: str,
    promotion_id: int | None = None,
    dedupe_key: str | None = None,
    audience: str = "",
) -> list[Notification]:
    """Write one inbox message per recipient, each with its own text (`messages`: recipient id →
    message; recipients in different roles open different pages), and one delivery per channel
    that reaches them, in one INSERT each whatever their number; the deliveries are sent once the
    surrounding transaction commits. With `dedupe_key`, a recipient who already has a message with
    that key gets no second one. Someone standing in for a recipient (messages.stand_ins) gets a
    copy, named for whom, unless they receive the message themselves."""
    messages = _with_stand_ins(messages, kind=kind, promotion_id=promotion_id, audience=audience)
    recipient_ids = sorted(messages)
    keys = {rid: f"{dedupe_key}:{rid}" if dedupe_key else None for rid in recipient_ids}
    if dedupe_key:
        taken = set(
            Notification.objects.filter(dedupe_key__in=keys.values()).values_list(
                "recipient_id", flat=True
            )
        )
        recipient_ids = [rid for rid in recipient_ids if rid not in taken]
    rows = Notification.objects.bulk_create(
        Notification(
            recipient_id=rid,
            kind=kind,
            promotion_id=promotion_id,
            audience=audience,
            subject=messages[rid].subject[:200],
            body=messages[rid].body,
            html_body=messages[rid].html_body,
            link=messages[rid].link,
            dedupe_key=keys[rid],
        )
        for rid in recipient_ids
    )
    deliveries = _deliveries_create(rows, kind=kind)
    outbox.publish_on_commit([delivery.pk for delivery in deliveries])
    return rows


def _with_stand_ins(
    messages: Mapping[int, Message], *, kind: str, promotion_id: int | None, audience: str
) -> Mapping[int, Message]:
    """`messages` and a copy for each stand-in of a recipient (one copy each, however many of the
    recipients they stand in for; none for one who receives the message anyway)."""
    found = stand_ins_of(sorted(messages), kind=kind, promotion_id=promotion_id, audience=audience)
    if not found:
        return messages
    copies: dict[int, Message] = {}
    for stand_in in found:
        if stand_in.by_id in messages or stand_in.by_id in copies:
            continue
        original = messages[stand_in.for_id]
        note = f"You receive this for {stand_in.for_name}, whose seat you hold."
        copies[stand_in.by_id] = replace(
            original,
            subject=f"For {stand_in.for_name}: {original.subject}",
            body=f"{note}\n\n{original.body}",
            html_body=format_html("<p><em>{}</em></p>", note) + original.html_body
            if original.html_body
            else "",
        )
    return {**messages, **copies}


def _deliveries_create(rows: list[Notification], *, kind: str) -> list[Delivery]:
    """A delivery per channel that reaches each recipient (a message carrying a secret goes by
    e-mail only), due now."""
    if not rows:
        return []
    channels = [Channel.EMAIL] if messages.email_only(kind) else list(Channel)
    user_ids = sorted({row.recipient_id for row in rows})
    reached = {channel: TRANSPORTS[channel].reaches(user_ids) for channel in channels}
    now = timezone.now()
    return Delivery.objects.bulk_create(
        Delivery(notification=row, channel=channel, next_attempt_at=now)
        for row in rows
        for channel in channels
        if row.recipient_id in reached[channel]
    )


def sweeper_run_record() -> None:
    """Stamp the sweeper's run (one row, one statement): /readyz reads it to tell whether beat
    and a worker still run the periodic tasks."""
    SweeperRun.objects.bulk_create(
        [SweeperRun(pk=SweeperRun.ONLY, ran_at=timezone.now())],
        update_conflicts=True,
        unique_fields=["id"],
        update_fields=["ran_at"],
    )


def notification_mark_read(*, notification: Notification) -> Notification:
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


@transaction.atomic
def deliveries_send_again(*, delivery_ids: list[int]) -> int:
    """The admin's "send again": undelivered deliveries get a fresh set of attempts and are sent
    after commit. Returns how many."""
    return outbox.send_again(delivery_ids)


@transaction.atomic
def channel_turn(*, user, channel: str, on: bool) -> None:
    """Turn a channel on or off for oneself (Slack, on the member site's "Me"). E-mail stays on."""
    if channel == Channel.EMAIL:
        raise ValueError("E-mail cannot be turned off.")
    if on:
        ChannelOptOut.objects.filter(user=user, channel=channel).delete()
    else:
        ChannelOptOut.objects.get_or_create(user=user, channel=channel)


def notifications_empty_for(*, user) -> int:
    """For an erasure: every message to `user` keeps its kind, time and link, never its text;
    what was not sent yet is not sent."""
    rows = Notification.objects.filter(recipient=user)
    Delivery.objects.filter(notification__in=rows, status=DeliveryStatus.PENDING).update(
        status=DeliveryStatus.FAILED, last_error="Not sent: the recipient's data was erased."
    )
    return rows.update(subject="", body="", html_body="")


def notifications_text_replace(
    *, promotion_id: int, notice: str, quoting: Iterable[str] = (), kinds: Iterable[str] = ()
) -> int:
    """For retention: every message about the promotion (`promotion_id`), and every message of
    one of `kinds` quoting one of the texts `quoting` (a nomination request's messages, written
    before the promotion existed), keeps its kind, time, recipient and link; its subject and
    bodies read `notice`. Returns how many."""
    about = Q(promotion_id=promotion_id)
    for text in quoting:
        if text:
            about |= Q(kind__in=list(kinds), body__contains=text)
    return Notification.objects.filter(about).update(
        subject=notice[:200], body=notice, html_body=format_html("<p>{}</p>", notice)
    )


def names_pattern(names: Iterable[str]) -> re.Pattern | None:
    """A pattern of `names` (a person's e-mail address, full name, username), each a whole word
    whatever its case, the longest first (the address before the username it may begin with, the
    full name before a username equal to the first name). A word ends at any character that is
    not a letter, a digit or `_`: "Chen Okafor." "Chen Okafor-led" "mail chen@example.com." are
    matched whole, "chen_okafor" or "chenoweth" are other words. None without any."""
    words = sorted({name for name in names if name}, key=len, reverse=True)
    if not words:
        return None
    either = "|".join(re.escape(word) for word in words)
    return re.compile(rf"(?<!\w)(?:{either})(?!\w)", re.IGNORECASE)


def notifications_names_replace(*, names: Iterable[str], pseudonym: str) -> int:
    """For an erasure: other people's messages that name the person (the committee's "Review
    requested: <name>", a stand-in's "For <username>:", "Nominated by <username>") name the
    pseudonym instead, in the subject and both bodies (the HTML one as it was escaped). Returns
    how many messages changed."""
    written = {form for name in names if name for form in (name, escape(name))}
    pattern = names_pattern(written)
    if pattern is None:
        return 0
    mentions = Q()
    for form in written:
        mentions |= Q(subject__icontains=form) | Q(body__icontains=form)
        mentions |= Q(html_body__icontains=form)
    changed = []
    for row in Notification.objects.filter(mentions).order_by("id"):
        texts = [pattern.sub(pseudonym, text) for text in (row.subject, row.body, row.html_body)]
        if texts != [row.subject, row.body, row.html_body]:
            row.subject, row.body, row.html_body = texts[0][:200], texts[1], texts[2]
            changed.append(row)
    Notification.objects.bulk_update(changed, ["subject", "body", "html_body"], batch_size=500)
    return len(changed)
