"""Set-up built once for many tests, then rolled back: Django's `setUpTestData` for pytest.

A module-scoped fixture builds its rows inside `shared_rows()`; each test that uses it runs as
before (marked `django_db`, not transactional) in its own savepoint inside that transaction, so
whatever a test writes is undone before the next one, and the shared rows are undone when the
module's tests are done. Use it only where every test of the module is non-transactional (a
transactional test would flush tables under the open transaction), and only for rows the tests
read or change through the database: a Python object handed out is shared too.

    @pytest.fixture(scope="module")
    def world(django_db_setup, django_db_blocker):
        with shared_rows(django_db_blocker):
            yield build_world()
"""

from contextlib import contextmanager

from django.db import transaction


@contextmanager
def shared_rows(django_db_blocker):
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        # As TestCase's own atomics: an atomic(durable=True) of the code may open inside it.
        atomic._from_testcase = True
        atomic.__enter__()
        try:
            yield
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
