import re
from pathlib import Path

import pytest

from ladder.models import LevelTransition
from promotions.models import Promotion

DOC = Path(__file__).resolve().parents[2] / "docs" / "workflow.md"


@pytest.mark.django_db
def test_the_ladder_graph_in_the_docs_matches_the_seeded_moves():
    graph = DOC.read_text().split("```mermaid")[2].split("```")[0]
    drawn = {(a, b) for a, b in re.findall(r"([\w-]+)(?:\[[^\]]*\])? --> ([\w-]+)", graph)}
    seeded = set(LevelTransition.objects.values_list("from_level__code", "to_level__code"))
    assert drawn == seeded


def test_the_state_diagram_in_the_docs_matches_the_state_machine():
    diagram = DOC.read_text().split("```mermaid")[1].split("```")[0]
    drawn = set(re.findall(r"^\s*(\w+) --> (\w+): (\w+)", diagram, flags=re.MULTILINE))
    state = Promotion._meta.get_field("state")
    declared = {
        (str(t.source), str(t.target), t.name) for t in state.get_all_transitions(Promotion)
    }
    assert drawn == declared
    assert ("changes_requested", "in_review", "resubmit") in drawn
