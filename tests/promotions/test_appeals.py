"""Appeals, over HTTP (docs/workflow.md, "Appeals"): the candidate or the nominator appeals a
rejection within APPEAL_WINDOW_DAYS with a statement; committee members who neither voted on it
before nor decided it hear it: they approve it (quorum counted on the appeal's votes; the level
changes once) or uphold the rejection. One appeal per promotion; none beside a newer open
promotion."""

from collections import Counter
from datetime import timedelta
from functools import partial

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from ladder.models import LevelChange, Member
from notifications.models import Notification
from promotions import services
from promotions.appeals import services as appeals
from promotions.models import Appeal, Promotion
from tests import factories
from tests.concurrency import at_once

pytestmark = pytest.mark.django_db

STATEMENT = "appeal-7c2: the launch numbers came in after the committee met."


def client_of(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {factories.token_for(user)}")
    return client


def rejected_case():
    """A PM's promotion to senior-pm rejected by `decider`, after a vote by `voter`."""
    voter, decider = factories.committee_member(), factories.committee_member()
    promotion = factories.promotion(state="in_review", votes=[(voter, "reject")])
    client_of(decider).post(
        f"/api/v1/promotions/{promotion.pk}/reject/", {"note": "Not yet."}, format="json"
    )
    return Promotion.objects.get(pk=promotion.pk), voter, decider


def vote(client, promotion, decision="approve"):
    body = {
        "decision": decision,
        "comment": "Seen the new numbers." if decision == "reject" else "",
        "ratings": factories.ratings_body(promotion, "meets"),
    }
    return client.post(f"/api/v1/promotions/{promotion.pk}/reviews/", body, format="json")


def test_a_rejected_candidate_appeals_and_two_fresh_votes_approve_it(settings):
    assert connection.vendor == "postgresql"
    settings.PROMOTIONS_MIN_APPROVALS = 2
    promotion, voter, decider = rejected_case()
    url = f"/api/v1/promotions/{promotion.pk}/"
    candidate = client_of(promotion.candidate.user)
    assert "appeal" in candidate.get(url).json()["available_transitions"]
    assert (
        client_of(factories.committee_member()).post(url + "appeal/", {}, format="json").status_code
        == 403
    )

    empty = candidate.post(url + "appeal/", {"statement": "  "}, format="json")
    assert empty.status_code == 400 and empty.json()["code"] == "statement_required"
    long = candidate.post(url + "appeal/", {"statement": "x" * 4001}, format="json")
    assert long.status_code == 400 and long.json()["code"] == "statement_too_long"
    appealed = candidate.post(url + "appeal/", {"statement": STATEMENT}, format="json")
    assert appealed.status_code == 200, appealed.content
    assert appealed.json()["state"] == "appealed"
    assert Appeal.objects.get(promotion=promotion).statement == STATEMENT
    again = client_of(promotion.nominated_by).post(
        url + "appeal/", {"statement": STATEMENT}, format="json"
    )
    assert again.status_code == 409 and again.json()["code"] == "invalid_state"
    # The committee hears of it (those who may hear it); the statement stays out of e-mails.
    assert Notification.objects.filter(kind="appealed", recipient=voter).exists()

    # Those who voted before, or decided it, are not on the appeal's panel.
    for earlier in (voter, decider):
        refused = vote(client_of(earlier), promotion)
        assert refused.status_code == 403 and refused.json()["code"] == "took_part_before"
        refused = client_of(earlier).post(url + "approve/", {}, format="json")
        assert refused.status_code == 403 and refused.json()["code"] == "took_part_before"
        assert client_of(earlier).get(url).json()["available_transitions"] == []

    # The nominator may submit a new packet version while it is appealed.
    packet = client_of(promotion.nominated_by).post(
        url + "packet/",
        {
            "justification": "With the launch numbers.",
            "evidence": factories.evidence_for("senior-pm", "Launched; numbers attached."),
        },
        format="json",
    )
    assert packet.status_code == 201, packet.content
    promotion = Promotion.objects.get(pk=promotion.pk)

    fresh = [factories.committee_member() for _ in range(3)]
    assert vote(client_of(fresh[0]), promotion).status_code == 201
    short = client_of(fresh[2]).post(url + "approve/", {}, format="json")
    assert short.status_code == 409 and short.json()["code"] == "quorum_not_met"
    assert vote(client_of(fresh[1]), promotion).status_code == 201
    panel = client_of(fresh[2])
    assert panel.get(url).json()["available_transitions"] == ["approve", "uphold"]
    approved = panel.post(url + "approve/", {}, format="json")
    assert approved.status_code == 200, approved.content
    assert approved.json()["state"] == "approved" and approved.json()["level_applied"]
    member = Member.objects.get(pk=promotion.candidate_id)
    assert member.level.code == "senior-pm"
    assert LevelChange.objects.filter(member=member).count() == 1
    assert panel.post(url + "approve/", {}, format="json").status_code == 409
    assert LevelChange.objects.filter(member=member).count() == 1
    votes = client_of(fresh[2]).get(url + "timeline/").json()[-1]["votes"]
    counted = {v["reviewer"]: v["counted"] for v in votes}
    assert counted[voter.username] is False and sum(counted.values()) == 2


def test_after_the_window_an_appeal_is_refused_and_the_panel_may_uphold(settings):
    settings.APPEAL_WINDOW_DAYS = 30
    late, _, _ = rejected_case()
    Promotion.objects.filter(pk=late.pk).update(decided_at=timezone.now() - timedelta(days=31))
    nominator = client_of(late.nominated_by)
    refused = nominator.post(
        f"/api/v1/promotions/{late.pk}/appeal/", {"statement": STATEMENT}, format="json"
    )
    assert refused.status_code == 409 and refused.json()["code"] == "appeal_window_closed"

    promotion, voter, _ = rejected_case()
    url = f"/api/v1/promotions/{promotion.pk}/"
    by_nominator = client_of(promotion.nominated_by).post(
        url + "appeal/", {"statement": STATEMENT}, format="json"
    )
    assert by_nominator.status_code == 200
    assert (
        client_of(voter).post(url + "uphold/", {"note": "Same."}, format="json").status_code == 403
    )
    panel = client_of(factories.committee_member())
    missing = panel.post(url + "uphold/", {}, format="json")
    assert missing.status_code == 400 and missing.json()["code"] == "note_required"
    upheld = panel.post(url + "uphold/", {"note": "The numbers do not change it."}, format="json")
    assert upheld.status_code == 200 and upheld.json()["state"] == "upheld"
    assert upheld.json()["available_transitions"] == []
    assert Notification.objects.filter(kind="upheld", recipient=promotion.candidate.user).exists()
    assert client_of(promotion.candidate.user).post(
        url + "appeal/", {"statement": "Again"}, format="json"
    ).json()["code"] == ("invalid_state")


def test_a_held_rejection_is_appealable_for_the_window_from_its_release(client, settings):
    """The window counts from when the candidate could know: a rejection held for a release date
    and released 60 days after it was decided may still be appealed the next day (API and the
    member site's deadline, one function: appeals.appeal_deadline); an unheld rejection's window
    counts from the decision, as before (409 `appeal_window_closed` after it)."""
    settings.APPEAL_WINDOW_DAYS = 30
    held, _, _ = rejected_case()
    Promotion.objects.filter(pk=held.pk).update(release_held=True)
    released = client_of(held.nominated_by).post(
        f"/api/v1/promotions/{held.pk}/release/", {"note": "Told them."}, format="json"
    )
    assert released.status_code == 200, released.json()
    now = timezone.now()
    # Decided 61 days ago, released 60 days after that: today is the day after the release.
    Promotion.objects.filter(pk=held.pk).update(
        decided_at=now - timedelta(days=61), released_at=now - timedelta(days=1)
    )
    held = Promotion.objects.get(pk=held.pk)
    assert appeals.appeal_deadline(held) == held.released_at + timedelta(days=30)
    client.force_login(held.candidate.user)
    page = client.get(f"/me/promotions/{held.pk}/").content.decode()
    until = timezone.localtime(held.released_at + timedelta(days=30))
    assert f"You may appeal until {until:%-d %B %Y}" in page
    appealed = client_of(held.candidate.user).post(
        f"/api/v1/promotions/{held.pk}/appeal/", {"statement": STATEMENT}, format="json"
    )
    assert appealed.status_code == 200 and appealed.json()["state"] == "appealed"

    unheld, _, _ = rejected_case()
    assert unheld.released_at is None
    Promotion.objects.filter(pk=unheld.pk).update(decided_at=now - timedelta(days=31))
    late = client_of(unheld.candidate.user).post(
        f"/api/v1/promotions/{unheld.pk}/appeal/", {"statement": STATEMENT}, format="json"
    )
    assert late.status_code == 409 and late.json()["code"] == "appeal_window_closed"
    client.force_login(unheld.candidate.user)
    page = client.get(f"/me/promotions/{unheld.pk}/").content.decode()
    assert "The time to appeal ended" in page


def test_an_appeal_beside_a_newer_open_promotion_is_refused():
    """The one-open-promotion rule: the manager nominated the candidate again after the
    rejection; appealing the old case would open a second one. Refused (409 open_promotion),
    until the newer one is withdrawn."""
    promotion, _, _ = rejected_case()
    newer = factories.promotion(candidate=promotion.candidate, to="senior-pm")
    url = f"/api/v1/promotions/{promotion.pk}/appeal/"
    candidate = client_of(promotion.candidate.user)
    refused = candidate.post(url, {"statement": STATEMENT}, format="json")
    assert refused.status_code == 409 and refused.json()["code"] == "open_promotion"
    assert Promotion.objects.get(pk=promotion.pk).state == "rejected"
    withdrawn = client_of(newer.nominated_by).post(
        f"/api/v1/promotions/{newer.pk}/withdraw/", {}, format="json"
    )
    assert withdrawn.status_code == 200, withdrawn.content
    appealed = candidate.post(url, {"statement": STATEMENT}, format="json")
    assert appealed.status_code == 200, appealed.content


@pytest.mark.services
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_ten_appeals_at_once_exactly_one_applies():
    assert connection.vendor == "postgresql"
    promotion, _, _ = rejected_case()
    url = f"/api/v1/promotions/{promotion.pk}/appeal/"
    people = [promotion.candidate.user] * 5 + [promotion.nominated_by] * 5
    clients = [client_of(user) for user in people]
    responses = at_once(
        *(partial(c.post, url, {"statement": STATEMENT}, format="json") for c in clients)
    )
    assert Counter(r.status_code for r in responses) == Counter({200: 1, 409: 9})
    assert Appeal.objects.filter(promotion=promotion).count() == 1
    assert Promotion.objects.get(pk=promotion.pk).state == "appealed"


def test_the_candidate_and_the_nominator_appeal_from_the_member_site(client, settings):
    """The form on the rejected case's page, with the deadline; a refusal in words keeps what was
    typed; the nominator's page has it too; after the window, the page says it ended."""
    promotion, _, _ = rejected_case()
    newer = factories.promotion(candidate=promotion.candidate, to="senior-pm")
    client.force_login(promotion.candidate.user)
    page = client.get(f"/me/promotions/{promotion.pk}/").content.decode()
    assert "Appeal the decision" in page and "You may appeal until" in page
    typed = "appeal-9d4: numbers came in after the committee met"
    refused = client.post(f"/promotions/{promotion.pk}/appeal/", {"statement": typed})
    text = refused.content.decode()
    assert refused.status_code == 200
    assert "another open promotion" in text and typed in text
    empty = client.post(f"/promotions/{promotion.pk}/appeal/", {"statement": ""})
    assert "a statement is required" in empty.content.decode()
    services.promotion_withdraw(promotion=newer, actor=newer.nominated_by)

    client.force_login(promotion.nominated_by)
    assert "Send the appeal" in client.get(f"/nominations/{promotion.pk}/").content.decode()
    sent = client.post(f"/promotions/{promotion.pk}/appeal/", {"statement": typed})
    assert sent.status_code == 302 and sent["Location"] == f"/nominations/{promotion.pk}/"
    assert Promotion.objects.get(pk=promotion.pk).state == "appealed"
    page = client.get(f"/nominations/{promotion.pk}/").content.decode()
    assert "Send the appeal" not in page and "Appealed" in page

    late, _, _ = rejected_case()
    Promotion.objects.filter(pk=late.pk).update(decided_at=timezone.now() - timedelta(days=31))
    client.force_login(late.candidate.user)
    assert "The time to appeal ended" in client.get(f"/me/promotions/{late.pk}/").content.decode()
