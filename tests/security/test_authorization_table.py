"""Route × method × role → status, for every route of the URL conf (a new route without rows here
fails `test_the_table_covers_every_route`). Methods a route does not offer are in the table too.

Roles: anonymous; `member` (the candidate); `manager` (their manager, the nominator); `other` (a
member of another team); `committee`; `hr`. The promotion is nominated, not yet in review."""

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from ladder.models import Level
from notifications.models import Notification
from promotions.delegations import services as delegations
from promotions.requests import services as nomination_requests
from tests import factories
from tests.routes import url_patterns
from tests.shared import shared_rows
from webhooks import services as webhook_services
from webhooks.models import Delivery

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "member", "manager", "other", "committee", "hr")
METHODS = ("get", "post", "patch", "put", "delete")


def row(anonymous, member, manager, other, committee, hr):
    return dict(zip(ROLES, (anonymous, member, manager, other, committee, hr), strict=True))


def every(status):
    return row(*[status] * 6)


def private(status):
    """Every signed-in role gets `status`, anonymous gets 401."""
    return row(401, *[status] * 5)


NOT_OFFERED = private(405)
TABLE = {
    "/healthz": {"get": every(200), **{m: every(405) for m in ("post", "patch", "put", "delete")}},
    "/readyz": {"get": every(200), **{m: every(405) for m in ("post", "patch", "put", "delete")}},
    "/api/v1/auth/token/": {
        "get": every(405),
        "post": every(400),
        "patch": every(405),
        "put": every(405),
        "delete": private(204),  # revokes the token that signed the request
    },
    # The API's root: the collections, for the browsable API.
    "/api/v1/": {
        "get": private(200),
        "post": NOT_OFFERED,
        "patch": NOT_OFFERED,
        "put": NOT_OFFERED,
        "delete": NOT_OFFERED,
    },
    # Any other /api/ path (the catch-all): a JSON 404, whoever asks.
    "/api/": {method: every(404) for method in METHODS},
    "/api/v1/schema/": {
        "get": every(200),
        **{m: every(405) for m in ("post", "patch", "put", "delete")},
    },
    "/api/v1/docs/": {
        "get": every(200),
        **{m: every(405) for m in ("post", "patch", "put", "delete")},
    },
    "/api/v1/ladder/levels/": {
        "get": private(200),
        "post": NOT_OFFERED,
        "patch": NOT_OFFERED,
        "put": NOT_OFFERED,
        "delete": NOT_OFFERED,
    },
    "/api/v1/ladder/levels/{code}/": {
        "get": private(200),
        "post": NOT_OFFERED,
        "patch": NOT_OFFERED,
        "put": NOT_OFFERED,
        "delete": NOT_OFFERED,
    },
    "/api/v1/ladder/transitions/": {
        "get": private(200),
        "post": NOT_OFFERED,
        "patch": NOT_OFFERED,
        "put": NOT_OFFERED,
        "delete": NOT_OFFERED,
    },
    "/api/v1/members/": {
        "get": private(200),
        "post": row(401, 403, 403, 403, 403, 400),
        "patch": NOT_OFFERED,
        "put": NOT_OFFERED,
        "delete": NOT_OFFERED,
    },
    "/api/v1/members/{pk}/": {
        "get": row(401, 200, 200, 404, 200, 200),
        "patch": row(401, 403, 403, 404, 403, 200),
        "post": NOT_OFFERED,
        "put": NOT_OFFERED,
        "delete": NOT_OFFERED,
    },
    # HR's: whoever else sees the member is refused (403), anyone else does not see them (404).
    "/api/v1/members/{pk}/invite/": {
        "post": row(401, 403, 403, 404, 403, 202),
        "get": NOT_OFFERED,
        "patch": NOT_OFFERED,
        "put": NOT_OFFERED,
        "delete": NOT_OFFERED,
    },
    # Data rights (docs/data-rights.md). Erasure is HR's; the member here is active (409
    # `member_active`).
    "/api/v1/members/{pk}/erase/": {
        "post": row(401, 403, 403, 404, 403, 409),
        "get": NOT_OFFERED,
        "patch": NOT_OFFERED,
        "put": NOT_OFFERED,
        "delete": NOT_OFFERED,
    },
    # A user without a member record (HR here) has no data of a member to export.
    "/api/v1/members/me/export/": {
        "get": row(401, 200, 200, 200, 200, 404),
        "post": NOT_OFFERED,
        "patch": NOT_OFFERED,
        "put": NOT_OFFERED,
        "delete": NOT_OFFERED,
    },
    # HR's legal hold: an empty body lacks the reason (400); the promotion has no hold to clear.
    "/api/v1/promotions/{pk}/legal-hold/": {
        "post": row(401, 403, 403, 404, 403, 400),
        "delete": row(401, 403, 403, 404, 403, 409),
        "get": NOT_OFFERED,
        "patch": NOT_OFFERED,
        "put": NOT_OFFERED,
    },
    "/api/v1/members/me/": {
        "get": row(401, 200, 200, 200, 200, 404),
        "post": NOT_OFFERED,
        "patch": NOT_OFFERED,
        "put": NOT_OFFERED,
        "delete": NOT_OFFERED,
    },
    # People analytics (docs/analytics.md): a member's own demographics, the categories offered,
    # and the adverse-impact report (People analytics only: 403 for these roles, before the
    # parameters are read).
    "/api/v1/members/me/demographics/": {
        "get": row(401, 200, 200, 200, 200, 404),
        "put": row(401, 200, 200, 200, 200, 404),  # an empty object: nothing changes
        "post": NOT_OFFERED,
        "patch": NOT_OFFERED,
        "delete": NOT_OFFERED,
    },
    "/api/v1/demographics/categories/": {
        "get": private(200),
        "post": NOT_OFFERED,
        "patch": NOT_OFFERED,
        "put": NOT_OFFERED,
        "delete": NOT_OFFERED,
    },
    "/api/v1/analytics/adverse-impact/": {
        "get": private(403),
        "post": NOT_OFFERED,
        "patch": NOT_OFFERED,
        "put": NOT_OFFERED,
        "delete": NOT_OFFERED,
    },
    "/api/v1/promotions/": {
        "get": private(200),
        "post": row(401, 403, 400, 403, 403, 400),
        "patch": NOT_OFFERED,
        "put": NOT_OFFERED,
        "delete": NOT_OFFERED,
    },
    "/api/v1/promotions/{pk}/": {
        "get": row(401, 200, 200, 404, 200, 200),
        "post": NOT_OFFERED,
        "patch": NOT_OFFERED,
        "put": NOT_OFFERED,
        "delete": NOT_OFFERED,
    },
    "/api/v1/promotions/{pk}/start-review/": {
        "post": row(401, 403, 403, 404, 200, 200),
        "get": NOT_OFFERED,
        "patch": NOT_OFFERED,
        "put": NOT_OFFERED,
        "delete": NOT_OFFERED,
    },
    "/api/v1/promotions/{pk}/approve/": {
        "post": row(401, 403, 403, 404, 409, 409),
        "get": NOT_OFFERED,
        "patch": NOT_OFFERED,
        "put": NOT_OFFERED,
        "delete": NOT_OFFERED,
    },
    "/api/v1/promotions/{pk}/reject/": {
        "post": row(401, 403, 403, 404, 409, 409),
        "get": NOT_OFFERED,
        "patch": NOT_OFFERED,
        "put": NOT_OFFERED,
        "delete": NOT_OFFERED,
    },
    "/api/v1/promotions/{pk}/withdraw/": {
        "post": row(401, 403, 200, 404, 403, 200),
        "get": NOT_OFFERED,
        "patch": NOT_OFFERED,
        "put": NOT_OFFERED,
        "delete": NOT_OFFERED,
    },
    "/api/v1/promotions/{pk}/request-changes/": {
        # The committee's work (the nominator is involved); a nominated promotion is not in review.
        "post": row(401, 403, 403, 404, 409, 409),
        "get": NOT_OFFERED,
        "patch": NOT_OFFERED,
        "put": NOT_OFFERED,
        "delete": NOT_OFFERED,
    },
    "/api/v1/promotions/{pk}/resubmit/": {
        # The nominator's or HR's; only from changes_requested.
        "post": row(401, 403, 409, 404, 403, 409),
        "get": NOT_OFFERED,
        "patch": NOT_OFFERED,
        "put": NOT_OFFERED,
        "delete": NOT_OFFERED,
    },
    "/api/v1/promotions/{pk}/hold/": {
        # The committee's work; held from nominated, with a note (the empty body has none).
        "post": row(401, 403, 403, 404, 400, 400),
        "get": NOT_OFFERED,
        "patch": NOT_OFFERED,
        "put": NOT_OFFERED,
        "delete": NOT_OFFERED,
    },
    "/api/v1/promotions/{pk}/resume/": {
        # The committee's work; only from on_hold.
        "post": row(401, 403, 403, 404, 409, 409),
        "get": NOT_OFFERED,
        "patch": NOT_OFFERED,
        "put": NOT_OFFERED,
        "delete": NOT_OFFERED,
    },
    "/api/v1/promotions/{pk}/release/": {
        # The nominator's or the candidate's manager's (not HR's or the committee's); only a
        # decision held for its cycle's release date.
        "post": row(401, 403, 409, 404, 403, 403),
        "get": NOT_OFFERED,
        "patch": NOT_OFFERED,
        "put": NOT_OFFERED,
        "delete": NOT_OFFERED,
    },
    "/api/v1/promotions/{pk}/appeal/": {
        # The candidate's or the nominator's; only from rejected.
        "post": row(401, 409, 409, 404, 403, 403),
        "get": NOT_OFFERED,
        "patch": NOT_OFFERED,
        "put": NOT_OFFERED,
        "delete": NOT_OFFERED,
    },
    "/api/v1/promotions/{pk}/uphold/": {
        # The appeal panel's (committee or HR who took no part); only from appealed.
        "post": row(401, 403, 403, 404, 409, 409),
        "get": NOT_OFFERED,
        "patch": NOT_OFFERED,
        "put": NOT_OFFERED,
        "delete": NOT_OFFERED,
    },
    "/api/v1/promotions/{pk}/packet/": {
        "get": row(401, 200, 200, 404, 200, 200),  # the candidate reads their case too
        # A new version: the nominator or HR, while nominated; an empty body is 400.
        "post": row(401, 403, 400, 404, 403, 400),
        "patch": NOT_OFFERED,
        "put": NOT_OFFERED,
        "delete": NOT_OFFERED,
    },
    "/api/v1/promotions/{pk}/packet/versions/": {
        "get": row(401, 200, 200, 404, 200, 200),
        "post": NOT_OFFERED,
        "patch": NOT_OFFERED,
        "put": NOT_OFFERED,
        "delete": NOT_OFFERED,
    },
    "/api/v1/promotions/{pk}/packet/versions/{number}/": {
        "get": row(401, 200, 200, 404, 200, 200),
        "post": NOT_OFFERED,
        "patch": NOT_OFFERED,
        "put": NOT_OFFERED,
        "delete": NOT_OFFERED,
    },
    "/api/v1/promotions/{pk}/reviews/": {
        "get": row(401, 403, 403, 404, 200, 200),
        "post": row(401, 403, 403, 404, 409, 409),
        "patch": NOT_OFFERED,
        "put": NOT_OFFERED,
        "delete": NOT_OFFERED,
    },
    "/api/v1/promotions/{pk}/timeline/": {
        "get": row(401, 200, 200, 404, 200, 200),
        "post": NOT_OFFERED,
        "patch": NOT_OFFERED,
        "put": NOT_OFFERED,
        "delete": NOT_OFFERED,
    },
    "/api/v1/members/{pk}/eligibility/": {
        # The member, their manager, HR: those who nominate or are nominated (not the committee).
        "get": row(401, 200, 200, 404, 404, 200),
        "post": NOT_OFFERED,
        "patch": NOT_OFFERED,
        "put": NOT_OFFERED,
        "delete": NOT_OFFERED,
    },
    # The cycle is a draft: HR's plan, seen by HR and the committee only (404 for the others, as
    # for a cycle that does not exist). HR runs cycles.
    "/api/v1/cycles/": {
        "get": private(200),
        "post": row(401, 403, 403, 403, 403, 400),  # an empty body
        "patch": NOT_OFFERED,
        "put": NOT_OFFERED,
        "delete": NOT_OFFERED,
    },
    "/api/v1/cycles/{pk}/": {
        "get": row(401, 404, 404, 404, 200, 200),
        "patch": row(401, 404, 404, 404, 403, 200),  # an empty change of a draft
        "post": NOT_OFFERED,
        "put": NOT_OFFERED,
        "delete": NOT_OFFERED,
    },
    "/api/v1/cycles/{pk}/open/": {
        "post": row(401, 404, 404, 404, 403, 200),
        "get": NOT_OFFERED,
        "patch": NOT_OFFERED,
        "put": NOT_OFFERED,
        "delete": NOT_OFFERED,
    },
    "/api/v1/cycles/{pk}/calibrate/": {
        "post": row(401, 404, 404, 404, 403, 409),  # a draft is opened first
        "get": NOT_OFFERED,
        "patch": NOT_OFFERED,
        "put": NOT_OFFERED,
        "delete": NOT_OFFERED,
    },
    "/api/v1/cycles/{pk}/close/": {
        "post": row(401, 404, 404, 404, 403, 409),
        "get": NOT_OFFERED,
        "patch": NOT_OFFERED,
        "put": NOT_OFFERED,
        "delete": NOT_OFFERED,
    },
    "/api/v1/cycles/{pk}/calibration/": {
        "get": row(401, 404, 404, 404, 200, 200),  # the committee's and HR's
        "post": NOT_OFFERED,
        "patch": NOT_OFFERED,
        "put": NOT_OFFERED,
        "delete": NOT_OFFERED,
    },
    "/api/v1/cycles/{pk}/stats/": {
        "get": row(401, 404, 404, 404, 200, 200),
        "post": NOT_OFFERED,
        "patch": NOT_OFFERED,
        "put": NOT_OFFERED,
        "delete": NOT_OFFERED,
    },
    "/api/v1/cycles/{pk}/decisions.csv/": {
        "get": row(401, 404, 404, 404, 403, 200),  # HR's export
        "post": NOT_OFFERED,
        "patch": NOT_OFFERED,
        "put": NOT_OFFERED,
        "delete": NOT_OFFERED,
    },
    # Seat holders (the committee, the Executives) and HR; a delegation held by the committee
    # member: they may not revoke it (its delegator or HR), nobody else learns it exists.
    "/api/v1/delegations/": {
        "get": row(401, 403, 403, 403, 200, 200),
        "post": row(401, 403, 403, 403, 400, 400),  # an empty body: no delegate
        "patch": NOT_OFFERED,
        "put": NOT_OFFERED,
        "delete": NOT_OFFERED,
    },
    "/api/v1/delegations/{pk}/": {
        "delete": row(401, 404, 404, 404, 403, 204),
        "get": NOT_OFFERED,
        "post": NOT_OFFERED,
        "patch": NOT_OFFERED,
        "put": NOT_OFFERED,
    },
    # The member's request to their manager, pending, while the member has an open promotion
    # (accepting it is 409 not_eligible). Only a member with a manager asks (409 no_manager
    # otherwise; 403 off the ladder); the member sees theirs and answers nothing, the manager and
    # HR answer, nobody else learns it exists.
    "/api/v1/nomination-requests/": {
        "get": private(200),
        "post": row(401, 400, 409, 409, 409, 403),  # the member: an empty body
        "patch": NOT_OFFERED,
        "put": NOT_OFFERED,
        "delete": NOT_OFFERED,
    },
    "/api/v1/nomination-requests/{pk}/": {
        "get": row(401, 200, 200, 404, 404, 200),
        "post": NOT_OFFERED,
        "patch": NOT_OFFERED,
        "put": NOT_OFFERED,
        "delete": NOT_OFFERED,
    },
    "/api/v1/nomination-requests/{pk}/accept/": {
        "post": row(401, 403, 409, 404, 404, 409),
        "get": NOT_OFFERED,
        "patch": NOT_OFFERED,
        "put": NOT_OFFERED,
        "delete": NOT_OFFERED,
    },
    "/api/v1/nomination-requests/{pk}/decline/": {
        "post": row(401, 403, 400, 404, 404, 400),  # no reason
        "get": NOT_OFFERED,
        "patch": NOT_OFFERED,
        "put": NOT_OFFERED,
        "delete": NOT_OFFERED,
    },
    "/api/v1/notifications/": {
        "get": private(200),
        "post": NOT_OFFERED,
        "patch": NOT_OFFERED,
        "put": NOT_OFFERED,
        "delete": NOT_OFFERED,
    },
    "/api/v1/notifications/{pk}/read/": {
        "post": row(401, 404, 404, 404, 200, 404),
        "get": NOT_OFFERED,
        "patch": NOT_OFFERED,
        "put": NOT_OFFERED,
        "delete": NOT_OFFERED,
    },
    # HR's alone: 403 `hr_only` on the collection; an endpoint and its deliveries are 404
    # `no_such_webhook` to anyone else, as if they did not exist.
    "/api/v1/webhooks/": {
        "get": row(401, 403, 403, 403, 403, 200),
        "post": row(401, 403, 403, 403, 403, 400),  # an empty body: no url
        "patch": NOT_OFFERED,
        "put": NOT_OFFERED,
        "delete": NOT_OFFERED,
    },
    "/api/v1/webhooks/{pk}/": {
        "get": row(401, 404, 404, 404, 404, 200),
        "patch": row(401, 404, 404, 404, 404, 200),  # an empty change
        "delete": row(401, 404, 404, 404, 404, 204),
        "post": NOT_OFFERED,
        "put": NOT_OFFERED,
    },
    "/api/v1/webhooks/{pk}/deliveries/": {
        "get": row(401, 404, 404, 404, 404, 200),
        "post": NOT_OFFERED,
        "patch": NOT_OFFERED,
        "put": NOT_OFFERED,
        "delete": NOT_OFFERED,
    },
    "/api/v1/webhooks/{pk}/deliveries/{delivery_id}/redeliver/": {
        "post": row(401, 404, 404, 404, 404, 202),
        "get": NOT_OFFERED,
        "patch": NOT_OFFERED,
        "put": NOT_OFFERED,
        "delete": NOT_OFFERED,
    },
    # The audit chain's head (docs/audit.md): HR's alone, 403 `hr_only` to anyone else.
    "/api/v1/audit/head/": {
        "get": row(401, 403, 403, 403, 403, 200),
        "post": NOT_OFFERED,
        "patch": NOT_OFFERED,
        "put": NOT_OFFERED,
        "delete": NOT_OFFERED,
    },
}


