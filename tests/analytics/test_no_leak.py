"""A member's demographics reach nobody but the member and, as counts of a choice code, People
analytics (docs/analytics.md). The candidate of a promotion answers with a marker choice (code and
label an unmistakable string); the promotion goes through a cycle to approval (messages, e-mails,
webhook deliveries, audit rows). Then every API GET route, every member-site page, every admin page
and the exports are read as every role, and every table but the analytics app's own is read
whole: the marker is only in the member's own demographics (API, page, data export) and in People
analytics' report, as a code with counts."""

import io
import json
import re

import pytest
from django.contrib import admin
from django.core import mail
from django.db import connection
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook
from rest_framework.test import APIClient

from analytics.models import DemographicChoice
from ladder.imports import MemberResource
from ladder.models import Level
from promotions import services
from promotions.cycles import services as cycles
from promotions.exports import PromotionResource
from tests import factories
from tests.portal.test_site_routes import TABLE as SITE_TABLE
from tests.security.test_authorization_table import TABLE as API_TABLE
from tests.security.test_authorization_table import (
    concrete,
    delegation_ids,
    nomination_request_ids,
    webhook_ids,
)
from tests.security.test_safe_methods import admin_paths

MARKER = "zzqmarker-7731"
MARKER_LABEL = "ZZQMARKER-7731 (a marker)"

pytestmark = pytest.mark.django_db


def leaks(text: str) -> bool:
    return MARKER in text.lower()


@pytest.fixture
def world():
    manager = factories.MemberFactory(level=Level.objects.get(code="group-pm"))
    member = factories.MemberFactory(level=Level.objects.get(code="pm"), manager=manager)
    other = factories.MemberFactory(level=Level.objects.get(code="pm"), manager=manager)
    committee = factories.committee_member(level="vp-product")
    committee2 = factories.committee_member()
    hr = factories.hr_user()
    users = {
        "member": member.user,
        "manager": manager.user,
        "other": other.user,
        "committee": committee,
        "committee2": committee2,
        "hr": hr,
        "executive": factories.executive(),
        "analyst": factories.people_analyst(),
    }
    marker = DemographicChoice.objects.create(category="gender", code=MARKER, label=MARKER_LABEL)
    client = APIClient()
    client.force_authenticate(member.user)
    answered = client.put(
        "/api/v1/members/me/demographics/",
        {"gender": MARKER, "age_band": "25-34"},
        format="json",
    )
    assert answered.status_code == 200
    # No longer offered: the categories list (public to members) does not show it either.
    marker.is_active = False
    marker.save()
    ids = {
        **nomination_request_ids(other),
        **delegation_ids(committee),
        **webhook_ids(hr),  # an endpoint for every event: the deliveries carry the payloads
        "members": member.pk,
    }
    cycle = factories.draft_cycle(hr, tracks=("ic",))
    cycles.cycle_open(actor=hr, cycle=cycle)
    promotion = factories.promotion(candidate=member, to="senior-pm")
    assert promotion.cycle_id == cycle.pk
    promotion = services.promotion_start_review(promotion=promotion, actor=committee2)
    factories.review(promotion, committee, "approve")
    cycles.cycle_calibrate(actor=hr, cycle=cycle)
    promotion = type(promotion).objects.get(pk=promotion.pk)  # the FSM field is protected
    promotion = services.promotion_approve(promotion=promotion, actor=committee2, note="Well done.")
    notification = promotion.notifications.filter(recipient=member.user).first() or (
        member.user.notifications.first()
    )
    ids.update({"promotions": promotion.pk, "cycles": cycle.pk, "notifications": notification.pk})
    return users, ids, promotion, member


# The marker may show only here: (role, path).
OWN = {
    ("member", "/api/v1/members/me/demographics/"),
    ("member", "/api/v1/members/me/export/"),
    ("member", "/me/demographics/"),
    ("member", "/me/export/"),
}


