import pytest

from ladder.models import Level, LevelChange, LevelTransition
from ladder.services import member_level_change
from promotions import services
from promotions.models import Promotion, PromotionEvent, Review
from tests import factories

pytestmark = pytest.mark.django_db


def evidence(to_level) -> list[dict]:
    """Valid evidence for `to_level` when it names a level (else for senior-pm): what is refused
    is then the move or the level, not the packet."""
    if isinstance(to_level, str) and Level.objects.filter(code=to_level).exists():
        return factories.evidence_for(to_level)
    return factories.evidence_for("senior-pm")


def nominate_over_api(as_user, user, candidate, to_level, justification="Ready."):
    return as_user(user).post(
        "/api/v1/promotions/",
        {
            "candidate": candidate.id,
            "to_level": to_level,
            "justification": justification,
            "evidence": evidence(to_level),
        },
        format="json",
    )


def nothing_written():
    return Promotion.objects.count() == 0 and PromotionEvent.objects.count() == 0


# --- invalid moves ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("at", "to", "allowed"),
    [
        ("pm", "lead-pm", "senior-pm"),  # skipping a level
        ("senior-pm", "pm", "lead-pm, group-pm"),  # moving down
        ("senior-pm", "senior-pm", "lead-pm, group-pm"),  # the same level
        ("lead-pm", "head-of-product", "principal-pm, group-pm"),  # skipping across tracks
    ],
)
def test_invalid_moves_are_400_naming_the_allowed_moves(as_user, people, at, to, allowed):
    candidate = people["candidate_member"]
    candidate.level = Level.objects.get(code=at)
    candidate.save()
    response = nominate_over_api(as_user, people["manager"], candidate, to)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_move"
    assert f"Allowed moves from {at}: {allowed}." in body["detail"]
    assert body["allowed_moves"] == allowed.split(", ")
    assert nothing_written()


def test_nothing_moves_up_from_cpo(as_user, people):
    candidate = people["candidate_member"]
    candidate.level = Level.objects.get(code="cpo")
    candidate.save()
    for to in ["cpo", "vp-product", "pm"]:
        response = nominate_over_api(as_user, people["hr"], candidate, to)
        assert response.status_code == 400
        assert "There is no move up from cpo." in response.json()["detail"]
    assert nothing_written()


def test_a_deactivated_move_is_refused(as_user, people):
    LevelTransition.objects.filter(from_level__code="pm", to_level__code="senior-pm").update(
        is_active=False
    )
    response = nominate_over_api(
        as_user, people["manager"], people["candidate_member"], "senior-pm"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "not_eligible"
    assert [r["code"] for r in response.json()["reasons"]] == ["move_inactive"]
    assert nothing_written()


@pytest.mark.parametrize("to_level", ["astronaut", "", None, 7, ["pm"]])
def test_an_unknown_level_code_is_refused(as_user, people, to_level):
    response = nominate_over_api(as_user, people["manager"], people["candidate_member"], to_level)
    assert response.status_code == 400
    assert nothing_written()


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"justification": ""}, "blank"),
        ({"justification": "   "}, "blank"),
        ({"justification": "x" * 5001}, "max_length"),
        ({"candidate": "abc"}, "invalid"),
        ({"candidate": 0}, "min_value"),
        ({"candidate": 10**30}, "max_value"),
        ({"candidate": 999999}, "no_such_member"),
        ({"state": "approved"}, "unknown_field"),
        ({"nominated_by": "someone"}, "unknown_field"),
    ],
)
def test_nomination_refuses_bad_input(as_user, people, change, code):
    payload = {
        "candidate": people["candidate_member"].id,
        "to_level": "senior-pm",
        "justification": "Ready.",
        "evidence": factories.evidence_for("senior-pm"),
        **change,
    }
    response = as_user(people["manager"]).post("/api/v1/promotions/", payload, format="json")
    assert response.status_code == 400, response.json()
    assert response.json()["code"] == code
    assert nothing_written()


def test_an_inactive_candidate_cannot_be_nominated(as_user, people):
    candidate = people["candidate_member"]
    candidate.is_active = False
    candidate.save()
    response = nominate_over_api(as_user, people["hr"], candidate, "senior-pm")
    assert response.status_code == 409
    assert response.json()["code"] == "not_eligible"
    assert [r["code"] for r in response.json()["reasons"]] == ["inactive"]
    assert nothing_written()


def test_a_new_nomination_is_possible_once_the_last_one_closed(nominate, people):
    first = nominate()
    services.promotion_withdraw(promotion=first, actor=people["manager"])
    second = nominate()
    assert second.state == "nominated"


def test_the_open_promotion_constraint_holds_in_the_database(nominate, people):
    from django.db import IntegrityError, transaction

    promotion = nominate()
    with pytest.raises(IntegrityError), transaction.atomic():
        Promotion.objects.create(
            candidate=promotion.candidate,
            from_level=promotion.from_level,
            to_level=promotion.to_level,
            nominated_by=people["hr"],
            justification="Sneaking past the service.",
        )


# --- reviews, quorum, guards --------------------------------------------------------------------


def test_reject_needs_a_note(as_user, people, in_review):
    promotion = in_review()
    client = as_user(people["committee"])
    for payload in [{}, {"note": ""}, {"note": "  "}]:
        response = client.post(f"/api/v1/promotions/{promotion.id}/reject/", payload, format="json")
        assert response.status_code == 400
        assert response.json()["code"] == "note_required"
    assert Promotion.objects.get(pk=promotion.pk).state == "in_review"


