import os
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from core import roles
from core.errors import InvalidInput
from ladder import services
from ladder.models import Level, Member
from ladder.selectors import level_criteria
from promotions import eligibility
from promotions import services as promotions
from promotions.cycles import services as cycles
from promotions.models import Cycle, Promotion
from promotions.packets import services as packets

DEMO_PASSWORD = "ladder-demo-2026"

# username, first name, last name, level code, manager username, groups
PEOPLE = [
    ("hr", "Hana", "Reyes", None, None, [roles.HR_GROUP]),
    ("committee1", "Cora", "Mendes", "vp-product", None, [roles.COMMITTEE_GROUP]),
    ("committee2", "Chen", "Okafor", "head-of-product", "committee1", [roles.COMMITTEE_GROUP]),
    ("manager", "Maya", "Lindqvist", "group-pm", "committee2", []),
    ("alex", "Alex", "Moreau", "associate-pm", "manager", []),
    ("sam", "Sam", "Novak", "pm", "manager", []),
    ("priya", "Priya", "Shah", "senior-pm", "manager", []),
    # A second organisation, and the twelve candidates of the demo cycle.
    ("nadia", "Nadia", "Haddad", "head-of-product", "committee1", []),
    ("omar", "Omar", "Bakr", "group-pm", "nadia", []),
    ("lena", "Lena", "Fischer", "associate-pm", "manager", []),
    ("tom", "Tom", "Becker", "associate-pm", "manager", []),
    ("ines", "Inês", "Costa", "associate-pm", "omar", []),
    ("ravi", "Ravi", "Iyer", "associate-pm", "omar", []),
    ("mia", "Mia", "Kowalski", "associate-pm", "omar", []),
    ("jon", "Jon", "Berg", "pm", "manager", []),
    ("ana", "Ana", "Silva", "pm", "omar", []),
    ("kai", "Kai", "Tanaka", "pm", "omar", []),
    ("eva", "Eva", "Novak", "pm", "manager", []),
    ("leo", "Leo", "Marchetti", "senior-pm", "omar", []),
    ("zoe", "Zoë", "Laurent", "senior-pm", "manager", []),
    ("ben", "Ben", "Osei", "lead-pm", "omar", []),
    # Eligible, with no promotion yet: the manager nominates her into the open cycle (README).
    ("nora", "Nora", "Adeyemi", "senior-pm", "manager", []),
]
# Two cycles may not share a track while open or calibrating: the IC track calibrates, the
# management track takes nominations.
CYCLE_NAME = "Demo cycle"
CYCLE_TRACKS = ["ic"]
OPEN_CYCLE_NAME = "Demo management cycle"
OPEN_CYCLE_TRACKS = ["management"]
NOMINEE, NOMINEE_TARGET = "nora", "group-pm"  # senior-pm → group-pm joins the management cycle
README_WALKTHROUGH = "A promotion in one minute"  # the README section that runs on this data
# candidate, target level, what the committee did (all nominated while the cycle was open).
CYCLE_CASES = [
    ("lena", "pm", "approve"),
    ("tom", "pm", "approve"),
    ("ines", "pm", "reject"),
    ("ravi", "pm", "review"),
    ("mia", "pm", "approve"),
    ("jon", "senior-pm", "approve"),
    ("ana", "senior-pm", "review"),
    ("kai", "senior-pm", "reject"),
    ("eva", "senior-pm", "withdraw"),
    ("leo", "lead-pm", "review"),
    ("zoe", "lead-pm", "approve"),
    ("ben", "principal-pm", "nominated"),
]


