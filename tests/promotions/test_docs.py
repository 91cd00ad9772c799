import re
from pathlib import Path

import pytest

from ladder.models import LevelTransition

DOC = Path(__file__).resolve().parents[2] / "docs" / "workflow.md"


@pytest.mark.django_db
def test_the_ladder_graph_in_the_docs_matches_the_seeded_moves():
    graph = DOC.read_text().split("```mermaid")[2].split("```")[0]
    drawn = {(a, b) for a, b in re.findall(r"([\w-]+)(?:\[[^\]]*\])? --> ([\w-]+)", graph)}
    seeded = set(LevelTransition.objects.values_list("from_level__code", "to_level__code"))
    assert drawn == seeded
