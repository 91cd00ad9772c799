"""Fields a client may not set are refused, and never change."""

import re
from pathlib import Path

import pytest

from promotions.models import Promotion
from tests import factories

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "extra",
    [
        {"state": "approved"},
        {"nominated_by": "someone"},
        {"decided_at": "2020-01-01T00:00:00Z"},
        {"from_level": "cpo"},
        {"id": 1},
    ],
)
def test_nomination_refuses_fields_it_does_not_take(as_user, people, extra):
    payload = {
        "candidate": people["candidate_member"].id,
        "to_level": "senior-pm",
        "justification": "Ready.",
        "evidence": factories.evidence_for("senior-pm"),
        **extra,
    }
    response = as_user(people["hr"]).post("/api/v1/promotions/", payload, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "unknown_field"
    assert Promotion.objects.count() == 0


@pytest.mark.parametrize(
    "extra",
    [
        {"state": "approved"},
        {"candidate": 1},
        {"decided_at": "2020-01-01T00:00:00Z"},
        {"to_level": "cpo"},
    ],
)
def test_transitions_refuse_fields_they_do_not_take(as_user, people, in_review, extra):
    promotion = in_review()
    response = as_user(people["committee"]).post(
        f"/api/v1/promotions/{promotion.id}/reject/", {"note": "No", **extra}, format="json"
    )
    assert response.status_code == 400
    fresh = Promotion.objects.get(pk=promotion.pk)
    assert (fresh.state, fresh.candidate_id, fresh.decided_at, fresh.to_level_id) == (
        "in_review",
        promotion.candidate_id,
        None,
        promotion.to_level_id,
    )


@pytest.mark.parametrize(
    "extra", [{"level": "cpo"}, {"level_since": "2000-01-01"}, {"id": 999}, {"username": "x"}]
)
def test_member_patch_refuses_fields_it_does_not_take(as_user, ladder_people, extra):
    member = ladder_people["report_a"]
    response = as_user(ladder_people["hr"]).patch(
        f"/api/v1/members/{member.id}/", extra, format="json"
    )
    assert response.status_code == 400
    fresh = type(member).objects.select_related("user").get(pk=member.pk)
    assert (fresh.level_id, fresh.level_since, fresh.user.username) == (
        member.level_id,
        member.level_since,
        member.user.username,
    )


def test_no_serializer_exposes_all_fields():
    offenders = [
        str(path.relative_to(ROOT))
        for path in ROOT.glob("*/serializers.py")
        if re.search(r"fields\s*=\s*['\"]__all__['\"]", path.read_text())
    ]
    assert offenders == []
    assert len(list(ROOT.glob("*/serializers.py"))) >= 3