# Real-looking evidence, by criterion code of the target levels the demo's reports aim at.
EVIDENCE = {
    "owns-product-area": "Owns mobile onboarding since March: roadmap, metrics, releases.",
    "works-with-squad": "Runs the onboarding squad's rituals with design, 4 engineers and data.",
    "autonomous-in-scope": "Shipped the new sign-up flow without escalations; set its own OKRs.",
    "balances-needs": "Traded a 2-week delay for accessibility fixes; churn in week 1 fell 6%.",
    "complex-challenges": "Led the checkout rewrite across payments, risk and mobile teams.",
    "mentors-juniors": "Mentors two associate PMs; both now run discovery on their own.",
    "strategic-depth": "Wrote the 2027 payments strategy adopted by the leadership team.",
    "point-of-reference": "Other squads ask for her review of their pricing experiments.",
    "influences-roadmap": "Moved fraud tooling up the roadmap with a cost-of-delay case.",
    "product-architect": "Designed the shared entitlement model now used by four products.",
    "critical-issues": "Took over the billing incident task force and closed it in 3 weeks.",
    "methodological-direction": "Introduced opportunity-solution trees across the PM group.",
    "influences-pms": "Runs the monthly PM critique; 9 PMs present there regularly.",
    "product-consistency": "Aligned navigation and naming across web, iOS and Android.",
    "sparring-partner": "Prepares the quarterly portfolio review with the VP Product.",
}
LINK = "https://wiki.example.com/pm-ladder/demo/"


def _evidence(level, *, extra: str = "") -> list[dict]:
    return [
        {
            "criterion": c.code,
            "text": EVIDENCE.get(c.code, f"Evidence for {c.title.lower()}.") + extra,
            "links": [f"{LINK}{c.code}"],
        }
        for c in level_criteria(level=level)
    ]


# How a demo reviewer rates, criterion by criterion: an approving vote is mostly "meets" with a
# strength and a gap; a rejecting one mostly "not_yet". `turn` shifts the pattern per reviewer.
RATING_PATTERNS = {
    "approve": ("exceeds", "meets", "meets", "not_yet", "meets"),
    "reject": ("not_yet", "meets", "not_yet"),
}


def _ratings(criteria, *, decision: str, turn: int = 0) -> dict[str, str]:
    pattern = RATING_PATTERNS[decision]
    return {code: pattern[(i + turn) % len(pattern)] for i, code in enumerate(criteria)}


def demo_people() -> None:
    """The users of PEOPLE with the demo password, their groups and member records."""
    User = get_user_model()
    # Hashed once for all of them: a hash takes a third of a second, on purpose.
    password = make_password(DEMO_PASSWORD)
    for username, first, last, level_code, manager_name, groups in PEOPLE:
        user, _ = User.objects.get_or_create(
            username=username,
            defaults={"first_name": first, "last_name": last, "email": f"{username}@example.com"},
        )
        user.password = password
        user.save()
        user.groups.add(*(Group.objects.get(name=name) for name in groups))
        services.user_grant_staff_for_roles(user=user)
        if level_code and not Member.objects.filter(user=user).exists():
            manager = Member.objects.get(user__username=manager_name) if manager_name else None
            Member.objects.create(
                user=user,
                level=Level.objects.get(code=level_code),
                manager=manager,
                level_since=timezone.localdate() - timedelta(days=730),
            )


