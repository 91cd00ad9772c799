"""Holds: a worker takes a row by writing until when it holds it (an outbox row's `held_until`,
an endpoint's `releasing_until`); a dead worker's hold runs out by itself."""

from datetime import datetime

from django.db.models import Q


def unheld(field: str, now: datetime) -> Q:
    """Rows no live worker holds: the hold `field` unset, or run out by `now`."""
    return Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__lte": now})
