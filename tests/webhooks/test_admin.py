"""HR's webhooks in the Django admin, through the test client: adding an endpoint (the form calls
the services; the secret is shown once, on a page of its own, and never again), editing and
deleting it, the delivery log and "Send again". Nobody but HR sees any of it, and no input,
however forged, gets a 500."""

import json
import re

import pytest
from django.contrib.admin import helpers
from django.test import Client
from django.urls import reverse

from tests import factories
from webhooks import services
from webhooks.events import Event
from webhooks.models import Delivery, DeliveryStatus, Endpoint

pytestmark = pytest.mark.django_db

ENDPOINTS = "/admin/webhooks/endpoint/"
ADD = "/admin/webhooks/endpoint/add/"
DELIVERIES = "/admin/webhooks/delivery/"
# Loopback: refused unless WEBHOOKS_ALLOW_PRIVATE_URLS. Nothing listens on port 9 (discard).
URL = "http://127.0.0.1:9/hooks/ladder"


def admin_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def change_url(endpoint: Endpoint) -> str:
    return reverse("admin:webhooks_endpoint_change", args=[endpoint.pk])


def delivery_url(delivery: Delivery) -> str:
    return reverse("admin:webhooks_delivery_change", args=[delivery.pk])


def checkbox(html: str, event: str) -> str:
    [tag] = re.findall(
        rf'<input type="checkbox" name="events" value="{re.escape(event)}"[^>]*>', html
    )
    return tag


def add_form(**fields) -> dict:
    form = {
        "url": URL,
        "description": "Payroll sync",
        "events": ["promotion.approved", "member.level_changed"],
        "is_active": "on",
        "_save": "Save",
    }
    form.update(fields)
    return {name: value for name, value in form.items() if value is not None}


def endpoint_form(endpoint: Endpoint, **changes) -> dict:
    """The change form as the browser posts it back, with `changes`."""
    form = {
        "url": endpoint.url,
        "description": endpoint.description,
        "events": list(endpoint.events),
        "is_active": "on" if endpoint.is_active else None,
        "_save": "Save",
    }
    form.update(changes)
    return {name: value for name, value in form.items() if value is not None}


@pytest.fixture
def hr(db):
    return factories.hr_user(username="harriet")


@pytest.fixture
def hr_client(hr):
    return admin_client(hr)


@pytest.fixture
def endpoint(hr, private_urls):
    return services.endpoint_create(actor=hr, url=URL, description="Payroll sync")


def emit(event=Event.PROMOTION_APPROVED, **data) -> list[Delivery]:
    return services.webhooks_emit(event=event, data={"promotion": 1, **data})


def failed(delivery: Delivery, *, error="HTTP 500: down") -> Delivery:
    """The delivery as the workers leave it after giving up on it."""
    Delivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.FAILED,
        attempts=9,
        last_status_code=500,
        last_error=error,
        next_attempt_at=None,
    )
    return Delivery.objects.get(pk=delivery.pk)


def send_again(client, *deliveries, follow=True, path=DELIVERIES):
    return client.post(
        path,
        {
            "action": "send_again",
            helpers.ACTION_CHECKBOX_NAME: [str(delivery.pk) for delivery in deliveries],
            "index": 0,
        },
        follow=follow,
    )


# --- Adding an endpoint; the secret once ---------------------------------------------------------


def test_hr_adds_an_endpoint_and_sees_its_secret_once(hr, hr_client, private_urls):
    form = hr_client.get(ADD)
    assert form.status_code == 200
    html = form.content.decode()
    for event in Event:  # one checkbox per event
        assert f'value="{event}"' in html
    assert "whsec_" not in html

    # A secret in the POST is no field of the form: the service makes its own.
    response = hr_client.post(ADD, add_form(secret="whsec_chosen-by-the-client"))
    assert response.status_code == 200
    assert [t.name for t in response.templates][0] == "admin/webhooks/endpoint/secret.html"
    endpoint = Endpoint.objects.get()
    assert endpoint.url == URL
    assert endpoint.description == "Payroll sync"
    assert endpoint.events == ["member.level_changed", "promotion.approved"]
    assert endpoint.is_active
    assert endpoint.created_by == hr
    assert endpoint.secret.startswith("whsec_") and endpoint.secret != "whsec_chosen-by-the-client"
    html = response.content.decode()
    assert f'value="{endpoint.secret}"' in html  # in the field HR copies it from
    assert html.count(endpoint.secret) == 1
    assert 'id="webhook-secret"' in html
    assert change_url(endpoint) in html  # the way on, to the endpoint
    # A page for one person, this once: no cache may keep it.
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]

    # Never again: not on its page, not in the list, not in the log, not in the history.
    for url in (
        change_url(endpoint),
        ENDPOINTS,
        DELIVERIES,
        reverse("admin:webhooks_endpoint_history", args=[endpoint.pk]),
        "/admin/",
    ):
        page = hr_client.get(url)
        assert page.status_code == 200, url
        assert endpoint.secret not in page.content.decode(), url
        assert "whsec_" not in page.content.decode(), url
    # The admin's own record of the addition names no secret either.
    from django.contrib.admin.models import LogEntry

    entry = LogEntry.objects.get(object_id=str(endpoint.pk))
    assert endpoint.secret not in entry.change_message + entry.object_repr


