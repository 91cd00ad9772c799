"""Each level's criteria: seeded from the ladder definition (3 to 6 each, every description quoting
it verbatim), shown on the level's page of the API, edited by HR in the admin, never deleted."""

from pathlib import Path

import pytest
from django.test import Client

from ladder.models import Criterion, Level
from tests import factories

pytestmark = pytest.mark.django_db
DEFINITION = (Path(__file__).resolve().parents[2] / "docs" / "ladder_definition.txt").read_text()


def test_every_level_has_three_to_six_criteria_quoting_the_ladder_definition():
    for level in Level.objects.all():
        criteria = list(level.criteria.all())
        assert 3 <= len(criteria) <= 6, level.code
        for criterion in criteria:
            part, quote = criterion.description.split(": ", 1)
            assert part in ("Mission", "Goal"), criterion.code
            assert quote in DEFINITION, (criterion.code, quote)
            section = DEFINITION.split(level.title.split(" (")[0], 1)[1]
            assert f"{part}: " in section and quote in section.split("\n" + str(level.rank + 1))[0]


def test_the_level_page_lists_its_active_criteria_in_order(as_user, ladder_people):
    senior = Level.objects.get(code="senior-pm")
    senior.criteria.filter(code="mentors-juniors").update(is_active=False)
    body = as_user(ladder_people["report_a"].user).get("/api/v1/ladder/levels/senior-pm/").json()
    codes = [c["code"] for c in body["criteria"]]
    assert codes == [
        "complex-challenges",
        "strategic-depth",
        "point-of-reference",
        "influences-roadmap",
    ]
    assert body["criteria"][0] == {
        "code": "complex-challenges",
        "title": "Handles complex or cross-functional challenges",
        "description": "Mission: handle more complex or cross-functional challenges",
    }


def test_hr_rewords_a_criterion_and_cannot_delete_one():
    hr = Client()
    hr.force_login(factories.hr_user())
    criterion = Criterion.objects.get(level__code="pm", code="balances-needs")
    response = hr.post(
        f"/admin/ladder/criterion/{criterion.pk}/change/",
        {
            "level": criterion.level_id,
            "code": criterion.code,
            "title": "Balances business, user and technical needs well",
            "description": criterion.description,
            "order": criterion.order,
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    criterion.refresh_from_db()
    assert criterion.title.endswith("well")
    assert hr.get(f"/admin/ladder/criterion/{criterion.pk}/delete/").status_code == 403
    assert Criterion.objects.filter(pk=criterion.pk).exists()
