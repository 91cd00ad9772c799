"""`manage.py sweeper_check`: the beat container's health check. Exits 0 when the notifications
sweeper has run within its last few periods, 1 when it has not (beat has stopped scheduling it, or
no worker runs it) or the database does not answer."""

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from notifications.selectors import notifications_last_sweep, notifications_sweeper_late


class Command(BaseCommand):
    help = "Exit 1 unless the notifications sweeper (scheduled by beat) ran recently."

    def handle(self, *args, **options) -> None:
        try:
            last_sweep = notifications_last_sweep()
        except DatabaseError as exc:
            raise CommandError(f"The database does not answer: {exc}") from exc
        if notifications_sweeper_late(last_sweep=last_sweep):
            raise CommandError(
                f"The sweeper has not run since {last_sweep or 'ever'}: beat is down, "
                "or no worker takes its tasks."
            )
        self.stdout.write(f"The sweeper ran at {last_sweep}.")
