import os

import pytest

# Imported before any test freezes the clock: DRF's throttles keep the `time` they import
# first, and freezegun's would break every request after it.
import rest_framework.throttling  # noqa: F401
from django.conf import settings
from rest_framework.test import APIClient

from tests import factories

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"


def _missing_services() -> list[str]:
    return [name for name, up in settings.SERVICES_AVAILABLE.items() if not up]


def pytest_configure(config):
    missing = _missing_services()
    if REQUIRE_SERVICES and missing:
        pytest.exit(
            "REQUIRE_SERVICES=1 but not answering: "
            + ", ".join(f"{name} ({_url(name)})" for name in missing),
            returncode=3,
        )


def _url(name: str) -> str:
    return settings.TEST_POSTGRES_URL if name == "PostgreSQL" else settings.TEST_REDIS_URL


CHROMIUM = "/usr/bin/chromium"


def load_serialized_rows(creation, data: str) -> None:
    """Django's `deserialize_db_from_string` (what a test marked `serialized_rollback` starts
    with: the rows the migrations wrote), one INSERT per table instead of an UPDATE and an INSERT
    per row: the same rows, in the same order of tables, in one transaction, then the same check
    of every foreign key; a row already there is updated. No receiver of the project listens to
    these saves (raw=True)."""
    from django.core import serializers
    from django.db import transaction

    connection = creation.connection
    rows: dict = {}
    related = []
    with transaction.atomic(using=connection.alias):
        with connection.constraint_checks_disabled():
            for obj in serializers.deserialize("json", data, using=connection.alias):
                rows.setdefault(type(obj.object), []).append(obj)
                if obj.m2m_data:
                    related.append(obj)
            for model, objects in rows.items():
                if model._meta.parents:  # bulk_create cannot write an inherited model
                    for obj in objects:
                        obj.save()
                    continue
                # A row already there is updated, as save() does (the first such test of a run
                # starts on the migrated tables, not on flushed ones).
                fields = [f.name for f in model._meta.concrete_fields if not f.primary_key]
                model._base_manager.using(connection.alias).bulk_create(
                    [obj.object for obj in objects],
                    update_conflicts=bool(fields),
                    ignore_conflicts=not fields,
                    unique_fields=[model._meta.pk.name] if fields else None,
                    update_fields=fields or None,
                )
            for obj in related:
                for accessor, values in obj.m2m_data.items():
                    getattr(obj.object, accessor).set(values)
        tables = {model._meta.db_table for model in rows}
        tables |= {
            field.remote_field.through._meta.db_table
            for model in rows
            for field in model._meta.many_to_many
        }
        connection.check_constraints(table_names=tables)


@pytest.fixture(scope="session")
def django_db_setup(
    request,
    django_test_environment,
    django_db_blocker,
    django_db_use_migrations,
    django_db_keepdb,
    django_db_createdb,
    django_db_modify_db_settings,
    tmp_path_factory,
):
    """Under pytest-xdist on PostgreSQL, each worker copies one migrated template instead of
    migrating its own database (tests/template_db.py); otherwise pytest-django's set-up."""
    from django.db import connection
    from pytest_django import fixtures

    from tests import template_db

    worker = os.environ.get("PYTEST_XDIST_WORKER")
    plain = django_db_keepdb or not django_db_use_migrations
    if worker is None or connection.vendor != "postgresql" or plain:
        yield from fixtures.django_db_setup.__wrapped__(
            request,
            django_test_environment,
            django_db_blocker,
            django_db_use_migrations,
            django_db_keepdb,
            django_db_createdb,
            django_db_modify_db_settings,
        )
        return
    shared_dir = tmp_path_factory.getbasetemp().parent
    with django_db_blocker.unblock():
        names = template_db.worker_database_set_up(connection, shared_dir, worker)
    yield
    with django_db_blocker.unblock():
        template_db.worker_database_tear_down(connection, *names)


def pytest_sessionfinish(session):
    """A worker stops its Chromium; the xdist controller drops the template its workers copied
    (tests/template_db.py)."""
    _Chromium.stop()
    if hasattr(session.config, "workerinput") or not session.config.pluginmanager.has_plugin(
        "xdist"
    ):
        return
    from django.db import connection
    from pytest_django.plugin import blocking_manager_key

    from tests import template_db

    if connection.vendor == "postgresql":
        with session.config.stash[blocking_manager_key].unblock():
            template_db.template_drop(connection, session.config._tmp_path_factory.getbasetemp())


@pytest.fixture(autouse=True, scope="session")
def _quick_serialized_rollback():
    from django.db.backends.base.creation import BaseDatabaseCreation

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(BaseDatabaseCreation, "deserialize_db_from_string", load_serialized_rows)
        yield


