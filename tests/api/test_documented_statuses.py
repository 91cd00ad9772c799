"""Every status the API answers is documented for that operation in the OpenAPI schema, and every
error body is the schema's `Error` (a generated client raises on anything else).

Each operation of the schema is driven for each role (as tests/security/test_authorization_table.py
does for every route), with the promotion in each state that matters, and with bad input
(unknown fields, malformed JSON, bad query parameters, a NUL character), a valid body (which
reaches the conflicts: 409), an unacceptable `Accept` (406), a body that is not JSON (415) or too
large (413), a bad token (401) and objects that do not exist (404). Throttling (429) and a
reused Idempotency-Key (422) have tests of their own."""

import copy
import re
from datetime import date, timedelta

import pytest
from django.core.cache import cache
from django.test import override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from config.errors import ERROR_CODES
from config.schema import ErrorSerializer
from ladder.models import Level
from notifications.models import Notification
from promotions import services
from promotions.cycles import services as cycles
from promotions.delegations import services as delegations
from promotions.models import Promotion
from promotions.requests import services as nomination_requests
from tests import factories
from tests.openapi import api_schema
from tests.shared import shared_rows
from webhooks import services as webhook_services
from webhooks.models import Delivery

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "member", "manager", "other", "committee", "hr")
STATES = ("nominated", "in_review", "changes_requested", "decided")
# An endpoint as HR left it, or disabled (a resend is then a 409).
WEBHOOK_STATES = ("active", "disabled")
LATER = ("awaiting_executive", "rejected", "appealed")
SCHEMA = api_schema()
OPERATIONS = {
    operation["operationId"]: (path, method)
    for path, operations in SCHEMA["paths"].items()
    for method, operation in operations.items()
}
# Ahead, within the year that every date a person enters is bounded by.
DATES = {
    "nominations_open_on": date.today() + timedelta(days=30),
    "nominations_close_on": date.today() + timedelta(days=60),
    "decisions_due_on": date.today() + timedelta(days=90),
    "effective_on": date.today() + timedelta(days=120),
}
NO_SUCH = {
    "id": "999999999",
    "code": "no-such-level",
    "number": "999999999",
    "delivery_id": "999999999",
}


# The operations that start from the executive step's and appeals' states, and those states.
LATER_STATES = {
    "promotions_approve_create": ("awaiting_executive", "appealed"),
    "promotions_reject_create": ("awaiting_executive",),
    "promotions_appeal_create": ("rejected", "appealed"),
    "promotions_uphold_create": ("appealed",),
}


def documented(operation_id: str) -> set[int]:
    path, method = OPERATIONS[operation_id]
    return {int(status) for status in SCHEMA["paths"][path][method]["responses"]}


def cases():
    for operation_id, (path, _) in OPERATIONS.items():
        if path.startswith("/api/v1/promotions/{id}"):
            states = STATES
            if operation_id == "promotions_release_create":
                states = (*STATES, "held")  # approved before its cycle's release date
            if operation_id in LATER_STATES:  # the executive step's and appeals' own states
                states = (*STATES, *LATER_STATES[operation_id])
        elif path.startswith("/api/v1/webhooks/{id}"):
            states = WEBHOOK_STATES
        else:
            states = STATES[:1]
        for state in states:
            for role in ROLES:
                yield pytest.param(operation_id, role, state, id=f"{operation_id}-{role}-{state}")


def assert_is_an_error_body(response):
    body = response.json()
    assert isinstance(body, dict), body
    assert set(body) <= set(ErrorSerializer().fields), body  # the schema's `Error`
    assert isinstance(body["detail"], str), body
    assert body["code"] in ERROR_CODES, body
    if "errors" in body:
        assert isinstance(body["errors"], dict), body
        for field, messages in body["errors"].items():
            assert isinstance(field, str), body
            assert isinstance(messages, list), body
            assert all(isinstance(message, str) for message in messages), body
    for listed in ("allowed_moves", "missing_criteria", "unknown_criteria"):
        if listed in body:
            assert all(isinstance(code, str) for code in body[listed]), body
    for reason in body.get("reasons", []):
        assert set(reason) == {"code", "detail"}, body


