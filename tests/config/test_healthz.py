"""/healthz (liveness: the process and the database) and /readyz (readiness: database, broker,
cache and beat). Speed is shown by structure, not by the clock: /healthz never reaches for the
broker, every check is given at most half a second, and an answer comes back while a check that
hangs is still hanging."""

import ast
import io
import socket
import threading
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from config import health
from config.celery import app as celery_app
from notifications import services
from notifications.models import SweeperRun
from notifications.selectors import SWEEPER_LATE_AFTER_PERIODS
from notifications.tasks import notifications_sweep
from tests.config.test_settings import run_django

pytestmark = pytest.mark.django_db


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def broker(settings):
    """Point the Celery app at a broker for one test, as production settings would."""
    original = celery_app.conf.broker_url

    def use(url: str):
        settings.CELERY_TASK_ALWAYS_EAGER = False
        celery_app.conf.broker_url = url

    yield use
    celery_app.conf.broker_url = original


@pytest.fixture
def broker_calls(monkeypatch):
    """Every connection the health checks ask the Celery app for, with its arguments."""
    calls = []
    real = celery_app.connection_for_write

    def recorded(*args, **kwargs):
        calls.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(celery_app, "connection_for_write", recorded)
    return calls


@pytest.fixture
def database_down(monkeypatch):
    """New connections to the database are refused (the checks open their own); this test's
    connection, already open, goes on working."""
    connection.ensure_connection()
    monkeypatch.setitem(connection.settings_dict, "HOST", "127.0.0.1")
    monkeypatch.setitem(connection.settings_dict, "PORT", str(free_port()))


@pytest.fixture
def hanging(monkeypatch):
    """Replace a check by one that blocks until the test lets it go."""
    released = threading.Event()

    def hang(name: str):
        def check(*args, **kwargs):
            released.wait(30)
            return True

        monkeypatch.setattr(health, name, check)
        return released

    yield hang
    released.set()


def test_healthz_is_200_when_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok"}}


def test_both_answer_head_and_refuse_post(client):
    for path in ("/healthz", "/readyz"):
        assert client.head(path).status_code == 200
        assert client.post(path).status_code == 405


@pytest.mark.services
def test_database_down_is_503_for_both(client, database_down, broker, settings):
    broker(settings.TEST_REDIS_URL)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "checks": {"database": "down"}}
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == "down"
    assert body["checks"]["broker"] == "ok"  # the others are still reported


def test_broker_down_healthz_is_200_and_never_reaches_for_the_broker(client, broker, broker_calls):
    broker(f"redis://127.0.0.1:{free_port()}/0")
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok"}
    assert broker_calls == []


def test_broker_down_readyz_is_200_degraded(client, broker, broker_calls):
    broker(f"redis://127.0.0.1:{free_port()}/0")
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["broker"] == "down"
    assert len(broker_calls) == 1


def test_the_broker_check_is_given_half_a_second_and_no_retry(
    client, broker, broker_calls, monkeypatch
):
    retries = []
    real = celery_app.connection_for_write

    def recorded(*args, **kwargs):
        conn = real(*args, **kwargs)
        ensure = conn.ensure_connection

        def ensure_connection(*a, **kw):
            retries.append(kw.get("max_retries"))
            return ensure(*a, **kw)

        conn.ensure_connection = ensure_connection
        return conn

    monkeypatch.setattr(celery_app, "connection_for_write", recorded)
    broker(f"redis://127.0.0.1:{free_port()}/0")
    client.get("/readyz")
    assert health.CHECK_TIMEOUT_SECONDS <= 0.5
    (kwargs,) = broker_calls
    assert kwargs["connect_timeout"] <= 0.5
    assert kwargs["transport_options"]["socket_connect_timeout"] <= 0.5
    assert kwargs["transport_options"]["socket_timeout"] <= 0.5
    assert retries == [0]