def api_routes():
    """Every route of the API and the health checks. The admin's table is
    tests/promotions/test_admin.py, the member site's tests/portal/test_site_routes.py (signed in
    with a session, not a token)."""
    for route in url_patterns():
        if route.startswith(("/api/", "/healthz", "/readyz")):
            yield route.rstrip("/") if route in ("/healthz/", "/readyz/") else route


def test_the_table_covers_every_route():
    routes = set(api_routes())
    assert routes == set(TABLE), (routes - set(TABLE), set(TABLE) - routes)
    for route, methods in TABLE.items():
        assert set(methods) == set(METHODS), route


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Built once for the module's 833 requests (tests/shared.py): each test's writes are rolled
    back, so every one of them meets the same rows."""
    with shared_rows(django_db_blocker):
        yield build_world()


def build_world():
    manager = factories.MemberFactory(level=Level.objects.get(code="group-pm"))
    member = factories.MemberFactory(level=Level.objects.get(code="pm"), manager=manager)
    other = factories.MemberFactory(level=Level.objects.get(code="pm"))
    committee = factories.committee_member(level="vp-product")
    hr = factories.hr_user()
    requests = nomination_request_ids(member)  # before the promotion: asking needs none open
    promotion = factories.promotion(candidate=member, to="senior-pm")
    notification = Notification.objects.get(recipient=committee, promotion=promotion)
    users = {
        "member": member.user,
        "manager": manager.user,
        "other": other.user,
        "committee": committee,
        "hr": hr,
    }
    cycle = factories.draft_cycle(hr)
    ids = {
        **delegation_ids(committee),
        **requests,
        "members": member.pk,
        "promotions": promotion.pk,
        "notifications": notification.pk,
        "cycles": cycle.pk,
        **webhook_ids(hr),
    }
    return users, ids


def nomination_request_ids(member) -> dict[str, int]:
    """`member`'s request to their manager, pending: the id for `nomination-requests/{pk}/` and its
    accept and decline. Build it before the member's promotion: one open blocks asking."""
    request = nomination_requests.nomination_request_create(
        user=member.user,
        to_level=Level.objects.get(code="senior-pm"),
        justification="Ready.",
        evidence=factories.evidence_for("senior-pm"),
    )
    return {"nomination-requests": request.pk}


