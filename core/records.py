"""Append-only records: the ground of every audit trail (events, career history, changes to
people's records and to configuration). Here, outside the apps, so any app may keep one."""

import pgtrigger
from django.db import models


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError(f"{self.model.__name__} rows are never updated.")

    def delete(self):
        raise TypeError(f"{self.model.__name__} rows are never deleted.")


def append_only_trigger(name: str) -> pgtrigger.Protect:
    """The database refuses UPDATE and DELETE on the table: not even SQL from the application's
    connection rewrites the record."""
    return pgtrigger.Protect(name=name, operation=pgtrigger.Update | pgtrigger.Delete)


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
