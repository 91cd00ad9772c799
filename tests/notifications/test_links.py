"""Links in notifications: each recipient's copy opens the page of their role, in the inbox (a
path, `link`) and in the e-mail (the same page, whole); where links start (SITE_URL, PORT,
the request under development settings, never a request in production)."""

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from core.site import absolute_url
from ladder.models import Level
from notifications.models import Notification
from promotions import notify
from promotions import services as promotion_services
from promotions.packets import services as packets
from promotions.requests import services as nomination_requests
from tests import factories
from tests.openapi import api_schema

ROOT = Path(__file__).resolve().parents[2]

# Written out by hand, not reversed: the pages of docs/notifications.md ("Links").
PAGE_OF_ROLE = {
    "candidate": "/me/promotions/{id}/",
    "nominator": "/nominations/{id}/",
    "manager": "/team/#member-{member}",  # the report's card
    "committee": "/admin/promotions/promotion/{id}/change/",
}


# A nomination request's messages: the manager's team page at its requests, the member's /me/ at
# theirs (an accepted one: the new promotion).
REQUEST_PAGES = {
    "nomination_requested": ("manager", "/team/#requests"),
    "nomination_request_reminder": ("manager", "/team/#requests"),
    "nomination_request_answered": ("candidate", "/me/#requests"),
}


def role_of(row: Notification) -> str:
    """The recipient's part in the promotion the row is about (committee and HR: none)."""
    promotion = row.promotion
    if row.recipient_id == promotion.candidate.user_id:
        return "candidate"
    if row.recipient_id == promotion.nominated_by_id:
        return "nominator"
    if row.recipient_id == promotion.candidate.manager.user_id:
        return "manager"
    return "committee"


def every_kind_of_notification(people, settings) -> dict[str, object]:
    """Every message the product writes, with a manager who is not the nominator where the
    design sends them one. Returns the cycle and the webhook endpoint written about."""
    settings.PROMOTIONS_MIN_APPROVALS = 1
    hr, hr2 = people["hr"], factories.hr_user()
    committee, committee2 = people["committee"], people["committee2"]
    today, now = timezone.localdate(), timezone.now()

    # HR nominates: the candidate's manager is not the nominator.
    case = factories.promotion(candidate=people["candidate_member"], by=hr)  # review requested
    case = promotion_services.promotion_start_review(promotion=case, actor=committee)
    factories.review(case, committee2, "approve")
    factories.review(case, hr2, "approve")  # HR's vote, stale after the new version
    case = promotion_services.promotion_request_changes(
        promotion=case, actor=committee, note="Add the numbers."
    )
    notify.notify_overdue(now=now + timedelta(days=30))  # waits on the nominator
    packets.packet_submit(
        promotion=case,
        actor=hr,
        justification="With numbers.",
        evidence=factories.evidence_for("senior-pm", text="Now with numbers."),
    )
    case = promotion_services.promotion_resubmit(promotion=case, actor=hr)  # look again
    notify.notify_overdue(now=now + timedelta(days=31))  # the committee's reminder
    factories.review(case, committee2, "approve")
    case = promotion_services.promotion_approve(
        promotion=case, actor=committee, effective_on=today + timedelta(days=10)
    )
    promotion_services.promotions_apply_effective(today=today + timedelta(days=10))

    # Rejected and withdrawn, HR's nominations too; one the manager nominates themself.
    candidate, manager = factories.team()
    rejected = factories.promotion(candidate=candidate, by=hr, state="in_review", actor=committee)
    factories.review(rejected, committee2, "reject")
    promotion_services.promotion_reject(promotion=rejected, actor=committee, note="Not yet.")
    withdrawn = factories.promotion(candidate=factories.team()[0], by=hr)
    promotion_services.promotion_withdraw(promotion=withdrawn, actor=hr, note="Timing.")
    factories.promotion(candidate=factories.team()[0], state="in_review", actor=committee)

    cycle = factories.draft_cycle(hr)
    notify.notify_cycle_calibrating(cycle=cycle, awaiting=1)

    # A member asks their manager twice: reminded, declined; asked again, accepted.
    asker, their_manager = factories.team()
    ask = {
        "user": asker.user,
        "to_level": Level.objects.get(code="senior-pm"),
        "justification": "Ready.",
        "evidence": factories.evidence_for("senior-pm"),
    }
    declined = nomination_requests.nomination_request_create(**ask)
    nomination_requests.nomination_requests_remind(now=now + timedelta(days=30))
    nomination_requests.nomination_request_decline(
        request=declined, actor=their_manager.user, reason="Not yet."
    )
    accepted = nomination_requests.nomination_request_create(**ask)
    accepted = nomination_requests.nomination_request_accept(
        request=accepted, actor=their_manager.user
    )

    from webhooks import services as webhook_services

    settings.WEBHOOKS_ALLOW_PRIVATE_URLS = True
    endpoint = webhook_services.endpoint_create(actor=hr, url="http://127.0.0.1:9/hook")
    with transaction.atomic():  # as a failing delivery does, the caller saving the endpoint
        webhook_services._disable(endpoint, now=now, error="Connection refused")
        endpoint.save()
    return {"cycle": cycle, "endpoint": endpoint, "accepted": accepted}


