"""Webhooks (docs/webhooks.md): HR's endpoints, and the deliveries of events to them.

An event writes one delivery row per subscribed endpoint in the transaction of the change (the
outbox); a Celery task sends it after commit. Each attempt is claimed with a short hold on the
row, so a delivery is sent by one worker at a time, and a worker that dies mid-send leaves a hold
that runs out: the sweeper then sends it again, with the same `webhook-id` (at least once).

An endpoint that is disabled (by HR, or after failing for WEBHOOKS_DISABLE_AFTER_HOURS) still gets
its deliveries written, as held; enabling it sends them, oldest first, from one task at a time."""

import base64
import contextlib
import http.client
import json
import logging
import secrets
import socket
import threading
import time
import uuid
from collections.abc import Generator
from datetime import timedelta

import urllib3
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection as db_connection
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from standardwebhooks import Webhook

from audit.services import config_change_record, diff, snapshot
from core import roles
from core.destinations import Destination, destination_check
from core.errors import DestinationRefused, InvalidInput
from core.errors import ErrorCode as SharedErrorCode
from core.holds import unheld
from core.outbox import Attempt, Outbox, delivered, failed
from core.roles import hr_user_ids
from core.site import absolute_url
from core.validators import refuse_control_characters
from notifications.services import notifications_create
from webhooks.errors import ErrorCode, HROnly, WebhookInactive
from webhooks.events import Event
from webhooks.models import Delivery, DeliveryStatus, Endpoint

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 5
TIMED_OUT = f"Timed out: no complete answer within {TIMEOUT_SECONDS} s."
RETRY_FOR = timedelta(hours=24)
MAX_BACKOFF_SECONDS = 3600
# A release sends held deliveries for about this long, then hands the rest to a new task (well
# within CELERY_TASK_SOFT_TIME_LIMIT).
RELEASE_SECONDS = 60
# What the receiver answers is kept for the log, up to this much.
RESPONSE_KEPT_BYTES = 1000
EDITABLE_FIELDS = ("url", "events", "description", "is_active")
ENDPOINT_DISABLED = "webhook_disabled"


# --- Endpoints --------------------------------------------------------------------------------


def ensure_hr(actor) -> None:
    if not roles.is_hr(actor):
        raise HROnly()


def new_secret() -> str:
    """A Standard Webhooks secret: `whsec_` and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def _clean(changes: dict) -> dict:
    if "url" in changes:
        destination_check(changes["url"])
    if "events" in changes:
        unknown = sorted(set(changes["events"]) - set(Event))
        if unknown:
            raise InvalidInput(
                f"Unknown events: {', '.join(unknown)}. Known: {', '.join(Event)}.",
                code=ErrorCode.UNKNOWN_EVENT,
            )
        changes["events"] = sorted(set(changes["events"]))
    if "description" in changes:
        try:
            refuse_control_characters(changes["description"])
        except ValidationError as exc:
            raise InvalidInput(exc.messages[0], code=SharedErrorCode.CONTROL_CHARACTER) from None
        changes["description"] = changes["description"].strip()
    return changes


@transaction.atomic
def endpoint_create(
    *, actor, url: str, events: list[str] | None = None, description: str = "", is_active=True
) -> Endpoint:
    """A new endpoint with a new secret: the caller shows `endpoint.secret` once."""
    ensure_hr(actor)
    fields = _clean({"url": url, "events": events or [], "description": description})
    endpoint = Endpoint.objects.create(
        **fields, is_active=is_active, secret=new_secret(), created_by=actor
    )
    config_change_record(
        actor=actor, action="created", target=endpoint, changes=diff({}, _settings(endpoint))
    )
    return endpoint


def _settings(endpoint: Endpoint) -> dict:
    """What the audit trail keeps of an endpoint: never its secret."""
    return snapshot(endpoint, EDITABLE_FIELDS)


@transaction.atomic
def endpoint_update(*, actor, endpoint: Endpoint, changes: dict) -> Endpoint:
    """Change the URL, events, description or whether it is active. Turning it off holds what is
    pending; enabling it again clears its failures and sends every held delivery, oldest first."""
    ensure_hr(actor)
    endpoint = Endpoint.objects.select_for_update().get(pk=endpoint.pk)
    before = _settings(endpoint)
    changes = _clean({name: changes[name] for name in EDITABLE_FIELDS if name in changes})
    if changes.get("is_active") is True and not endpoint.is_active:
        endpoint.consecutive_failures = 0
        endpoint.failing_since = None
        endpoint.disabled_at = None
        endpoint_id = endpoint.pk
        transaction.on_commit(lambda: release_publish(endpoint_id=endpoint_id), robust=True)
    elif changes.get("is_active") is False and endpoint.is_active:
        _hold_pending(Delivery.objects.filter(endpoint_id=endpoint.pk), now=timezone.now())
    for name, value in changes.items():
        setattr(endpoint, name, value)
    endpoint.save()
    recorded = diff(before, _settings(endpoint))
    if recorded:
        config_change_record(actor=actor, action="changed", target=endpoint, changes=recorded)
    return endpoint


@transaction.atomic
def endpoint_delete(*, actor, endpoint: Endpoint) -> None:
    """The endpoint and its delivery log go; nothing is sent to it any more."""
    ensure_hr(actor)
    config_change_record(
        actor=actor, action="deleted", target=endpoint, changes=diff(_settings(endpoint), {})
    )
    endpoint.delete()


# --- Events -----------------------------------------------------------------------------------


def webhooks_emit(*, event: Event, data: dict) -> list[Delivery]:
    """Write one delivery per endpoint that wants `event`, in the caller's transaction, and have
    them sent once it commits; a disabled endpoint's are written held, sent when it is enabled."""
    return webhooks_emit_many(events=[(event, data)])


