"""Settings for the test suite.

PostgreSQL and Redis at 127.0.0.1 are used when they answer; otherwise the suite runs on SQLite and
skips the tests marked `services` (tests/conftest.py reports which, or fails the run when
REQUIRE_SERVICES=1).
"""

import os
import socket
from urllib.parse import urlsplit, urlunsplit

import dj_database_url

from .base import *  # noqa: F403

TEST_POSTGRES_URL = os.environ.get(
    "TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres"
)


def redis_db_of_worker(url: str, worker: str) -> str:
    """Under pytest-xdist each worker (gw0, gw1, ...) has its own Redis db, as pytest-django gives
    it its own database: the broker tests flush theirs, and a worker sharing the db would take
    another's tasks. Worker N takes the db N below the one given (of Redis's 16)."""
    parts = urlsplit(url)
    db = int(parts.path.lstrip("/") or 0) - int(worker.removeprefix("gw") or 0)
    return urlunsplit(parts._replace(path=f"/{db % 16}"))


TEST_REDIS_URL = redis_db_of_worker(
    os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15"),
    os.environ.get("PYTEST_XDIST_WORKER", "gw0"),
)


def _answers(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname, parts.port), timeout=1):
            return True
    except OSError:
        return False


SERVICES_AVAILABLE = {
    "PostgreSQL": _answers(TEST_POSTGRES_URL),
    "Redis": _answers(TEST_REDIS_URL),
}

if SERVICES_AVAILABLE["PostgreSQL"]:
    DATABASES = {"default": dj_database_url.parse(TEST_POSTGRES_URL)}
    DATABASES["default"].setdefault("OPTIONS", {}).update(POSTGRES_OPTIONS)  # noqa: F405
else:
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}

SECRET_KEY = "test-only-secret-key-not-for-production-0123456789"
DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_BROKER_URL = "memory://"
CELERY_TASK_ALWAYS_EAGER = True
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
NOTIFICATIONS_RETRY_BACKOFF_SECONDS = 1
SITE_URL = "http://ladder.test"
SITE_URL_FOLLOWS_REQUESTS = False  # links as production writes them; tests of the rule turn it on
# High enough never to get in the way; the throttling tests lower them.
API_THROTTLE_RATES = {"writes": "100000/min", "login": "100000/min"}
PASSWORD_RESET_REQUESTS_PER_HOUR = 100000
