from datetime import timedelta

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from accounts.services import token_issue
from core import roles
from ladder.models import Level, Member

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.django.Password(PASSWORD)


class LevelByCode(factory.django.DjangoModelFactory):
    """The seeded levels: look them up by code, never create them."""

    class Meta:
        model = Level
        django_get_or_create = ("code",)

    code = "pm"


class MemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Member

    user = factory.SubFactory(UserFactory)
    level = factory.SubFactory(LevelByCode)
    manager = None
    # Two years at the level: eligible for a move up unless a test says otherwise.
    level_since = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=730))


def _with_group(user, group_name: str):
    user.groups.add(Group.objects.get(name=group_name))
    user.is_staff = True
    user.save()
    return get_user_model().objects.get(pk=user.pk)  # fresh: no cached groups


def hr_user(**kwargs):
    return _with_group(UserFactory(**kwargs), roles.HR_GROUP)


def committee_member(level: str | None = None, manager=None, **kwargs):
    """A committee user; with `level`, also a member on the ladder."""
    user = UserFactory(**kwargs)
    if level:
        MemberFactory(user=user, level=Level.objects.get(code=level), manager=manager)
    return _with_group(user, roles.COMMITTEE_GROUP)


def executive(**kwargs):
    """A user of the group `Executives` (the final approval of senior moves)."""
    return _with_group(UserFactory(**kwargs), roles.EXECUTIVES_GROUP)


def people_analyst(**kwargs):
    """A user of the group `People analytics` (demographics, as suppressed aggregates only)."""
    return _with_group(UserFactory(**kwargs), roles.PEOPLE_ANALYTICS_GROUP)


def people() -> dict:
    """The cast of a promotion: candidate (pm), their manager who nominates, the committee,
    HR, another manager, and a committee member who is also the candidate's manager's peer."""
    manager = MemberFactory(level=Level.objects.get(code="group-pm"))
    candidate = MemberFactory(level=Level.objects.get(code="pm"), manager=manager)
    other_manager = MemberFactory(level=Level.objects.get(code="group-pm"))
    MemberFactory(level=Level.objects.get(code="pm"), manager=other_manager)
    return {
        "candidate": candidate.user,
        "manager": manager.user,
        "other_manager": other_manager.user,
        "committee": committee_member(level="vp-product"),
        "committee2": committee_member(),
        "hr": hr_user(),
        "candidate_member": candidate,
    }


def token_for(user) -> str:
    return token_issue(user=user)


# --- Promotions, built through the services (as people would) -------------------------------
# One set of builders for the whole suite: a promotion in any state, with votes, without each
# module writing its own cast. Defaults make a fresh team when none is given.

JUSTIFICATION = "Owns checkout end to end; mentors two APMs."


def evidence_for(level, text: str = "Led it end to end.", links=()) -> list[dict]:
    """An entry for every active criterion of `level` (a Level or its code), as a packet needs."""
    from ladder.selectors import level_criteria

    if isinstance(level, str):
        level = Level.objects.get(code=level)
    return [
        {"criterion": c.code, "text": f"{text} ({c.title})", "links": list(links)}
        for c in level_criteria(level=level)
    ]


def ratings_for(promotion, rating: str = "meets") -> dict[str, str]:
    """A rating for every criterion of the promotion's current packet version."""
    from promotions.packets.services import packet_current

    return dict.fromkeys(packet_current(promotion=promotion).criteria, rating)


def team(*, level: str = "pm", manager_level: str = "group-pm"):
    """A manager (a member) with one report at `level`: (candidate member, manager member)."""
    manager = MemberFactory(level=Level.objects.get(code=manager_level))
    candidate = MemberFactory(level=Level.objects.get(code=level), manager=manager)
    return candidate, manager


def promotion(
    *,
    candidate=None,
    to: str | None = None,
    by=None,
    state: str = "nominated",
    votes=(),
    actor=None,
    note: str = "",
    justification: str = JUSTIFICATION,
):
    """A promotion brought to `state` (nominated, in_review, approved, rejected, withdrawn) through
    the services. `candidate`: a member (default: a new pm with a new manager); `to`: a level code
    (default: the candidate's first allowed move); `by`: the nominator (default: the manager);
    `votes`: (reviewer, decision) pairs cast in review; `actor`: who starts the review and
    decides (default: a new committee member)."""
    from ladder.selectors import level_next_levels
    from promotions import services

    if candidate is None:
        candidate, _ = team()
    to_level = Level.objects.get(code=to) if to else level_next_levels(level=candidate.level)[0]
    nominator = by or candidate.manager.user
    result = services.promotion_nominate(
        candidate=candidate,
        to_level=to_level,
        nominated_by=nominator,
        justification=justification,
        evidence=evidence_for(to_level),
    )
    if state == "nominated":
        return result
    if state == "withdrawn":
        return services.promotion_withdraw(promotion=result, actor=nominator, note=note)
    actor = actor or committee_member()
    result = services.promotion_start_review(promotion=result, actor=actor)
    for reviewer, decision in votes:
        review(result, reviewer, decision)
    if state == "in_review":
        return result
    if state == "approved":
        if not any(decision == "approve" for _, decision in votes):
            review(result, committee_member(), "approve")
        return services.promotion_approve(promotion=result, actor=actor, note=note)
    if state == "rejected":
        return services.promotion_reject(promotion=result, actor=actor, note=note or "Not yet.")
    raise ValueError(f"No such state to build: {state}")