def webhooks_emit_many(*, events: list[tuple[Event, dict]]) -> list[Delivery]:
    """Several events of one change at once: one query for the endpoints, one INSERT."""
    now = timezone.now()
    endpoints = list(Endpoint.objects.only("id", "events", "is_active"))
    deliveries = [
        Delivery(
            endpoint_id=endpoint.pk,
            status=DeliveryStatus.PENDING if endpoint.is_active else DeliveryStatus.HELD,
            event=event,
            webhook_id=f"msg_{uuid.uuid4().hex}",
            body=json.dumps(
                {"type": str(event), "timestamp": now.isoformat(), "data": data},
                cls=DjangoJSONEncoder,
                separators=(",", ":"),
            ),
            next_attempt_at=now if endpoint.is_active else None,
            retry_until=now + RETRY_FOR,
        )
        for event, data in events
        for endpoint in endpoints
        if endpoint.wants(event)
    ]
    if not deliveries:
        return []
    deliveries = Delivery.objects.bulk_create(deliveries)
    outbox.publish_on_commit([d.pk for d in deliveries if d.status == DeliveryStatus.PENDING])
    return deliveries


# --- Sending ----------------------------------------------------------------------------------


class WebhookOutbox(Outbox):
    """Webhook deliveries on the core outbox engine: a batch claimed at once, each attempt one
    signed POST, retried with backoff for 24 h (RETRY_FOR); an endpoint failing for
    WEBHOOKS_DISABLE_AFTER_HOURS is disabled and its deliveries held."""

    model = Delivery
    task = "webhooks.tasks.webhooks_deliver"

    def rows(self):
        return Delivery.objects.select_related("endpoint")

    def claimable(self) -> Q:
        return Q(endpoint__is_active=True)

    def sweep_seconds(self) -> float:
        return settings.WEBHOOKS_SWEEP_SECONDS

    def hold_seconds(self) -> float:
        return settings.WEBHOOKS_HOLD_SECONDS

    def batch_seconds(self) -> float:
        # Room for one more attempt (TIMEOUT_SECONDS) inside both the hold and the task's limit.
        limit = min(settings.WEBHOOKS_HOLD_SECONDS, settings.CELERY_TASK_SOFT_TIME_LIMIT)
        return max(limit - TIMEOUT_SECONDS - 5, 1)

    def backoff_seconds(self, attempts: int) -> float:
        return backoff_seconds(attempts)

    def gives_up(self, row, *, next_attempt_at) -> str | None:
        if next_attempt_at > row.retry_until:
            return "Given up: not delivered within 24 hours."
        return None

    def send(self, rows: list[Delivery]) -> Generator[tuple[Delivery, Attempt], None, None]:
        for delivery in rows:
            yield delivery, _attempt(delivery)

    def delivered_recorded(self, row: Delivery) -> None:
        # One statement that matches nothing unless the endpoint was failing.
        with db_connection.cursor() as cursor:
            cursor.execute(_FAILURES_CLEARED_SQL, [row.endpoint_id])

    def failure_status(self, row: Delivery, attempt: Attempt, *, status: str, now) -> str:
        """Held instead of retried while the endpoint is off, or when this failure disables it
        (every attempt failing for WEBHOOKS_DISABLE_AFTER_HOURS)."""
        endpoint = Endpoint.objects.select_for_update().filter(pk=row.endpoint_id).first()
        if endpoint is None:
            return status  # deleted while we were sending: its log went with it
        row.endpoint = endpoint  # locked and as it is now, for failure_recorded
        if status != DeliveryStatus.PENDING:
            return status  # given up
        if not endpoint.is_active or _disables(endpoint, now):
            return DeliveryStatus.HELD
        return status

    def failure_recorded(self, row: Delivery, attempt: Attempt, *, status: str, now) -> None:
        endpoint = row.endpoint  # locked by failure_status in this transaction
        disable = _disables(endpoint, now)
        endpoint.consecutive_failures += 1
        endpoint.failing_since = endpoint.failing_since or now
        if disable:
            _disable(endpoint, now=now, error=attempt.error)
        endpoint.save(
            update_fields=["consecutive_failures", "failing_since", "is_active", "disabled_at"]
        )


