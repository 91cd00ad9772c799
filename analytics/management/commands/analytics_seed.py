"""Seed three closed promotion cycles with members, self-reported demographics, nominations and
decisions, for trying the adverse-impact report (docs/analytics.md): `manage.py analytics_seed`.

Made to show every stage: men are nominated and approved more often than women (a gap under four
fifths), two small groups (non-binary, prefer not to say) are suppressed, and some members gave no
answer. Each case has its packet (version 1), as a nomination through the site would. Decisions
are recorded as taken effect on the cycle's date without moving anyone (the report reads
outcomes, not levels): no case is left pending, so every member may still be nominated, erased
or opened on the desk. Refuses to run twice."""

import random
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from analytics.models import DemographicChoice, DemographicValue
from ladder.models import Level, LevelTransition, Member
from promotions.models import Cycle, CycleState, PacketVersion, Promotion, PromotionState
from promotions.packets.services import packet_sha256

PREFIX = "Analytics seed"
OPENINGS = (date(2024, 3, 1), date(2024, 9, 1), date(2025, 3, 1))
LEVELS = ("associate-pm", "pm", "senior-pm", "lead-pm")
# gender: (share of members, chance of a nomination when eligible, chance of approval); one
# non-binary member (a group too small to publish in any stage).
GENDERS = {
    "man": (0.43, 0.36, 0.72),
    "woman": (0.44, 0.22, 0.55),
    "non-binary": (0.0, 0.30, 0.60),
    "prefer-not-to-say": (0.08, 0.35, 0.60),
    None: (0.05, 0.30, 0.60),  # no answer given
}
AGE_BANDS = ("under-25", "25-34", "35-44", "45-54", "55-plus")


class Command(BaseCommand):
    help = "Seed three closed cycles with members, demographics, nominations and decisions."

    def add_arguments(self, parser):
        parser.add_argument("--members", type=int, default=300)
        parser.add_argument("--seed", type=int, default=26)

    def handle(self, *args, members: int, seed: int, **options):
        if Cycle.objects.filter(name__startswith=PREFIX).exists():
            raise CommandError("The analytics seed is there already.")
        if not 10 <= members <= 5000:
            raise CommandError("--members takes 10 to 5000.")
        with transaction.atomic():
            counts = seed_analytics(members=members, rng=random.Random(seed))
        self.stdout.write(
            f"Seeded {counts['members']} members, {counts['cycles']} cycles, "
            f"{counts['promotions']} promotions."
        )


def _pick(rng: random.Random, weights: dict):
    return rng.choices(list(weights), weights=[w[0] for w in weights.values()])[0]


def seed_analytics(*, members: int, rng: random.Random) -> dict:
    levels = {level.code: level for level in Level.objects.filter(code__in=(*LEVELS, "group-pm"))}
    next_level = {
        t.from_level.code: t.to_level
        for t in LevelTransition.objects.filter(
            from_level__code__in=LEVELS, to_level__track="ic", is_active=True
        ).select_related("from_level", "to_level")
    }
    users = get_user_model()
    manager_user = users.objects.create_user(
        username="analytics-seed-manager", first_name="Seed", last_name="Manager"
    )
    manager = Member.objects.create(user=manager_user, level=levels["group-pm"])
    choices = {
        (c.category, c.code): c
        for c in DemographicChoice.objects.filter(category__in=("gender", "age_band"))
    }
    people, values = [], []
    for n in range(members):
        user = users.objects.create_user(
            username=f"analytics-seed-{n:04d}",
            first_name="Seed",
            last_name=f"Member {n:04d}",
            email=f"analytics-seed-{n:04d}@example.com",
        )
        member = Member.objects.create(
            user=user,
            level=levels[rng.choice(LEVELS)],
            manager=manager,
            level_since=date(2021, 1, 1) + timedelta(days=rng.randint(0, 4 * 365) if n else 0),
        )
        gender = "non-binary" if n == 0 else _pick(rng, GENDERS)
        people.append((member, gender))
        if gender is not None:
            values.append(
                DemographicValue(
                    member=member, category="gender", choice=choices[("gender", gender)]
                )
            )
        if rng.random() < 0.8:
            band = choices[("age_band", rng.choice(AGE_BANDS))]
            values.append(DemographicValue(member=member, category="age_band", choice=band))
    DemographicValue.objects.bulk_create(values)
    promotions = []
    now = timezone.now()
    for index, opening in enumerate(OPENINGS, start=1):
        cycle = Cycle.objects.create(
            name=f"{PREFIX} {index}",
            tracks=["ic"],
            nominations_open_on=opening,
            nominations_close_on=opening + timedelta(days=30),
            decisions_due_on=opening + timedelta(days=60),
            effective_on=opening + timedelta(days=90),
            state=CycleState.CLOSED,
        )
        for member, gender in people:
            level = member.level
            months = (opening.year - member.level_since.year) * 12 + (
                opening.month - member.level_since.month
            )
            if member.level_since > opening or months < level.min_months_in_level:
                continue
            _, nominate, approve = GENDERS[gender]
            if level.code not in next_level or rng.random() >= nominate:
                continue
            roll = rng.random()
            if roll < 0.08:
                state = PromotionState.WITHDRAWN
            elif rng.random() < approve:
                state = PromotionState.APPROVED
            else:
                state = PromotionState.REJECTED
            promotions.append(
                Promotion(
                    candidate=member,
                    from_level=level,
                    to_level=next_level[level.code],
                    nominated_by=manager_user,
                    justification="Seeded for the adverse-impact report.",
                    cycle=cycle,
                    state=state,
                    from_level_since=member.level_since,
                    decided_at=now,
                    effective_on=cycle.effective_on if state == PromotionState.APPROVED else None,
                    level_applied=state == PromotionState.APPROVED,
                )
            )
    Promotion.objects.bulk_create(promotions)
    PacketVersion.objects.bulk_create(
        PacketVersion(
            promotion=promotion,
            number=1,
            justification=promotion.justification,
            evidence=[],
            submitted_by=manager_user,
            sha256=packet_sha256(justification=promotion.justification, evidence=[]),
        )
        for promotion in promotions
    )
    return {"members": members, "cycles": len(OPENINGS), "promotions": len(promotions)}
