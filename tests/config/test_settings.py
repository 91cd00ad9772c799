"""Settings read from the environment: run in a fresh interpreter, as a deployment would."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_django(code: str, **env) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_refuses_to_start_without_secret_key():
    result = run_django("", DJANGO_SETTINGS_MODULE="config.settings.production")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_production_is_secure_by_default():
    result = run_django(
        "from django.conf import settings as s; "
        "print(s.DEBUG, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, "
        "s.SECURE_HSTS_SECONDS > 0, s.ALLOWED_HOSTS)",
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY="x" * 60,
        ALLOWED_HOSTS="ladder.example.com, api.example.com",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("[")[0].split() == ["False", "True", "True", "True", "True"]
    assert "['ladder.example.com', 'api.example.com']" in result.stdout


def test_zero_setup_default_is_sqlite_with_wal_and_in_process_tasks():
    result = run_django(
        "from django.conf import settings as s; d = s.DATABASES['default']; "
        "print(d['ENGINE'], d['OPTIONS']['transaction_mode'], s.CELERY_TASK_ALWAYS_EAGER, "
        "s.EMAIL_BACKEND)",
        DJANGO_SETTINGS_MODULE="config.settings.base",
        DATABASE_URL="",
        CELERY_BROKER_URL="",
        EMAIL_BACKEND="",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.sqlite3",
        "IMMEDIATE",
        "True",
        "django.core.mail.backends.console.EmailBackend",
    ]


def test_database_and_broker_urls_switch_to_postgres_and_redis():
    result = run_django(
        "from django.conf import settings as s; "
        "print(s.DATABASES['default']['ENGINE'], s.CELERY_TASK_ALWAYS_EAGER, s.CELERY_BROKER_URL)",
        DJANGO_SETTINGS_MODULE="config.settings.base",
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/postgres",
        CELERY_BROKER_URL="redis://127.0.0.1:6379/0",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.postgresql",
        "False",
        "redis://127.0.0.1:6379/0",
    ]


def test_the_database_urls_options_are_kept_beside_prepared_statements():
    """TLS and connection options in DATABASE_URL survive the prepared-statement options, on and
    off (an earlier version replaced them: no certificate check in production)."""
    url = "postgres://u:p@db.example.com/ladder?sslmode=verify-full&sslrootcert=/ca.pem"
    show = "from django.conf import settings as s; print(sorted(s.DATABASES['default']['OPTIONS']))"
    on = run_django(show, DJANGO_SETTINGS_MODULE="config.settings.base", DATABASE_URL=url)
    off = run_django(
        show,
        DJANGO_SETTINGS_MODULE="config.settings.base",
        DATABASE_URL=url,
        DATABASE_PREPARED_STATEMENTS="false",
    )
    assert on.returncode == off.returncode == 0, on.stderr + off.stderr
    prepared = ["prepare_threshold", "server_side_binding"]
    assert on.stdout.strip() == str(sorted(["sslmode", "sslrootcert", *prepared]))
    assert off.stdout.strip() == str(sorted(["sslmode", "sslrootcert"]))


def test_a_malformed_number_setting_names_the_variable():
    result = run_django(
        "", DJANGO_SETTINGS_MODULE="config.settings.base", PROMOTIONS_MIN_APPROVALS="two"
    )
    assert result.returncode != 0
    assert "PROMOTIONS_MIN_APPROVALS must be a whole number" in result.stderr


def run_manage(*args, **env) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


PRODUCTION = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "SECRET_KEY": "k7P2vQx9-deploy-check-only-3mLr8Zt4Wn6Yb1Hc5Jd0Fg2Ks7Uv9Ae4Ri6Ot8Pq",
    "ALLOWED_HOSTS": "ladder.example.com",
}


def test_the_deploy_check_passes_with_production_settings():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_deploy_check_fails_when_a_protection_is_switched_off():
    result = run_manage(
        "check", "--deploy", "--fail-level", "WARNING", **PRODUCTION, SECURE_SSL_REDIRECT="false"
    )
    assert result.returncode != 0
    assert "security.W008" in result.stderr + result.stdout


def test_each_test_worker_has_its_own_redis_db_even_on_a_given_url():
    """The broker tests flush their Redis db and run a worker on it: two xdist workers sharing
    one took each other's tasks (a given TEST_REDIS_URL used to be shared by all)."""
    from config.settings.test import redis_db_of_worker

    given = "redis://:secret@10.0.0.5:6380/11"
    dbs = [redis_db_of_worker(given, f"gw{n}") for n in range(3)]
    assert dbs == [
        "redis://:secret@10.0.0.5:6380/11",
        "redis://:secret@10.0.0.5:6380/10",
        "redis://:secret@10.0.0.5:6380/9",
    ]
    assert redis_db_of_worker("redis://127.0.0.1:6379", "gw1") == "redis://127.0.0.1:6379/15"
    # As the settings read them: the second worker of a given db 15 takes 14.
    shown = run_django(
        "from django.conf import settings as s; print(s.TEST_REDIS_URL)",
        DJANGO_SETTINGS_MODULE="config.settings.test",
        PYTEST_XDIST_WORKER="gw1",
        TEST_REDIS_URL="redis://127.0.0.1:6379/15",
    )
    assert shown.stdout.strip() == "redis://127.0.0.1:6379/14", shown.stderr