# Plain SQL, as the engine's own record: built through the ORM for every delivery, this
# statement cost more than sending some of them (make bench-webhooks, docs/performance.md).
_FAILURES_CLEARED_SQL = (
    "UPDATE webhooks_endpoint SET consecutive_failures = 0, failing_since = NULL "
    "WHERE id = %s AND consecutive_failures > 0"
)

outbox = WebhookOutbox()


def signed_headers(*, secret: str, webhook_id: str, body: str, at=None) -> dict[str, str]:
    """The Standard Webhooks headers; the timestamp is the attempt's, the id the delivery's."""
    at = at or timezone.now()
    return {
        "content-type": "application/json",
        "user-agent": "PM-Ladder-Webhooks/1",
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(msg_id=webhook_id, timestamp=at, data=body),
    }


def _cut(connection) -> None:
    """The deadline passed: end the connection, whatever the receiver is still sending."""
    if connection.sock is not None:
        with contextlib.suppress(OSError):
            connection.sock.shutdown(socket.SHUT_RDWR)


def _post(destination: Destination, *, headers: dict[str, str], body: str) -> tuple[int, str]:
    """POST to the checked address (never a fresh DNS answer), redirects not followed, the whole
    exchange within TIMEOUT_SECONDS: a receiver that answers a byte at a time is cut off. Returns
    the status code and the start of the answer."""
    connection: urllib3.connection.HTTPConnection
    if destination.scheme == "https":
        connection = urllib3.connection.HTTPSConnection(
            destination.address,
            destination.port,
            timeout=TIMEOUT_SECONDS,
            server_hostname=destination.host,
            assert_hostname=destination.host,
        )
    else:
        connection = urllib3.connection.HTTPConnection(
            destination.address, destination.port, timeout=TIMEOUT_SECONDS
        )
    deadline = time.monotonic() + TIMEOUT_SECONDS
    watchdog = threading.Timer(TIMEOUT_SECONDS, _cut, args=[connection])
    watchdog.start()
    try:
        connection.request(
            "POST",
            destination.target,
            body=body.encode(),
            headers={**headers, "host": destination.host_header},
        )
        response = connection.getresponse()
        answer = response.read(RESPONSE_KEPT_BYTES, decode_content=False)
    except (urllib3.exceptions.HTTPError, http.client.HTTPException, OSError) as exc:
        if time.monotonic() >= deadline:
            raise TimeoutError(TIMED_OUT) from exc
        raise
    finally:
        watchdog.cancel()
        connection.close()
    if time.monotonic() >= deadline:
        raise TimeoutError(TIMED_OUT)
    return response.status, answer.decode(errors="replace")


def delivery_send(*, delivery_id: int) -> bool:
    """One attempt at one delivery, if it is due and no other worker holds it. Returns whether it
    was delivered."""
    return outbox.deliver([delivery_id]) == 1


