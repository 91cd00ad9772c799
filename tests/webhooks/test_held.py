"""Events are never dropped while an endpoint is disabled (issue 21, item 12; docs/webhooks.md,
"Disabled endpoints"): they are written `held`; enabling the endpoint again sends every held
delivery, oldest first, once; a held delivery older than WEBHOOKS_HOLD_DAYS becomes `expired`
(listed, sent again only by hand). Tasks run in-process here; tests/webhooks/test_queues.py does
the same with real workers on Redis."""

from datetime import timedelta
from unittest import mock

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from tests import factories
from tests.webhooks.conftest import emit, emit_unsent
from tests.webhooks.test_admin import endpoint_form
from webhooks import services
from webhooks.models import Delivery, DeliveryStatus, Endpoint
from webhooks.tasks import webhooks_release, webhooks_sweep

pytestmark = pytest.mark.django_db


@pytest.fixture
def hr(db):
    return factories.hr_user()


@pytest.fixture
def api(hr):
    client = APIClient()
    client.force_authenticate(hr)
    return client


def turn(endpoint: Endpoint, *, on: bool, actor) -> Endpoint:
    return services.endpoint_update(actor=actor, endpoint=endpoint, changes={"is_active": on})


def statuses(*deliveries: Delivery) -> list[str]:
    by_id = dict(Delivery.objects.values_list("id", "status"))
    return [by_id[d.pk] for d in deliveries]


def ids_received(receiver) -> list[str]:
    return [request["headers"]["webhook-id"] for request in receiver.requests]


# --- Held while disabled ------------------------------------------------------------------------


def test_events_for_an_endpoint_turned_off_are_written_held_and_not_handed_to_a_worker(
    receiver, endpoint_for, hr, django_capture_on_commit_callbacks
):
    endpoint = endpoint_for(receiver)
    other = endpoint_for(receiver)
    turn(endpoint, on=False, actor=hr)
    with (
        mock.patch.object(services.outbox, "publish") as publish,
        django_capture_on_commit_callbacks(execute=True),
    ):
        deliveries = services.webhooks_emit(event="promotion.nominated", data={"promotion": 1})
    held = Delivery.objects.get(endpoint=endpoint)
    assert (held.status, held.next_attempt_at) == (DeliveryStatus.HELD, None)
    sent = Delivery.objects.get(endpoint=other)
    assert sent.status == DeliveryStatus.PENDING
    # Only the active endpoint's delivery goes to the workers.
    assert {d.pk for d in deliveries} == {held.pk, sent.pk}
    publish.assert_called_once_with([sent.pk])
    assert services.delivery_send(delivery_id=held.pk) is False
    assert services.deliveries_due() == []
    assert receiver.requests == []


def test_turning_an_endpoint_off_holds_what_is_pending_and_a_send_in_flight_is_held_if_it_fails(
    receiver, endpoint_for, hr
):
    endpoint = endpoint_for(receiver)
    waiting, retrying, in_flight = emit_unsent(count=3)
    Delivery.objects.filter(pk=retrying.pk).update(
        attempts=2, next_attempt_at=timezone.now() + timedelta(minutes=5)
    )
    (claimed,) = services.outbox.claim([in_flight.pk])  # a worker is sending it now

    turn(endpoint, on=False, actor=hr)
    assert statuses(waiting, retrying, in_flight) == [
        DeliveryStatus.HELD,
        DeliveryStatus.HELD,
        DeliveryStatus.PENDING,  # the worker's: left to it
    ]
    receiver.script = [500]
    assert services.outbox.attempt_one(claimed) is False
    row = Delivery.objects.get(pk=in_flight.pk)
    assert (row.status, row.attempts, row.next_attempt_at) == (DeliveryStatus.HELD, 1, None)


def test_the_sweeper_holds_what_a_dead_worker_left_pending_on_a_disabled_endpoint(
    receiver, endpoint_for, hr
):
    endpoint = endpoint_for(receiver)
    (delivery,) = emit_unsent()
    (claimed,) = services.outbox.claim([delivery.pk])
    turn(endpoint, on=False, actor=hr)
    assert statuses(delivery) == [DeliveryStatus.PENDING]  # under the worker's hold
    Delivery.objects.filter(pk=delivery.pk).update(
        held_until=claimed.held_until - timedelta(hours=1)  # the worker died; its hold ran out
    )
    assert webhooks_sweep() == 0
    assert statuses(delivery) == [DeliveryStatus.HELD]


