"""One migrated test database per run, copied for each pytest-xdist worker.

pytest-django has each worker migrate its own test database: the same dozens of migrations, run
by every worker at the same time at the start of the run, competing for the same cores. Here the
first worker to get there migrates a template once (`test_<name>_template`) while the others
wait, and each worker then takes a copy of it (PostgreSQL's `CREATE DATABASE … TEMPLATE`, what
Django's parallel test runner does): a second or so instead of the migrations. The rows the
migrations wrote are serialized by each worker from its copy, as Django does for
`serialized_rollback`. Without xdist or on SQLite, pytest-django's own set-up runs.
"""

import fcntl
from contextlib import contextmanager
from pathlib import Path

READY = "template-db-ready"


@contextmanager
def _locked(path: Path):
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def template_name(settings_dict: dict) -> str:
    """`test_<name>_template`: the test database's name without pytest-django's worker suffix."""
    test_name = settings_dict["TEST"].get("NAME") or f"test_{settings_dict['NAME']}"
    base, _, worker = test_name.rpartition("_")
    return f"{base if worker.startswith('gw') else test_name}_template"


def worker_database_set_up(connection, shared_dir: Path, worker: str) -> tuple[str, str]:
    """Build the template if no worker has yet (under a lock shared by the run's workers), copy
    it to this worker's database and point the connection at the copy. Returns (the name the
    connection had, the copy's name) for `worker_database_tear_down`."""
    from django.conf import settings

    original_name = connection.settings_dict["NAME"]
    template = template_name(connection.settings_dict)
    ready = shared_dir / READY
    with _locked(shared_dir / "template-db.lock"):
        if not ready.exists():
            connection.settings_dict["TEST"]["NAME"] = template
            connection.creation.create_test_db(
                verbosity=0, autoclobber=True, serialize=False, keepdb=False
            )
            connection.close()
            ready.write_text(template)
        connection.settings_dict["NAME"] = template
        connection.creation._clone_test_db(worker, verbosity=0, keepdb=False)
    copy = connection.creation.get_test_db_clone_settings(worker)["NAME"]
    connection.close()
    connection.settings_dict["NAME"] = copy
    settings.DATABASES[connection.alias]["NAME"] = copy
    connection._test_serialized_contents = connection.creation.serialize_db_to_string()
    return original_name, copy


def _drop(connection, name: str) -> None:
    """DROP DATABASE, ending the sessions still on it (a live server's or a Celery worker's
    thread that has not closed its connection yet)."""
    with connection.creation._nodb_cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {connection.ops.quote_name(name)} WITH (FORCE)")


def worker_database_tear_down(connection, original_name: str, copy: str) -> None:
    from django.conf import settings

    connection.close()
    _drop(connection, copy)
    connection.settings_dict["NAME"] = original_name
    settings.DATABASES[connection.alias]["NAME"] = original_name


def template_drop(connection, shared_dir: Path) -> None:
    """At the end of the run (the xdist controller): drop the template the workers copied."""
    ready = shared_dir / READY
    if ready.exists():
        _drop(connection, ready.read_text())
        ready.unlink()
