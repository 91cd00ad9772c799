"""Webhooks (docs/webhooks.md): HR's endpoints, and the deliveries of events to them.

An event writes one delivery row per subscribed endpoint in the transaction of the change (the
outbox); a Celery task sends it after commit. Each attempt is claimed with a short hold on the
row, so a delivery is sent by one worker at a time, and a worker that dies mid-send leaves a hold
that runs out: the sweeper then sends it again, with the same `webhook-id` (at least once)."""

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
from datetime import timedelta

import urllib3
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from standardwebhooks import Webhook

from core.errors import InvalidInput
from ladder import roles
from ladder.errors import ErrorCode as LadderErrorCode
from ladder.selectors import hr_user_ids
from ladder.validators import refuse_control_characters
from notifications.services import notifications_create
from webhooks.destinations import Destination, destination_check
from webhooks.errors import DestinationRefused, ErrorCode, HROnly, WebhookInactive
from webhooks.events import Event
from webhooks.models import Delivery, DeliveryStatus, Endpoint

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 5
TIMED_OUT = f"Timed out: no complete answer within {TIMEOUT_SECONDS} s."
RETRY_FOR = timedelta(hours=24)
MAX_BACKOFF_SECONDS = 3600
DISABLE_AFTER_FAILURES = 20
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
            raise InvalidInput(exc.messages[0], code=LadderErrorCode.CONTROL_CHARACTER) from None
        changes["description"] = changes["description"].strip()
    return changes


@transaction.atomic
def endpoint_create(
    *, actor, url: str, events: list[str] | None = None, description: str = "", is_active=True
) -> Endpoint:
    """A new endpoint with a new secret: the caller shows `endpoint.secret` once."""
    ensure_hr(actor)
    fields = _clean({"url": url, "events": events or [], "description": description})
    return Endpoint.objects.create(
        **fields, is_active=is_active, secret=new_secret(), created_by=actor
    )


@transaction.atomic
def endpoint_update(*, actor, endpoint: Endpoint, changes: dict) -> Endpoint:
    """Change the URL, events, description or whether it is active. Enabling it again clears its
    failure count; what is still pending within its 24 h is then sent by the sweeper."""
    ensure_hr(actor)
    endpoint = Endpoint.objects.select_for_update().get(pk=endpoint.pk)
    changes = _clean({name: changes[name] for name in EDITABLE_FIELDS if name in changes})
    if changes.get("is_active") and not endpoint.is_active:
        endpoint.consecutive_failures = 0
        endpoint.disabled_at = None
    for name, value in changes.items():
        setattr(endpoint, name, value)
    endpoint.save()
    return endpoint


@transaction.atomic
def endpoint_delete(*, actor, endpoint: Endpoint) -> None:
    """The endpoint and its delivery log go; nothing is sent to it any more."""
    ensure_hr(actor)
    endpoint.delete()


# --- Events -----------------------------------------------------------------------------------


def webhooks_emit(*, event: Event, data: dict) -> list[Delivery]:
    """Write one delivery per active endpoint that wants `event`, in the caller's transaction,
    and have them sent once it commits."""
    return webhooks_emit_many(events=[(event, data)])


def webhooks_emit_many(*, events: list[tuple[Event, dict]]) -> list[Delivery]:
    """Several events of one change at once: one query for the endpoints, one INSERT."""
    now = timezone.now()
    endpoints = list(Endpoint.objects.filter(is_active=True).only("id", "events"))
    deliveries = [
        Delivery(
            endpoint_id=endpoint.pk,
            event=event,
            webhook_id=f"msg_{uuid.uuid4().hex}",
            body=json.dumps(
                {"type": str(event), "timestamp": now.isoformat(), "data": data},
                cls=DjangoJSONEncoder,
                separators=(",", ":"),
            ),
            next_attempt_at=now,
            retry_until=now + RETRY_FOR,
        )
        for event, data in events
        for endpoint in endpoints
        if endpoint.wants(event)
    ]
    if not deliveries:
        return []
    deliveries = Delivery.objects.bulk_create(deliveries)
    ids = [delivery.pk for delivery in deliveries]
    transaction.on_commit(lambda: deliveries_publish(delivery_ids=ids), robust=True)
    return deliveries


def deliveries_publish(*, delivery_ids: list[int], countdown: float = 0) -> bool:
    """Hand the deliveries to the workers. A broker that is down costs a bounded wait, never the
    request: the rows stay pending and the sweeper sends them later."""
    from webhooks.tasks import webhook_deliver

    try:
        for delivery_id in delivery_ids:
            webhook_deliver.apply_async(args=[delivery_id], countdown=countdown, retry=True)
    except Exception as exc:  # the broker is down or refused: the sweeper will catch up
        logger.warning("Could not publish webhook deliveries %s: %r", delivery_ids, exc)
        return False
    return True


# --- Sending ----------------------------------------------------------------------------------