# --- Enabling sends what was held, oldest first, once --------------------------------------------


def test_enabling_with_the_api_sends_every_held_delivery_oldest_first_once(
    receiver, endpoint_for, hr, api, django_capture_on_commit_callbacks
):
    endpoint = endpoint_for(receiver)
    before = emit_unsent(count=2)  # pending when it is turned off
    turn(endpoint, on=False, actor=hr)
    during = emit(count=5)  # written held
    held = before + during
    assert set(statuses(*held)) == {DeliveryStatus.HELD}
    assert receiver.requests == []

    with django_capture_on_commit_callbacks(execute=True):  # the release runs in-process
        enabled = api.patch(f"/api/v1/webhooks/{endpoint.pk}/", {"is_active": True}, format="json")
    assert enabled.status_code == 200
    assert ids_received(receiver) == [d.webhook_id for d in held]  # created order, each once
    assert set(statuses(*held)) == {DeliveryStatus.DELIVERED}
    endpoint.refresh_from_db()
    assert endpoint.releasing_until is None

    # Nothing is sent twice: another release, the sweeper.
    assert webhooks_release(endpoint.pk) == 0
    assert webhooks_sweep() == 0
    assert len(receiver.requests) == len(held)


def test_enabling_in_the_admin_sends_the_held_deliveries_too(
    receiver, endpoint_for, hr, django_capture_on_commit_callbacks
):
    endpoint = endpoint_for(receiver)
    turn(endpoint, on=False, actor=hr)
    held = emit(count=3)
    client = Client()
    client.force_login(hr)
    endpoint.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:webhooks_endpoint_change", args=[endpoint.pk]),
            endpoint_form(endpoint, is_active="on"),
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert ids_received(receiver) == [d.webhook_id for d in held]
    assert set(statuses(*held)) == {DeliveryStatus.DELIVERED}


def test_a_held_delivery_released_gets_24_hours_of_retries_from_the_release(
    receiver, endpoint_for, hr, django_capture_on_commit_callbacks, settings
):
    endpoint = endpoint_for(receiver)
    turn(endpoint, on=False, actor=hr)
    (old,) = emit()
    Delivery.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timedelta(days=3),
        retry_until=timezone.now() - timedelta(days=2),
    )
    receiver.script = [500]
    with (
        mock.patch.object(services.outbox, "publish") as publish,
        django_capture_on_commit_callbacks(execute=True),
    ):
        turn(endpoint, on=True, actor=hr)
    row = Delivery.objects.get(pk=old.pk)
    # Tried once in the release, failed, and retried on its own like any delivery.
    assert (row.status, row.attempts) == (DeliveryStatus.PENDING, 1)
    assert row.retry_until > timezone.now() + timedelta(hours=23)
    publish.assert_called_once_with([old.pk], countdown=settings.WEBHOOKS_RETRY_BACKOFF_SECONDS)


def test_one_release_at_a_time_per_endpoint(receiver, endpoint_for, hr):
    endpoint = endpoint_for(receiver)
    turn(endpoint, on=False, actor=hr)
    held = emit(count=2)
    with mock.patch.object(services, "release_publish"):
        turn(endpoint, on=True, actor=hr)
    # Another worker is releasing it: this one leaves it alone.
    Endpoint.objects.filter(pk=endpoint.pk).update(
        releasing_until=timezone.now() + timedelta(minutes=1)
    )
    assert services.endpoint_release_held(endpoint_id=endpoint.pk) == 0
    assert services.endpoints_to_release() == []
    assert receiver.requests == []
    # That worker died: its lease runs out, and the sweeper starts the release again.
    Endpoint.objects.filter(pk=endpoint.pk).update(
        releasing_until=timezone.now() - timedelta(seconds=1)
    )
    assert services.endpoints_to_release() == [endpoint.pk]
    webhooks_sweep()
    assert ids_received(receiver) == [d.webhook_id for d in held]


def test_a_long_release_hands_the_rest_to_a_new_task(receiver, endpoint_for, hr, monkeypatch):
    endpoint = endpoint_for(receiver)
    turn(endpoint, on=False, actor=hr)
    held = emit(count=3)
    with mock.patch.object(services, "release_publish"):
        turn(endpoint, on=True, actor=hr)
    monkeypatch.setattr(services, "RELEASE_SECONDS", 0)
    with mock.patch.object(services, "release_publish") as publish:
        assert services.endpoint_release_held(endpoint_id=endpoint.pk) == 1
    publish.assert_called_once_with(endpoint_id=endpoint.pk)
    assert statuses(*held) == [DeliveryStatus.DELIVERED, DeliveryStatus.HELD, DeliveryStatus.HELD]