class World:
    """A manager, their report (the candidate, `member`), another member, the committee (two
    members: `committee` and a second one who does the setup), HR; one promotion of the member,
    nominated by the manager, brought to the state a test asks for; HR's webhook endpoint (at
    127.0.0.1, where nothing listens: these tests never commit, so nothing is sent) with one
    delivery."""

    def __init__(self):
        self.manager = factories.MemberFactory(level=Level.objects.get(code="group-pm"))
        self.member = factories.MemberFactory(
            level=Level.objects.get(code="pm"), manager=self.manager
        )
        self.other = factories.MemberFactory(level=Level.objects.get(code="pm"))
        self.committee = factories.committee_member(level="vp-product")
        self.committee2 = factories.committee_member()
        self.hr = factories.hr_user()
        self.users = {
            "member": self.member.user,
            "manager": self.manager.user,
            "other": self.other.user,
            "committee": self.committee,
            "hr": self.hr,
        }
        # The member's request to their manager, pending (then nominated anyway: accepting it is
        # a 409, not eligible).
        self.nomination_request = nomination_requests.nomination_request_create(
            user=self.member.user,
            to_level=Level.objects.get(code="senior-pm"),
            justification="Ready, I think.",
            evidence=factories.evidence_for("senior-pm"),
        )
        self.promotion = services.promotion_nominate(
            candidate=self.member,
            to_level=Level.objects.get(code="senior-pm"),
            nominated_by=self.manager.user,
            justification="Ready.",
            evidence=factories.evidence_for("senior-pm"),
        )
        self.cycle = cycles.cycle_create(actor=self.hr, name="H1", tracks=["management"], **DATES)
        # The second committee member's seat, held by the first this week.
        self.delegation = delegations.delegation_create(
            actor=self.committee2,
            delegator=self.committee2,
            delegate=self.committee,
            starts_on=date.today(),
            ends_on=date.today() + timedelta(days=7),
        )
        self.endpoint = webhook_services.endpoint_create(
            actor=self.hr, url="http://127.0.0.1:9/hook"
        )
        self.delivery = Delivery.objects.create(
            endpoint=self.endpoint,
            event="promotion.nominated",
            webhook_id="msg_documented_statuses",
            body="{}",
            retry_until=timezone.now() + timedelta(hours=1),
            next_attempt_at=timezone.now(),
        )

    def bring_to(self, state: str) -> None:
        if state == "disabled":
            webhook_services.endpoint_update(
                actor=self.hr, endpoint=self.endpoint, changes={"is_active": False}
            )
        if state == "awaiting_executive":  # a shortcut: the level needs an executive today
            Level.objects.filter(code="senior-pm").update(executive_approval=True)
        if state in ("in_review", "changes_requested", "decided", "held", *LATER):
            services.promotion_start_review(promotion=self.promotion, actor=self.committee2)
        if state == "held":
            # A shortcut (it was nominated before the cycle opened): the promotion joins a cycle
            # with a release date, which calibrates, so that its approval is held.
            held_cycle = factories.release_cycle(hr=self.hr)
            Promotion.objects.filter(pk=self.promotion.pk).update(cycle=held_cycle)
            cycles.cycle_calibrate(actor=self.hr, cycle=held_cycle)
            self.promotion = Promotion.objects.get(pk=self.promotion.pk)
        if state == "changes_requested":
            services.promotion_request_changes(
                promotion=self.promotion, actor=self.committee2, note="Add metrics."
            )
        if state in ("decided", "held", "awaiting_executive"):
            factories.review(self.promotion, self.committee2, "approve")
            services.promotion_approve(promotion=self.promotion, actor=self.committee2)
        if state in ("rejected", "appealed"):
            services.promotion_reject(promotion=self.promotion, actor=self.committee2, note="No.")
        if state == "appealed":
            services.promotion_appeal(
                promotion=self.promotion, actor=self.member.user, statement="New numbers."
            )

    def client(self, role: str, token: str | None = None) -> APIClient:
        client = APIClient()
        if token:
            client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        elif role != "anonymous":
            key = factories.token_for(self.users[role])
            client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        return client

    def url(self, path: str, *, missing: bool = False) -> str:
        notification = Notification.objects.filter(recipient=self.committee).first()
        ids = {
            "members": self.member.pk,
            "promotions": self.promotion.pk,
            "notifications": notification.pk,
            "cycles": self.cycle.pk,
            "webhooks": self.endpoint.pk,
            "delegations": self.delegation.pk,
            "nomination-requests": self.nomination_request.pk,
        }

        def concrete(match):
            if missing:
                return NO_SUCH[match.group(1)]
            if match.group(1) == "code":
                return "pm"
            if match.group(1) == "number":
                return "1"
            if match.group(1) == "delivery_id":
                return str(self.delivery.pk)
            return str(ids[path.split("/")[3]])

        return re.sub(r"\{(id|code|number|delivery_id)\}", concrete, path)

    def valid_bodies(self, operation_id: str, role: str) -> list[dict | None]:
        """Well-formed bodies that get past validation, to reach permissions and conflicts."""
        user = self.users.get(role, self.member.user)
        evidence = factories.evidence_for("senior-pm")
        ratings = factories.ratings_body(self.promotion)
        return {
            "auth_token_create": [{"username": user.username, "password": factories.PASSWORD}],
            "members_create": [
                {"username": f"new-{role}", "email": "n@example.com", "level": "pm"}
            ],
            "members_partial_update": [{"first_name": "Ann"}, {"level": "cpo"}],
            "promotions_create": [
                {
                    "candidate": self.member.pk,
                    "to_level": "senior-pm",
                    "justification": "Ready.",
                    "evidence": evidence,
                },
                {
                    "candidate": self.member.pk,
                    "to_level": "cpo",
                    "justification": "Ready.",
                    "evidence": evidence,
                },
                {
                    "candidate": self.other.pk,
                    "to_level": "senior-pm",
                    "justification": "Ready.",
                    "evidence": [],
                },
                {
                    "candidate": self.other.pk,
                    "to_level": "senior-pm",
                    "justification": "Ready.",
                    "evidence": evidence,
                },
            ],
            "promotions_start_review_create": [{"note": ""}],
            "promotions_approve_create": [{"note": ""}],
            "promotions_reject_create": [{"note": ""}, {"note": "Not yet."}],
            "promotions_withdraw_create": [{"note": ""}],
            "promotions_request_changes_create": [{"note": ""}, {"note": "Add metrics."}],
            "promotions_packet_create": [{"justification": "Reworked.", "evidence": evidence}],
            "promotions_resubmit_create": [{"note": ""}],
            "promotions_hold_create": [{"note": ""}, {"note": "Waiting for the reorganisation."}],
            "promotions_resume_create": [{"note": ""}],
            "promotions_release_create": [{"note": ""}, {"note": "Told them this morning."}],
            "promotions_appeal_create": [{"statement": ""}, {"statement": "New numbers."}],
            "promotions_uphold_create": [{"note": ""}, {"note": "It stands."}],
            "cycles_create": [
                {"name": "H2", **{k: v.isoformat() for k, v in DATES.items()}},
                {"name": "H2", "tracks": ["ic"], **{k: v.isoformat() for k, v in DATES.items()}},
                {
                    "name": "H2",
                    **dict.fromkeys(DATES, DATES["effective_on"].isoformat()),
                    "effective_on": DATES["nominations_open_on"].isoformat(),
                },
            ],
            "cycles_partial_update": [{"name": "H1 bis"}, {"effective_on": "2000-01-01"}],
            "delegations_create": [
                {
                    "delegate": self.committee2.username,
                    "starts_on": (date.today() + timedelta(days=8)).isoformat(),
                    "ends_on": (date.today() + timedelta(days=9)).isoformat(),
                },
                {
                    "delegate": self.committee.username,
                    "starts_on": date.today().isoformat(),
                    "ends_on": date.today().isoformat(),
                },
                {
                    "delegator": self.committee2.username,
                    "delegate": "nobody-here",
                    "starts_on": "2000-01-01",
                    "ends_on": date.today().isoformat(),
                },
            ],
            "nomination_requests_create": [
                {"to_level": "senior-pm", "justification": "Ready.", "evidence": evidence},
                {"to_level": "cpo", "justification": "Ready.", "evidence": evidence},
                {"to_level": "senior-pm", "justification": "Ready.", "evidence": []},
            ],
            "nomination_requests_accept_create": [{}],
            "nomination_requests_decline_create": [{"reason": ""}, {"reason": "Not yet."}],
            "promotions_reviews_create": [
                {"decision": "reject", "ratings": ratings},
                {"decision": "approve", "ratings": ratings},
                {"decision": "approve", "comment": "Again.", "ratings": ratings},
                {"decision": "approve", "ratings": ratings, "on_behalf_of": "nobody-here"},
                {
                    "decision": "approve",
                    "ratings": ratings,
                    "on_behalf_of": self.committee2.username,
                },
            ],
            "webhooks_create": [
                {"url": "http://127.0.0.1:9/new", "events": ["promotion.approved"]},
                {"url": "http://127.0.0.1:9/all", "description": "Everything."},
                {"url": "ftp://127.0.0.1/hook"},  # refused: 400 webhook_url_refused
                {"url": "http://127.0.0.1:9/x", "events": ["promotion.nope"]},
            ],
            "webhooks_partial_update": [
                {"description": "Payroll."},
                {"events": ["cycle.opened"]},
                {"url": "ftp://127.0.0.1/hook"},
                {"is_active": False},
                {"is_active": True},
            ],
        }.get(operation_id, [None])


