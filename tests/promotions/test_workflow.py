"""The one table of transitions (promotions/workflow.py) against the state machine and against
everything read from it: a state or transition missing anywhere fails here, not as a KeyError
inside a transition's transaction."""

from typing import cast

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django_fsm import RETURN_VALUE, FSMField

from portal.words import candidate_state, nominator_next
from promotions import permissions, workflow
from promotions.management.commands.workflow_docs import DOC, with_table
from promotions.models import OPEN_STATES, Promotion, PromotionState
from webhooks.events import Event


def machine() -> dict[str, tuple[set[str], set[str]]]:
    """The model's django-fsm-2 transitions: method name → (sources, targets); a transition whose
    method returns its target (RETURN_VALUE) may go to each of its allowed states."""
    field = cast(FSMField, Promotion._meta.get_field("state"))
    found: dict[str, tuple[set[str], set[str]]] = {}
    for t in field.get_all_transitions(Promotion):
        if isinstance(t.target, RETURN_VALUE):
            targets = {str(state) for state in t.target.allowed_states}
        else:
            targets = {str(t.target)}
        # A method may carry several transitions (release: from each decision to itself).
        sources, known = found.get(t.name, (set(), set()))
        found[t.name] = (sources | {str(t.source)}, known | targets)
    return found


def test_every_state_has_its_facts():
    assert set(workflow.STATES) == set(PromotionState)
    for state, facts in workflow.STATES.items():
        assert facts.state == state
        assert facts.candidate_label and facts.candidate_next and facts.nominator_next


def test_the_table_declares_the_state_machine_s_transitions_and_no_other():
    declared = {
        t.method: ({str(s) for s in t.sources}, {str(target) for target in t.targets})
        for t in workflow.TRANSITIONS.values()
    }
    assert declared == machine()
    # Source by source, where a row's legs say where each goes (approve from awaiting_executive
    # or appealed: approved only; from in_review: approved or awaiting_executive).
    field = cast(FSMField, Promotion._meta.get_field("state"))
    for t in field.get_all_transitions(Promotion):
        row = workflow.transition_of(t.name)
        if row.legs:
            targets = getattr(t.target, "allowed_states", [t.target])
            assert {str(x) for x in targets} == {str(x) for x in row.targets_from(str(t.source))}


def test_every_row_is_complete():
    events = set(Event)
    for t in workflow.TRANSITIONS.values():
        assert t.sources and t.notification and t.headline and t.cannot
        assert bool(t.note_prompt) == t.note_required  # the refusal _apply gives without one
        assert t.webhook_event in events
        assert all(work in workflow.WHO for work in t.works)
        # Deciding ends the case: the target is not open, and only a decision leaves it (each
        # outcome of a row with several: approve into awaiting_executive decides nothing yet).
        assert t.targets
        for source in t.sources:
            assert set(t.targets_from(source)) <= set(t.targets)
        # A row that leaves the state as it is (release) decides nothing, whatever the state.
        assert all(
            t.taken(target).decides == (target not in OPEN_STATES and not t.stays)
            for target in t.targets
        ), t.action
    outcomes = [t.taken(target) for t in workflow.TRANSITIONS.values() for target in t.targets]
    kinds = {(o.notification, o.action) for o in outcomes}
    assert len({kind for kind, _ in kinds}) == len(kinds)
    events_used = {(o.webhook_event, o.action) for o in outcomes}
    assert len({event for event, _ in events_used}) == len(events_used)


def test_open_states_are_the_open_facts():
    assert set(OPEN_STATES) == {s for s, f in workflow.STATES.items() if f.is_open}
    # Withdrawing is possible from every open state (the design's rule).
    assert set(workflow.TRANSITIONS["withdraw"].sources) == set(OPEN_STATES)


def test_permissions_read_the_table():
    assert set(permissions.TRANSITIONS) == set(workflow.TRANSITIONS)
    for action in (
        permissions.START_REVIEW,
        permissions.APPROVE,
        permissions.REJECT,
        permissions.WITHDRAW,
        permissions.REQUEST_CHANGES,
        permissions.RESUBMIT,
    ):
        assert action in workflow.TRANSITIONS
    nominators = set(workflow.actions_of(workflow.Work.NOMINATOR))
    assert set(permissions.NOMINATORS_WORK) == nominators | {permissions.SUBMIT_PACKET}
    assert set(permissions.CANNOT) >= set(workflow.TRANSITIONS)


def test_every_transition_has_its_api_action_and_service():
    from promotions import services
    from promotions.views import PromotionViewSet

    assert set(services.TRANSITION_SERVICES) == set(workflow.TRANSITIONS)
    routes = {a.url_path for a in PromotionViewSet.get_extra_actions()}
    assert set(workflow.TRANSITIONS) <= routes


@pytest.mark.parametrize("state", list(PromotionState))
def test_the_member_site_has_words_for_every_state(state):
    assert candidate_state(state)[0]
    assert nominator_next(state)


def test_the_committed_workflow_doc_is_what_the_table_generates():
    text = DOC.read_text()
    assert with_table(text) == text, "run: python manage.py workflow_docs"
    for action in workflow.TRANSITIONS:
        assert f"| `{action}` |" in text


def test_the_docs_command_refuses_a_stale_table(tmp_path, monkeypatch):
    from promotions.management.commands import workflow_docs

    stale = tmp_path / "workflow.md"
    stale.write_text(with_table(DOC.read_text()).replace("| `approve` |", "| `approve!` |"))
    monkeypatch.setattr(workflow_docs, "DOC", stale)
    with pytest.raises(CommandError):
        call_command("workflow_docs", "--check")
    call_command("workflow_docs")
    call_command("workflow_docs", "--check")


def test_each_transition_s_api_description_names_every_state_it_starts_from():
    """The operation's description (its view's docstring) says from which states it may be
    called: every source of its row in the table, none left out."""
    from promotions.views import PromotionViewSet

    for action, row in workflow.TRANSITIONS.items():
        description = getattr(PromotionViewSet, action.replace("-", "_")).__doc__
        missing = [state.value for state in row.sources if f"`{state.value}`" not in description]
        assert missing == [], (action, missing)
