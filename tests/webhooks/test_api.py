"""The webhooks API (docs/webhooks.md): HR's alone; the secret shown once, in the answer to the
POST; URLs checked on creation and on every change; the delivery log newest first, filtered,
paginated; a resend keeps the `webhook-id`. Each rule with the request it refuses."""

import base64
import json
from datetime import timedelta

import pytest
from django.utils import timezone
from standardwebhooks import Webhook

from tests import factories
from webhooks import services
from webhooks.models import Delivery, DeliveryStatus, Endpoint

pytestmark = pytest.mark.django_db

HOOK = "http://127.0.0.1:9/hook"  # nothing listens there; nothing in these tests sends to it
ENDPOINT_FIELDS = {
    "id",
    "url",
    "description",
    "events",
    "is_active",
    "consecutive_failures",
    "disabled_at",
    "created_at",
    "updated_at",
}
DELIVERY_FIELDS = {
    "id",
    "event",
    "webhook_id",
    "status",
    "attempts",
    "last_status_code",
    "last_error",
    "next_attempt_at",
    "delivered_at",
    "created_at",
}


@pytest.fixture
def hr(people, as_user):
    return as_user(people["hr"])


@pytest.fixture
def endpoint(private_urls, people):
    return services.endpoint_create(actor=people["hr"], url=HOOK, description="Payroll")


def delivery_of(endpoint, *, status=DeliveryStatus.PENDING, at=None, webhook_id=None, **fields):
    now = at or timezone.now()
    delivery = Delivery.objects.create(
        endpoint=endpoint,
        event="promotion.nominated",
        webhook_id=webhook_id or f"msg_{Delivery.objects.count()}_{endpoint.pk}",
        body='{"type":"promotion.nominated"}',
        status=status,
        retry_until=now + timedelta(hours=24),
        next_attempt_at=None if status != DeliveryStatus.PENDING else now,
        **fields,
    )
    if at is not None:  # created_at is auto_now_add: set it afterwards
        Delivery.objects.filter(pk=delivery.pk).update(created_at=at)
        delivery.refresh_from_db()
    return delivery


# --- HR only ----------------------------------------------------------------------------------


def not_hr(people):
    """Every signed-in role but HR: the candidate, managers, both committee members, a staff
    user of no group, a user with no member record."""
    return {
        "candidate": people["candidate"],
        "manager": people["manager"],
        "other_manager": people["other_manager"],
        "committee": people["committee"],
        "committee2": people["committee2"],
        "staff": factories.UserFactory(is_staff=True),
        "no_member": factories.UserFactory(),
    }


def test_only_hr_may_touch_any_webhook_route(endpoint, people, as_user):
    delivery = delivery_of(endpoint, status=DeliveryStatus.FAILED)
    base = f"/api/v1/webhooks/{endpoint.pk}/"
    for name, user in not_hr(people).items():
        client = as_user(user)
        for response in (
            client.get("/api/v1/webhooks/"),
            client.post("/api/v1/webhooks/", {"url": HOOK}, format="json"),
        ):
            assert response.status_code == 403, (name, response.content)
            assert response.json()["code"] == "hr_only"
        for response in (
            client.get(base),
            client.patch(base, {"description": "Mine now", "is_active": False}, format="json"),
            client.delete(base),
            client.get(f"{base}deliveries/"),
            client.post(f"{base}deliveries/{delivery.pk}/redeliver/"),
        ):
            assert response.status_code == 404, (name, response.content)
            assert response.json()["code"] == "no_such_webhook"
            assert str(endpoint.secret) not in response.content.decode()
    # Nothing of it changed, and nothing was created.
    assert list(Endpoint.objects.values_list("pk", "description", "is_active")) == [
        (endpoint.pk, "Payroll", True)
    ]
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED


def test_anonymous_is_401_everywhere(endpoint, api):
    base = f"/api/v1/webhooks/{endpoint.pk}/"
    for method, path in [
        ("get", "/api/v1/webhooks/"),
        ("post", "/api/v1/webhooks/"),
        ("get", base),
        ("patch", base),
        ("delete", base),
        ("get", f"{base}deliveries/"),
        ("post", f"{base}deliveries/1/redeliver/"),
    ]:
        response = getattr(api, method)(path, {"url": HOOK}, format="json")
        assert response.status_code == 401, (method, path)
    assert Endpoint.objects.count() == 1


