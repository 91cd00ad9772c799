"""Benchmark: `manage.py import_members` with a 10,000-row CSV on PostgreSQL. Run with
`make bench-import` (needs PostgreSQL; the database BENCH_IMPORT_DATABASE_URL is dropped and
created afresh: the audit trail is append-only, so an import cannot be undone in place).

The file is an organisation of ten heads of product, a hundred group PMs and PMs under them,
reports listed before their managers (the import orders them). Each phase is the command as HR
runs it (a process of its own, Django's start-up included): a dry run, the import, the same file
again (all unchanged), and the file with every e-mail changed (all updated)."""

import argparse
import csv
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATABASE_URL = os.environ.get(
    "BENCH_IMPORT_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ladder_bench_import"
)
os.environ.update(
    DJANGO_SETTINGS_MODULE="config.settings.base",
    DATABASE_URL=DATABASE_URL,
    DEBUG="false",
    LOG_LEVEL="WARNING",
)
sys.path.insert(0, str(ROOT))

ACTOR = "bench-hr"
HEADER = ["username", "email", "first_name", "last_name", "level", "manager", "level_since"]


def fresh_database() -> None:
    import psycopg

    name = DATABASE_URL.rsplit("/", 1)[1]
    admin_url = DATABASE_URL.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def write_csv(path: Path, n: int, email_domain: str = "example.com") -> None:
    heads = [f"head{i}" for i in range(10)]
    groups = [f"group{i}" for i in range(100)]
    rows = []
    for i in range(n - len(heads) - len(groups)):
        level = ("associate-pm", "pm", "senior-pm")[i % 3]
        rows.append([f"pm{i}", level, groups[i % len(groups)]])
    rows += [[g, "group-pm", heads[i % len(heads)]] for i, g in enumerate(groups)]
    rows += [[h, "head-of-product", ""] for h in heads]
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        for username, level, manager in rows:
            writer.writerow(
                [username, f"{username}@{email_domain}", "Bench", username, level, manager, ""]
            )


def run(path: Path, *flags: str) -> float:
    started = time.monotonic()
    subprocess.run(
        [sys.executable, "manage.py", "import_members", str(path), "--actor", ACTOR, *flags],
        cwd=ROOT,
        check=True,
        stderr=subprocess.DEVNULL,  # the progress line
    )
    return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=10_000, help="rows in the file")
    args = parser.parse_args()

    fresh_database()
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.core.management import call_command

    from core import roles

    call_command("migrate", verbosity=0)
    hr = get_user_model().objects.create_user(ACTOR, f"{ACTOR}@example.com", is_staff=True)
    hr.groups.add(Group.objects.get(name=roles.HR_GROUP))

    with tempfile.TemporaryDirectory() as tmp:
        first, changed = Path(tmp, "members.csv"), Path(tmp, "members-changed.csv")
        write_csv(first, args.n)
        write_csv(changed, args.n, email_domain="example.org")
        timings = [
            ("dry run (all new)", run(first, "--dry-run")),
            ("import (all new)", run(first)),
            ("same file again (all unchanged)", run(first)),
            ("dry run (every e-mail changed)", run(changed, "--dry-run")),
            ("import (every e-mail changed)", run(changed)),
        ]
    print()
    print(f"machine: {platform.node()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"command: make bench-import  (n={args.n}, {DATABASE_URL.rsplit('@', 1)[-1]})")
    print()
    print("| phase | rows | seconds | rows per second |")
    print("|---|---|---|---|")
    for phase, seconds in timings:
        print(f"| {phase} | {args.n} | {seconds:.1f} | {args.n / seconds:.0f} |")


if __name__ == "__main__":
    main()