def demo_promotions() -> list[str]:
    """A promotion in review with a vote (sam), one sent back for changes (alex), and one with
    two packet versions, back in review with a stale vote (priya). Skipped for who has one."""
    User = get_user_model()
    manager = User.objects.get(username="manager")
    cora, chen = User.objects.get(username="committee1"), User.objects.get(username="committee2")
    made = []

    def nominate(username: str, to: str):
        member = Member.objects.get(user__username=username)
        if Promotion.objects.filter(candidate=member).exists():
            return None
        level = Level.objects.get(code=to)
        promotion = promotions.promotion_nominate(
            candidate=member,
            to_level=level,
            nominated_by=manager,
            justification=f"{member.name} has worked at the {member.level.title} level for a year.",
            evidence=_evidence(level),
        )
        made.append(f"{username} → {to}")
        return promotions.promotion_start_review(promotion=promotion, actor=cora)

    def rate(promotion, reviewer, decision, comment=""):
        criteria = packets.packet_current(promotion=promotion).criteria
        ratings = _ratings(criteria, decision=decision)
        promotions.promotion_review(
            promotion=promotion,
            reviewer=reviewer,
            decision=decision,
            comment=comment,
            ratings=ratings,
        )

    sam = nominate("sam", "senior-pm")
    if sam:
        rate(sam, cora, "approve", "Senior scope, clearly.")
    alex = nominate("alex", "pm")
    if alex:
        promotions.promotion_request_changes(
            promotion=alex, actor=chen, note="Add the metrics of the onboarding experiment."
        )
    priya = nominate("priya", "lead-pm")
    if priya:
        rate(priya, cora, "approve")
        promotions.promotion_request_changes(
            promotion=priya, actor=chen, note="Show the product-architecture work in numbers."
        )
        packets.packet_submit(
            promotion=priya,
            actor=manager,
            justification="Reworked with numbers: four products on the entitlement model.",
            evidence=_evidence(priya.to_level, extra=" Numbers in the linked review."),
        )
        promotions.promotion_resubmit(promotion=priya, actor=manager)
    return made


def demo_cycle() -> str | None:
    """A cycle of the IC track in calibration with a dozen candidates across levels and two
    organisations: some decided (effective on the cycle's date), some in review, one withdrawn.
    Skipped if it exists."""
    if Cycle.objects.filter(name=CYCLE_NAME).exists():
        return None
    User = get_user_model()
    hr, cora = User.objects.get(username="hr"), User.objects.get(username="committee1")
    chen = User.objects.get(username="committee2")
    today = timezone.localdate()
    cycle = cycles.cycle_create(
        actor=hr,
        name=CYCLE_NAME,
        tracks=CYCLE_TRACKS,
        nominations_open_on=today - timedelta(days=45),
        nominations_close_on=today,  # nominations are refused after this day
        decisions_due_on=today + timedelta(days=14),
        effective_on=today + timedelta(days=30),
    )
    cycles.cycle_open(actor=hr, cycle=cycle)
    cases = []
    for username, to, outcome in CYCLE_CASES:
        member = Member.objects.select_related("manager__user").get(user__username=username)
        level = Level.objects.get(code=to)
        assert member.manager is not None  # every candidate of the demo has one (PEOPLE)
        promotion = promotions.promotion_nominate(
            candidate=member,
            to_level=level,
            nominated_by=member.manager.user,
            justification=f"{member.name} works at the {level.title} level.",
            evidence=_evidence(level),
        )
        cases.append((promotion, outcome))
    cycles.cycle_calibrate(actor=hr, cycle=cycle)
    for promotion, outcome in cases:
        if outcome == "nominated":
            continue
        if outcome == "withdraw":
            promotions.promotion_withdraw(promotion=promotion, actor=promotion.nominated_by)
            continue
        promotions.promotion_start_review(promotion=promotion, actor=cora)
        criteria = packets.packet_current(promotion=promotion).criteria
        decision = "reject" if outcome == "reject" else "approve"
        for turn, reviewer in enumerate((cora, chen)):
            promotions.promotion_review(
                promotion=promotion,
                reviewer=reviewer,
                decision=decision,
                comment="Not yet at this level." if decision == "reject" else "",
                ratings=_ratings(criteria, decision=decision, turn=turn),
            )
        if outcome == "approve":
            promotions.promotion_approve(promotion=promotion, actor=cora)
        elif outcome == "reject":
            promotions.promotion_reject(promotion=promotion, actor=cora, note="Not yet.")
    return f"{CYCLE_NAME} (ic track, calibrating, {len(cases)} candidates)"