def test_a_superuser_and_any_hr_user_manage_them(private_urls, endpoint, as_user):
    superuser = factories.UserFactory(is_superuser=True, is_staff=True)
    for count, user in enumerate((superuser, factories.hr_user()), start=1):
        client = as_user(user)
        assert client.get("/api/v1/webhooks/").json()["count"] == count
        assert client.get(f"/api/v1/webhooks/{endpoint.pk}/").status_code == 200
        created = client.post("/api/v1/webhooks/", {"url": HOOK}, format="json")
        assert created.status_code == 201, created.content


def test_an_inactive_hr_user_is_refused(endpoint, people, as_user):
    client = as_user(people["hr"])
    people["hr"].is_active = False
    people["hr"].save()
    assert client.get("/api/v1/webhooks/").status_code == 401


# --- The secret -------------------------------------------------------------------------------


def test_the_secret_is_in_the_answer_to_the_post_only(private_urls, hr, people):
    created = hr.post(
        "/api/v1/webhooks/",
        {"url": HOOK, "events": ["promotion.approved"], "description": "HRIS"},
        format="json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert set(body) == ENDPOINT_FIELDS | {"secret"}
    secret = body["secret"]
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"), validate=True)) == 32
    Webhook(secret)  # the Standard Webhooks library takes it as it is
    endpoint = Endpoint.objects.get(pk=body["id"])
    assert endpoint.secret == secret and endpoint.created_by == people["hr"]
    assert body["url"] == HOOK and body["events"] == ["promotion.approved"]
    assert body["is_active"] is True and body["consecutive_failures"] == 0

    # Never again: not listed, not read, not in a change's answer, not in the delivery log.
    delivery_of(endpoint)
    base = f"/api/v1/webhooks/{endpoint.pk}/"
    for response in (
        hr.get("/api/v1/webhooks/"),
        hr.get(base),
        hr.patch(base, {"description": "HRIS (new)"}, format="json"),
        hr.get(f"{base}deliveries/"),
    ):
        assert response.status_code == 200
        assert secret not in response.content.decode()
        assert "secret" not in response.content.decode()
    assert set(hr.get(base).json()) == ENDPOINT_FIELDS
    # Each endpoint its own secret.
    again = hr.post("/api/v1/webhooks/", {"url": HOOK}, format="json")
    assert again.json()["secret"] != secret


def test_the_secret_cannot_be_set_or_changed(private_urls, hr, endpoint):
    chosen = "whsec_" + base64.b64encode(b"x" * 32).decode()
    created = hr.post("/api/v1/webhooks/", {"url": HOOK, "secret": chosen}, format="json")
    assert created.status_code == 400
    assert created.json()["code"] == "unknown_field"
    changed = hr.patch(f"/api/v1/webhooks/{endpoint.pk}/", {"secret": chosen}, format="json")
    assert changed.status_code == 400
    assert Endpoint.objects.count() == 1
    endpoint.refresh_from_db()
    assert endpoint.secret != chosen


# --- Validation -------------------------------------------------------------------------------


def test_an_unknown_event_is_refused(private_urls, hr, endpoint):
    for events in (["promotion.nope"], ["promotion.approved", "PROMOTION.APPROVED"]):
        created = hr.post("/api/v1/webhooks/", {"url": HOOK, "events": events}, format="json")
        assert created.status_code == 400, created.content
        assert created.json()["code"] == "unknown_event"
        changed = hr.patch(f"/api/v1/webhooks/{endpoint.pk}/", {"events": events}, format="json")
        assert changed.status_code == 400
        assert changed.json()["code"] == "unknown_event"
    assert Endpoint.objects.count() == 1
    endpoint.refresh_from_db()
    assert endpoint.events == []


def test_events_are_kept_once_each_in_order_and_empty_means_all(private_urls, hr):
    events = ["promotion.rejected", "cycle.opened", "promotion.rejected"]
    created = hr.post("/api/v1/webhooks/", {"url": HOOK, "events": events}, format="json")
    assert created.status_code == 201
    assert created.json()["events"] == ["cycle.opened", "promotion.rejected"]
    endpoint = Endpoint.objects.get(pk=created.json()["id"])
    assert endpoint.wants("cycle.opened") and not endpoint.wants("promotion.approved")
    changed = hr.patch(f"/api/v1/webhooks/{endpoint.pk}/", {"events": []}, format="json")
    assert changed.json()["events"] == []
    endpoint.refresh_from_db()
    assert endpoint.wants("promotion.approved")


@pytest.mark.parametrize(
    "body",
    [
        {"url": HOOK, "nope": 1},
        {"url": HOOK, "consecutive_failures": 0},
        {"url": HOOK, "disabled_at": None},
        {"url": HOOK, "id": 1},
    ],
)
def test_an_unknown_or_read_only_field_is_refused(private_urls, hr, endpoint, body):
    created = hr.post("/api/v1/webhooks/", body, format="json")
    assert created.status_code == 400
    assert created.json()["code"] == "unknown_field"
    changed = hr.patch(f"/api/v1/webhooks/{endpoint.pk}/", body, format="json")
    assert changed.status_code == 400
    assert changed.json()["code"] == "unknown_field"
    assert Endpoint.objects.count() == 1


@pytest.mark.parametrize(
    "body",
    [
        {"url": 123},
        {"url": HOOK, "description": 5},
        {"url": HOOK, "description": True},
        {"url": ["http://127.0.0.1:9/"]},
        {"url": {"href": HOOK}},
        {"url": HOOK, "events": "promotion.approved"},
        {"url": HOOK, "events": [1]},
        {"url": HOOK, "events": [["promotion.approved"]]},
        {"url": HOOK, "events": [None]},
        {"url": HOOK, "events": None},
        {"url": HOOK, "is_active": "maybe"},
        {"url": None},
        {"url": ""},
        {},
    ],
)
def test_a_value_of_the_wrong_kind_is_refused(private_urls, hr, body):
    created = hr.post("/api/v1/webhooks/", body, format="json")
    assert created.status_code == 400, created.content
    assert created.json()["errors"]
    assert not Endpoint.objects.exists()


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/hook",
        "https://127.0.0.1/hook",
        "http://localhost/hook",
        "http://10.0.0.1/hook",
        "http://192.168.1.1/hook",
        "http://172.16.0.1/hook",
        "http://169.254.169.254/latest/meta-data/",  # a cloud's metadata service
        "http://0.0.0.0/hook",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",  # loopback inside IPv6
        "http://2130706433/hook",  # 127.0.0.1 as one number
        "http://0x7f.1/hook",
        "http://100.64.0.1/hook",  # carrier-grade NAT
        "http://224.0.0.1/hook",  # multicast
    ],
)
def test_a_url_at_a_private_address_is_refused_and_nothing_saved(hr, url):
    created = hr.post("/api/v1/webhooks/", {"url": url}, format="json")
    assert created.status_code == 400, created.content
    assert created.json()["code"] == "webhook_url_refused"
    assert not Endpoint.objects.exists()