def probes(world: World, operation_id: str, role: str):
    """(description, client, method, url, kwargs) of each request to make, the ones that change
    something last."""
    path, method = OPERATIONS[operation_id]
    client = world.client(role)
    url = world.url(path)
    has_body = method in ("post", "put", "patch")
    parameters = {
        parameter["name"]
        for parameter in SCHEMA["paths"][path][method].get("parameters", [])
        if parameter["in"] == "query"
    }
    yield "bad token", world.client(role, token="not-a-token"), method, url, {}
    yield "a NUL in the query string", client, method, f"{url}?x=%00", {}
    yield "not JSON accepted", client, method, url, {"HTTP_ACCEPT": "application/xml"}
    if "{" in path:
        yield "no such object", client, method, world.url(path, missing=True), {}
    if "page" in parameters:
        yield "page 0", client, method, f"{url}?page=0", {}
        yield "a page past the last", client, method, f"{url}?page=999", {}
        yield "page_size too big", client, method, f"{url}?page_size=100000", {}
    for name in sorted(parameters - {"page", "page_size"}):
        yield f"bad {name}", client, method, f"{url}?{name}=%E2%9C%97%20nope", {}
        yield f"blank {name}", client, method, f"{url}?{name}=", {}
    if has_body:
        yield "an unknown field", client, method, url, {"data": {"nope": 1}, "format": "json"}
        yield "a list for a body", client, method, url, {"data": [1], "format": "json"}
        yield (
            "malformed JSON",
            client,
            method,
            url,
            {"data": "{", "content_type": "application/json"},
        )
        yield "not JSON", client, method, url, {"data": "x=1", "content_type": "text/plain"}
        yield "too large", client, method, url, {"CONTENT_LENGTH": "99999999"}
    yield "as is", client, method, url, {"format": "json"} if has_body else {}
    if has_body or method == "delete":
        for body in world.valid_bodies(operation_id, role):
            kwargs = {"data": body, "format": "json"} if body is not None else {}
            yield f"valid {body}", client, method, url, kwargs


