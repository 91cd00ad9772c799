"""`manage.py audit_export --cycle ID FILE`: a cycle's decisions and votes with the audit chain's
rows they rest on (every event and level change of the cycle's promotions, with their links),
signed (docs/audit.md). Checked offline by `manage.py audit_verify --bundle FILE`."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from audit.bundle import bundle_build, signing_key
from ladder.models import LevelChange
from promotions.models import Cycle, PromotionEvent, PromotionState

# The events that decide a case; a committee decision records the votes then on record.
DECISIONS = {PromotionState.APPROVED, PromotionState.REJECTED, PromotionState.UPHELD}


def _decision(event: PromotionEvent) -> dict:
    return {
        "promotion": event.promotion_id,
        "event": event.pk,
        "decision": event.to_state,
        "at": event.at.isoformat(),
        "votes": event.votes,
    }


class Command(BaseCommand):
    help = (
        "Write a cycle's decisions, their votes and the audit chain's rows they rest on, signed "
        "with AUDIT_SIGNING_KEY, to FILE; check it with audit_verify --bundle FILE."
    )

    def add_arguments(self, parser):
        parser.add_argument("--cycle", type=int, required=True, help="the cycle's id")
        parser.add_argument("file", type=Path)

    def handle(self, *args, cycle: int, file: Path, **options):
        # Rows first, then their links and the head: a committed row always has its sealed link.
        found = Cycle.objects.filter(pk=cycle).first()
        if found is None:
            raise CommandError(f"No cycle {cycle}.")
        events = list(PromotionEvent.objects.filter(promotion__cycle=found).order_by("at", "id"))
        changes = list(LevelChange.objects.filter(promotion__cycle=found).order_by("id"))
        subject = {
            "cycle": {"id": found.pk, "name": found.name},
            "decisions": [
                _decision(event)
                for event in events
                if event.to_state in DECISIONS or event.votes is not None
            ],
        }
        bundle = bundle_build(subject=subject, rows=[*events, *changes], key=signing_key())
        file.write_text(json.dumps(bundle, indent=1, sort_keys=True) + "\n")
        self.stdout.write(
            f"Wrote {len(bundle['links'])} audit rows and "
            f"{len(subject['decisions'])} decisions of cycle {found.pk} to {file}"
        )