@pytest.mark.parametrize(
    "url",
    [
        "ftp://8.8.8.8/hook",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "8.8.8.8/hook",
        "http://user:password@8.8.8.8/hook",
        "http://8.8.8.8/hook#fragment",
        "http://8.8.8.8/ho ok",
        "http://8.8.8.8/\r\nX-Injected: 1",
        "http://8.8.8.8:99999/hook",
        "http://[::1/hook",
        "http:///hook",
        "http://" + "a" * 64 + ".example/hook",  # a label too long to be a host name
    ],
)
def test_a_url_that_is_not_an_http_url_is_refused(hr, url):
    created = hr.post("/api/v1/webhooks/", {"url": url}, format="json")
    assert created.status_code == 400, created.content
    # A line break is refused as in every one-line text field (core.validators), before the
    # URL is looked at.
    expected = "control_character" if "\r" in url else "webhook_url_refused"
    assert created.json()["code"] == expected
    assert not Endpoint.objects.exists()


def test_a_public_address_is_accepted(hr):
    created = hr.post("/api/v1/webhooks/", {"url": "https://8.8.8.8/hooks"}, format="json")
    assert created.status_code == 201, created.content


def test_a_new_url_is_checked_again(private_urls, hr, endpoint, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_URLS = False
    path = f"/api/v1/webhooks/{endpoint.pk}/"
    for url in ("http://127.0.0.1:8080/other", "http://10.1.2.3/", "gopher://8.8.8.8/"):
        changed = hr.patch(path, {"url": url, "description": "moved"}, format="json")
        assert changed.status_code == 400, changed.content
        assert changed.json()["code"] == "webhook_url_refused"
    endpoint.refresh_from_db()
    assert (endpoint.url, endpoint.description) == (HOOK, "Payroll")  # nothing of it saved
    # A change that leaves the URL alone is not refused for the URL it has.
    assert hr.patch(path, {"description": "Payroll 2"}, format="json").status_code == 200
    moved = hr.patch(path, {"url": "https://8.8.4.4/hook"}, format="json")
    assert moved.status_code == 200 and moved.json()["url"] == "https://8.8.4.4/hook"


def test_a_description_with_control_characters_or_too_long_is_refused(private_urls, hr):
    for description in ("Line\r\nX-Header: 1", "Tab\there", "x" * 201):
        created = hr.post(
            "/api/v1/webhooks/", {"url": HOOK, "description": description}, format="json"
        )
        assert created.status_code == 400, description
    assert not Endpoint.objects.exists()


def test_an_empty_patch_changes_nothing(hr, endpoint):
    before = hr.get(f"/api/v1/webhooks/{endpoint.pk}/").json()
    changed = hr.patch(f"/api/v1/webhooks/{endpoint.pk}/", {}, format="json")
    assert changed.status_code == 200
    assert {k: v for k, v in changed.json().items() if k != "updated_at"} == {
        k: v for k, v in before.items() if k != "updated_at"
    }


# --- Turning it off and on --------------------------------------------------------------------


def test_enabling_an_endpoint_the_service_disabled_clears_its_failures(hr, endpoint):
    disabled_at = timezone.now()
    Endpoint.objects.filter(pk=endpoint.pk).update(
        is_active=False, consecutive_failures=20, disabled_at=disabled_at
    )
    path = f"/api/v1/webhooks/{endpoint.pk}/"
    shown = hr.get(path).json()
    assert shown["is_active"] is False and shown["consecutive_failures"] == 20
    assert shown["disabled_at"] is not None
    # A change that does not enable it leaves the record of its failures alone.
    assert hr.patch(path, {"description": "Still off"}, format="json").status_code == 200
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 20 and endpoint.disabled_at == disabled_at

    enabled = hr.patch(path, {"is_active": True}, format="json")
    assert enabled.status_code == 200
    assert enabled.json()["is_active"] is True
    assert enabled.json()["consecutive_failures"] == 0
    assert enabled.json()["disabled_at"] is None
    endpoint.refresh_from_db()
    assert (endpoint.is_active, endpoint.consecutive_failures, endpoint.disabled_at) == (
        True,
        0,
        None,
    )


def test_hr_turns_an_endpoint_off_and_its_events_are_held(hr, endpoint):
    """Was: events skipped an endpoint HR turned off (they were lost). Now they are held."""
    off = hr.patch(f"/api/v1/webhooks/{endpoint.pk}/", {"is_active": False}, format="json")
    assert off.status_code == 200 and off.json()["is_active"] is False
    assert off.json()["disabled_at"] is None  # HR turned it off: not a disabling for failures
    (held,) = services.webhooks_emit(event="promotion.nominated", data={})
    assert held.status == DeliveryStatus.HELD and held.endpoint_id == endpoint.pk
    listed = hr.get(f"/api/v1/webhooks/{endpoint.pk}/deliveries/?status=held").json()
    assert [row["id"] for row in listed["results"]] == [held.pk]


# --- Deleting ---------------------------------------------------------------------------------


def test_delete_removes_the_endpoint_and_its_deliveries(private_urls, hr, endpoint, people):
    kept = services.endpoint_create(actor=people["hr"], url=HOOK)
    kept_delivery = delivery_of(kept)
    for status in DeliveryStatus:
        delivery_of(endpoint, status=status)
    response = hr.delete(f"/api/v1/webhooks/{endpoint.pk}/")
    assert response.status_code == 204 and response.content == b""
    assert not Endpoint.objects.filter(pk=endpoint.pk).exists()
    assert list(Delivery.objects.all()) == [kept_delivery]
    assert hr.get(f"/api/v1/webhooks/{endpoint.pk}/").status_code == 404
    again = hr.delete(f"/api/v1/webhooks/{endpoint.pk}/")
    assert again.status_code == 404 and again.json()["code"] == "no_such_webhook"


# --- The delivery log -------------------------------------------------------------------------


def test_deliveries_are_listed_newest_first_and_paginated(hr, endpoint):
    now = timezone.now()
    made = [delivery_of(endpoint, at=now - timedelta(minutes=minutes)) for minutes in (30, 10, 20)]
    newest_first = [made[1].pk, made[2].pk, made[0].pk]
    path = f"/api/v1/webhooks/{endpoint.pk}/deliveries/"
    listed = hr.get(path).json()
    assert listed["count"] == 3 and listed["previous"] is None and listed["next"] is None
    assert [d["id"] for d in listed["results"]] == newest_first
    assert set(listed["results"][0]) == DELIVERY_FIELDS
    first = hr.get(path, {"page_size": 2}).json()
    assert [d["id"] for d in first["results"]] == newest_first[:2] and first["next"]
    second = hr.get(path, {"page_size": 2, "page": 2}).json()
    assert [d["id"] for d in second["results"]] == newest_first[2:]
    for query in ({"page": 3, "page_size": 2}, {"page_size": 201}, {"page_size": 0}):
        assert hr.get(path, query).status_code in (400, 404), query


def test_the_delivery_log_is_of_that_endpoint_only(private_urls, hr, endpoint, people):
    other = services.endpoint_create(actor=people["hr"], url=HOOK)
    delivery_of(other)
    mine = delivery_of(endpoint)
    listed = hr.get(f"/api/v1/webhooks/{endpoint.pk}/deliveries/").json()
    assert [d["id"] for d in listed["results"]] == [mine.pk]


def test_the_delivery_log_filters_by_status(hr, endpoint):
    by_status = {status: delivery_of(endpoint, status=status).pk for status in DeliveryStatus}
    path = f"/api/v1/webhooks/{endpoint.pk}/deliveries/"
    for status, pk in by_status.items():
        listed = hr.get(path, {"status": status}).json()
        assert [d["id"] for d in listed["results"]] == [pk], status
        assert listed["results"][0]["status"] == status
    blank = hr.get(path, {"status": ""})  # as every filter of the API: blank is no value
    assert blank.status_code == 400 and blank.json()["code"] == "blank"
    for bad in ("nope", "PENDING", "pending,failed", "\u2717"):
        refused = hr.get(path, {"status": bad})
        assert refused.status_code == 400, bad
        assert refused.json()["code"] == "invalid_choice"
        assert "status" in refused.json()["errors"]


def test_a_delivery_shows_what_happened_and_never_the_secret_or_the_body(hr, endpoint):
    delivery = delivery_of(
        endpoint,
        status=DeliveryStatus.FAILED,
        attempts=3,
        last_status_code=502,
        last_error="HTTP 502: bad gateway",
    )
    (shown,) = hr.get(f"/api/v1/webhooks/{endpoint.pk}/deliveries/").json()["results"]
    assert shown["id"] == delivery.pk and shown["webhook_id"] == delivery.webhook_id
    assert (shown["status"], shown["attempts"], shown["last_status_code"]) == ("failed", 3, 502)
    assert shown["last_error"] == "HTTP 502: bad gateway"
    assert shown["next_attempt_at"] is None and shown["delivered_at"] is None
    text = json.dumps(shown)
    assert endpoint.secret not in text
    assert endpoint.secret.removeprefix("whsec_") not in text
    assert "secret" not in text and "body" not in shown


# --- Resending --------------------------------------------------------------------------------


def test_a_delivery_of_another_endpoint_is_not_found(private_urls, hr, endpoint, people):
    other = services.endpoint_create(actor=people["hr"], url=HOOK)
    theirs = delivery_of(other, status=DeliveryStatus.FAILED)
    response = hr.post(f"/api/v1/webhooks/{endpoint.pk}/deliveries/{theirs.pk}/redeliver/")
    assert response.status_code == 404
    assert response.json()["code"] == "no_such_delivery"
    missing = hr.post(f"/api/v1/webhooks/{endpoint.pk}/deliveries/999999999/redeliver/")
    assert missing.status_code == 404 and missing.json()["code"] == "no_such_delivery"
    theirs.refresh_from_db()
    assert theirs.status == DeliveryStatus.FAILED


def test_a_redelivery_to_a_disabled_endpoint_is_a_conflict(hr, endpoint):
    delivery = delivery_of(endpoint, status=DeliveryStatus.FAILED)
    Endpoint.objects.filter(pk=endpoint.pk).update(is_active=False, disabled_at=timezone.now())
    response = hr.post(f"/api/v1/webhooks/{endpoint.pk}/deliveries/{delivery.pk}/redeliver/")
    assert response.status_code == 409
    assert response.json()["code"] == "webhook_inactive"
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED and delivery.next_attempt_at is None


def test_a_redelivery_makes_a_failed_delivery_pending_under_the_same_webhook_id(
    hr, endpoint, django_capture_on_commit_callbacks
):
    long_ago = timezone.now() - timedelta(days=3)
    delivery = delivery_of(
        endpoint,
        status=DeliveryStatus.FAILED,
        at=long_ago,
        attempts=12,
        last_error="Given up: not delivered within 24 hours.",
    )
    Delivery.objects.filter(pk=delivery.pk).update(retry_until=long_ago + timedelta(hours=24))
    before = timezone.now()
    with django_capture_on_commit_callbacks() as callbacks:
        response = hr.post(f"/api/v1/webhooks/{endpoint.pk}/deliveries/{delivery.pk}/redeliver/")
    assert response.status_code == 202, response.content
    body = response.json()
    assert set(body) == DELIVERY_FIELDS
    assert body["id"] == delivery.pk and body["webhook_id"] == delivery.webhook_id
    assert body["status"] == "pending"
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.webhook_id == body["webhook_id"]
    assert before <= delivery.next_attempt_at <= timezone.now()
    assert delivery.retry_until >= before + timedelta(hours=24)  # another 24 hours
    assert len(callbacks) == 1  # handed to a worker once the resend commits


def test_a_redelivery_arrives_with_the_same_webhook_id(
    receiver, endpoint_for, people, as_user, django_capture_on_commit_callbacks
):
    endpoint = endpoint_for(receiver)
    with django_capture_on_commit_callbacks(execute=True):
        (delivery,) = services.webhooks_emit(event="promotion.approved", data={"promotion": 1})
    hr = as_user(people["hr"])
    path = f"/api/v1/webhooks/{endpoint.pk}/deliveries/{delivery.pk}/redeliver/"
    with django_capture_on_commit_callbacks(execute=True):
        assert hr.post(path).status_code == 202
    first, again = receiver.requests
    assert first["headers"]["webhook-id"] == again["headers"]["webhook-id"] == delivery.webhook_id
    assert first["body"] == again["body"]
    Webhook(endpoint.secret).verify(again["body"], again["headers"])
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.attempts == 2


# --- Malformed input --------------------------------------------------------------------------


def malformed_requests(client, path, method):
    send = getattr(client, method)
    yield "not JSON", send(path, "url=http://127.0.0.1:9/", content_type="text/plain")
    yield "form data", send(path, "url=x", content_type="application/x-www-form-urlencoded")
    yield "broken JSON", send(path, '{"url": ', content_type="application/json")
    yield "a list", send(path, [HOOK], format="json")
    yield "a string", send(path, json.dumps(HOOK), content_type="application/json")
    yield "null", send(path, "null", content_type="application/json")
    yield "a number", send(path, "1e999", content_type="application/json")
    yield "a NUL", send(path, {"url": HOOK, "description": "a\x00b"}, format="json")
    yield "a lone surrogate", send(path, '{"url": "\\ud800"}', content_type="application/json")
    yield "a huge url", send(path, {"url": "http://127.0.0.1/" + "a" * 100_000}, format="json")
    yield (
        "many events",
        send(path, {"url": HOOK, "events": ["cycle.opened"] * 10_000}, format="json"),
    )
    yield "a huge body", send(path, {"url": HOOK, "description": "x" * 3_000_000}, format="json")
    yield (
        "deep JSON",
        send(path, '{"events": ' + "[" * 5000 + "]" * 5000 + "}", content_type="application/json"),
    )


@pytest.mark.parametrize("method", ["post", "patch"])
def test_malformed_bodies_are_refused_never_a_500(private_urls, hr, endpoint, method):
    path = "/api/v1/webhooks/" if method == "post" else f"/api/v1/webhooks/{endpoint.pk}/"
    for description, response in malformed_requests(hr, path, method):
        assert 400 <= response.status_code < 500, (description, response.content[:300])
        body = response.json()
        assert body["detail"] and body["code"], description
    assert list(Endpoint.objects.values_list("pk", "url", "description", "events")) == [
        (endpoint.pk, HOOK, "Payroll", [])
    ]


def test_ids_that_are_no_ids_are_not_found(hr, endpoint):
    for path in (
        "/api/v1/webhooks/abc/",
        f"/api/v1/webhooks/{'9' * 30}/",
        f"/api/v1/webhooks/{endpoint.pk}/deliveries/abc/redeliver/",
        "/api/v1/webhooks/-1/deliveries/",
    ):
        for method in ("get", "post", "patch", "delete"):
            response = getattr(hr, method)(path, {}, format="json")
            assert response.status_code in (404, 405), (method, path)
            assert response.json()["code"] in ("not_found", "method_not_allowed")
    assert hr.post(f"/api/v1/webhooks/{endpoint.pk}/deliveries/1/redeliver").status_code == 404


def test_a_post_without_its_trailing_slash_is_no_500(private_urls, hr):
    created = hr.post("/api/v1/webhooks", {"url": HOOK}, format="json")
    assert created.status_code == 201