@pytest.fixture
def private_urls(settings):
    """The world's endpoint is at 127.0.0.1: allowed only with WEBHOOKS_ALLOW_PRIVATE_URLS."""
    settings.WEBHOOKS_ALLOW_PRIVATE_URLS = True


@pytest.fixture(scope="module")
def shared_world(django_db_setup, django_db_blocker):
    """One World for the module, built once (tests/shared.py): each test's writes are rolled
    back, so every test starts from the same rows."""
    with shared_rows(django_db_blocker):
        with override_settings(WEBHOOKS_ALLOW_PRIVATE_URLS=True):
            built = World()
        yield built


@pytest.fixture
def world(shared_world, private_urls):
    """The shared World with its objects copied for this test, as Django's setUpTestData does:
    what a test changes in them stays with it."""
    return copy.deepcopy(shared_world)


@pytest.mark.parametrize(("operation_id", "role", "state"), list(cases()))
def test_every_answer_is_documented(world, operation_id, role, state):
    world.bring_to(state)
    allowed = documented(operation_id)
    for description, client, method, url, kwargs in probes(world, operation_id, role):
        response = getattr(client, method)(url, **kwargs)
        assert response.status_code in allowed, (
            f"{method.upper()} {url} ({description}) answered {response.status_code}, "
            f"documented: {sorted(allowed)}: {response.content[:300]!r}"
        )
        if response.status_code >= 400:
            assert_is_an_error_body(response)