def test_every_notification_opens_the_page_of_its_recipients_role(people, settings):
    made = every_kind_of_notification(people, settings)
    calibration = reverse("admin:promotions_cycle_calibration", args=[made["cycle"].pk])
    endpoint = reverse("admin:webhooks_endpoint_change", args=[made["endpoint"].pk])
    seen = set()
    rows = Notification.objects.select_related("promotion__candidate__manager")
    for row in rows:
        if row.kind in REQUEST_PAGES:  # a nomination request's: its manager's, its member's
            role, page = REQUEST_PAGES[row.kind]
            if "accepted" in row.subject:
                page = f"/me/promotions/{made['accepted'].promotion_id}/"
        elif row.promotion is None:  # a cycle's or a webhook's: the admin page it is about
            role = "hr" if row.kind == "webhook_disabled" else "committee"
            page = endpoint if role == "hr" else calibration
        else:
            role = role_of(row)
            page = PAGE_OF_ROLE[role].format(id=row.promotion_id, member=row.promotion.candidate_id)
        seen.add((row.kind, role))
        assert row.link == page, (row.kind, role)
        # The e-mail carries the same page, whole, in both bodies.
        assert f"http://ladder.test{page}" in row.body, (row.kind, role)
        if row.html_body:
            assert f'href="http://ladder.test{page}"' in row.html_body, (row.kind, role)
        if role in {"candidate", "manager"}:
            for text in (row.link, row.body, row.html_body):
                assert "/admin/" not in text and "/api/" not in text, (row.kind, role)
    people_involved = {"candidate", "nominator", "manager"}
    expected = {
        ("review_requested", "committee"),
        ("review_started", "candidate"),
        ("review_started", "nominator"),
        *(("changes_requested", role) for role in people_involved),
        ("review_reminder", "nominator"),
        ("review_reminder", "committee"),
        ("resubmitted", "committee"),
        *(("approved", role) for role in people_involved),
        *(("effective", role) for role in people_involved),
        *(("rejected", role) for role in people_involved),
        *(("withdrawn", role) for role in (*people_involved, "committee")),
        ("cycle_calibrating", "committee"),
        ("webhook_disabled", "hr"),
        ("nomination_requested", "manager"),
        ("nomination_request_reminder", "manager"),
        ("nomination_request_answered", "candidate"),
    }
    assert seen == expected
    # HR reading committee work (a vote gone stale) is sent to the desk like the committee.
    stale = Notification.objects.get(kind="resubmitted", recipient__groups__name="HR")
    assert stale.link == f"/admin/promotions/promotion/{stale.promotion_id}/change/"


def test_each_link_opens_a_page_its_recipient_may_see(people, settings):
    """Not a path that merely looks right: signed in as the recipient, the page answers 200 (the
    manager's team page has the report's card the link points at)."""
    every_kind_of_notification(people, settings)
    opened = set()
    for row in Notification.objects.select_related("recipient").order_by("id"):
        if (row.recipient_id, row.link) in opened:
            continue
        opened.add((row.recipient_id, row.link))
        client = Client()
        client.force_login(row.recipient)
        path, _, anchor = row.link.partition("#")
        response = client.get(path)
        assert response.status_code == 200, (row.kind, row.link, response.status_code)
        if anchor:
            assert f'id="{anchor}"' in response.content.decode(), (row.kind, row.link)


def test_a_manager_who_nominated_opens_the_nomination(people, nominate):
    promotion = nominate()  # by the candidate's manager
    promotion_services.promotion_start_review(promotion=promotion, actor=people["committee"])
    row = Notification.objects.get(recipient=people["manager"], kind="review_started")
    assert row.link == f"/nominations/{promotion.pk}/"


def test_the_inbox_api_shows_each_recipients_link(as_user, people, settings):
    every_kind_of_notification(people, settings)
    for name in ("candidate", "manager", "hr", "committee"):
        body = as_user(people[name]).get("/api/v1/notifications/?page_size=100").json()
        assert body["results"], name
        rows = Notification.objects.in_bulk([n["id"] for n in body["results"]])
        for shown in body["results"]:
            assert shown["link"] == rows[shown["id"]].link != ""
            assert shown["link"].startswith("/")  # a path: open it on the address in use


def test_the_openapi_document_describes_the_link():
    schema = api_schema()
    link = schema["components"]["schemas"]["Notification"]["properties"]["link"]
    assert link["type"] == "string" and link["readOnly"] is True
    assert "path on this site" in link["description"]