class _Chromium:
    """One Chromium a worker shares between the browser tests that run one after the other
    (they are ordered first in their group: `pytest_collection_modifyitems`), each test in
    contexts of its own, closed after it: starting Playwright and Chromium for each test took
    about 2 s."""

    playwright = None
    browser = None

    @classmethod
    def get(cls):
        from django.db import DEFAULT_DB_ALIAS, connections
        from playwright.sync_api import sync_playwright

        if cls.browser is not None and cls.browser.is_connected():
            return cls.browser
        cls.stop()
        # Playwright's sync API runs an event loop in this thread while it is started; Django
        # would refuse ORM calls beside it (the tests and their live server's set-up).
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
        serialized = connections[DEFAULT_DB_ALIAS].__dict__.get("_test_serialized_contents")
        cls.playwright = sync_playwright().start()
        # With a loop running, Django's connection handler gives this thread another connection
        # (asgiref's Local): it needs the migrated rows that a transactional test reloads.
        if serialized is not None:
            connections[DEFAULT_DB_ALIAS]._test_serialized_contents = serialized
        cls.browser = cls.playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        return cls.browser

    @classmethod
    def stop(cls):
        """Before the first test that does not use it, and at the end of the run."""
        from django.db import DEFAULT_DB_ALIAS, connections

        if cls.playwright is None:
            return
        connections[DEFAULT_DB_ALIAS].close()  # the loop's own connection (above)
        try:
            if cls.browser is not None and cls.browser.is_connected():
                cls.browser.close()
        finally:
            cls.playwright.stop()
            cls.playwright = cls.browser = None
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture
def chromium():
    """Debian's headless Chromium, driven by Playwright (the tests marked `browser`)."""
    browser = _Chromium.get()
    yield browser
    for context in browser.contexts:
        context.close()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    if "chromium" not in getattr(item, "fixturenames", ()):
        _Chromium.stop()
    _Tables.before(item)
    # Celery sets a process-wide flag while an eager task runs and puts the old value back after
    # it; eager tasks run at once in threads (tests/concurrency.py, a live server) can leave it
    # set, and every later `.delay().get()` of the process then raises "Never call result.get()
    # within a task!". No test starts inside a task.
    from celery._state import _set_task_join_will_block

    _set_task_join_will_block(False)


class _Tables:
    """A transactional test leaves this worker's tables empty (pytest-django flushes them after
    it), and a test in a rolled-back transaction needs the rows the migrations wrote. Since the
    tests that wait on workers and brokers run among the others (tests/scheduling.py), the
    first such test after one restores them: the tables flushed again, then the migrated rows
    loaded, as a test marked `serialized_rollback` starts."""

    flushed = False

    @classmethod
    def before(cls, item) -> None:
        group = _django_group(item)
        if group == 1:
            cls.flushed = True
        elif group == 0 and cls.flushed:
            cls.restore(item.config)
            cls.flushed = False

    @staticmethod
    def restore(config) -> None:
        from django.core.management import call_command
        from django.db import connection
        from pytest_django.plugin import blocking_manager_key

        with config.stash[blocking_manager_key].unblock():
            call_command(
                "flush",
                verbosity=0,
                interactive=False,
                reset_sequences=False,
                inhibit_post_migrate=True,
            )
            load_serialized_rows(connection.creation, connection._test_serialized_contents)


# Tests of many seconds that no mark singles out (subprocesses, a SQLite run, the state machine).
SLOW_UNMARKED = (
    "tests/config/test_sqlite_default.py",
    "tests/config/test_settings.py",
    "tests/security/test_input_classes.py::test_integers_beyond_64_bits_on_sqlite_too",
    "tests/promotions/test_state_machine.py",
    "tests/api/test_openapi_document.py",
)


def _django_group(item) -> int:
    """pytest-django's order (as Django's runner's): 0 database in a rolled-back transaction,
    1 transactional (it leaves the tables empty: `_Tables` restores them for a test of group 0
    that follows it on a worker), 2 no database."""
    from pytest_django.fixtures import validate_django_db

    marker = item.get_closest_marker("django_db")
    fixtures = getattr(item, "fixturenames", ())
    transactional = bool(marker) and any(validate_django_db(marker)[:2])
    if transactional or "transactional_db" in fixtures or "live_server" in fixtures:
        return 1
    return 0 if marker or "db" in fixtures else 2


# The longest browser tests (15-20 s: every page at every width, a sign-in through a real
# provider): first among the browser tests, so that the run does not end on one of them.
LONGEST_BROWSER = (
    "tests/promotions/test_committee_pages_browser.py::test_the_committee_pages_are_usable_by",
    "tests/portal/test_pages_browser.py::test_every_member_page_fits_and_passes_axe",
    "tests/accounts/test_oidc_browser.py",
)


