"""Append-only records: the ground of every audit trail (events, career history, changes to
people's records and to configuration). Here, outside the apps, so any app may keep one."""

from collections.abc import Iterator
from contextlib import contextmanager

import pgtrigger
from django.db import connections, models, router, transaction


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError(f"{self.model.__name__} rows are never updated.")

    def delete(self):
        raise TypeError(f"{self.model.__name__} rows are never deleted.")


def append_only_trigger(name: str) -> pgtrigger.Protect:
    """The database refuses UPDATE and DELETE on the table: not even SQL from the application's
    connection rewrites the record."""
    return pgtrigger.Protect(name=name, operation=pgtrigger.Update | pgtrigger.Delete)


@contextmanager
def append_only_lifted(model: type[models.Model], name: str) -> Iterator[None]:
    """Lift one append-only trigger of `model` for the rest of the current transaction's
    statements inside the block: a rewrite on purpose (a member's erasure, retention), which then
    tells the audit chain (`audit.chain.record_erased`). `pgtrigger.ignore` prefixes each statement
    with its setting, which a prepared statement refuses (server-side binding, config/settings);
    here the setting is a statement of its own, local to the transaction."""
    connection = connections[router.db_for_write(model)]
    if connection.vendor != "postgresql":  # SQLite has no such triggers
        yield
        return
    if not connection.in_atomic_block:
        raise transaction.TransactionManagementError("Lift a trigger inside a transaction.")
    trigger = next(t for t in model._meta.triggers if t.name == name)  # type: ignore[attr-defined]
    pgid = trigger.get_pgid(model)
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('pgtrigger.ignore', %s, true)", ["{" + pgid + "}"])
    yield
    # Not after an error: the statement would fail in the aborted transaction, whose rollback
    # (to the caller's atomic block) undoes the setting anyway.
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('pgtrigger.ignore', '{}', true)")


class AppendOnlyModel(models.Model):
    """A record that is written once: saving it again or deleting it raises."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError(f"{type(self).__name__} rows are never updated.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError(f"{type(self).__name__} rows are never deleted.")
