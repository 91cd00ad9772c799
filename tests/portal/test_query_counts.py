"""The member site's pages make as many queries for a team of 1 as for one of 12, for 1 packet
version as for 5, for 1 level change as for 4 and for 2 messages as for 40: each page is read
once (caches warm), measured, one dimension grown, and measured again."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ladder.models import Level
from notifications.models import Notification
from promotions.models import Promotion
from promotions.packets import services as packets
from tests import factories

pytestmark = pytest.mark.django_db


def count(client, url: str) -> int:
    client.get(url)  # warm: sessions, content types, the ladder's cached rows
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured.captured_queries)


def report_of(manager, level: str = "pm"):
    return factories.MemberFactory(level=Level.objects.get(code=level), manager=manager)


def test_team_and_home_do_not_grow_with_the_team(client):
    first, manager = factories.team(level="pm")
    factories.promotion(candidate=first, to="senior-pm", state="in_review")
    client.force_login(manager.user)
    before = {url: count(client, url) for url in ("/team/", "/")}
    for level in ["associate-pm", "pm", "senior-pm", "lead-pm"] * 3:
        report = report_of(manager, level)
        if level == "pm":
            factories.promotion(candidate=report, to="senior-pm")
    after = {url: count(client, url) for url in ("/team/", "/")}
    assert after == before


def test_the_nominators_page_does_not_grow_with_versions(client):
    candidate, manager = factories.team(level="pm")
    promotion = factories.promotion(candidate=candidate, to="senior-pm")
    client.force_login(manager.user)
    url = reverse("portal:nomination", args=[promotion.pk])
    before = count(client, url)
    for n in range(4):
        packets.packet_submit(
            promotion=promotion,
            actor=manager.user,
            justification=f"Version {n + 2}.",
            evidence=factories.evidence_for("senior-pm"),
        )
    assert count(client, url) == before


def test_my_pages_do_not_grow_with_history_or_messages(client):
    candidate, manager = factories.team(level="associate-pm")
    client.force_login(candidate.user)
    first = factories.promotion(candidate=candidate, to="pm", state="approved")
    urls = ["/me/", "/inbox/", "/", reverse("portal:my-promotion", args=[first.pk])]
    before = {url: count(client, url) for url in urls}
    candidate.refresh_from_db()
    candidate.level_since = candidate.level_since.replace(year=candidate.level_since.year - 2)
    candidate.save()
    for to in ("senior-pm", "lead-pm"):
        factories.promotion(candidate=candidate, to=to, state="approved")
        candidate.refresh_from_db()
        candidate.level_since = candidate.level_since.replace(year=candidate.level_since.year - 2)
        candidate.save()
    latest = Promotion.objects.filter(candidate=candidate).latest("created_at")
    for n in range(40):
        Notification.objects.create(
            recipient=candidate.user, kind="note", subject=f"Message {n}", body="Body."
        )
    urls[-1] = reverse("portal:my-promotion", args=[latest.pk])
    after = {url: count(client, url) for url in urls}
    assert list(after.values()) == list(before.values())
