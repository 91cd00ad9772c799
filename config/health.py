from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from config.celery import app as celery_app


def _database_answers() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        return False


def _broker_answers() -> bool:
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return True
    except Exception:
        return False


def _cache_answers() -> bool:
    try:
        cache.set("healthz", "ok", timeout=10)
        return cache.get("healthz") == "ok"
    except Exception:
        return False


@never_cache
@require_safe
def healthz(request):
    checks = {"database": _database_answers()}
    if not settings.CELERY_TASK_ALWAYS_EAGER:  # a broker is configured
        checks["broker"] = _broker_answers()
    healthy = all(checks.values())
    status = "ok" if healthy else "unavailable"
    if settings.CACHE_URL:
        # Reported, not required: without the cache only rate limiting is off (it fails open).
        checks["cache"] = _cache_answers()
        if healthy and not checks["cache"]:
            status = "degraded"
    body = {"status": status, "checks": checks}
    return JsonResponse(body, status=200 if healthy else 503)