# --- where links start --------------------------------------------------------------------------


def test_a_request_under_development_settings_writes_links_to_its_own_address(
    people, as_user, settings
):
    """`manage.py runserver 19200` without PORT or SITE_URL: the links follow the request."""
    settings.SITE_URL_FOLLOWS_REQUESTS = True
    client = as_user(people["manager"])
    response = client.post(
        "/api/v1/promotions/",
        {
            "candidate": people["candidate_member"].pk,
            "to_level": "senior-pm",
            "justification": "Ready.",
            "evidence": factories.evidence_for("senior-pm"),
        },
        format="json",
        HTTP_HOST="127.0.0.1:19200",
    )
    assert response.status_code == 201, response.json()
    desk = f"/admin/promotions/promotion/{response.json()['id']}/change/"
    for row in Notification.objects.filter(kind="review_requested"):
        assert f"http://127.0.0.1:19200{desk}" in row.body
        assert row.link == desk
    # Outside a request (a reminder from beat, a command): SITE_URL.
    assert absolute_url("/team/") == "http://ladder.test/team/"


def test_production_links_never_follow_the_host_header(people, as_user, settings):
    settings.SITE_URL_FOLLOWS_REQUESTS = False  # as production.py has it
    settings.ALLOWED_HOSTS = ["ladder.test", "evil.example"]
    response = as_user(people["manager"]).post(
        "/api/v1/promotions/",
        {
            "candidate": people["candidate_member"].pk,
            "to_level": "senior-pm",
            "justification": "Ready.",
            "evidence": factories.evidence_for("senior-pm"),
        },
        format="json",
        HTTP_HOST="evil.example",
    )
    assert response.status_code == 201, response.json()
    for row in Notification.objects.filter(kind="review_requested"):
        assert "evil.example" not in row.body + row.html_body
        assert "http://ladder.test/admin/" in row.body


def settings_of(module: str, **env) -> subprocess.CompletedProcess:
    """SITE_URL and whether links follow requests, as a fresh process loads `module`."""
    environment = {
        k: v for k, v in os.environ.items() if k not in {"SITE_URL", "PORT", "ALLOWED_HOSTS"}
    }
    environment.update(DJANGO_SETTINGS_MODULE=module, **env)
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "from django.conf import settings as s; print(s.SITE_URL, s.SITE_URL_FOLLOWS_REQUESTS)",
        ],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("env", "shown"),
    [
        ({}, "http://127.0.0.1:8000 True"),
        ({"PORT": "19200"}, "http://127.0.0.1:19200 True"),
        (
            {"PORT": "19200", "SITE_URL": "https://ladder.example.com/"},
            "https://ladder.example.com False",
        ),
    ],
    ids=["default", "PORT", "SITE_URL wins"],
)
def test_development_site_url_follows_port_unless_set(env, shown):
    result = settings_of("config.settings.base", **env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == shown


def test_a_site_url_that_is_not_an_address_is_refused():
    result = settings_of("config.settings.base", SITE_URL="ladder.example.com")
    assert result.returncode != 0
    assert "SITE_URL must be the site's address" in result.stderr


PRODUCTION = {"SECRET_KEY": "k7P2vQx9-links-check-only-3mLr8Zt4Wn6Yb1Hc5Jd0Fg2Ks7Uv9Ae4Ri6Ot8Pq"}


@pytest.mark.parametrize(
    ("env", "shown"),
    [
        ({"SITE_URL": "https://ladder.example.com", "PORT": "19200"}, "https://ladder.example.com"),
        (
            {"ALLOWED_HOSTS": ".example.com, ladder.example.com, api.example.com"},
            "https://ladder.example.com",
        ),
    ],
    ids=["SITE_URL", "the first named host"],
)
def test_production_links_are_configured_never_followed(env, shown):
    result = settings_of("config.settings.production", **PRODUCTION, **env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [shown, "False"]


def test_production_refuses_to_guess_a_site_url_from_a_wildcard():
    result = settings_of("config.settings.production", **PRODUCTION, ALLOWED_HOSTS="*")
    assert result.returncode != 0
    assert "SITE_URL is not set" in result.stderr


def test_make_hands_its_port_to_what_it_starts(tmp_path):
    """`make run`, `make serve`, `make demo` (and the workers) see PORT, given or default."""
    probe = tmp_path / "probe.mk"
    probe.write_text("probe:\n\t@echo PORT=$$PORT\n")
    environment = {k: v for k, v in os.environ.items() if k != "PORT"}
    shown = [
        subprocess.run(
            ["make", "--no-print-directory", "-f", "Makefile", "-f", str(probe), "probe", *args],
            cwd=ROOT,
            env=environment,
            capture_output=True,
            text=True,
            timeout=60,
        ).stdout.strip()
        for args in ([], ["PORT=19200"])
    ]
    assert shown == ["PORT=8000", "PORT=19200"]