@pytest.fixture
def throttled(settings):
    cache.clear()
    settings.API_THROTTLE_RATES = {"writes": "1/min", "login": "1/min"}
    yield
    cache.clear()


@pytest.mark.parametrize("operation_id", sorted(OPERATIONS))
def test_throttling_is_documented_where_it_applies(throttled, world, operation_id):
    path, method = OPERATIONS[operation_id]
    client = APIClient()
    if operation_id != "auth_token_create":
        client.force_authenticate(world.hr)  # a token would be gone after DELETE auth/token/
    url = world.url(path)
    statuses = [getattr(client, method)(url, {}, format="json").status_code for _ in range(2)]
    if method in ("get", "head"):
        assert 429 not in statuses  # reads are not throttled
        return
    assert statuses[-1] == 429
    assert 429 in documented(operation_id)


def test_a_reused_idempotency_key_is_documented(world):
    client = world.client("manager")
    services.promotion_withdraw(promotion=world.promotion, actor=world.manager.user)
    body = {
        "candidate": world.member.pk,
        "to_level": "senior-pm",
        "justification": "Ready.",
        "evidence": factories.evidence_for("senior-pm"),
    }
    headers = {"HTTP_IDEMPOTENCY_KEY": "key-1"}
    first = client.post("/api/v1/promotions", body, format="json", **headers)
    assert first.status_code == 201
    again = client.post("/api/v1/promotions", body, format="json", **headers)
    assert again.status_code == 201 and again.json() == first.json()
    other = client.post(
        "/api/v1/promotions", {**body, "justification": "Other."}, format="json", **headers
    )
    assert other.status_code == 422
    assert_is_an_error_body(other)
    bad_key = client.post(
        "/api/v1/promotions", body, format="json", HTTP_IDEMPOTENCY_KEY="\u00e9" * 3
    )
    assert bad_key.status_code == 400
    assert {201, 400, 422} <= documented("promotions_create")


def test_the_walk_covers_every_operation_of_the_schema():
    # + the webhooks' seven, nomination requests' five, delegations' three, release, appeal and
    # uphold, people analytics' four (own demographics read and set, categories, adverse impact),
    # the audit chain's head, data rights' four (export, erase, legal hold set and cleared)
    assert len(OPERATIONS) == 42 + 7 + 5 + 3 + 1 + 2 + 4 + 1 + 4
    walked = {operation_id for operation_id, *_ in (case.values for case in cases())}
    assert walked == set(OPERATIONS)