def test_no_events_ticked_means_every_event(hr_client, private_urls):
    response = hr_client.post(ADD, add_form(events=None, is_active=None))
    assert response.status_code == 200
    endpoint = Endpoint.objects.get()
    assert endpoint.events == [] and not endpoint.is_active
    listing = hr_client.get(ENDPOINTS).content.decode()
    assert ">All<" in listing


def test_a_refused_url_shows_the_form_again_with_the_error(hr_client, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_URLS = False
    response = hr_client.post(ADD, add_form())
    assert response.status_code == 200
    assert "adminform" in response.context  # the form again, not the secret page
    errors = response.context["adminform"].form.errors
    assert list(errors) == ["url"], errors
    html = response.content.decode()
    assert "errorlist" in html
    assert URL in html  # what HR typed is still there
    # The events HR ticked are still ticked.
    assert " checked" in checkbox(html, "promotion.approved")
    assert " checked" in checkbox(html, "member.level_changed")
    assert " checked" not in checkbox(html, "cycle.closed")
    assert "whsec_" not in html
    assert not Endpoint.objects.exists()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"events": ["promotion.approved", "promotion.bogus"]}, "events"),
        ({"events": ["<script>alert(1)</script>"]}, "events"),
        ({"events": ["Promotions"]}, "events"),  # a group's heading is no event
        ({"url": "ftp://127.0.0.1/hooks"}, "url"),
        ({"url": "javascript:alert(1)"}, "url"),
        ({"url": "http://127.0.0.1:9/" + "a" * 2100}, "url"),
        ({"url": ""}, "url"),
        ({"url": "http://user:pw@127.0.0.1:9/hooks"}, "url"),
        ({"description": "line one\x1btwo"}, None),
        ({"description": "d" * 201}, "description"),
    ],
    ids=[
        "unknown-event",
        "markup-event",
        "group-heading",
        "ftp",
        "javascript",
        "too-long",
        "empty",
        "credentials",
        "nul",
        "long-description",
    ],
)
def test_bad_input_is_refused_and_nothing_saved(hr_client, private_urls, fields, field):
    response = hr_client.post(ADD, add_form(**fields))
    assert response.status_code == 200
    assert "adminform" in response.context, response.content.decode()[:500]
    form = response.context["adminform"].form
    assert form.errors
    if field:
        assert field in form.errors, form.errors
    assert "<script>alert(1)</script>" not in response.content.decode()
    assert not Endpoint.objects.exists()


def test_a_nul_character_is_refused_before_the_form(hr_client, private_urls):
    response = hr_client.post(ADD, add_form(description="a\x00b"))
    assert response.status_code == 400  # config.middleware: PostgreSQL would raise on it
    assert not Endpoint.objects.exists()


# --- Only HR -------------------------------------------------------------------------------------


def outsiders():
    """The committee, a manager and a member: staff (they use the admin) but not HR."""
    committee = factories.committee_member(level="vp-product", username="chen")
    member, manager = factories.team(level="pm")
    people = {"committee": committee}
    for name, person in (("manager", manager.user), ("member", member.user)):
        person.is_staff = True
        person.save()
        people[name] = person
    return people