def delegation_ids(delegate) -> dict[str, int]:
    """Another committee member's seat held by `delegate` today: the id for `delegations/{pk}/`."""
    absent = factories.committee_member()
    delegation = delegations.delegation_create(
        actor=absent,
        delegator=absent,
        delegate=delegate,
        starts_on=timezone.localdate(),
        ends_on=timezone.localdate(),
    )
    return {"delegations": delegation.pk}


def webhook_ids(hr) -> dict[str, int]:
    """HR's endpoint with one delivery: the ids for `webhooks/{pk}/` and `{delivery_id}`. Nothing
    listens at its URL, and nothing is sent: the tests that use it are not transactional, so the
    sends that wait for a commit never start."""
    with override_settings(WEBHOOKS_ALLOW_PRIVATE_URLS=True):
        endpoint = webhook_services.endpoint_create(actor=hr, url="http://127.0.0.1:9/hook")
    delivery = Delivery.objects.create(
        endpoint=endpoint,
        event="promotion.nominated",
        webhook_id="msg_authorization_table",
        body="{}",
        retry_until=timezone.now() + timedelta(hours=1),
        next_attempt_at=timezone.now(),
    )
    return {"webhooks": endpoint.pk, "deliveries": delivery.pk}


def concrete(route: str, ids: dict) -> str:
    if "{pk}" in route:
        collection = route.split("/")[3]
        route = route.replace("{pk}", str(ids[collection]))
    if "{delivery_id}" in route:
        route = route.replace("{delivery_id}", str(ids["deliveries"]))
    return route.replace("{code}", "pm").replace("{number}", "1")


CASES = [
    (route, method, role)
    for route, methods in TABLE.items()
    for method in METHODS
    for role in ROLES
]


@pytest.mark.parametrize(("route", "method", "role"), CASES)
def test_authorization(world, route, method, role):
    users, ids = world
    client = APIClient()
    if role != "anonymous":
        client.credentials(HTTP_AUTHORIZATION=f"Token {factories.token_for(users[role])}")
    response = getattr(client, method)(concrete(route, ids), {}, format="json")
    assert response.status_code == TABLE[route][method][role], response.content[:300]
