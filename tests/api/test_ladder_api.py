import pytest

from ladder.models import LevelTransition
from tests.factories import MemberFactory
from tests.ladder.test_seed import EXPECTED_LEVELS, EXPECTED_MOVES

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(as_user):
    return as_user(MemberFactory().user)


def test_levels_are_the_nine_in_rank_order(client):
    response = client.get("/api/v1/ladder/levels/")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 9
    rows = [(lv["rank"], lv["code"], lv["title"], lv["track"]) for lv in body["results"]]
    assert rows == EXPECTED_LEVELS
    assert set(body["results"][0]) == {
        "code",
        "rank",
        "title",
        "track",
        "position",
        "mission",
        "goal",
    }
    assert body["results"][0]["position"] == "entry level."


def test_senior_pm_leads_to_lead_pm_and_group_pm(client):
    body = client.get("/api/v1/ladder/levels/senior-pm/").json()
    assert body["code"] == "senior-pm"
    assert body["next_levels"] == [
        {"code": "lead-pm", "title": "Lead Product Manager (Staff PM)"},
        {"code": "group-pm", "title": "Group Product Manager"},
    ]


def test_cpo_leads_nowhere(client):
    assert client.get("/api/v1/ladder/levels/cpo/").json()["next_levels"] == []


def test_a_deactivated_move_is_not_a_next_level(client):
    LevelTransition.objects.filter(from_level__code="senior-pm", to_level__code="group-pm").update(
        is_active=False
    )
    body = client.get("/api/v1/ladder/levels/senior-pm/").json()
    assert [lv["code"] for lv in body["next_levels"]] == ["lead-pm"]


def test_unknown_level_is_a_json_404(client):
    response = client.get("/api/v1/ladder/levels/astronaut/")
    assert response.status_code == 404
    assert response.json()["code"] == "no_such_level"


def test_transitions_are_exactly_the_ten_moves(client):
    body = client.get("/api/v1/ladder/transitions/").json()
    assert body["count"] == 10
    assert {(t["from_level"], t["to_level"]) for t in body["results"]} == EXPECTED_MOVES
    assert all(t["is_active"] is True for t in body["results"])
    assert set(body["results"][0]) == {"from_level", "to_level", "is_active"}


def test_ladder_is_read_only(client):
    assert client.post("/api/v1/ladder/levels/", {"code": "x"}, format="json").status_code == 405
    assert client.delete("/api/v1/ladder/levels/pm/").status_code == 405
    assert client.post("/api/v1/ladder/transitions/", {}, format="json").status_code == 405