def test_nobody_but_hr_sees_or_touches_webhooks(endpoint):
    delivery = failed(emit()[0])
    pages = [
        ENDPOINTS,
        ADD,
        change_url(endpoint),
        reverse("admin:webhooks_endpoint_delete", args=[endpoint.pk]),
        reverse("admin:webhooks_endpoint_history", args=[endpoint.pk]),
        DELIVERIES,
        f"{DELIVERIES}?endpoint__id__exact={endpoint.pk}",
        delivery_url(delivery),
        reverse("admin:webhooks_delivery_history", args=[delivery.pk]),
    ]
    for role, user in outsiders().items():
        client = admin_client(user)
        index = client.get("/admin/")
        assert index.status_code == 200, role
        html = index.content.decode()
        assert "/admin/webhooks/" not in html and "Webhook" not in html, role
        for url in pages:
            response = client.get(url)
            assert response.status_code == 403, (role, url, response.status_code)
            assert endpoint.secret not in response.content.decode()
        assert client.get("/admin/webhooks/").status_code == 404  # no such section for them
        assert client.get(ENDPOINTS).status_code == 403
        assert client.post(ADD, add_form()).status_code == 403
        assert (
            client.post(change_url(endpoint), endpoint_form(endpoint, url=URL + "/x")).status_code
            == 403
        )
        delete = reverse("admin:webhooks_endpoint_delete", args=[endpoint.pk])
        assert client.post(delete, {"post": "yes"}).status_code == 403
        assert send_again(client, delivery, follow=False).status_code == 403
        response = client.post(
            ENDPOINTS,
            {
                "action": "delete_selected",
                helpers.ACTION_CHECKBOX_NAME: [endpoint.pk],
                "post": "yes",
            },
        )
        assert response.status_code == 403
    # Nothing moved.
    assert Endpoint.objects.get().url == URL
    assert Delivery.objects.get().status == DeliveryStatus.FAILED
    assert Endpoint.objects.count() == 1


def test_someone_without_staff_access_is_sent_to_log_in(endpoint):
    member = factories.MemberFactory().user
    client = admin_client(member)
    for url in (ENDPOINTS, ADD, change_url(endpoint), DELIVERIES):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


def test_hr_sees_webhooks_in_the_index(hr_client):
    html = hr_client.get("/admin/").content.decode()
    assert ENDPOINTS in html and DELIVERIES in html


# --- HR edits and deletes ------------------------------------------------------------------------