def _claim(delivery_id: int) -> Delivery | None:
    """Hold a due delivery of an active endpoint for this worker, or None (not due, sent, failed,
    disabled, or another worker holds it)."""
    now = timezone.now()
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("endpoint")
            .filter(pk=delivery_id, status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
            .filter(Q(locked_until__isnull=True) | Q(locked_until__lte=now))
            .first()
        )
        if delivery is None or not delivery.endpoint.is_active:
            return None
        delivery.locked_until = now + timedelta(seconds=settings.WEBHOOKS_HOLD_SECONDS)
        delivery.save(update_fields=["locked_until"])
        return delivery


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
    """One attempt at one delivery, if it is due and no other worker holds it. A 2xx answer
    delivers it; anything else (another status, a redirect, a timeout, a refused destination)
    counts as a failure and schedules the next attempt. Returns whether it was delivered."""
    delivery = _claim(delivery_id)
    if delivery is None:
        return False
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
            _delivered(delivery, status_code)
            return True
        error = f"HTTP {status_code}: {answer}"
    _failed(delivery, status_code=status_code, error=error)
    return False


def _still_held(delivery: Delivery):
    """The delivery as this worker claimed it: not if the hold ran out and another took it."""
    return Delivery.objects.filter(
        pk=delivery.pk, status=DeliveryStatus.PENDING, locked_until=delivery.locked_until
    )


def _delivered(delivery: Delivery, status_code: int) -> None:
    now = timezone.now()
    with transaction.atomic():
        _still_held(delivery).update(
            status=DeliveryStatus.DELIVERED,
            attempts=delivery.attempts + 1,
            last_status_code=status_code,
            last_error="",
            next_attempt_at=None,
            locked_until=None,
            delivered_at=now,
        )
        Endpoint.objects.filter(pk=delivery.endpoint_id, consecutive_failures__gt=0).update(
            consecutive_failures=0
        )


def backoff_seconds(attempts: int) -> int:
    """The wait after the `attempts`-th failed attempt: WEBHOOKS_RETRY_BACKOFF_SECONDS, doubling,
    at most an hour."""
    return min(settings.WEBHOOKS_RETRY_BACKOFF_SECONDS * 2 ** (attempts - 1), MAX_BACKOFF_SECONDS)


def _failed(delivery: Delivery, *, status_code: int | None, error: str) -> None:
    now = timezone.now()
    with transaction.atomic():
        endpoint = Endpoint.objects.select_for_update().filter(pk=delivery.endpoint_id).first()
        if endpoint is None:  # deleted while we were sending: its log went with it
            return
        delivery.attempts += 1
        delay = backoff_seconds(delivery.attempts)
        next_attempt_at = now + timedelta(seconds=delay)
        gave_up = next_attempt_at > delivery.retry_until
        recorded = _still_held(delivery).update(
            status=DeliveryStatus.FAILED if gave_up else DeliveryStatus.PENDING,
            attempts=delivery.attempts,
            last_status_code=status_code,
            last_error=error[:2000],
            next_attempt_at=None if gave_up else next_attempt_at,
            locked_until=None,
        )
        if not recorded:  # another worker has it now (a resend, or our hold ran out)
            return
        endpoint.consecutive_failures += 1
        if endpoint.is_active and endpoint.consecutive_failures >= DISABLE_AFTER_FAILURES:
            _disable(endpoint, now=now, error=error)
        endpoint.save(update_fields=["consecutive_failures", "is_active", "disabled_at"])
        if not gave_up and endpoint.is_active:
            ids = [delivery.pk]
            transaction.on_commit(
                lambda: deliveries_publish(delivery_ids=ids, countdown=delay), robust=True
            )


def _disable(endpoint: Endpoint, *, now, error: str) -> None:
    endpoint.is_active = False
    endpoint.disabled_at = now
    link = settings.SITE_URL + f"/admin/webhooks/endpoint/{endpoint.pk}/change/"
    notifications_create(
        recipient_ids=hr_user_ids(),
        kind=ENDPOINT_DISABLED,
        subject=f"Webhook disabled: {str(endpoint)[:120]}",
        body=(
            f"The webhook {endpoint.url} failed {endpoint.consecutive_failures} times in a row "
            f"and is now disabled; nothing more is sent to it.\n\nLast error: {error[:500]}\n\n"
            f"Fix the receiver, then enable it again: {link}"
        ),
    )


# --- The sweeper and resending ----------------------------------------------------------------


def deliveries_due(*, limit: int = 500) -> list[int]:
    """Pending deliveries whose attempt is overdue by a sweep period with no worker holding them:
    the broker was down, or a worker died. Those past their 24 h are marked failed."""
    now = timezone.now()
    Delivery.objects.filter(status=DeliveryStatus.PENDING, retry_until__lt=now).update(
        status=DeliveryStatus.FAILED,
        next_attempt_at=None,
        last_error="Given up: not delivered within 24 hours.",
    )
    cutoff = now - timedelta(seconds=settings.WEBHOOKS_SWEEP_SECONDS)
    return list(
        Delivery.objects.filter(
            status=DeliveryStatus.PENDING, next_attempt_at__lte=cutoff, endpoint__is_active=True
        )
        .filter(Q(locked_until__isnull=True) | Q(locked_until__lte=now))
        .order_by("next_attempt_at")
        .values_list("id", flat=True)[:limit]
    )


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
    delivery.locked_until = None
    delivery.save()
    ids = [delivery.pk]
    transaction.on_commit(lambda: deliveries_publish(delivery_ids=ids), robust=True)
    return delivery
