"""What the member site shows to whom: the API's visibility rules hold on every page. A PM reads
the state of their promotions and their packet, never a rating, a vote, a reviewer or a
committee note; a manager reads nothing of someone else's report (404, as for what does not
exist), on every route of the site that names a member, a promotion or a message."""

import pytest
from django.urls import URLPattern, reverse
from django.utils import timezone

from ladder.models import Level
from notifications.models import Notification
from portal import urls as portal_urls
from promotions import services
from promotions.delegations import services as delegations
from promotions.models import Delegation, Promotion
from promotions.requests import services as nomination_requests
from tests import factories

pytestmark = pytest.mark.django_db

REVIEWER = {"username": "zq-reviewer", "first_name": "Zebediah", "last_name": "Quartermaine"}
COMMITTEE_WORDS = (
    "Zebediah",
    "Quartermaine",
    "zq-reviewer",
    "comment-7f3a",
    "start-note-91c2",
    "changes-note-44d1",
    "decision-note-0b8e",
    "not_yet",
    "exceeds",
    "Exceeds",
    "Not yet",
    "Meets",
    "vote",
    "Vote",
    "rating",
    "Rating",
)


def _vote(promotion, reviewer, decision: str, rating: str):
    return services.promotion_review(
        promotion=promotion,
        reviewer=reviewer,
        decision=decision,
        comment="comment-7f3a: the committee's words",
        ratings=factories.ratings_for(promotion, rating),
    )


@pytest.fixture
def pm_with_history():
    """A PM with a rejected promotion (voted, rated, with notes) and a second one sent back for
    changes (a note to the nominator) after votes."""
    candidate, manager = factories.team(level="pm")
    reviewer = factories.committee_member(**REVIEWER)
    chair = factories.committee_member()
    first = factories.promotion(candidate=candidate, to="senior-pm")
    first = services.promotion_start_review(promotion=first, actor=chair, note="start-note-91c2")
    _vote(first, reviewer, "reject", "not_yet")
    first = services.promotion_reject(promotion=first, actor=chair, note="decision-note-0b8e")
    second = factories.promotion(candidate=candidate, to="senior-pm")
    second = services.promotion_start_review(promotion=second, actor=chair, note="start-note-91c2")
    _vote(second, reviewer, "approve", "exceeds")
    second = services.promotion_request_changes(
        promotion=second, actor=chair, note="changes-note-44d1"
    )
    return candidate, manager, [first, second]


def test_no_page_shows_a_pm_the_committees_work(client, pm_with_history):
    candidate, _, promotions = pm_with_history
    client.force_login(candidate.user)
    pages = ["/", "/me/", "/inbox/", "/team/"]
    pages += [reverse("portal:my-promotion", args=[p.pk]) for p in promotions]
    assert Notification.objects.filter(recipient=candidate.user).count() >= 4
    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        page = response.content.decode()
        shown = [word for word in COMMITTEE_WORDS if word in page]
        assert not shown, f"{path} shows {shown}"
    # Their packet is theirs to read: the evidence is on the page.
    page = client.get(reverse("portal:my-promotion", args=[promotions[1].pk])).content.decode()
    assert "Led it end to end." in page


def test_the_nominator_reads_the_request_for_changes_and_no_other_committee_work(
    client, pm_with_history
):
    _, manager, promotions = pm_with_history
    client.force_login(manager.user)
    page = client.get(reverse("portal:nomination", args=[promotions[1].pk])).content.decode()
    assert "changes-note-44d1" in page
    for path in ["/", "/team/", "/inbox/", reverse("portal:nomination", args=[promotions[0].pk])]:
        page = client.get(path).content.decode()
        shown = [w for w in COMMITTEE_WORDS if w in page and w != "changes-note-44d1"]
        assert not shown, f"{path} shows {shown}"