def test_a_members_demographics_reach_nobody_else(world):
    users, ids, promotion, member = world
    seen: list[tuple[str, str]] = []
    allowed_seen: set[tuple[str, str]] = set()

    def check(role, path, text):
        if leaks(text):
            if (role, path) in OWN:
                allowed_seen.add((role, path))
            else:
                seen.append((role, path))

    # Every API GET route, as every role.
    api_reads = 0
    for route, methods in API_TABLE.items():
        if "get" not in methods:
            continue
        path = concrete(route, ids)
        for role, user in users.items():
            client = APIClient()
            client.force_authenticate(user)
            response = client.get(path)
            assert response.status_code != 500, path
            check(role, route, response.content.decode("utf-8", "replace"))
            api_reads += 1
    assert api_reads > 300

    # People analytics' report names the marker group as a code with counts, never a person.
    client = APIClient()
    client.force_authenticate(users["analyst"])
    report = client.get(
        "/api/v1/analytics/adverse-impact/", {"category": "gender", "cycles": ids["cycles"]}
    )
    assert report.status_code == 200
    text = report.content.decode()
    for person in (member.user.username, member.user.email, member.user.last_name):
        assert person not in text
    assert set(json.loads(text)) == {"category", "cycles", "min_group", "stages"}

    # Every member-site page, as every role (signed in by session).
    values = {
        "promotion_id": promotion.pk,
        "member_id": member.pk,
        "request_id": ids["nomination-requests"],
        "delegation_id": ids["delegations"],
        "level_code": "senior-pm",
        "notification_id": ids["notifications"],
        "uidb64": "MQ",
        "token": "x",
    }
    for route, methods in SITE_TABLE.items():
        if "get" not in methods or route.startswith(("/logout", "/scim", "/sso")):
            continue
        path = re.sub(r"\{(\w+)\}", lambda m: str(values.get(m.group(1), 1)), route)
        for role, user in users.items():
            page = Client()
            page.force_login(user)
            response = page.get(path)
            assert response.status_code != 500, path
            check(role, route, response.content.decode("utf-8", "replace"))
    assert ("member", "/me/demographics/") in allowed_seen  # the page shows the member's answer

    # Every admin page of every registered model (the first row, and the member's own rows), as
    # every staff role and a superuser.
    staff = {role: users[role] for role in ("hr", "committee", "executive", "analyst")}
    staff["superuser"] = factories.UserFactory(is_superuser=True, is_staff=True)
    admin_reads = 0
    for model, model_admin in admin.site._registry.items():
        # Every page of the member's own rows (their delete page lists what hangs on them); the
        # list and the first row's page of every other model.
        first = model._default_manager.order_by("pk").first()
        paths = {path for path in admin_paths(model_admin, first) if "/delete/" not in path}
        paths -= {path for path in paths if path.endswith(("/add/", "/history/"))}
        for own in (member, member.user, promotion):
            if isinstance(own, model):
                paths |= set(admin_paths(model_admin, own))
        if model is type(promotion.cycle):  # the calibration board and statistics
            paths.add(reverse("admin:promotions_cycle_calibration", args=[ids["cycles"]]))
        for role, user in staff.items():
            page = Client()
            page.force_login(user)
            for path in sorted(paths):
                response = page.get(path)
                assert response.status_code != 500, path
                text = response.content.decode("utf-8", "replace")
                if model is DemographicChoice:
                    # The choices themselves (not anyone's answer) are People analytics' to edit.
                    continue
                check(role, path, text)
                admin_reads += 1
    assert admin_reads > 80
    page = Client()
    page.force_login(users["analyst"])
    shown = page.get(
        reverse("admin:analytics_adverse_impact"), {"category": "gender", "cycles": ids["cycles"]}
    )
    assert shown.status_code == 200 and member.user.username not in shown.content.decode()

    # The exports: HR's member and promotion exports (CSV and XLSX), the cycle's decisions.
    for resource in (MemberResource(), PromotionResource()):
        dataset = resource.export()
        check("hr", f"{type(resource).__name__}.csv", dataset.export("csv"))
        workbook = load_workbook(io.BytesIO(dataset.export("xlsx")))
        cells = " ".join(
            str(cell)
            for sheet in workbook
            for row in sheet.iter_rows(values_only=True)
            for cell in row
        )
        check("hr", f"{type(resource).__name__}.xlsx", cells)
        assert member.user.username in cells  # the member is in it
    decisions = APIClient()
    decisions.force_authenticate(users["hr"])
    csv = decisions.get(f"/api/v1/cycles/{ids['cycles']}/decisions.csv")
    assert csv.status_code == 200 and member.user.username in csv.content.decode()
    check("hr", "decisions.csv", csv.content.decode())

    # E-mails sent, and every row of every table but the analytics app's own: the inbox, the
    # outbox of e-mails and Slack messages, webhook deliveries' payloads, the audit trail.
    for message in mail.outbox:
        check("mail", message.subject, message.body + str(message.alternatives))
    tables = [t for t in connection.introspection.table_names() if not t.startswith("analytics_")]
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f'SELECT row_to_json(t)::text FROM "{table}" t')  # noqa: S608
            for (row,) in cursor.fetchall():
                check("database", table, row)
    assert "webhooks_delivery" in tables and "notifications_notification" in tables

    assert seen == [], f"the marker leaked to: {seen}"
    assert {("member", "/api/v1/members/me/demographics/"), ("member", "/me/demographics/")} <= (
        allowed_seen
    )