def demo_open_cycle() -> str | None:
    """A cycle of the management track open for nominations, with none yet: the manager can
    nominate nora (senior-pm → group-pm) into it. Skipped if it exists, or refused (said so) when
    a cycle of an older `make demo` takes both tracks."""
    if Cycle.objects.filter(name=OPEN_CYCLE_NAME).exists():
        return None
    hr = get_user_model().objects.get(username="hr")
    today = timezone.localdate()
    try:
        with transaction.atomic():
            cycle = cycles.cycle_create(
                actor=hr,
                name=OPEN_CYCLE_NAME,
                tracks=OPEN_CYCLE_TRACKS,
                nominations_open_on=today - timedelta(days=7),
                nominations_close_on=today + timedelta(days=30),
                decisions_due_on=today + timedelta(days=45),
                effective_on=today + timedelta(days=60),
            )
            cycles.cycle_open(actor=hr, cycle=cycle)
    except InvalidInput as refused:
        return f"no cycle open for nominations ({refused.message} Start from a fresh database.)"
    close = cycle.nominations_close_on.isoformat()
    return f"{OPEN_CYCLE_NAME} (management track, open for nominations until {close})"


def nominee_hint() -> str:
    """What to try next: nominate nora, or why that is no longer possible."""
    nominee = Member.objects.select_related("level").get(user__username=NOMINEE)
    moves = eligibility.member_eligibility(member=nominee)
    blockers = next((b for b in moves if b.level.code == NOMINEE_TARGET), None)
    if blockers is None or not blockers.eligible:
        reasons = "; ".join(r["detail"] for r in blockers.reasons) if blockers else "no such move"
        return f"{NOMINEE} cannot be nominated for {NOMINEE_TARGET} now: {reasons}"
    where = f" ({blockers.cycle.name} takes it)" if blockers.cycle else ""
    return (
        f"Try it: sign in as manager, My team → Nominate {NOMINEE} ({nominee.name}, "
        f'{nominee.level.code}) for {NOMINEE_TARGET}{where}. Or follow "{README_WALKTHROUGH}" '
        "in README.md."
    )


class Command(BaseCommand):
    help = (
        "Creates demo users (HR, two committee members, managers and their reports), three "
        "promotions (one in review, one sent back for changes, one with two versions), a cycle "
        "of the IC track in calibration with a dozen candidates, and a cycle of the management "
        "track open for nominations with nora eligible for it. Prints the logins last. "
        "Idempotent."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="run even with DEBUG off (never in production)"
        )

    def handle(self, *args, force=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError("Demo users have a published password: refusing with DEBUG off.")
        # One transaction; its notifications go out as it commits (printed by the console e-mail
        # backend of `make run`), so everything below is printed after them, the logins last.
        with transaction.atomic():
            demo_people()
            made = demo_promotions()
            cycle = demo_cycle()
            open_cycle = demo_open_cycle()
            to_try = nominee_hint()
        made += [name for name in (cycle, open_cycle) if name]
        self.stdout.write(
            f"Demo data: {', '.join(made)}." if made else "Demo data was already there."
        )
        base = f"http://127.0.0.1:{os.environ.get('PORT', '8000')}"
        self.stdout.write(
            f"\n{to_try}\n"
            f"\nMember site: {base}/  Admin: {base}/admin/  API docs: {base}/api/v1/docs/\n"
            "API token: curl -X POST -H 'Content-Type: application/json' "
            f"""-d '{{"username": "manager", "password": "{DEMO_PASSWORD}"}}' """
            f"{base}/api/v1/auth/token/\n\n"
        )
        self.stdout.write(self.style.SUCCESS("Demo users are ready. Password for all of them:"))
        self.stdout.write(f"    {DEMO_PASSWORD}\n")
        for username, first, last, level_code, manager_name, groups in PEOPLE:
            role = ", ".join(groups) or ("manager" if username == "manager" else "member")
            where = f"at {level_code}" if level_code else "not on the ladder"
            boss = f", reports to {manager_name}" if manager_name else ""
            self.stdout.write(f"    {username:<11} {first} {last}: {role}, {where}{boss}")