def _routes_with_ids() -> list[str]:
    return sorted(
        pattern.name
        for pattern in portal_urls.urlpatterns
        if isinstance(pattern, URLPattern) and pattern.name and pattern.pattern.converters
    )


WRITES = {"nominate", "nomination", "resubmit", "withdraw", "inbox-read", "release", "appeal"}
POST_ONLY = {"resubmit", "inbox-read", "release", "appeal"}
# Nomination requests: asking for oneself (a level that is no move from one's own: 404), and
# answering another team's request.
WRITES |= {"request", "request-accept", "request-decline"}
POST_ONLY |= {"request-accept", "request-decline"}
# Delegations: revoking another's.
WRITES |= {"delegation-revoke"}
POST_ONLY |= {"delegation-revoke"}


def test_a_manager_gets_404_for_someone_elses_report_on_every_route(client):
    """Every route of the site that takes an id or a code is walked (the test fails when a new one
    is not), with GET and POST, as a manager of another team."""
    report, their_manager = factories.team(level="pm")
    asked = nomination_requests.nomination_request_create(
        user=report.user,
        to_level=Level.objects.get(code="senior-pm"),
        justification="Ready.",
        evidence=factories.evidence_for("senior-pm"),
    )
    promotion = factories.promotion(candidate=report, to="senior-pm", state="in_review")
    services.promotion_request_changes(
        promotion=promotion, actor=factories.committee_member(), note="More."
    )
    notification = Notification.objects.filter(recipient=report.user).first()
    absent, stand_in = factories.committee_member(), factories.committee_member()
    delegation = delegations.delegation_create(
        actor=absent,
        delegator=absent,
        delegate=stand_in,
        starts_on=timezone.localdate(),
        ends_on=timezone.localdate(),
    )
    outsider, _ = factories.team(level="group-pm", manager_level="head-of-product")
    factories.MemberFactory(level=Level.objects.get(code="pm"), manager=outsider)
    walked = {
        "my-promotion": [promotion.pk],
        "nominate": [report.pk, "senior-pm"],
        "nomination": [promotion.pk],
        "resubmit": [promotion.pk],
        "withdraw": [promotion.pk],
        "release": [promotion.pk],
        "appeal": [promotion.pk],
        "inbox-read": [notification.pk],
        "request": ["senior-pm"],
        "request-accept": [asked.pk],
        "request-decline": [asked.pk],
        "delegation-revoke": [delegation.pk],
        "password_reset_confirm": None,  # Django's: a token, not an object of the ladder
    }
    assert set(_routes_with_ids()) <= set(walked), "a new route is not walked here"
    client.force_login(outsider.user)
    for name, args in walked.items():
        if args is None:
            continue
        url = reverse(f"portal:{name}", args=args)
        for method, takes in (("get", name not in POST_ONLY), ("post", name in WRITES)):
            response = getattr(client, method)(url)
            # 404 where the route takes the method; 405 (saying nothing) where it does not.
            assert response.status_code == (404 if takes else 405), (name, method)
    promotion = Promotion.objects.get(pk=promotion.pk)
    assert promotion.state == "changes_requested" and promotion.packet_version == 1
    notification.refresh_from_db()
    assert notification.read_at is None
    asked.refresh_from_db()
    assert asked.state == "pending"
    assert Delegation.objects.filter(pk=delegation.pk).exists()


def test_the_nomination_form_is_only_for_ones_own_reports(client):
    report, manager = factories.team(level="pm")
    client.force_login(report.user)  # a PM without reports
    assert client.get(reverse("portal:nominate", args=[report.pk, "senior-pm"])).status_code == 404
    client.force_login(manager.user)
    assert client.get(reverse("portal:nominate", args=[report.pk, "no-such"])).status_code == 404
    assert client.get(reverse("portal:nominate", args=[99999, "senior-pm"])).status_code == 404
    own = reverse("portal:nominate", args=[manager.pk, "head-of-product"])
    assert client.get(own).status_code == 404  # never oneself
