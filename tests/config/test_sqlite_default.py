"""The zero-setup default (SQLite) takes a few simultaneous writes without "database is locked"."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CONCURRENT_WRITES = """
import threading
from django.contrib.auth.models import User
from django.db import connection, transaction
from ladder.models import Level, Member

level = Level.objects.get(code="pm")
errors = []

def write(worker):
    try:
        for i in range(10):
            with transaction.atomic():
                # Read, then write: the pattern that fails on SQLite's default deferred BEGIN.
                Member.objects.filter(level=level).count()
                user = User.objects.create(username=f"w{worker}-{i}")
                Member.objects.create(user=user, level=level)
    except Exception as exc:
        errors.append(repr(exc))
    finally:
        connection.close()

threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print("errors", errors)
print("members", Member.objects.count())
print("journal", connection.cursor().execute("PRAGMA journal_mode").fetchone()[0])
"""


def test_eight_threads_write_to_the_default_sqlite_database(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'ladder.sqlite3'}",
        "CELERY_BROKER_URL": "",
    }
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=120)
    result = subprocess.run(
        [*manage, "shell", "-c", CONCURRENT_WRITES],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "errors []" in result.stdout, result.stdout
    assert "members 80" in result.stdout
    assert "journal wal" in result.stdout
