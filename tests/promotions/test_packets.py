"""Packets judged against the target level's criteria, versions, ratings, and the send-back loop
(request changes → new version → resubmit), over the API as users meet them."""

import hashlib
import json
from collections import Counter

import pytest
from django.db import connection, transaction
from django.db.utils import InternalError, ProgrammingError

from ladder.models import Criterion
from notifications.models import Notification
from promotions import notify
from promotions.models import PacketVersion, Promotion, PromotionEvent
from promotions.packets import services as packets
from promotions.workflow import TRANSITIONS
from tests import factories
from tests.concurrency import at_once
from tests.openapi import api_schema

pytestmark = pytest.mark.django_db

NOTE = "note-5e1d-what-to-change"
SECRET = "comment-77aa-committee-only"


def nomination(people, **changes) -> dict:
    body = {
        "candidate": people["candidate_member"].pk,
        "to_level": "senior-pm",
        "justification": "Owns checkout end to end.",
        "evidence": factories.evidence_for("senior-pm", links=["https://wiki.example.com/x"]),
    }
    return {**body, **changes}


def vote(client, promotion, decision="approve", rating="meets", comment=""):
    return client.post(
        f"/api/v1/promotions/{promotion.pk}/reviews/",
        {
            "decision": decision,
            "comment": comment,
            "ratings": factories.ratings_body(promotion, rating),
        },
        format="json",
    )


# --- Evidence --------------------------------------------------------------------------------


def test_a_nomination_is_version_1_of_its_packet(people, as_user):
    response = as_user(people["manager"]).post(
        "/api/v1/promotions/", nomination(people), format="json"
    )
    assert response.status_code == 201, response.json()
    assert response.json()["packet_version"] == 1
    promotion = Promotion.objects.get()
    packet = as_user(people["candidate"]).get(f"/api/v1/promotions/{promotion.pk}/packet/").json()
    assert packet["version"] == 1 and packet["submitted_by"] == people["manager"].username
    assert [e["criterion"] for e in packet["evidence"]] == [
        "complex-challenges",
        "mentors-juniors",
        "strategic-depth",
        "point-of-reference",
        "influences-roadmap",
    ]
    assert packet["evidence"][1]["expectation"] == "Mission: mentor juniors"
    submitted = {
        "justification": packet["justification"],
        "evidence": [
            {"criterion": e["criterion"], "text": e["text"], "links": e["links"]}
            for e in packet["evidence"]
        ],
    }
    canonical = json.dumps(submitted, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert packet["sha256"] == hashlib.sha256(canonical.encode()).hexdigest()


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (lambda e: e[1:], "evidence_missing"),
        (lambda e: [*e, {"criterion": "flies-planes", "text": "x"}], "unknown_criterion"),
        (lambda e: [{**e[0], "text": "x" * 2001}, *e[1:]], "max_length"),
        (lambda e: [{**e[0], "links": ["https://a.example"] * 6}, *e[1:]], "max_length"),
        (lambda e: [{**e[0], "links": ["ftp://a.example/x"]}, *e[1:]], "evidence_invalid"),
        (lambda e: [{**e[0], "links": ["javascript:alert(1)"]}, *e[1:]], "invalid"),
        (lambda e: [{**e[0], "text": "   "}, *e[1:]], "blank"),
        (lambda e: [*e, e[0]], "evidence_invalid"),
    ],
)
def test_evidence_that_does_not_fit_the_level_is_refused(people, as_user, change, code):
    body = nomination(people)
    body["evidence"] = change(body["evidence"])
    response = as_user(people["manager"]).post("/api/v1/promotions/", body, format="json")
    assert response.status_code == 400, response.json()
    assert response.json()["code"] == code
    assert not Promotion.objects.exists() and not PacketVersion.objects.exists()


def test_missing_evidence_names_the_criteria(people, as_user):
    body = nomination(people)
    body["evidence"] = body["evidence"][:3]
    answer = as_user(people["manager"]).post("/api/v1/promotions/", body, format="json").json()
    assert answer["missing_criteria"] == ["point-of-reference", "influences-roadmap"]