def test_a_hanging_database_check_does_not_hold_healthz(client, hanging):
    released = hanging("_database")
    response = client.get("/healthz")
    # The answer came while the check was still blocked: it was not waited for past its time.
    assert not released.is_set()
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "down"}


def test_a_hanging_broker_does_not_hold_readyz_and_is_never_started_twice(client, broker, hanging):
    broker(f"redis://127.0.0.1:{free_port()}/0")
    released = hanging("_broker")
    first = client.get("/readyz")
    second = client.get("/readyz")
    assert not released.is_set()
    for response in (first, second):
        assert response.status_code == 200
        assert response.json()["status"] == "degraded"
        assert response.json()["checks"]["broker"] == "down"
    # The second probe joined the check still running instead of starting another one.
    assert health._running["broker"] is not None and not health._running["broker"].done()


def test_without_a_broker_readyz_reports_neither_broker_nor_beat(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok"}


@pytest.mark.services
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_readyz_is_ok_when_everything_answers_and_the_sweeper_ran(client, broker, settings):
    broker(settings.TEST_REDIS_URL)
    settings.CACHE_URL = settings.TEST_REDIS_URL
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": settings.TEST_REDIS_URL,
        }
    }
    SweeperRun.objects.all().delete()
    settings.CELERY_TASK_ALWAYS_EAGER = True  # the sweep itself, run here
    notifications_sweep()
    settings.CELERY_TASK_ALWAYS_EAGER = False
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["checks"] == {"database": "ok", "broker": "ok", "cache": "ok", "beat": "ok"}
    assert body["status"] == "ok"
    assert body["last_sweep_at"] is not None


@pytest.mark.services
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_beat_is_stale_after_a_few_sweep_periods_without_a_sweep(client, broker, settings):
    broker(settings.TEST_REDIS_URL)
    SweeperRun.objects.all().delete()
    response = client.get("/readyz")
    assert response.status_code == 200  # degraded, not unavailable
    assert response.json()["checks"]["beat"] == "stale"  # never ran
    assert response.json()["last_sweep_at"] is None

    periods = settings.NOTIFICATIONS_SWEEP_SECONDS * SWEEPER_LATE_AFTER_PERIODS
    services.sweeper_run_record()
    SweeperRun.objects.update(ran_at=timezone.now() - timedelta(seconds=periods - 5))
    assert client.get("/readyz").json()["checks"]["beat"] == "ok"
    SweeperRun.objects.update(ran_at=timezone.now() - timedelta(seconds=periods + 5))
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert response.json()["checks"]["beat"] == "stale"


def test_the_sweeper_records_each_run(settings):
    SweeperRun.objects.all().delete()
    before = timezone.now()
    notifications_sweep()
    notifications_sweep()
    (run,) = SweeperRun.objects.all()
    assert run.ran_at >= before


def test_health_routes_are_exempt_from_the_https_redirect_of_production(client, settings):
    result = run_django(
        "from django.conf import settings as s; print(s.SECURE_REDIRECT_EXEMPT)",
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY="x" * 60,
    )
    assert result.returncode == 0, result.stderr
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_REDIRECT_EXEMPT = ast.literal_eval(result.stdout.strip())
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200
    assert client.get("/api/v1/schema/").status_code == 301


def test_the_beat_containers_check_fails_until_the_sweeper_runs(settings):
    SweeperRun.objects.all().delete()
    with pytest.raises(CommandError, match="not run since ever"):
        call_command("sweeper_check")
    notifications_sweep()
    out = io.StringIO()
    call_command("sweeper_check", stdout=out)
    assert "The sweeper ran at" in out.getvalue()
    periods = settings.NOTIFICATIONS_SWEEP_SECONDS * SWEEPER_LATE_AFTER_PERIODS
    SweeperRun.objects.update(ran_at=timezone.now() - timedelta(seconds=periods + 5))
    with pytest.raises(CommandError, match="beat is down"):
        call_command("sweeper_check")
