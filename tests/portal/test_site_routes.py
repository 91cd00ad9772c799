"""Route × method × role → status, for every route of the member site (the site root's pages: all
but /api/, /admin/, /healthz and /readyz, whose tables are tests/security/test_authorization_table
.py and tests/promotions/test_admin.py). A new route without rows here fails
`test_the_table_covers_every_site_route`. Signed in with a session, as a browser is.

Roles: anonymous; `member` (the candidate); `manager` (their manager, the nominator); `other` (a
member of another team); `committee` (also on the ladder); `hr` (not on the ladder). The
promotion is nominated, not yet in review; the message is the committee's."""

import re

import pytest
from django.test import Client
from django.utils import timezone

from ladder.models import Level
from notifications.models import Notification
from promotions.delegations import services as delegations
from promotions.requests import services as nomination_requests
from tests import factories
from tests.routes import url_patterns
from tests.shared import shared_rows

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "member", "manager", "other", "committee", "hr")
METHODS = ("get", "post")
LOGIN = 302  # to the sign-in page


def row(anonymous, member, manager, other, committee, hr):
    return dict(zip(ROLES, (anonymous, member, manager, other, committee, hr), strict=True))


def every(status):
    return row(*[status] * 6)


def signed_in(status):
    """Anonymous visitors are sent to sign in; every signed-in role gets `status`."""
    return row(LOGIN, *[status] * 5)


PAGE = {"get": signed_in(200), "post": signed_in(405)}
TABLE = {
    # Signed-in visitors of the sign-in page go home; a refused sign-in is the form again.
    "/login/": {"get": row(200, *[302] * 5), "post": row(200, *[302] * 5)},
    "/logout/": {"get": every(405), "post": every(302)},
    "/password/change/": {"get": signed_in(200), "post": signed_in(200)},  # refused: the form
    "/password/change/done/": {"get": signed_in(200), "post": signed_in(405)},
    "/password/reset/": {"get": every(200), "post": every(200)},  # refused: no address
    "/password/reset/sent/": {"get": every(200), "post": every(405)},
    "/password/reset/{uidb64}/{token}/": {"get": every(200), "post": every(200)},  # invalid link
    "/password/reset/done/": {"get": every(200), "post": every(405)},
    "/invite/{token}/": {"get": every(200), "post": every(200)},  # an unknown invitation
    "/": PAGE,
    "/me/": {"get": row(LOGIN, 200, 200, 200, 200, 404), "post": signed_in(405)},
    # One's own data as a file (docs/data-rights.md); HR here has no member record.
    "/me/export/": {"get": row(LOGIN, 200, 200, 200, 200, 404), "post": signed_in(405)},
    # One's own self-reported demographics (docs/analytics.md): an empty form withdraws nothing
    # and saves; HR here has no member record.
    "/me/demographics/": {
        "get": row(LOGIN, 200, 200, 200, 200, 404),
        "post": row(LOGIN, 302, 302, 302, 302, 404),
    },
    # No Slack on this site (SLACK_BOT_TOKEN unset): nothing to turn
    # (tests/notifications/test_slack.py has the page with Slack).
    "/me/slack/": {"get": signed_in(405), "post": row(LOGIN, 404, 404, 404, 404, 404)},
    # Seat holders name a delegate (an empty form: refused, /me/ again); nobody else has a seat.
    "/me/delegations/": {"get": signed_in(405), "post": row(LOGIN, 404, 404, 404, 200, 404)},
    # A delegation the committee member holds: the delegate is refused (said on /me/), HR
    # revokes it; nobody else learns it exists.
    "/me/delegations/{delegation_id}/revoke/": {
        "get": signed_in(405),
        "post": row(LOGIN, 404, 404, 404, 302, 302),
    },
    "/me/promotions/{promotion_id}/": {
        "get": row(LOGIN, 200, 404, 404, 404, 404),
        "post": signed_in(405),
    },
    "/team/": PAGE,
    # The candidate's manager and HR; nobody else learns the member exists.
    "/team/{member_id}/nominate/{level_code}/": {
        "get": row(LOGIN, 404, 200, 404, 404, 200),
        "post": row(LOGIN, 404, 200, 404, 404, 200),  # an empty form: refused, shown again
    },
    # A move up from one's level (senior-pm: the member's and other's); refused, the form again.
    "/me/request/{level_code}/": {
        "get": row(LOGIN, 200, 404, 200, 404, 404),
        "post": row(LOGIN, 200, 404, 200, 404, 404),
    },
    # The member's request: their manager and HR answer (accepting it is refused: the member has
    # an open promotion; said on /team/); nobody else learns it exists.
    "/team/requests/{request_id}/accept/": {
        "get": signed_in(405),
        "post": row(LOGIN, 404, 302, 404, 404, 302),
    },
    "/team/requests/{request_id}/decline/": {
        "get": signed_in(405),
        "post": row(LOGIN, 404, 200, 404, 404, 200),  # no reason: refused, the form again
    },
    "/nominations/{promotion_id}/": {
        "get": row(LOGIN, 404, 200, 404, 404, 404),
        "post": row(LOGIN, 404, 200, 404, 404, 404),  # an empty packet: refused, shown again
    },
    "/nominations/{promotion_id}/resubmit/": {
        "get": signed_in(405),
        "post": row(LOGIN, 404, 302, 404, 404, 404),  # not resubmittable: said on the page
    },
    "/nominations/{promotion_id}/withdraw/": {
        "get": row(LOGIN, 404, 200, 404, 404, 404),
        "post": row(LOGIN, 404, 302, 404, 404, 404),
    },
    # A decision held for its cycle's release date, released by the nominator or the candidate's
    # manager; here nothing is decided: refused, said on the page each is sent back to (the
    # candidate's, the nomination, the desk); nobody else learns the promotion exists.
    "/promotions/{promotion_id}/release/": {
        "get": signed_in(405),
        "post": row(LOGIN, 302, 302, 404, 302, 302),
    },
    # The candidate's or the nominator's appeal of a rejection; here nothing is rejected (and no
    # statement): refused, their page again with why; nobody else has the form.
    "/promotions/{promotion_id}/appeal/": {
        "get": signed_in(405),
        "post": row(LOGIN, 200, 200, 404, 404, 404),
    },
    "/inbox/": PAGE,
    "/inbox/{notification_id}/read/": {
        "get": signed_in(405),
        "post": row(LOGIN, 404, 404, 404, 302, 404),
    },
    # Single sign-on is off here (OIDC_ISSUER unset): not there (tests/accounts/test_oidc*.py).
    "/sso/login/": {"get": every(404), "post": every(404)},
    "/sso/callback/": {"get": every(404), "post": every(404)},
    # SCIM (tests/accounts/test_scim_*.py): a SCIM token or nothing; a session is no credential.
    **{
        f"/scim/v2/{route}": {"get": every(401), "post": every(401)}
        for route in (
            "ServiceProviderConfig/",
            "ResourceTypes/",
            "ResourceTypes/{name}/",
            "Schemas/",
            "Schemas/{urn}/",
            "Users/",
            "Users/{scim_id}/",
            "Groups/",
            "Groups/{scim_id}/",
            "{path}",
        )
    },
}
ELSEWHERE = ("/api/", "/admin/", "/healthz", "/readyz")