def _attempt(delivery: Delivery) -> Attempt:
    """One signed POST of a delivery this worker holds. A 2xx answer delivers it; anything else
    (another status, a redirect, a timeout, a refused destination) is a failed attempt."""
    endpoint = delivery.endpoint
    status_code = None
    try:
        destination = destination_check(endpoint.url)
        headers = signed_headers(
            secret=endpoint.secret, webhook_id=delivery.webhook_id, body=delivery.body
        )
        status_code, answer = _post(destination, headers=headers, body=delivery.body)
    except DestinationRefused as exc:
        error = f"Not sent: {exc.message}"
    except (
        urllib3.exceptions.HTTPError,
        urllib3.util.ssl_match_hostname.CertificateError,
        http.client.HTTPException,
        OSError,
    ) as exc:
        error = f"{type(exc).__name__}: {exc}"
    except Exception as exc:  # anything else still counts as a failed attempt, never a lost row
        logger.exception("Webhook delivery %s failed unexpectedly", delivery.pk)
        error = f"{type(exc).__name__}: {exc}"
    else:
        if 200 <= status_code < 300:
            return delivered(last_status_code=status_code)
        error = f"HTTP {status_code}: {answer}"
    return failed(error, last_status_code=status_code)


def backoff_seconds(attempts: int) -> int:
    """The wait after the `attempts`-th failed attempt: WEBHOOKS_RETRY_BACKOFF_SECONDS, doubling,
    at most an hour."""
    return min(settings.WEBHOOKS_RETRY_BACKOFF_SECONDS * 2 ** (attempts - 1), MAX_BACKOFF_SECONDS)


def _disables(endpoint: Endpoint, now) -> bool:
    """Whether a failure now disables the endpoint: every attempt has failed for long enough."""
    failing_since = endpoint.failing_since or now
    return endpoint.is_active and now - failing_since >= disable_after()


def disable_after() -> timedelta:
    return timedelta(hours=settings.WEBHOOKS_DISABLE_AFTER_HOURS)


def _hold_pending(deliveries: QuerySet[Delivery], *, now) -> int:
    """Their endpoint is off: what of `deliveries` waits to be sent is held, for when it is enabled
    again. A row a worker is sending now is left to it (its failure is then recorded as held)."""
    return (
        deliveries.filter(status=DeliveryStatus.PENDING)
        .filter(unheld("held_until", now))
        .update(status=DeliveryStatus.HELD, next_attempt_at=None, held_until=None)
    )


def _disable(endpoint: Endpoint, *, now, error: str) -> None:
    endpoint.is_active = False
    endpoint.disabled_at = now
    _hold_pending(Delivery.objects.filter(endpoint_id=endpoint.pk), now=now)
    config_change_record(  # by the system: the caller saves the endpoint in this transaction
        actor=None,
        action="disabled",
        target=endpoint,
        changes={"is_active": {"from": True, "to": False}},
    )
    hours = settings.WEBHOOKS_DISABLE_AFTER_HOURS
    page = reverse("admin:webhooks_endpoint_change", args=[endpoint.pk])
    link = absolute_url(page)
    notifications_create(
        recipient_ids=hr_user_ids(),
        kind=ENDPOINT_DISABLED,
        subject=f"Webhook disabled: {str(endpoint)[:120]}",
        body=(
            f"Every attempt to deliver to the webhook {endpoint.url} has failed for {hours} "
            f"hours ({endpoint.consecutive_failures} attempts), so it is now disabled. Its "
            f"events are still recorded, held for {settings.WEBHOOKS_HOLD_DAYS} days.\n\n"
            f"Last error: {error[:500]}\n\n"
            f"Fix the receiver, then enable it again to send what was held, oldest first: {link}"
        ),
        link=page,
    )


# --- Releasing held deliveries ------------------------------------------------------------------


def release_publish(*, endpoint_id: int) -> bool:
    """Hand an enabled endpoint's held deliveries to a worker. A broker that is down: the sweeper
    starts the release later (endpoints_to_release)."""
    from webhooks.tasks import webhooks_release

    try:
        webhooks_release.apply_async(args=[endpoint_id], retry=True)
    except Exception as exc:  # the broker is down or refused: the sweeper will catch up
        logger.warning("Could not publish the release of webhook %s: %r", endpoint_id, exc)
        return False
    return True


def _release_lease(endpoint_id: int, *, until) -> bool:
    """Hold the endpoint's release until `until`, unless another live release holds it."""
    now = timezone.now()
    return bool(
        Endpoint.objects.filter(pk=endpoint_id, is_active=True)
        .filter(unheld("releasing_until", now))
        .update(releasing_until=until)
    )