def test_hr_edits_an_endpoint_through_the_service(hr_client, endpoint):
    page = hr_client.get(change_url(endpoint))
    html = page.content.decode()
    assert page.status_code == 200
    assert f"{DELIVERIES}?endpoint__id__exact={endpoint.pk}" in html  # its delivery log
    assert "whsec_" not in html

    response = hr_client.post(
        change_url(endpoint),
        endpoint_form(
            endpoint,
            url=URL + "/v2",
            description="  Payroll, v2  ",
            events=["cycle.opened"],
            # Read-only here: the form has no such fields; a forged value changes nothing.
            consecutive_failures="0",
            secret="whsec_forged",
        ),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    changed = Endpoint.objects.get()
    assert changed.url == URL + "/v2"
    assert changed.description == "Payroll, v2"  # the service's cleaning
    assert changed.events == ["cycle.opened"]
    assert changed.secret == endpoint.secret


def test_an_edit_to_a_refused_url_changes_nothing(hr_client, endpoint, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_URLS = False
    response = hr_client.post(
        change_url(endpoint), endpoint_form(endpoint, url="http://10.0.0.8/hooks")
    )
    assert response.status_code == 200
    assert "url" in response.context["adminform"].form.errors
    assert Endpoint.objects.get().url == URL


def test_enabling_a_disabled_endpoint_clears_its_failures(hr_client, endpoint):
    from django.utils import timezone

    Endpoint.objects.filter(pk=endpoint.pk).update(
        is_active=False, consecutive_failures=20, disabled_at=timezone.now()
    )
    endpoint.refresh_from_db()
    page = hr_client.get(change_url(endpoint)).content.decode()
    assert "20" in page  # the failures in a row, shown read-only
    response = hr_client.post(change_url(endpoint), endpoint_form(endpoint, is_active="on"))
    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.is_active and endpoint.consecutive_failures == 0
    assert endpoint.disabled_at is None


def test_hr_deletes_an_endpoint_and_its_log(hr_client, endpoint):
    emit()
    delete = reverse("admin:webhooks_endpoint_delete", args=[endpoint.pk])
    page = hr_client.get(delete)
    assert page.status_code == 200
    html = page.content.decode()
    assert "whsec_" not in html
    assert "Its delivery log: 1 delivery" in html
    assert "permission to delete" not in html
    response = hr_client.post(delete, {"post": "yes"})
    assert response.status_code == 302
    assert not Endpoint.objects.exists() and not Delivery.objects.exists()


def test_hr_deletes_endpoints_from_the_list(hr, hr_client, endpoint):
    other = services.endpoint_create(actor=hr, url=URL + "/other")
    emit()
    emit(Event.CYCLE_CLOSED)
    selection = {
        "action": "delete_selected",
        helpers.ACTION_CHECKBOX_NAME: [endpoint.pk, other.pk],
    }
    confirm = hr_client.post(ENDPOINTS, selection)
    assert confirm.status_code == 200
    html = confirm.content.decode()
    assert "Its delivery log: 2 deliveries" in html  # counted, not listed
    assert "whsec_" not in html
    response = hr_client.post(ENDPOINTS, {**selection, "post": "yes"}, follow=True)
    assert response.status_code == 200
    assert "Successfully deleted 2 webhooks" in response.content.decode()
    assert not Endpoint.objects.exists() and not Delivery.objects.exists()


# --- The delivery log ----------------------------------------------------------------------------


def test_the_list_links_to_each_endpoints_delivery_log(hr, hr_client, endpoint):
    other = services.endpoint_create(actor=hr, url=URL + "/other", description="Data warehouse")
    emit(Event.PROMOTION_APPROVED)
    emit(Event.CYCLE_OPENED, cycle=3)
    assert Delivery.objects.filter(endpoint=endpoint).count() == 2
    assert Delivery.objects.filter(endpoint=other).count() == 2
    mine = Delivery.objects.filter(endpoint=endpoint)
    theirs = Delivery.objects.filter(endpoint=other)

    listing = hr_client.get(ENDPOINTS).content.decode()
    link = f"{DELIVERIES}?endpoint__id__exact={endpoint.pk}"
    assert f'href="{link}"' in listing

    log = hr_client.get(link)
    assert log.status_code == 200
    shown = {delivery.pk for delivery in log.context["cl"].result_list}
    assert shown == {delivery.pk for delivery in mine}
    html = log.content.decode()
    assert "promotion.approved" in html and "cycle.opened" in html
    assert "Pending" in html
    for delivery in theirs:
        assert delivery_url(delivery) not in html
    # The other filters the list offers.
    by_event = hr_client.get(f"{link}&event=cycle.opened")
    assert [d.event for d in by_event.context["cl"].result_list] == ["cycle.opened"]
    failed(mine.first())
    by_status = hr_client.get(f"{DELIVERIES}?status__exact=failed")
    assert [d.pk for d in by_status.context["cl"].result_list] == [mine.first().pk]
    by_id = hr_client.get(f"{DELIVERIES}?q={mine.first().webhook_id}")
    assert [d.pk for d in by_id.context["cl"].result_list] == [mine.first().pk]


def test_the_log_of_one_endpoint_is_titled_with_its_name_escaped(hr, hr_client, private_urls):
    endpoint = services.endpoint_create(actor=hr, url=URL, description="<b>Payroll</b> & co")
    emit()
    page = hr_client.get(f"{DELIVERIES}?endpoint__id__exact={endpoint.pk}")
    html = page.content.decode()
    assert "<h1>Delivery log: &lt;b&gt;Payroll&lt;/b&gt; &amp; co</h1>" in html
    assert f"<h2>{URL}</h2>" in html
    assert "<b>Payroll</b>" not in html
    assert "column-webhook" not in html  # the one endpoint is in the title
    assert "column-webhook" in hr_client.get(DELIVERIES).content.decode()
    # An id that names no endpoint: the list as the filter makes it, under the usual title.
    for value in ("999999", "abc", "１"):
        page = hr_client.get(f"{DELIVERIES}?endpoint__id__exact={value}")
        assert page.status_code == 200, value
        assert "Delivery log:" not in page.content.decode()


def test_a_delivery_is_read_only_and_shows_no_secret(hr_client, endpoint):
    delivery = failed(emit()[0], error="HTTP 500: <b>down</b>")
    page = hr_client.get(delivery_url(delivery))
    assert page.status_code == 200
    html = page.content.decode()
    assert delivery.webhook_id in html
    assert "HTTP 500: &lt;b&gt;down&lt;/b&gt;" in html  # the receiver's words, escaped
    assert endpoint.secret not in html and "whsec_" not in html
    assert 'name="_save"' not in html
    assert hr_client.post(delivery_url(delivery), {"status": "delivered"}).status_code == 403
    assert hr_client.get(f"{DELIVERIES}add/").status_code == 403
    delete = reverse("admin:webhooks_delivery_delete", args=[delivery.pk])
    assert hr_client.post(delete, {"post": "yes"}).status_code == 403
    assert Delivery.objects.get().status == DeliveryStatus.FAILED


# --- Send again ----------------------------------------------------------------------------------


def test_send_again_puts_a_failed_delivery_back_with_the_same_id(
    hr_client, endpoint_for, receiver, django_capture_on_commit_callbacks
):
    endpoint = endpoint_for(receiver)
    delivery = failed(emit()[0])
    log = hr_client.get(f"{DELIVERIES}?endpoint__id__exact={endpoint.pk}")
    assert "send_again" in log.content.decode()

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = send_again(hr_client, delivery)
    assert response.status_code == 200
    assert messages_of(response) == ["1 delivery queued to be sent again."]
    again = Delivery.objects.get()
    assert again.status == DeliveryStatus.PENDING
    assert again.webhook_id == delivery.webhook_id
    assert again.body == delivery.body
    assert again.next_attempt_at is not None and again.retry_until > delivery.retry_until

    # After the commit the worker sends it, under the same webhook-id.
    assert len(callbacks) == 1
    callbacks[0]()
    assert [r["headers"]["webhook-id"] for r in receiver.requests] == [delivery.webhook_id]
    assert json.loads(receiver.requests[0]["body"]) == json.loads(delivery.body)
    assert Delivery.objects.get().status == DeliveryStatus.DELIVERED


def test_send_again_refuses_a_disabled_endpoints_delivery_with_a_message(hr, hr_client, endpoint):
    active = services.endpoint_create(actor=hr, url=URL + "/active")
    deliveries = emit()
    mine = failed(next(d for d in deliveries if d.endpoint_id == endpoint.pk))
    theirs = failed(next(d for d in deliveries if d.endpoint_id == active.pk))
    services.endpoint_update(actor=hr, endpoint=endpoint, changes={"is_active": False})

    response = send_again(hr_client, mine, theirs)
    assert response.status_code == 200
    said = messages_of(response)
    assert "1 delivery queued to be sent again." in said
    assert any(mine.webhook_id in line and "disabled" in line for line in said), said
    assert Delivery.objects.get(pk=mine.pk).status == DeliveryStatus.FAILED
    assert Delivery.objects.get(pk=theirs.pk).status == DeliveryStatus.PENDING

    response = send_again(hr_client, mine)
    assert response.status_code == 200
    said = messages_of(response)
    assert not any("queued" in line for line in said), said  # nothing was
    assert any("disabled" in line for line in said)
    assert Delivery.objects.get(pk=mine.pk).status == DeliveryStatus.FAILED


# --- Malformed input -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "selection",
    [["abc"], ["1", "x"], ["9" * 30], ["-1"], ["1.5"], [" 1"], ["１"], []],
    ids=["word", "mixed", "huge", "negative", "decimal", "space", "fullwidth", "none"],
)
def test_a_forged_selection_gets_a_message_and_sends_nothing(hr_client, endpoint, selection):
    delivery = failed(emit()[0])
    response = hr_client.post(
        DELIVERIES,
        {"action": "send_again", helpers.ACTION_CHECKBOX_NAME: selection, "index": 0},
        follow=True,
    )
    assert response.status_code == 200
    assert messages_of(response), "no word of why nothing happened"
    assert Delivery.objects.get().status == DeliveryStatus.FAILED == delivery.status


@pytest.mark.parametrize("ids", [["999999999999999999"], ["2147483648"], ["0"]])
def test_ids_that_name_no_delivery_send_nothing(hr_client, endpoint, ids):
    failed(emit()[0])
    response = hr_client.post(
        DELIVERIES,
        {"action": "send_again", helpers.ACTION_CHECKBOX_NAME: ids, "index": 0},
        follow=True,
    )
    assert response.status_code == 200
    assert messages_of(response) == ["None of the ticked deliveries is there any more."]
    assert Delivery.objects.get().status == DeliveryStatus.FAILED


@pytest.mark.parametrize(
    "form",
    [
        {"action": "no_such_action"},
        {"action": "delete_selected"},  # deliveries are never deleted
        {"action": ""},
        {"action": ["", "send_again"]},  # the bottom form's choice, but `index` names the top one
        {"action": "send_again<script>"},
    ],
    ids=["unknown", "delete", "empty", "other-form", "markup"],
)
def test_actions_the_log_does_not_offer_run_nothing(hr_client, endpoint, form):
    delivery = failed(emit()[0])
    data = {helpers.ACTION_CHECKBOX_NAME: [delivery.pk], "index": 0, **form}
    response = hr_client.post(DELIVERIES, data, follow=True)
    assert response.status_code == 200
    assert "<script>" not in response.content.decode()
    assert Delivery.objects.get().status == DeliveryStatus.FAILED
    assert Delivery.objects.get().next_attempt_at is None


@pytest.mark.parametrize("index", ["x", "99", "-5", "", "1e3"])
def test_an_odd_form_index_falls_back_to_the_first_form(hr_client, endpoint, index):
    """The changelist has an action form above and below the list; `index` says which was used.
    Django reads a malformed one as the first form: the action HR chose there runs."""
    delivery = failed(emit()[0])
    data = {
        helpers.ACTION_CHECKBOX_NAME: [delivery.pk],
        "action": "send_again",
        "index": index,
    }
    response = hr_client.post(DELIVERIES, data, follow=True)
    assert response.status_code == 200
    assert messages_of(response) == ["1 delivery queued to be sent again."]
    assert Delivery.objects.get().status == DeliveryStatus.PENDING


def test_send_again_to_every_row_across_pages_skips_the_disabled(hr, hr_client, endpoint):
    active = services.endpoint_create(actor=hr, url=URL + "/active")
    for delivery in emit():
        failed(delivery)
    services.endpoint_update(actor=hr, endpoint=endpoint, changes={"is_active": False})
    any_row = Delivery.objects.first()
    response = hr_client.post(
        DELIVERIES,
        {
            "action": "send_again",
            helpers.ACTION_CHECKBOX_NAME: [any_row.pk],
            "select_across": "1",
            "index": 0,
        },
        follow=True,
    )
    assert response.status_code == 200
    assert Delivery.objects.get(endpoint=active).status == DeliveryStatus.PENDING
    assert Delivery.objects.get(endpoint=endpoint).status == DeliveryStatus.FAILED


@pytest.mark.parametrize(
    ("query", "status"),
    [
        # Filters the log does not offer: refused, or the secret could be told letter by letter.
        ("endpoint__secret__startswith=whsec_", 400),
        ("endpoint__secret=x", 400),
        ("body__contains=promotion", 400),
        ("created_at__gte=not-a-date", 400),
        ("endpoint__id__exact=99999999999999999999999", 400),
        # Offered filters with odd values: an empty or unfiltered list.
        ("endpoint__id__exact=abc", 200),
        ("status__exact=<script>", 200),
        ("o=99", 200),
        ("p=abc", 200),
    ],
)
def test_forged_filters_on_the_log_are_refused_without_a_500(hr_client, endpoint, query, status):
    emit()
    response = hr_client.get(f"{DELIVERIES}?{query}")
    assert response.status_code == status, query
    html = response.content.decode()
    assert endpoint.secret not in html
    assert "<script>" not in html


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("secret__startswith=whsec_", 400),
        ("secret=x", 400),
        ("is_active__exact=1", 400),  # no filter offered (the state is a column)
        ("q=%00", 400),  # config.middleware
    ],
)
def test_forged_filters_on_the_endpoint_list_leak_nothing(hr_client, endpoint, query, status):
    response = hr_client.get(f"{ENDPOINTS}?{query}")
    assert response.status_code == status, query
    assert endpoint.secret not in response.content.decode()


