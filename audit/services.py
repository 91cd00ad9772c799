"""Appending to the configuration's audit trail. Every service that changes configuration calls
config_change_record in its own transaction, so the record and the change commit together."""

from collections.abc import Iterable
from datetime import date, datetime

from django.db import models

from audit.models import ConfigChange
from audit.routes import current_route


def plain(value):
    """A value as the record keeps it: JSON, and a related object by its name."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bool | int | float | str | None):
        return value
    if isinstance(value, list | tuple | set):
        return [plain(item) for item in value]
    return str(value)


def snapshot(obj: models.Model, fields: Iterable[str]) -> dict:
    return {name: plain(getattr(obj, name)) for name in fields}


def diff(before: dict, after: dict) -> dict:
    """{"field": {"from", "to"}} for every field whose value differs."""
    return {
        name: {"from": before.get(name), "to": after.get(name)}
        for name in sorted(set(before) | set(after))
        if before.get(name) != after.get(name)
    }


def config_change_record(
    *, actor, action: str, target: models.Model, changes: dict | None = None
) -> ConfigChange:
    """Append one row: `actor` None is the system (the scheduler, a command)."""
    return ConfigChange.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        route=current_route(),
        action=action,
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        target=str(target)[:200],
        changes=changes or {},
    )
