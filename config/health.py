"""/healthz (liveness) and /readyz (readiness): JSON, anonymous, GET and HEAD only.

Every check runs in a small pool of threads and is waited for at most CHECK_TIMEOUT_SECONDS, all
of them at once: a component that hangs (a database host that drops packets, a broker that does
not answer) costs the probe half a second, never a web worker held for seconds. psycopg cannot
bound a connect below 2 s (libpq's minimum `connect_timeout`), so the bound is the wait."""

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from config.celery import app as celery_app
from notifications.selectors import notifications_last_sweep, notifications_sweeper_late

CHECK_TIMEOUT_SECONDS = 0.5

OK, DOWN, STALE = "ok", "down", "stale"

_pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="health")
_running: dict[str, Future] = {}
_running_lock = threading.Lock()


def _start(name: str, check: Callable[[], object]) -> Future:
    """Run `check` in the pool, or join the run of it still in progress: a check that hangs is
    never started again beside itself, so probes during an outage cannot pile threads up."""
    with _running_lock:
        future = _running.get(name)
        if future is None or future.done():
            future = _running[name] = _pool.submit(check)
        return future


def _results(checks: dict[str, Callable[[], object]]) -> dict[str, object]:
    """Each check's result; None for one that raised or did not answer in time."""
    futures = {name: _start(name, check) for name, check in checks.items()}
    wait(futures.values(), timeout=CHECK_TIMEOUT_SECONDS)
    results: dict[str, object] = {}
    for name, future in futures.items():
        results[name] = future.result() if future.done() and future.exception() is None else None
    return results


def _database() -> bool:
    return _database_and_last_sweep(read_sweep=False)[0]


def _database_and_last_sweep(*, read_sweep: bool = True) -> tuple[bool, datetime | None]:
    # This pool thread's own connection, opened for the check and closed after it: no request
    # cycle closes a pool thread's connections, and one connect per probe is cheap.
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            answers = cursor.fetchone() == (1,)
        return answers, notifications_last_sweep() if read_sweep and answers else None
    finally:
        connection.close()


def _broker() -> bool:
    timeout = CHECK_TIMEOUT_SECONDS
    with celery_app.connection_for_write(
        connect_timeout=timeout,
        transport_options={"socket_connect_timeout": timeout, "socket_timeout": timeout},
    ) as conn:
        conn.ensure_connection(max_retries=0)  # one attempt, no retry after a pause
    return True


def _cache() -> bool:
    # Redis's own socket timeouts (settings.CACHES) bound this as well.
    cache.set("readyz", "ok", timeout=10)
    return cache.get("readyz") == "ok"


def _status(answered: object) -> str:
    return OK if answered is True else DOWN


def _beat(last_sweep: datetime | None) -> str:
    # Beat schedules the sweeper and a worker runs it: its last run is beat's heartbeat.
    return STALE if notifications_sweeper_late(last_sweep=last_sweep) else OK


def _broker_configured() -> bool:
    return not settings.CELERY_TASK_ALWAYS_EAGER


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness: this process answers and so does the database. Nothing else: a broker or cache
    outage does not stop requests, and a restart would not cure it."""
    database = _status(_results({"database": _database})["database"])
    alive = database == OK
    return JsonResponse(
        {"status": OK if alive else "unavailable", "checks": {"database": database}},
        status=200 if alive else 503,
    )


@never_cache
@require_safe
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: 503 only without the database; a broker, cache or beat that is down or stale
    makes it `degraded` (requests still work; e-mail waits for the sweeper)."""
    checks: dict[str, Callable[[], object]] = {"readyz-database": _database_and_last_sweep}
    if _broker_configured():
        checks["broker"] = _broker
    if settings.CACHE_URL:
        checks["cache"] = _cache
    results = _results(checks)
    database = results.pop("readyz-database")
    answers, last_sweep = database if isinstance(database, tuple) else (False, None)
    report = {"database": _status(answers)}
    report.update({name: _status(answered) for name, answered in results.items()})
    if _broker_configured():  # without a broker there is no beat (tasks run in the request)
        report["beat"] = _beat(last_sweep) if answers else DOWN
    if report["database"] != OK:
        status, http_status = "unavailable", 503
    elif any(value != OK for value in report.values()):
        status, http_status = "degraded", 200
    else:
        status, http_status = OK, 200
    body = {
        "status": status,
        "checks": report,
        "last_sweep_at": last_sweep.isoformat() if last_sweep else None,
    }
    return JsonResponse(body, status=http_status)