@pytest.mark.parametrize("path", ["abc", "0", "99999999999999999999", "-1", "1.0"])
def test_odd_ids_in_the_admin_paths_answer_without_a_500(hr_client, endpoint, path):
    for base in (ENDPOINTS, DELIVERIES):
        for tail in ("change/", "history/"):
            response = hr_client.get(f"{base}{path}/{tail}", follow=True)
            assert response.status_code == 200, (base, path, tail)
            assert any("doesn’t exist" in line for line in messages_of(response))
    response = hr_client.get(f"{ENDPOINTS}{path}/delete/")
    assert response.status_code == 302
    assert hr_client.get(f"{DELIVERIES}{path}/delete/").status_code == 403  # never deleted


def test_the_lists_cost_the_same_queries_for_many_rows(hr, hr_client, endpoint):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries(url):
        with CaptureQueriesContext(connection) as captured:
            assert hr_client.get(url).status_code == 200
        return len(captured)

    emit()
    few = (queries(DELIVERIES), queries(ENDPOINTS))
    for n in range(30):
        services.endpoint_create(actor=hr, url=f"{URL}/{n}", events=["cycle.opened"])
    for _ in range(3):
        emit(Event.CYCLE_OPENED, cycle=1)
    assert Delivery.objects.count() > 90
    assert (queries(DELIVERIES), queries(ENDPOINTS)) == few