def site_routes():
    """Every route of the URL conf outside the API, the admin and the health checks."""
    return {route for route in url_patterns() if not route.startswith(ELSEWHERE)}


def test_the_table_covers_every_site_route():
    routes = set(site_routes())
    assert routes == set(TABLE), (routes - set(TABLE), set(TABLE) - routes)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Built once for the module's requests (tests/shared.py): each test's writes are rolled
    back, so every one of them meets the same rows."""
    with shared_rows(django_db_blocker):
        yield build_world()


def build_world():
    manager = factories.MemberFactory(level=Level.objects.get(code="group-pm"))
    member = factories.MemberFactory(level=Level.objects.get(code="pm"), manager=manager)
    other = factories.MemberFactory(level=Level.objects.get(code="pm"))
    committee = factories.committee_member(level="vp-product")
    hr = factories.hr_user()
    request = nomination_requests.nomination_request_create(
        user=member.user,
        to_level=Level.objects.get(code="senior-pm"),
        justification="Ready, I think.",
        evidence=factories.evidence_for("senior-pm"),
    )
    promotion = factories.promotion(candidate=member, to="senior-pm")
    absent = factories.committee_member()
    delegation = delegations.delegation_create(
        actor=absent,
        delegator=absent,
        delegate=committee,
        starts_on=timezone.localdate(),
        ends_on=timezone.localdate(),
    )
    notification = Notification.objects.filter(recipient=committee, promotion=promotion).first()
    users = {
        "member": member.user,
        "manager": manager.user,
        "other": other.user,
        "committee": committee,
        "hr": hr,
    }
    values = {
        "promotion_id": promotion.pk,
        "member_id": member.pk,
        "request_id": request.pk,
        "delegation_id": delegation.pk,
        "level_code": "senior-pm",
        "notification_id": notification.pk,
        "uidb64": "MQ",
        "token": "not-a-real-token",
        "name": "User",
        "urn": "urn:ietf:params:scim:schemas:core:2.0:User",
        "scim_id": member.user_id,
        "path": "Printers",
    }
    return users, values


CASES = [(route, method, role) for route in TABLE for method in METHODS for role in ROLES]


@pytest.mark.parametrize(("route", "method", "role"), CASES)
def test_site_route(world, route, method, role):
    users, values = world
    client = Client()
    if role != "anonymous":
        client.force_login(users[role])
    path = re.sub(r"\{(\w+)\}", lambda match: str(values[match.group(1)]), route)
    response = getattr(client, method)(path)
    expected = TABLE[route][method][role]
    assert response.status_code == expected, (path, response.content[:300])
    if expected == LOGIN and role == "anonymous":
        assert response["Location"].startswith("/login/")