def test_a_release_stops_when_the_endpoint_is_turned_off_again(receiver, endpoint_for, hr):
    endpoint = endpoint_for(receiver)
    turn(endpoint, on=False, actor=hr)
    held = emit(count=2)
    with mock.patch.object(services, "release_publish"):
        turn(endpoint, on=True, actor=hr)
        turn(endpoint, on=False, actor=hr)
    assert services.endpoint_release_held(endpoint_id=endpoint.pk) == 0
    assert set(statuses(*held)) == {DeliveryStatus.HELD}
    assert receiver.requests == []


# --- Expired ------------------------------------------------------------------------------------


def test_a_held_delivery_older_than_hold_days_expires_is_listed_and_not_released(
    receiver, endpoint_for, hr, api, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOKS_HOLD_DAYS = 7
    endpoint = endpoint_for(receiver)
    turn(endpoint, on=False, actor=hr)
    old, recent = emit(count=2)
    now = timezone.now()
    Delivery.objects.filter(pk=old.pk).update(created_at=now - timedelta(days=7, minutes=1))
    Delivery.objects.filter(pk=recent.pk).update(created_at=now - timedelta(days=6, hours=23))

    webhooks_sweep()
    assert statuses(old, recent) == [DeliveryStatus.EXPIRED, DeliveryStatus.HELD]
    expired = Delivery.objects.get(pk=old.pk)
    assert "7 days" in expired.last_error and expired.next_attempt_at is None
    listed = api.get(f"/api/v1/webhooks/{endpoint.pk}/deliveries/", {"status": "expired"})
    assert listed.status_code == 200
    assert [(row["id"], row["status"]) for row in listed.json()["results"]] == [(old.pk, "expired")]

    with django_capture_on_commit_callbacks(execute=True):
        turn(endpoint, on=True, actor=hr)
    assert ids_received(receiver) == [recent.webhook_id]  # the expired one stays where it is
    assert statuses(old) == [DeliveryStatus.EXPIRED]


def test_an_expired_delivery_is_sent_again_by_hand(
    receiver, endpoint_for, hr, api, django_capture_on_commit_callbacks
):
    endpoint = endpoint_for(receiver)
    (delivery,) = emit_unsent()
    Delivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.EXPIRED, next_attempt_at=None, last_error="Expired: held."
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            f"/api/v1/webhooks/{endpoint.pk}/deliveries/{delivery.pk}/redeliver/", format="json"
        )
    assert response.status_code == 202, response.json()
    assert ids_received(receiver) == [delivery.webhook_id]
    row = Delivery.objects.get(pk=delivery.pk)
    assert (row.status, row.attempts) == (DeliveryStatus.DELIVERED, 1)


# --- Every reader knows the new statuses ---------------------------------------------------------


def test_the_api_filter_the_admin_filter_and_the_schema_know_held_and_expired(
    receiver, endpoint_for, hr, api
):
    endpoint = endpoint_for(receiver)
    held, expired = emit_unsent(count=2)
    Delivery.objects.filter(pk=held.pk).update(status="held", next_attempt_at=None)
    Delivery.objects.filter(pk=expired.pk).update(status="expired", next_attempt_at=None)
    for status, delivery in (("held", held), ("expired", expired)):
        listed = api.get(f"/api/v1/webhooks/{endpoint.pk}/deliveries/", {"status": status})
        assert listed.status_code == 200, listed.json()
        assert [row["id"] for row in listed.json()["results"]] == [delivery.pk]
        assert listed.json()["results"][0]["status"] == status

    client = Client()
    client.force_login(hr)
    changelist = reverse("admin:webhooks_delivery_changelist")
    page = client.get(changelist).content.decode()
    assert "?status__exact=held" in page and "?status__exact=expired" in page
    only_held = client.get(changelist, {"status__exact": "held"})
    assert list(only_held.context["cl"].result_list) == [Delivery.objects.get(pk=held.pk)]

    schema = api.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    assert schema["components"]["schemas"]["DeliveryStatusEnum"]["enum"] == [
        "pending",
        "delivered",
        "failed",
        "held",
        "expired",
    ]