def test_a_reject_review_needs_a_comment(as_user, people, in_review):
    promotion = in_review()
    response = as_user(people["committee"]).post(
        f"/api/v1/promotions/{promotion.id}/reviews/",
        {"decision": "reject", "ratings": factories.ratings_body(promotion, "not_yet")},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "comment_required"
    assert Review.objects.count() == 0


@pytest.mark.parametrize("decision", ["maybe", "", None, 1, "APPROVE"])
def test_a_review_decision_is_approve_or_reject(as_user, people, in_review, decision):
    promotion = in_review()
    response = as_user(people["committee"]).post(
        f"/api/v1/promotions/{promotion.id}/reviews/",
        {"decision": decision, "ratings": factories.ratings_body(promotion)},
        format="json",
    )
    assert response.status_code == 400
    assert Review.objects.count() == 0


def test_reviews_only_while_in_review(as_user, people, nominate):
    promotion = nominate()
    response = as_user(people["committee"]).post(
        f"/api/v1/promotions/{promotion.id}/reviews/",
        {"decision": "approve", "ratings": factories.ratings_body(promotion)},
        format="json",
    )
    assert response.status_code == 409
    assert Review.objects.count() == 0


def test_approval_needs_the_quorum(as_user, people, in_review, settings):
    settings.PROMOTIONS_MIN_APPROVALS = 2
    promotion = in_review()
    committee = as_user(people["committee"])
    url = f"/api/v1/promotions/{promotion.id}/"
    vote = {"decision": "approve", "ratings": factories.ratings_body(promotion)}
    assert committee.post(url + "reviews/", vote, format="json").status_code == 201
    response = committee.post(url + "approve/", {}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "quorum_not_met"
    second = as_user(people["committee2"]).post(url + "reviews/", vote, format="json")
    assert second.status_code == 201
    assert committee.post(url + "approve/", {}, format="json").status_code == 200


def test_approval_needs_more_approvals_than_rejections(as_user, people, in_review):
    promotion = in_review()
    url = f"/api/v1/promotions/{promotion.id}/"
    approve = {"decision": "approve", "ratings": factories.ratings_body(promotion)}
    reject = {
        "decision": "reject",
        "comment": "Scope too narrow",
        "ratings": factories.ratings_body(promotion, "not_yet"),
    }
    assert (
        as_user(people["committee"]).post(url + "reviews/", approve, format="json").status_code
        == 201
    )
    assert (
        as_user(people["committee2"]).post(url + "reviews/", reject, format="json").status_code
        == 201
    )
    response = as_user(people["hr"]).post(url + "approve/", {}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "quorum_not_met"
    assert "approve" not in as_user(people["hr"]).get(url).json()["available_transitions"]


def test_approval_refused_when_the_candidate_level_changed(as_user, people, in_review):
    promotion = in_review()
    factories.review(promotion, people["committee"], "approve")
    member_level_change(
        member=people["candidate_member"], to_level=Level.objects.get(code="senior-pm")
    )
    response = as_user(people["committee"]).post(f"/api/v1/promotions/{promotion.id}/approve/")
    assert response.status_code == 409
    assert response.json()["code"] == "level_changed"
    assert LevelChange.objects.count() == 1


def test_approval_refused_when_the_move_was_deactivated(as_user, people, in_review):
    promotion = in_review()
    factories.review(promotion, people["committee"], "approve")
    LevelTransition.objects.filter(from_level__code="pm", to_level__code="senior-pm").update(
        is_active=False
    )
    response = as_user(people["committee"]).post(f"/api/v1/promotions/{promotion.id}/approve/")
    assert response.status_code == 409
    assert response.json()["code"] == "move_inactive"
    people["candidate_member"].refresh_from_db()
    assert people["candidate_member"].level.code == "pm"


def test_the_state_cannot_be_assigned(nominate):
    promotion = nominate()
    with pytest.raises(AttributeError):
        promotion.state = "approved"


def test_events_are_never_updated_or_deleted(nominate):
    promotion = nominate()
    event = promotion.events.get()
    event.note = "rewritten"
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        event.delete()
    with pytest.raises(TypeError):
        PromotionEvent.objects.all().update(note="x")
    with pytest.raises(TypeError):
        PromotionEvent.objects.all().delete()
    assert PromotionEvent.objects.get().note == ""


def test_career_history_is_never_updated_or_deleted(people):
    change = member_level_change(
        member=people["candidate_member"], to_level=Level.objects.get(code="senior-pm")
    )
    with pytest.raises(TypeError):
        change.save()
    with pytest.raises(TypeError):
        LevelChange.objects.all().delete()
    assert LevelChange.objects.count() == 1


def test_filters(as_user, people, nominate, in_review):
    other = factories.MemberFactory(
        level=Level.objects.get(code="associate-pm"), manager=people["candidate_member"].manager
    )
    first = in_review()
    second = nominate(candidate=other, to="pm")
    client = as_user(people["committee"])

    def ids(query):
        response = client.get(f"/api/v1/promotions/?{query}")
        assert response.status_code == 200, response.json()
        return {row["id"] for row in response.json()["results"]}

    assert ids("state=in_review") == {first.id}
    assert ids("to_level=pm") == {second.id}
    assert ids(f"candidate={other.id}") == {second.id}
    assert ids("") == {first.id, second.id}
    assert as_user(people["manager"]).get("/api/v1/promotions/?mine=nominated").json()["count"] == 2
    assert ids("mine=nominated") == set()
    assert client.get("/api/v1/promotions/?state=bogus").status_code == 400
    assert client.get("/api/v1/promotions/?candidate=abc").status_code == 400


def test_a_blank_filter_is_refused(as_user, people):
    client = as_user(people["committee"])
    for query in ["state=", "to_level=", "candidate=", "mine="]:
        response = client.get(f"/api/v1/promotions/?{query}")
        assert response.status_code == 400, query
        assert response.json()["code"] == "blank"
