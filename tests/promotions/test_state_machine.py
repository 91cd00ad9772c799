"""A hypothesis stateful test: random roles nominate, start reviews, review, approve, reject,
withdraw, request changes, submit new packet versions and resubmit, through the services. After
every step the invariants of the workflow hold."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.db.models import Count, F
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from core.errors import DomainError
from ladder.models import Level, LevelChange, Member
from ladder.selectors import level_next_levels
from promotions import services
from promotions.cycles import services as cycles
from promotions.delegations import services as delegations
from promotions.models import (
    OPEN_STATES,
    Appeal,
    Cycle,
    NominationRequest,
    PacketVersion,
    Promotion,
    PromotionEvent,
    Review,
)
from promotions.packets import services as packets
from promotions.requests import services as nomination_requests
from tests import factories
from tests.depth import examples

LEVEL_CODES = ["associate-pm", "pm", "senior-pm", "lead-pm", "principal-pm", "group-pm", "cpo"]
ROLES = ["manager", "other_manager", "committee1", "committee2", "hr", "executive", "candidate"]
COMMITTEE_WORK = ["committee1", "committee2", "hr"]
# Closed; a rejection may still be appealed by its candidate or nominator (never the referee).
TERMINAL = {"approved", "rejected", "withdrawn", "upheld"}
TRANSITIONS = [
    "start-review",
    "approve",
    "reject",
    "withdraw",
    "request-changes",
    "resubmit",
    "release",
    "appeal",
    "uphold",
]
NEXT = "the next level up"


class PromotionWorkflow(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        # Each run works inside a savepoint that teardown() rolls back.
        self.atomic = transaction.atomic()
        self.atomic.__enter__()
        manager = factories.MemberFactory(level=Level.objects.get(code="group-pm"))
        other_manager = factories.MemberFactory(level=Level.objects.get(code="group-pm"))
        self.candidates = [
            factories.MemberFactory(level=Level.objects.get(code=code), manager=manager)
            # group-pm: its moves (head-of-product) wait for an Executive after the committee
            for code in ("associate-pm", "pm", "senior-pm", "group-pm")
        ]
        self.users = {
            "manager": manager.user,
            "other_manager": other_manager.user,
            "committee1": factories.committee_member(),
            "committee2": factories.committee_member(),
            "hr": factories.hr_user(),
            "executive": factories.executive(),
        }
        # HR who never takes part: allowed every action by role, so only the state can refuse.
        self.referee = factories.hr_user()
        self.levels = {m.pk: m.level_id for m in self.candidates}  # the model of the world
        # A cycle with a release date; decide_before_the_release_date decides cases in it.
        today = timezone.localdate()
        self.cycle = cycles.cycle_create(
            actor=self.referee,
            name="Held",
            tracks=[],
            nominations_open_on=today,
            nominations_close_on=today,
            decisions_due_on=today,
            release_on=today + timedelta(days=5),
            effective_on=today + timedelta(days=10),
        )
        self.successful_transitions = 0
        # committee1 is away this week: committee2 holds their seat.
        delegations.delegation_create(
            actor=self.users["committee1"],
            delegator=self.users["committee1"],
            delegate=self.users["committee2"],
            starts_on=today,
            ends_on=today + timedelta(days=7),
        )

    def teardown(self):
        transaction.set_rollback(True)
        self.atomic.__exit__(None, None, None)

    def actor(self, role: str, candidate: Member):
        return candidate.user if role == "candidate" else self.users[role]

    def promotions(self):
        return list(Promotion.objects.select_related("candidate__user").order_by("id"))

    def attempt(self, call) -> bool:
        try:
            with transaction.atomic():
                call()
        except DomainError:
            return False
        return True

    @rule(
        candidate=st.integers(0, 3),
        to=st.one_of(st.just(NEXT), st.sampled_from(LEVEL_CODES)),
        role=st.sampled_from(ROLES),
    )
    def nominate(self, candidate, to, role):
        member = Member.objects.select_related("level").get(pk=self.candidates[candidate].pk)
        if to == NEXT:  # half the time aim at a valid move, so runs get past the nomination
            to = next(iter(level_next_levels(level=member.level)), member.level).code
        done = self.attempt(
            lambda: services.promotion_nominate(
                candidate=member,
                to_level=Level.objects.get(code=to),
                nominated_by=self.actor(role, member),
                justification="Because.",
                evidence=factories.evidence_for(to),
            )
        )
        self.successful_transitions += done

    @rule(
        candidate=st.integers(0, 3),
        to=st.one_of(st.just(NEXT), st.sampled_from(LEVEL_CODES)),
        role=st.sampled_from(ROLES),
        accept=st.booleans(),
    )
    def ask_for_a_nomination(self, candidate, to, role, accept):
        """The candidate asks their manager; `role` answers the pending request, if any: an
        accepted one is a nomination (by whoever accepted), which the rules may still refuse."""
        member = Member.objects.select_related("level").get(pk=self.candidates[candidate].pk)
        if to == NEXT:
            to = next(iter(level_next_levels(level=member.level)), member.level).code
        self.attempt(
            lambda: nomination_requests.nomination_request_create(
                user=member.user,
                to_level=Level.objects.get(code=to),
                justification="I am ready.",
                evidence=factories.evidence_for(to),
            )
        )
        pending = NominationRequest.objects.filter(member=member, state="pending").first()
        if pending is None:
            return
        answerer = self.actor(role, member)
        if accept:
            done = self.attempt(
                lambda: nomination_requests.nomination_request_accept(
                    request=pending, actor=answerer
                )
            )
            self.successful_transitions += done
        else:
            self.attempt(
                lambda: nomination_requests.nomination_request_decline(
                    request=pending, actor=answerer, reason="Not yet."
                )
            )

    @precondition(lambda self: Promotion.objects.exists())
    @rule(
        pick=st.integers(0, 50),
        action=st.sampled_from(TRANSITIONS),
        role=st.one_of(st.sampled_from(COMMITTEE_WORK), st.sampled_from(ROLES)),
    )
    def transition(self, pick, action, role):
        promotions = self.promotions()
        promotion = promotions[pick % len(promotions)]
        before = promotion.state
        service = services.TRANSITION_SERVICES[action]
        actor = self.actor(role, promotion.candidate)
        extra = {"statement": "New numbers."} if action == "appeal" else {}
        done = self.attempt(
            lambda: service(promotion=promotion, actor=actor, note="A note.", **extra)
        )
        after = Promotion.objects.get(pk=promotion.pk).state
        if done:
            self.successful_transitions += 1
            if action == "approve" and Promotion.objects.get(pk=promotion.pk).level_applied:
                self.levels[promotion.candidate_id] = promotion.to_level_id
            if action == "resubmit":  # only with a version newer than the one sent back
                assert promotion.packet_version > (promotion.changes_requested_version or 0)
        else:
            assert after == before

    @precondition(lambda self: Promotion.objects.exists())
    @rule(
        pick=st.integers(0, 50),
        role=st.one_of(st.sampled_from(COMMITTEE_WORK), st.sampled_from(ROLES)),
        decision=st.sampled_from(["approve", "reject"]),
        every_criterion=st.booleans(),
        for_the_absent_seat=st.booleans(),
    )
    def review(self, pick, role, decision, every_criterion, for_the_absent_seat):
        """A vote; or one on behalf of committee1's seat, which committee2 holds by a
        delegation (anyone else sending it is refused)."""
        promotions = self.promotions()
        promotion = promotions[pick % len(promotions)]
        reviewer = self.actor(role, promotion.candidate)
        seat = self.users["committee1"].username if for_the_absent_seat else None
        ratings = factories.ratings_for(promotion, "meets" if decision == "approve" else "not_yet")
        if not every_criterion:
            ratings.popitem()
        before = list(Review.objects.values_list("id", "decision", "ratings").order_by("id"))
        done = self.attempt(
            lambda: services.promotion_review(
                promotion=promotion,
                reviewer=reviewer,
                decision=decision,
                comment="Reasons.",
                ratings=ratings,
                on_behalf_of=seat,
            )
        )
        if done and seat:
            assert reviewer == self.users["committee2"]
        if not every_criterion:
            assert not done  # ratings_missing (or refused earlier): nothing recorded
        if not done:
            assert list(Review.objects.values_list("id", "decision", "ratings").order_by("id")) == (
                before
            )

    @precondition(lambda self: Promotion.objects.exists())
    @rule(
        pick=st.integers(0, 50),
        role=st.one_of(st.sampled_from(["manager", "hr"]), st.sampled_from(ROLES)),
    )
    def submit_packet(self, pick, role):
        """A new packet version: by the nominator or HR while nominated or changes requested."""
        promotions = self.promotions()
        promotion = promotions[pick % len(promotions)]
        before = PacketVersion.objects.filter(promotion=promotion).count()
        done = self.attempt(
            lambda: packets.packet_submit(
                promotion=promotion,
                actor=self.actor(role, promotion.candidate),
                justification="Reworked.",
                evidence=factories.evidence_for(promotion.to_level, text="Reworked."),
            )
        )
        after = PacketVersion.objects.filter(promotion=promotion).count()
        assert after == before + done
        if done:
            assert promotion.state in ("nominated", "changes_requested")

    @precondition(lambda self: Promotion.objects.filter(state__in=OPEN_STATES).exists())
    @rule(pick=st.integers(0, 50), role=st.sampled_from(COMMITTEE_WORK))
    def push_forward(self, pick, role):
        """The committee's usual next step, so that runs reach approval, not only refusals."""
        open_promotions = list(
            Promotion.objects.filter(state__in=OPEN_STATES)
            .select_related("candidate")
            .order_by("id")
        )
        promotion = open_promotions[pick % len(open_promotions)]
        actor = self.users[role]
        if promotion.state == "nominated":
            action = "start-review"
        elif promotion.state == "awaiting_executive":
            actor, action = self.users["executive"], "approve"
        elif promotion.state == "changes_requested":
            # The nominator's usual next step: a new version, then back to review (HR may too).
            actor = self.users["hr"]
            self.attempt(
                lambda: packets.packet_submit(
                    promotion=promotion,
                    actor=actor,
                    justification="Reworked.",
                    evidence=factories.evidence_for(promotion.to_level, text="Reworked."),
                )
            )
            action = "resubmit"
        else:
            self.attempt(
                lambda: services.promotion_review(
                    promotion=promotion,
                    reviewer=actor,
                    decision="approve",
                    ratings=factories.ratings_for(promotion),
                )
            )
            action = "approve"
        if self.attempt(
            lambda: services.TRANSITION_SERVICES[action](promotion=promotion, actor=actor)
        ):
            self.successful_transitions += 1
            if action == "approve" and Promotion.objects.get(pk=promotion.pk).level_applied:
                self.levels[promotion.candidate_id] = promotion.to_level_id

    @precondition(lambda self: Promotion.objects.filter(state="in_review").exists())
    @rule(
        pick=st.integers(0, 50),
        role=st.sampled_from(COMMITTEE_WORK),
        decision=st.sampled_from(["approve", "reject"]),
    )
    def decide_before_the_release_date(self, pick, role, decision):
        """A case of the cycle with a release date, decided while it calibrates: held from the
        candidate until the nominator or the manager releases it (the random `release` does)."""
        in_review = list(
            Promotion.objects.filter(state="in_review").select_related("candidate").order_by("id")
        )
        promotion = in_review[pick % len(in_review)]
        # A shortcut of this test: the cycle calibrates (and claims the tracks) only for this
        # decision, so that the rest of the run nominates freely.
        Cycle.objects.filter(pk=self.cycle.pk).update(state="calibrating")
        Promotion.objects.filter(pk=promotion.pk).update(cycle=self.cycle)
        actor = self.users[role]
        try:
            self.attempt(
                lambda: services.promotion_review(
                    promotion=promotion,
                    reviewer=actor,
                    decision=decision,
                    comment="Reasons.",
                    ratings=factories.ratings_for(promotion),
                )
            )
            service = services.TRANSITION_SERVICES[decision]
            done = self.attempt(lambda: service(promotion=promotion, actor=actor, note="n"))
        finally:
            Cycle.objects.filter(pk=self.cycle.pk).update(state="draft")
        self.successful_transitions += done
        decided = Promotion.objects.get(pk=promotion.pk)
        # Decided, it is held; sent to an Executive (a senior move), nothing is decided yet.
        assert decided.release_held == (done and decided.state in ("approved", "rejected"))

    @precondition(lambda self: Promotion.objects.filter(release_held=True).exists())
    @rule(pick=st.integers(0, 50), role=st.sampled_from(ROLES))
    def release_a_held_decision(self, pick, role):
        """Only the nominator or the candidate's manager (`manager`, who nominates, or HR) releases
        it."""
        held = list(
            Promotion.objects.filter(release_held=True).select_related("candidate").order_by("id")
        )
        promotion = held[pick % len(held)]
        actor = self.actor(role, promotion.candidate)
        done = self.attempt(
            lambda: services.TRANSITION_SERVICES["release"](promotion=promotion, actor=actor)
        )
        assert done == (actor.pk in (promotion.nominated_by_id, self.users["manager"].pk))
        assert Promotion.objects.get(pk=promotion.pk).release_held != done
        self.successful_transitions += done

    @precondition(lambda self: Promotion.objects.filter(state="rejected").exists())
    @rule(pick=st.integers(0, 50), role=st.sampled_from(["candidate", "manager"]))
    def appeal_a_rejection(self, pick, role):
        """The candidate or the nominator appeals, so that runs reach appealed (refused beside a
        newer open promotion of the candidate)."""
        rejected = list(
            Promotion.objects.filter(state="rejected").select_related("candidate__user")
        )
        promotion = rejected[pick % len(rejected)]
        newer = (
            Promotion.objects.filter(candidate=promotion.candidate, state__in=OPEN_STATES)
            .exclude(pk=promotion.pk)
            .exists()
        )
        done = self.attempt(
            lambda: services.TRANSITION_SERVICES["appeal"](
                promotion=promotion,
                actor=self.actor(role, promotion.candidate),
                statement="The numbers came in later.",
            )
        )
        self.successful_transitions += done
        assert not (done and newer)  # (and the manager may not be the nominator: 403)

    @precondition(lambda self: Promotion.objects.filter(state="in_review").exists())
    @rule(pick=st.integers(0, 50), role=st.sampled_from(COMMITTEE_WORK))
    def send_back(self, pick, role):
        """The committee asks for changes, so that runs reach changes_requested and resubmit."""
        in_review = list(
            Promotion.objects.filter(state="in_review").select_related("candidate").order_by("id")
        )
        promotion = in_review[pick % len(in_review)]
        done = self.attempt(
            lambda: services.promotion_request_changes(
                promotion=promotion, actor=self.users[role], note="Show the numbers."
            )
        )
        self.successful_transitions += done

    @precondition(lambda self: Promotion.objects.filter(state__in=TERMINAL).exists())
    @rule(
        pick=st.integers(0, 50),
        # (release is the nominator's or the manager's, appeal the candidate's or the
        # nominator's: never the referee's, 403 first)
        action=st.sampled_from(
            [*(a for a in TRANSITIONS if a not in ("release", "appeal")), "review", "submit-packet"]
        ),
    )
    def terminal_states_refuse_everything_with_409(self, pick, action):
        closed = list(Promotion.objects.filter(state__in=TERMINAL).order_by("id"))
        promotion = closed[pick % len(closed)]
        hr = self.referee
        with pytest.raises(DomainError) as refused, transaction.atomic():
            if action == "review":
                services.promotion_review(
                    promotion=promotion,
                    reviewer=hr,
                    decision="approve",
                    ratings=factories.ratings_for(promotion),
                )
            elif action == "submit-packet":
                packets.packet_submit(
                    promotion=promotion,
                    actor=hr,
                    justification="Too late.",
                    evidence=factories.evidence_for(promotion.to_level),
                )
            else:
                services.TRANSITION_SERVICES[action](promotion=promotion, actor=hr, note="n")
        assert refused.value.kind == DomainError.CONFLICT

    @invariant()
    def levels_change_only_by_approval(self):
        actual = dict(Member.objects.filter(pk__in=self.levels).values_list("pk", "level_id"))
        assert actual == self.levels
        approved = Promotion.objects.filter(state="approved", level_applied=True).count()
        assert LevelChange.objects.count() == approved

    @invariant()
    def only_an_unreleased_decision_of_a_cycle_with_a_release_date_is_held(self):
        released = set(
            PromotionEvent.objects.filter(to_state="released").values_list("promotion", flat=True)
        )
        for promotion in Promotion.objects.filter(release_held=True).select_related("cycle"):
            assert promotion.state in ("approved", "rejected")
            assert promotion.cycle.release_on and not promotion.level_applied
            assert promotion.pk not in released
        assert not Promotion.objects.filter(pk__in=released, release_held=True).exists()

    @invariant()
    def at_most_one_open_promotion_per_candidate(self):
        counts = (
            Promotion.objects.filter(state__in=OPEN_STATES)
            .values("candidate")
            .annotate(n=Count("id"))
            .filter(n__gt=1)
        )
        assert not counts.exists()

    @invariant()
    def packet_versions_are_numbered_from_one_and_the_last_is_current(self):
        for promotion in Promotion.objects.all():
            numbers = list(
                promotion.packet_versions.order_by("number").values_list("number", flat=True)
            )
            assert numbers == list(range(1, promotion.packet_version + 1))
            assert (
                promotion.reviews.filter(packet_version__gt=promotion.packet_version).count() == 0
            )

    @invariant()
    def changes_are_requested_with_a_note_for_the_version_under_review(self):
        for promotion in Promotion.objects.exclude(changes_requested_version=None):
            assert promotion.changes_requested_note
            assert promotion.changes_requested_version <= promotion.packet_version

    @invariant()
    def an_executive_step_decides_nothing_yet_and_every_appeal_is_on_record(self):
        for promotion in Promotion.objects.filter(state="awaiting_executive"):
            assert promotion.decided_at is None and promotion.to_level.executive_approval
        for promotion in Promotion.objects.filter(state__in=("appealed", "upheld")):
            assert Appeal.objects.filter(promotion=promotion).count() == 1
        assert not Appeal.objects.filter(promotion__state="rejected").exists()

    @invariant()
    def a_vote_is_cast_by_its_seat_or_the_seats_delegate_once_per_version(self):
        seat, delegate = self.users["committee1"].pk, self.users["committee2"].pk
        for reviewer, cast_by in Review.objects.values_list("reviewer_id", "cast_by_id"):
            assert cast_by in (None, reviewer) or (reviewer, cast_by) == (seat, delegate)
        votes = Review.objects.values("promotion", "reviewer", "packet_version")
        assert not votes.annotate(n=Count("id")).filter(n__gt=1).exists()

    @invariant()
    def a_request_is_answered_once_by_its_manager_or_hr_and_never_nominates_its_member(self):
        for request in NominationRequest.objects.select_related("promotion", "member"):
            if request.state == "accepted":
                promotion = request.promotion
                assert promotion.candidate_id == request.member_id
                assert promotion.to_level_id == request.to_level_id
                assert promotion.nominated_by_id == request.answered_by_id
            assert request.answered_by_id != request.member.user_id
        pending = NominationRequest.objects.filter(state="pending").values("member")
        assert not pending.annotate(n=Count("id")).filter(n__gt=1).exists()
        assert not Promotion.objects.filter(nominated_by=F("candidate__user")).exists()

    @invariant()
    def one_event_per_successful_transition(self):
        assert PromotionEvent.objects.count() == self.successful_transitions


@pytest.mark.django_db
def test_promotion_workflow_invariants():
    from hypothesis.stateful import run_state_machine_as_test

    run_state_machine_as_test(
        PromotionWorkflow,
        settings=settings(
            # Forty runs of forty steps took 80 s of a 2-core machine's make test.
            max_examples=examples(quick=12, deep=40),
            stateful_step_count=examples(quick=30, deep=40),
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