def test_a_nomination_without_evidence_names_every_active_criterion(people, as_user):
    """No `evidence` at all: the packet's rule answers (not DRF's "This field is required."),
    naming the active criteria of the target level, in order, by code and in words."""
    Criterion.objects.filter(level__code="senior-pm", code="strategic-depth").update(
        is_active=False
    )
    body = nomination(people)
    del body["evidence"]
    response = as_user(people["manager"]).post("/api/v1/promotions/", body, format="json")
    assert response.status_code == 400, response.json()
    answer = response.json()
    assert answer["code"] == "evidence_missing"
    active = Criterion.objects.filter(level__code="senior-pm", is_active=True).order_by("order")
    assert answer["missing_criteria"] == [c.code for c in active]
    assert len(answer["missing_criteria"]) == 4 and "strategic-depth" not in answer["detail"]
    assert "senior-pm" in answer["detail"]
    for criterion in active:
        assert f"{criterion.code} (“{criterion.title}”)" in answer["detail"]
    assert "errors" not in answer
    assert not Promotion.objects.exists() and not PacketVersion.objects.exists()
    body["evidence"] = []  # an empty list: the same answer
    again = as_user(people["manager"]).post("/api/v1/promotions/", body, format="json").json()
    assert again == answer


def test_a_new_version_without_evidence_names_every_active_criterion(people, as_user, nominate):
    promotion = nominate()
    Criterion.objects.filter(level__code="senior-pm", code="mentors-juniors").update(
        is_active=False
    )
    url = f"/api/v1/promotions/{promotion.pk}/packet/"
    response = as_user(people["manager"]).post(url, {"justification": "v2"}, format="json")
    assert response.status_code == 400, response.json()
    assert response.json()["code"] == "evidence_missing"
    assert response.json()["missing_criteria"] == [
        "complex-challenges",
        "strategic-depth",
        "point-of-reference",
        "influences-roadmap",
    ]
    for criterion in Criterion.objects.filter(level__code="senior-pm", is_active=True):
        assert f"{criterion.code} (“{criterion.title}”)" in response.json()["detail"]
    assert PacketVersion.objects.filter(promotion=promotion).count() == 1


def test_a_version_keeps_the_criteria_as_they_were(people, nominate):
    promotion = nominate()
    Criterion.objects.filter(level__code="senior-pm", code="mentors-juniors").update(
        title="Grows other PMs", description="Mission: mentor juniors (reworded)"
    )
    kept = packets.packet_current(promotion=promotion).evidence[1]
    assert (kept["title"], kept["expectation"]) == ("Mentors juniors", "Mission: mentor juniors")


# --- New versions ------------------------------------------------------------------------------


def test_who_may_submit_a_new_version_and_when(people, as_user, in_review):
    promotion = in_review()
    body = {"justification": "v2", "evidence": factories.evidence_for("senior-pm")}
    url = f"/api/v1/promotions/{promotion.pk}/packet/"
    for who in ("candidate", "committee"):
        assert as_user(people[who]).post(url, body, format="json").status_code == 403, who
    other = factories.MemberFactory().user
    assert as_user(other).post(url, body, format="json").status_code == 404
    response = as_user(people["manager"]).post(url, body, format="json")
    assert response.status_code == 409  # in review: the case is with the committee
    assert PacketVersion.objects.filter(promotion=promotion).count() == 1


