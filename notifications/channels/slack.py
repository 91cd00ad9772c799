"""Slack: a direct message from the site's bot (SLACK_BOT_TOKEN) to the recipient, found by their
e-mail address: `users.lookupByEmail`, `conversations.open`, `chat.postMessage`, at SLACK_API_URL.

The message is the notification's subject, its first line and the link: never more than the
recipient's own e-mail holds, and the whole of what they read is on the site, behind sign-in."""

from collections.abc import Generator

from django.conf import settings
from django.contrib.auth import get_user_model
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from core.outbox import Attempt, delivered, failed
from core.site import absolute_url
from notifications.models import Channel, ChannelOptOut, Delivery, Notification

TIMEOUT_SECONDS = 5
# Slack's answers that sending again cannot change: shown to HR in the admin, not retried.
FINAL_ERRORS = frozenset(
    {"user_not_found", "users_not_found", "user_disabled", "cannot_dm_bot", "not_allowed"}
)


def configured() -> bool:
    return bool(settings.SLACK_BOT_TOKEN)


def reaches(user_ids: list[int]) -> set[int]:
    """With a bot token: those with an e-mail address (Slack finds them by it) who have not turned
    Slack off. Without one, nobody, and no query."""
    if not configured():
        return set()
    turned_off = ChannelOptOut.objects.filter(channel=Channel.SLACK).values("user_id")
    return set(
        get_user_model()
        .objects.filter(pk__in=user_ids)
        .exclude(email="")
        .exclude(pk__in=turned_off)
        .values_list("pk", flat=True)
    )


def text(notification: Notification) -> str:
    """Subject, the body's first line, the link: what the recipient's e-mail opens with."""
    first_line = next((line for line in notification.body.splitlines() if line.strip()), "")
    lines = [f"*{notification.subject}*", first_line.strip()]
    if notification.link:
        lines.append(absolute_url(notification.link))
    return "\n".join(line for line in lines if line)


def client() -> WebClient:
    # No retry handlers of the client's own: the outbox schedules every retry (Retry-After too).
    return WebClient(
        token=settings.SLACK_BOT_TOKEN,
        base_url=settings.SLACK_API_URL,
        timeout=TIMEOUT_SECONDS,
        retry_handlers=[],
    )


def _answer(exc: SlackApiError) -> Attempt:
    error = exc.response.get("error") if isinstance(exc.response.data, dict) else None
    status = exc.response.status_code
    message = f"Slack: {error or f'HTTP {status}'}"
    if status == 429:
        retry_after = exc.response.headers.get("Retry-After") or exc.response.headers.get(
            "retry-after"
        )
        try:
            seconds = float(retry_after) if retry_after is not None else None
        except ValueError:
            seconds = None
        return failed(f"{message} (rate limited)", retry_after=seconds)
    return failed(message, final=error in FINAL_ERRORS)


def send(
    deliveries: list[Delivery], texts: dict[int, tuple[str, str] | None]
) -> Generator[tuple[Delivery, Attempt], None, None]:
    """Each delivery as a direct message. A secret-carrying message (`texts`) never goes to
    Slack: none is written for it (services), and one found here fails for good."""
    if not configured():
        for delivery in deliveries:
            yield delivery, failed("Slack is not configured (SLACK_BOT_TOKEN).", final=True)
        return
    slack = client()
    found: dict[str, str] = {}  # e-mail → the DM channel, within the batch
    for delivery in deliveries:
        notification = delivery.notification
        if delivery.pk in texts:
            yield delivery, failed("Not sent: this message goes by e-mail only.", final=True)
            continue
        email = notification.recipient.email
        try:
            if email not in found:
                user = slack.users_lookupByEmail(email=email)["user"]["id"]
                found[email] = slack.conversations_open(users=user)["channel"]["id"]
            slack.chat_postMessage(
                channel=found[email], text=text(notification), unfurl_links=False
            )
        except SlackApiError as exc:
            yield delivery, _answer(exc)
        except (SlackClientError, OSError, ValueError, KeyError, TypeError) as exc:
            yield delivery, failed(f"Slack: {type(exc).__name__}: {exc}")
        else:
            yield delivery, delivered()