def review(promotion, reviewer, decision: str = "approve", comment: str = ""):
    """A vote, through the service (a reject gets a comment if none is given)."""
    from promotions import services

    if decision == "reject" and not comment:
        comment = "Not yet."
    return services.promotion_review(
        promotion=promotion,
        reviewer=reviewer,
        decision=decision,
        comment=comment,
        ratings=ratings_for(promotion, "meets" if decision == "approve" else "not_yet"),
    )[0]


def ratings_body(promotion, rating: str = "meets") -> list[dict]:
    """`ratings` as the API takes them: one per criterion of the current packet version."""
    return [{"criterion": c, "rating": r} for c, r in ratings_for(promotion, rating).items()]


def draft_cycle(hr, *, name: str = "H1", tracks=("management",)):
    """A draft promotion cycle of HR's, months ahead (within the year a date may be ahead)."""
    from datetime import timedelta

    from django.utils import timezone

    from promotions.cycles import services as cycles

    today = timezone.localdate()
    return cycles.cycle_create(
        actor=hr,
        name=name,
        tracks=list(tracks),
        nominations_open_on=today + timedelta(days=200),
        nominations_close_on=today + timedelta(days=230),
        decisions_due_on=today + timedelta(days=260),
        effective_on=today + timedelta(days=290),
    )


def release_cycle(*, release_in: int | None = 5, hr=None):
    """An open cycle taking both tracks, its nominations closing today, a release date
    `release_in` days ahead (None: none), effective on the fifteenth day."""
    from datetime import timedelta

    from django.utils import timezone

    from promotions.cycles import services as cycles

    hr = hr or hr_user()
    today = timezone.localdate()
    cycle = cycles.cycle_create(
        actor=hr,
        name="H2",
        tracks=[],
        nominations_open_on=today - timedelta(days=20),
        nominations_close_on=today,
        decisions_due_on=today,
        release_on=today + timedelta(days=release_in) if release_in is not None else None,
        effective_on=today + timedelta(days=15),
    )
    return cycles.cycle_open(actor=hr, cycle=cycle)


def blind_cycle(*, hr, name: str = "Blind H1"):
    """An open cycle of both tracks with a blind first pass, nominations open five days either
    side of today."""
    from datetime import timedelta

    from django.utils import timezone

    from promotions.cycles import services as cycles

    today = timezone.localdate()
    cycle = cycles.cycle_create(
        actor=hr,
        name=name,
        tracks=[],
        blind_review=True,
        nominations_open_on=today - timedelta(days=5),
        nominations_close_on=today + timedelta(days=5),
        decisions_due_on=today + timedelta(days=10),
        effective_on=today + timedelta(days=15),
    )
    return cycles.cycle_open(actor=hr, cycle=cycle)


def held_decision(
    *, cycle=None, decision: str = "approve", note: str = "Decided.", case=None, **kwargs
):
    """A promotion nominated in `cycle` (default: a new release_cycle()), or `case` (one in review
    in it already), decided by the committee once the cycle calibrates: held from the candidate
    until the cycle's release date."""
    from promotions import services
    from promotions.cycles import services as cycles
    from promotions.models import Cycle

    cycle = cycle or release_cycle()
    in_review = case or promotion(state="in_review", **kwargs)
    assert in_review.cycle_id == cycle.pk
    if Cycle.objects.get(pk=cycle.pk).state == "open":
        cycles.cycle_calibrate(actor=hr_user(), cycle=Cycle.objects.get(pk=cycle.pk))
    actor = kwargs.get("actor") or committee_member()
    if decision == "approve":
        review(in_review, committee_member(), "approve")
        return services.promotion_approve(promotion=in_review, actor=actor, note=note)
    return services.promotion_reject(promotion=in_review, actor=actor, note=note)


def promotions_of_every_kind(people) -> dict:
    """A promotion in every state and kind the API tells apart, by name: nominated (of
    `people`'s candidate), withdrawn, rejected, approved, approvable (in review with a vote),
    short (in review, short of the quorum), later (approved for a later date), sent_back
    (changes requested), reworked (changes requested, then a new packet version) and off_cycle
    (HR's, with an eligibility override). `voter` is the committee member who voted."""
    from promotions import services
    from promotions.packets import services as packets

    committee = people["committee"]
    kinds = {
        "nominated": promotion(
            candidate=people["candidate_member"], to="senior-pm", by=people["manager"]
        ),
        "withdrawn": promotion(state="withdrawn"),
        "rejected": promotion(state="rejected"),
        "approved": promotion(state="approved"),
    }
    voter = committee_member()
    kinds["voter"] = voter
    kinds["approvable"] = promotion(state="in_review", votes=[(voter, "approve")])
    kinds["short"] = promotion(state="in_review")
    later = promotion(state="in_review", votes=[(voter, "approve")])
    kinds["later"] = services.promotion_approve(
        promotion=later,
        actor=committee_member(),
        effective_on=timezone.localdate() + timedelta(days=5),
    )
    sent_back = promotion(state="in_review")
    kinds["sent_back"] = services.promotion_request_changes(
        promotion=sent_back, actor=committee, note="Say more about scope."
    )
    reworked = services.promotion_request_changes(
        promotion=promotion(state="in_review"), actor=committee, note="More."
    )
    packets.packet_submit(
        promotion=reworked,
        actor=reworked.nominated_by,
        justification="Reworked.",
        evidence=evidence_for(reworked.to_level),
    )
    kinds["reworked"] = reworked
    kinds["off_cycle"] = services.promotion_nominate(
        candidate=team()[0],
        to_level=Level.objects.get(code="senior-pm"),
        nominated_by=people["hr"],
        justification="Ready.",
        evidence=evidence_for("senior-pm"),
        eligibility_override_reason="Joined from a peer company at this level.",
    )
    return kinds