@pytest.mark.services
def test_the_database_refuses_to_rewrite_a_packet_version(people, nominate):
    nominate()
    for sql in (
        "UPDATE promotions_packetversion SET justification = 'forged'",
        "DELETE FROM promotions_packetversion",
    ):
        with (
            pytest.raises((InternalError, ProgrammingError), match="Cannot update or delete"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql)
    assert PacketVersion.objects.get().justification != "forged"


# --- Ratings, stale votes and the send-back loop -----------------------------------------------


def test_a_review_needs_a_rating_per_criterion(people, as_user, in_review):
    promotion = in_review()
    client = as_user(people["committee"])
    url = f"/api/v1/promotions/{promotion.pk}/reviews/"
    ratings = factories.ratings_body(promotion)
    response = client.post(url, {"decision": "approve", "ratings": ratings[:-1]}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "ratings_missing"
    assert response.json()["missing_criteria"] == ["influences-roadmap"]
    bad = [{**ratings[0], "rating": "superb"}, *ratings[1:]]
    assert (
        client.post(url, {"decision": "approve", "ratings": bad}, format="json").status_code == 400
    )
    assert vote(client, promotion).status_code == 201


def test_a_review_without_ratings_names_every_criterion_of_the_version(people, as_user, in_review):
    """No `ratings` at all: the rule answers `ratings_missing` with the criteria of the version
    the vote is cast on (as it was written: a criterion deactivated since is still rated)."""
    promotion = in_review()
    Criterion.objects.filter(level__code="senior-pm", code="mentors-juniors").update(
        is_active=False
    )
    url = f"/api/v1/promotions/{promotion.pk}/reviews/"
    response = as_user(people["committee"]).post(url, {"decision": "approve"}, format="json")
    assert response.status_code == 400, response.json()
    answer = response.json()
    assert answer["code"] == "ratings_missing"
    version = packets.packet_current(promotion=promotion)
    assert answer["missing_criteria"] == version.criteria
    assert "mentors-juniors" in version.criteria and len(version.criteria) == 5
    assert "version 1" in answer["detail"]
    for item in version.evidence:
        assert f"{item['criterion']} (“{item['title']}”)" in answer["detail"]
    assert not promotion.reviews.exists()
    empty = {"decision": "approve", "ratings": []}
    assert as_user(people["committee"]).post(url, empty, format="json").json() == answer


# Every write whose body has a list with an entry per criterion (found in the schema below).
PER_CRITERION_LISTS = {
    ("/api/v1/promotions", "evidence"): ("nominate", "evidence_missing"),
    ("/api/v1/promotions/{id}/packet", "evidence"): ("new version", "evidence_missing"),
    ("/api/v1/promotions/{id}/reviews", "ratings"): ("review", "ratings_missing"),
    ("/api/v1/nomination-requests", "evidence"): ("ask", "evidence_missing"),
}


def test_the_writes_of_a_list_per_criterion_are_all_driven_below():
    """A new body with a list of `{"criterion", …}` entries joins PER_CRITERION_LISTS, and so
    the test below, which holds it to the same answer when the list is absent."""
    schema = api_schema()
    components = schema["components"]["schemas"]

    def component(ref: dict) -> dict:
        return components[ref["$ref"].rsplit("/", 1)[1]] if "$ref" in ref else ref

    found = set()
    for path, operations in schema["paths"].items():
        for operation in operations.values():
            content = operation.get("requestBody", {}).get("content", {})
            for media in content.values():
                for name, field in component(media["schema"]).get("properties", {}).items():
                    items = field.get("items")
                    if items and "criterion" in component(items).get("properties", {}):
                        found.add((path, name))
    assert found == set(PER_CRITERION_LISTS)


@pytest.mark.parametrize(("write", "rule"), list(PER_CRITERION_LISTS.values()))
def test_every_write_of_a_list_per_criterion_answers_its_rule_when_the_list_is_absent(
    people, as_user, nominate, write, rule
):
    """The class, not the case: each body whose list is tied to criteria, sent without it, gets
    the rule's code and the criteria it needs, never DRF's generic `required`."""
    if write == "nominate":
        client, url = as_user(people["manager"]), "/api/v1/promotions/"
        body = {k: v for k, v in nomination(people).items() if k != "evidence"}
        needed = [c["criterion"] for c in factories.evidence_for("senior-pm")]
    elif write == "ask":  # the candidate asks their manager for a nomination
        client, url = as_user(people["candidate"]), "/api/v1/nomination-requests/"
        body = {"to_level": "senior-pm", "justification": "Ready."}
        needed = [c["criterion"] for c in factories.evidence_for("senior-pm")]
    else:
        promotion = nominate()
        needed = packets.packet_current(promotion=promotion).criteria
        if write == "new version":
            client = as_user(people["manager"])
            url, body = f"/api/v1/promotions/{promotion.pk}/packet/", {"justification": "v2"}
        else:
            client = as_user(people["committee"])
            start = f"/api/v1/promotions/{promotion.pk}/start-review/"
            started = client.post(start, {}, format="json")
            assert started.status_code == 200, started.json()
            url, body = f"/api/v1/promotions/{promotion.pk}/reviews/", {"decision": "approve"}
    response = client.post(url, body, format="json")
    assert response.status_code == 400, response.json()
    assert response.json()["code"] == rule
    assert response.json()["missing_criteria"] == needed


def test_votes_on_an_older_version_are_stale_and_do_not_count(people, as_user, in_review):
    promotion = in_review()
    first, second = people["committee"], people["committee2"]
    assert vote(as_user(first), promotion).status_code == 201
    assert vote(as_user(second), promotion).status_code == 201
    hr = as_user(people["hr"])  # (the vote helper reads the current version from the database)
    base = f"/api/v1/promotions/{promotion.pk}/"
    response = hr.post(base + "request-changes/", {"note": NOTE}, format="json")
    assert response.status_code == 200 and response.json()["state"] == "changes_requested"

    nominator = as_user(people["manager"])
    assert nominator.post(base + "resubmit/", {}, format="json").json()["code"] == (
        "packet_unchanged"
    )
    assert "resubmit" not in nominator.get(base).json()["available_transitions"]
    evidence = factories.evidence_for("senior-pm", text="Now with numbers.")
    response = nominator.post(
        base + "packet/", {"justification": "Reworked.", "evidence": evidence}, format="json"
    )
    assert response.status_code == 201 and response.json()["version"] == 2
    assert "resubmit" in nominator.get(base).json()["available_transitions"]
    assert nominator.post(base + "resubmit/", {}, format="json").json()["state"] == "in_review"

    promotion = Promotion.objects.get(pk=promotion.pk)
    response = hr.post(base + "approve/", {}, format="json")
    assert response.status_code == 409 and response.json()["code"] == "quorum_not_met"
    reviews = hr.get(base + "reviews/").json()
    assert [(r["packet_version"], r["stale"]) for r in reviews] == [(1, True), (1, True)]

    assert vote(as_user(first), promotion).status_code == 201  # a new row on v2; v1's stays
    assert hr.post(base + "approve/", {}, format="json").status_code == 200
    decision = hr.get(base + "timeline/").json()[-1]
    assert {(v["reviewer"], v["packet_version"], v["counted"]) for v in decision["votes"]} == {
        (first.username, 1, False),
        (second.username, 1, False),
        (first.username, 2, True),
    }
    versions = hr.get(base + "packet/versions/").json()
    assert [v["version"] for v in versions] == [1, 2]
    assert hr.get(base + "packet/versions/1/").json()["justification"] != "Reworked."
    assert hr.get(base + "packet/versions/3/").status_code == 404


def test_request_changes_needs_a_note_and_a_committee_member(people, as_user, in_review):
    promotion = in_review()
    url = f"/api/v1/promotions/{promotion.pk}/request-changes/"
    assert as_user(people["manager"]).post(url, {"note": NOTE}, format="json").status_code == 403
    response = as_user(people["committee"]).post(url, {"note": " "}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "note_required"
    assert Promotion.objects.get(pk=promotion.pk).state == "in_review"


def test_who_reads_the_note(people, as_user, in_review):
    promotion = in_review()
    as_user(people["committee"]).post(
        f"/api/v1/promotions/{promotion.pk}/request-changes/", {"note": NOTE}, format="json"
    )
    url = f"/api/v1/promotions/{promotion.pk}/"
    assert as_user(people["manager"]).get(url).json()["changes_requested_note"] == NOTE
    for who in ("candidate", "committee2", "hr"):
        assert as_user(people[who]).get(url).json()["changes_requested_note"] is None, who
    timeline = as_user(people["committee2"]).get(url + "timeline/").json()
    assert timeline[-1]["note"] == NOTE  # the committee reads it in the timeline


def test_the_candidate_never_sees_ratings_votes_reviewers_or_the_note(people, as_user, in_review):
    promotion = in_review()
    factories.review(promotion, people["committee"], "reject", SECRET)
    as_user(people["committee2"]).post(
        f"/api/v1/promotions/{promotion.pk}/request-changes/", {"note": NOTE}, format="json"
    )
    candidate = as_user(people["candidate"])
    base = f"/api/v1/promotions/{promotion.pk}/"
    secrets = [
        NOTE,
        SECRET,
        "not_yet",
        f'"{people["committee"].username}"',
        f'"{people["committee2"].username}"',
    ]
    paths = [
        base + p for p in ("", "timeline/", "packet/", "packet/versions/", "packet/versions/1/")
    ]
    for path in [*paths, "/api/v1/promotions/", "/api/v1/members/me/"]:
        response = candidate.get(path)
        assert response.status_code == 200, path
        assert [s for s in secrets if s in response.content.decode()] == [], path
    assert candidate.get(base + "reviews/").status_code == 403
    inbox = candidate.get("/api/v1/notifications/").content.decode()
    assert NOTE not in inbox and SECRET not in inbox
    # The e-mails are these rows' bodies (delivered after commit).
    to_candidate = Notification.objects.filter(
        recipient=people["candidate"], kind="changes_requested"
    )
    assert to_candidate.exists()
    assert all(NOTE not in n.body + n.html_body for n in to_candidate)
    to_nominator = Notification.objects.get(recipient=people["manager"], kind="changes_requested")
    assert NOTE in to_nominator.body


def test_resubmission_asks_stale_reviewers_to_look_again(people, in_review, as_user):
    promotion = in_review()
    outsider_reviewer = factories.hr_user()
    factories.review(promotion, outsider_reviewer, "approve")
    from promotions import services

    services.promotion_request_changes(promotion=promotion, actor=people["committee"], note=NOTE)
    packets.packet_submit(
        promotion=promotion,
        actor=people["manager"],
        justification="v2",
        evidence=factories.evidence_for("senior-pm"),
    )
    services.promotion_resubmit(promotion=promotion, actor=people["manager"])
    told = set(
        Notification.objects.filter(kind=TRANSITIONS["resubmit"].notification).values_list(
            "recipient", flat=True
        )
    )
    assert {people["committee"].pk, people["committee2"].pk, outsider_reviewer.pk} <= told


def test_a_case_sent_back_reminds_its_nominator_not_the_committee(people, in_review, settings):
    from datetime import timedelta

    from django.utils import timezone

    from promotions import services

    promotion = in_review()
    services.promotion_request_changes(promotion=promotion, actor=people["committee"], note=NOTE)
    Promotion.objects.filter(pk=promotion.pk).update(
        created_at=timezone.now() - timedelta(days=settings.PROMOTIONS_REVIEW_SLA_DAYS + 1)
    )
    assert notify.notify_overdue() == 1
    reminded = Notification.objects.filter(kind=notify.REMINDER).values_list("recipient", flat=True)
    assert list(reminded) == [people["manager"].pk]


@pytest.mark.services
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_ten_send_backs_and_resubmits_at_once_leave_one_consistent_state(people):
    from promotions import services

    promotion = factories.promotion(
        candidate=people["candidate_member"],
        by=people["manager"],
        state="in_review",
        actor=people["committee"],
    )

    def request_changes():
        try:
            services.promotion_request_changes(
                promotion=promotion, actor=people["committee"], note=NOTE
            )
            return "applied"
        except Exception as exc:  # the losers: 409 (another won)
            return getattr(exc, "code", repr(exc))

    outcomes = at_once(*[request_changes] * 10)
    assert Counter(outcomes) == Counter({"applied": 1, "invalid_state": 9})
    packets.packet_submit(
        promotion=promotion,
        actor=people["manager"],
        justification="v2",
        evidence=factories.evidence_for("senior-pm"),
    )

    def resubmit():
        try:
            services.promotion_resubmit(promotion=promotion, actor=people["manager"])
            return "applied"
        except Exception as exc:
            return getattr(exc, "code", repr(exc))

    outcomes = at_once(*[resubmit] * 10)
    assert Counter(outcomes) == Counter({"applied": 1, "invalid_state": 9})
    promotion = Promotion.objects.get(pk=promotion.pk)
    assert promotion.state == "in_review" and promotion.packet_version == 2
    events = list(PromotionEvent.objects.filter(promotion=promotion).values_list("to_state"))
    assert Counter(e[0] for e in events) == Counter(
        {"nominated": 1, "in_review": 2, "changes_requested": 1}
    )
