"""A task whose database connection broke tries again on a new one (every task: the app's base
task class is DatabaseRetryingTask).

Celery keeps a worker's connection across tasks (CELERY_DB_REUSE_MAX) and, unlike a request, no
task checks it before use: after PostgreSQL restarts or ends a backend, the next task's first query
fails with OperationalError or InterfaceError. Such a task closes the broken connection and is
retried with backoff, a bounded number of times, instead of waiting for a sweeper."""

from collections.abc import Iterator
from contextlib import contextmanager

from celery import Task
from celery.utils.time import get_exponential_backoff_interval
from django.db import InterfaceError, OperationalError, connections

DATABASE_ERRORS = (OperationalError, InterfaceError)
BACKOFF_SECONDS = 2  # before the first retry, doubling
BACKOFF_MAX_SECONDS = 60
MAX_RETRIES = 5  # about a minute in all; then the sweeper's turn


def close_broken_connections() -> None:
    """Django's close_old_connections, except for a connection inside a transaction: that one is
    its caller's (a task run in-process, from a request), and closing it would break the caller."""
    for connection in connections.all(initialized_only=True):
        if not connection.in_atomic_block:
            connection.close_if_unusable_or_obsolete()


@contextmanager
def database_errors_retried(task: Task) -> Iterator[None]:
    """Around the body of a bound task: a database error closes what broke and retries the task
    (`raise self.retry(...)`), MAX_RETRIES times at most, counting the task's other retries."""
    try:
        yield
    except DATABASE_ERRORS as exc:
        close_broken_connections()
        if task.request.is_eager:
            raise  # run in-process (no broker): no worker to retry it; the sweepers will
        countdown = get_exponential_backoff_interval(
            factor=BACKOFF_SECONDS,
            retries=task.request.retries,
            maximum=BACKOFF_MAX_SECONDS,
            full_jitter=False,
        )
        raise task.retry(exc=exc, countdown=countdown, max_retries=MAX_RETRIES) from exc


class DatabaseRetryingTask(Task):
    """The base of every task of the project (config/celery.py): a task whose database
    connection broke is retried on a new one, whichever task it is."""

    def __call__(self, *args, **kwargs):
        with database_errors_retried(self):
            return super().__call__(*args, **kwargs)
