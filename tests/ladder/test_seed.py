"""The data migration seeds the ladder of docs/design.md, with texts from the ladder definition."""

import re
from pathlib import Path

import pytest
from django.contrib.auth.models import Group

from ladder.models import Level, LevelTransition

pytestmark = pytest.mark.django_db

DEFINITION = Path(__file__).resolve().parents[2] / "docs" / "ladder_definition.txt"

EXPECTED_LEVELS = [
    (1, "associate-pm", "Junior Product Manager (Associate PM)", "ic"),
    (2, "pm", "Product Manager", "ic"),
    (3, "senior-pm", "Senior Product Manager", "ic"),
    (4, "lead-pm", "Lead Product Manager (Staff PM)", "ic"),
    (5, "principal-pm", "Principal Product Manager", "ic"),
    (6, "group-pm", "Group Product Manager", "management"),
    (7, "head-of-product", "Head of Product", "management"),
    (8, "vp-product", "VP Product", "management"),
    (9, "cpo", "Chief Product Officer", "management"),
]
EXPECTED_MOVES = {
    ("associate-pm", "pm"),
    ("pm", "senior-pm"),
    ("senior-pm", "lead-pm"),
    ("lead-pm", "principal-pm"),
    ("senior-pm", "group-pm"),
    ("lead-pm", "group-pm"),
    ("principal-pm", "head-of-product"),
    ("group-pm", "head-of-product"),
    ("head-of-product", "vp-product"),
    ("vp-product", "cpo"),
}


def definition_texts() -> list[dict[str, str]]:
    blocks = re.split(r"\n(?=\d\. )", DEFINITION.read_text(encoding="utf-8"))[1:]
    texts = []
    for block in blocks:
        fields = dict(line.split(": ", 1) for line in block.splitlines()[1:] if ": " in line)
        texts.append({key.lower(): value.strip() for key, value in fields.items()})
    return texts


def test_nine_levels_in_rank_order():
    assert list(Level.objects.values_list("rank", "code", "title", "track")) == EXPECTED_LEVELS


def test_level_texts_come_from_the_ladder_definition():
    texts = definition_texts()
    assert len(texts) == 9
    for level, text in zip(Level.objects.order_by("rank"), texts, strict=True):
        assert (level.position, level.mission, level.goal) == (
            text["position"],
            text["mission"],
            text["goal"],
        ), level.code


def test_ten_allowed_moves_all_active():
    moves = set(LevelTransition.objects.values_list("from_level__code", "to_level__code"))
    assert moves == EXPECTED_MOVES
    assert LevelTransition.objects.filter(is_active=False).count() == 0


def test_role_groups_exist_with_permissions():
    hr = Group.objects.get(name="HR")
    committee = Group.objects.get(name="Promotion committee")
    hr_perms = set(hr.permissions.values_list("codename", flat=True))
    assert {"change_level", "add_leveltransition", "change_member", "change_user"} <= hr_perms
    assert "delete_levelchange" not in hr_perms
    assert "view_member" in set(committee.permissions.values_list("codename", flat=True))
