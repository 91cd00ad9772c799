import re
from pathlib import Path

import pytest

from ladder.models import LevelTransition
from promotions.models import Cycle, Promotion

DOC = Path(__file__).resolve().parents[2] / "docs" / "workflow.md"


def diagram_after(heading: str) -> str:
    """The first mermaid block after a `## heading` of the workflow doc."""
    section = DOC.read_text().split(f"## {heading}\n", 1)[1]
    return section.split("```mermaid", 1)[1].split("```", 1)[0]


def drawn_transitions(diagram: str) -> set[tuple[str, str, str]]:
    return set(re.findall(r"^\s*(\w+) --> (\w+): (\w+)", diagram, flags=re.MULTILINE))


@pytest.mark.django_db
def test_the_ladder_graph_in_the_docs_matches_the_seeded_moves():
    graph = diagram_after("The ladder")
    drawn = {(a, b) for a, b in re.findall(r"([\w-]+)(?:\[[^\]]*\])? --> ([\w-]+)", graph)}
    seeded = set(LevelTransition.objects.values_list("from_level__code", "to_level__code"))
    assert drawn == seeded


def test_the_state_diagram_in_the_docs_matches_the_state_machine():
    drawn = drawn_transitions(diagram_after("State machine"))
    state = Promotion._meta.get_field("state")
    declared = {
        (str(t.source), str(target), t.name)
        for t in state.get_all_transitions(Promotion)
        # A transition returning its target (resume) is drawn to each state it may return to.
        for target in getattr(t.target, "allowed_states", [t.target])
    }
    assert drawn == declared
    assert ("changes_requested", "in_review", "resubmit") in drawn


def test_the_cycle_diagram_in_the_docs_matches_the_cycle_state_machine():
    drawn = drawn_transitions(diagram_after("Cycles"))
    state = Cycle._meta.get_field("state")
    declared = {(str(t.source), str(t.target), t.name) for t in state.get_all_transitions(Cycle)}
    assert drawn == declared
    assert ("open", "calibrating", "calibrate") in drawn