def _weight(item) -> int:
    """The slow first: the longest browser tests, the other browser tests, then real workers,
    brokers and threads, then the rest."""
    if "browser" in item.keywords:
        return 0 if item.nodeid.startswith(LONGEST_BROWSER) else 1
    if "services" in item.keywords or "live_server" in getattr(item, "fixturenames", ()):
        return 2
    if item.nodeid.startswith(SLOW_UNMARKED):
        return 2
    return 3


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """Within each of pytest-django's groups (sorted before this runs), the slow tests first: with
    `--dist load --maxschedchunk 1` (make test) the long ones are shared out between the workers
    while there is still plenty left to even them out, instead of ending the run on one worker.
    Every test still runs; the order is the same on every worker, as pytest-xdist requires. A
    worker also writes which tests mostly wait, for the scheduler (tests/scheduling.py)."""
    _skip_what_cannot_run(items)
    items.sort(key=_place)
    if hasattr(config, "workerinput"):
        from tests import scheduling

        scheduling.waiting_ids_write(
            config._tmp_path_factory.getbasetemp().parent,
            [item.nodeid for item in items if _waits(item)],
        )


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_auto_num_workers(config):
    """`-n auto` (make test): a worker per core this process may use, and one more for the tests
    that mostly wait (tests/scheduling.py), which leave the cores to the others meanwhile
    (docs/development.md: on two cores, 265 s with two workers, 235 s with three). At most 16:
    each worker has a Redis db of its own (config/settings/test.py), and Redis has 16.
    PYTEST_XDIST_AUTO_NUM_WORKERS, when set, is pytest-xdist's to apply."""
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return None
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return min((cores or 1) + 1, 16)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """`--dist load` (make test) hands the tests that mostly wait to one worker at a time."""
    if config.getvalue("dist") != "load":
        return None
    from tests import scheduling

    return scheduling.WaitingApart(config, log, shared_dir=config._tmp_path_factory.getbasetemp())


def _waits(item) -> bool:
    """A transactional test that is not a browser test: it waits on a Celery worker, a broker, a
    receiver, a subprocess or a backoff far more than it computes."""
    return _django_group(item) == 1 and "browser" not in item.keywords


def _place(item) -> tuple[int, int]:
    """The slow tests that need no database (subprocesses, a SQLite run) open the run, the quick
    ones close it: rolled back, then transactional, as pytest-django has them, in between. The
    run then ends on many short tests, not on one long one with the other worker idle. Under
    `make test` the transactional tests that mostly wait are handed out early, one worker at a
    time (tests/scheduling.py); `_Tables` restores the migrated rows after each."""
    group, weight = _django_group(item), _weight(item)
    if group == 2:
        return (0 if weight < 3 else 3), weight
    return group + 1, weight


def _skip_what_cannot_run(items):
    missing = _missing_services()
    no_browser = not os.path.exists(CHROMIUM)
    if no_browser and REQUIRE_SERVICES and any("browser" in item.keywords for item in items):
        pytest.exit(f"REQUIRE_SERVICES=1 but {CHROMIUM} is missing (apt-get install chromium)", 3)
    skip_services = pytest.mark.skip(reason=f"needs {' and '.join(missing)} (not answering)")
    skip_browser = pytest.mark.skip(reason=f"needs Chromium at {CHROMIUM} (not answering)")
    for item in items:
        if missing and "services" in item.keywords:
            item.add_marker(skip_services)
        if no_browser and "browser" in item.keywords:
            item.add_marker(skip_browser)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    missing = _missing_services()
    if not os.path.exists(CHROMIUM):
        missing.append("Chromium")
    database = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    terminalreporter.section("services")
    if not missing:
        terminalreporter.write_line(
            f"PostgreSQL, Redis and Chromium answered; database: {database}."
        )
        return
    skipped = [
        report
        for report in terminalreporter.stats.get("skipped", [])
        if "not answering" in str(report.longrepr)
    ]
    terminalreporter.write_line(
        f"NOT ANSWERING: {', '.join(missing)}. Ran on {database}; skipped {len(skipped)} "
        "tests marked `services` or `browser`. Start the services, install chromium "
        "(or set REQUIRE_SERVICES=1 to fail instead)."
    )


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def as_user(api):
    """as_user(user) -> an API client authenticated as that user (by token, as clients do)."""

    def login(user):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {factories.token_for(user)}")
        return client

    return login


@pytest.fixture
def ladder_people(db):
    """A small company: HR, a committee member, a manager with two reports, another manager."""
    hr = factories.hr_user()
    committee = factories.committee_member(level="vp-product")
    manager = factories.MemberFactory(level__code="group-pm")
    report_a = factories.MemberFactory(level__code="associate-pm", manager=manager)
    report_b = factories.MemberFactory(level__code="senior-pm", manager=manager)
    other_manager = factories.MemberFactory(level__code="group-pm")
    outsider = factories.MemberFactory(level__code="pm", manager=other_manager)
    return {
        "hr": hr,
        "committee": committee,
        "manager": manager,
        "report_a": report_a,
        "report_b": report_b,
        "other_manager": other_manager,
        "outsider": outsider,
    }


@pytest.fixture
def people(db):
    """factories.people(): the cast of a promotion."""
    return factories.people()


@pytest.fixture
def nominate(people):
    def make(candidate=None, to="senior-pm", by=None):
        return factories.promotion(
            candidate=candidate or people["candidate_member"], to=to, by=by or people["manager"]
        )

    return make


@pytest.fixture
def in_review(people):
    def make(candidate=None, to="senior-pm", by=None):
        return factories.promotion(
            candidate=candidate or people["candidate_member"],
            to=to,
            by=by or people["manager"],
            state="in_review",
            actor=people["committee"],
        )

    return make