def _release_next(endpoint_id: int) -> Delivery | None:
    """The endpoint's oldest held delivery, claimed by this worker as a fresh pending one (24 h of
    retries from now), or None: nothing held, or the endpoint is off again."""
    now = timezone.now()
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("endpoint")
            .filter(endpoint_id=endpoint_id, status=DeliveryStatus.HELD, endpoint__is_active=True)
            .order_by("created_at", "id")
            .first()
        )
        if delivery is None:
            return None
        delivery.status = DeliveryStatus.PENDING
        delivery.next_attempt_at = now
        delivery.retry_until = now + RETRY_FOR
        delivery.held_until = now + timedelta(seconds=settings.WEBHOOKS_HOLD_SECONDS)
        delivery.save(update_fields=["status", "next_attempt_at", "retry_until", "held_until"])
        return delivery


def endpoint_release_held(*, endpoint_id: int) -> int:
    """Send an enabled endpoint's held deliveries, oldest first, one after the other: each is
    attempted only after the one before was answered (or timed out). One release runs per
    endpoint at a time (a lease on the endpoint, as long as a delivery's hold). A delivery that
    fails is retried on its own schedule, like any other. After RELEASE_SECONDS the rest goes to a
    new task. Returns how many were sent (attempted)."""
    hold = timedelta(seconds=settings.WEBHOOKS_HOLD_SECONDS)
    if not _release_lease(endpoint_id, until=timezone.now() + hold):
        return 0
    started, sent, more = time.monotonic(), 0, False
    try:
        while (delivery := _release_next(endpoint_id)) is not None:
            outbox.attempt_one(delivery)
            sent += 1
            Endpoint.objects.filter(pk=endpoint_id).update(releasing_until=timezone.now() + hold)
            if time.monotonic() - started >= RELEASE_SECONDS:
                more = True
                break
    finally:
        Endpoint.objects.filter(pk=endpoint_id).update(releasing_until=None)
    if more:
        release_publish(endpoint_id=endpoint_id)
    return sent


def endpoints_to_release() -> list[int]:
    """Enabled endpoints with held deliveries and no live release: the release's message was lost
    (a broker that was down) or its worker died."""
    now = timezone.now()
    return list(
        Endpoint.objects.filter(is_active=True, deliveries__status=DeliveryStatus.HELD)
        .filter(unheld("releasing_until", now))
        .order_by("id")
        .distinct()
        .values_list("id", flat=True)
    )


# --- The sweeper and resending ----------------------------------------------------------------


def deliveries_due(*, limit: int = 500) -> list[int]:
    """Pending deliveries whose attempt is overdue by a sweep period with no worker holding them:
    the broker was down, or a worker died. Those past their 24 h are marked failed; held ones
    older than WEBHOOKS_HOLD_DAYS expire; pending ones of a disabled endpoint (a worker's that
    died) are held."""
    now = timezone.now()
    Delivery.objects.filter(
        status=DeliveryStatus.HELD,
        created_at__lt=now - timedelta(days=settings.WEBHOOKS_HOLD_DAYS),
    ).update(
        status=DeliveryStatus.EXPIRED,
        last_error=(
            f"Expired: held for {settings.WEBHOOKS_HOLD_DAYS} days while the endpoint was "
            "disabled. Send it again by hand if it is still wanted."
        ),
    )
    _hold_pending(Delivery.objects.filter(endpoint__is_active=False), now=now)
    Delivery.objects.filter(status=DeliveryStatus.PENDING, retry_until__lt=now).update(
        status=DeliveryStatus.FAILED,
        next_attempt_at=None,
        last_error="Given up: not delivered within 24 hours.",
    )
    return outbox.overdue(limit=limit)


@transaction.atomic
def delivery_redeliver(*, actor, delivery: Delivery) -> Delivery:
    """Send a delivery again (any status), with its `webhook-id`, and retry it for another 24 h."""
    ensure_hr(actor)
    delivery = Delivery.objects.select_for_update().select_related("endpoint").get(pk=delivery.pk)
    if not delivery.endpoint.is_active:
        raise WebhookInactive()
    now = timezone.now()
    delivery.status = DeliveryStatus.PENDING
    delivery.next_attempt_at = now
    delivery.retry_until = now + RETRY_FOR
    delivery.held_until = None
    delivery.save()
    config_change_record(
        actor=actor,
        action="redelivered",
        target=delivery.endpoint,
        changes={"delivery": {"from": None, "to": delivery.pk}},
    )
    outbox.publish_on_commit([delivery.pk])
    return delivery
