"""Benchmark: 10,000 notifications through one Celery worker on Redis, against a no-op task on
the same broker. Run with `make bench-notifications` (needs PostgreSQL and Redis).

Both phases start a fresh worker (solo pool, one process), publish, and time from the first
publish to the last e-mail delivery recorded (the last no-op task run). Each notification is
written with its e-mail delivery (the outbox row; no Slack: SLACK_BOT_TOKEN is unset), and the
deliveries are published as the services do after a change (`outbox.publish`: one message per
change of up to a batch of recipients); a delivery task claims its rows with SKIP LOCKED and a
hold, builds and "sends" each e-mail over one connection (Django's locmem backend: the MIME
message is built, no SMTP round trip), and records each delivery delivered."""

import argparse
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ladder_bench"
)
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")

os.environ.update(
    DJANGO_SETTINGS_MODULE="config.settings.base",
    DATABASE_URL=DATABASE_URL,
    CELERY_BROKER_URL=REDIS_URL,
    EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
    SLACK_BOT_TOKEN="",
    DEBUG="false",
    LOG_LEVEL="WARNING",
)
sys.path.insert(0, str(ROOT))

from bench.database import ensure_database  # noqa: E402


def start_worker() -> subprocess.Popen:
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "--concurrency=1",
            "--loglevel=WARNING",
            "--include=bench.tasks",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=ROOT,
        env={**os.environ, "BENCH_COUNTER_REDIS_URL": REDIS_URL},
    )
    from config.celery import app

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if app.control.ping(timeout=0.5):
            return worker
    worker.terminate()
    raise SystemExit("the bench worker did not start")


def wait_until(done, what: str, worker: subprocess.Popen, timeout: float = 600) -> float:
    deadline = time.monotonic() + timeout
    while not done():
        if worker.poll() is not None:
            raise SystemExit(f"the bench worker died while waiting for {what}")
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.05)
    return time.monotonic()


def bench_noop(n: int) -> float:
    from redis import Redis

    from bench.tasks import bench_noop as task

    counter = Redis.from_url(REDIS_URL)
    key = "bench:noop"
    counter.delete(key)
    worker = start_worker()
    try:
        started = time.monotonic()
        for _ in range(n):
            task.delay(key)
        finished = wait_until(lambda: int(counter.get(key) or 0) >= n, "no-op tasks", worker)
    finally:
        worker.terminate()
        worker.wait()
    return finished - started


def bench_notifications(n: int, per_change: int) -> float:
    """n notifications, each with its e-mail delivery, written as n / per_change changes of
    `per_change` recipients each, each change's deliveries published as the services publish
    them (outbox.publish: a message per batch)."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from core.outbox import DELIVERED, PENDING
    from notifications.models import Channel, Delivery, Notification
    from notifications.outbox import outbox

    user, _ = get_user_model().objects.get_or_create(
        username="bench-recipient", defaults={"email": "bench@example.com"}
    )
    Notification.objects.filter(recipient=user).delete()
    rows = Notification.objects.bulk_create(
        (
            Notification(
                recipient=user,
                kind="bench",
                subject=f"Benchmark {i}",
                body="A promotion awaits the committee's review.\n\nCandidate: Bench",
                html_body="<p>A promotion awaits the committee's review.</p>",
            )
            for i in range(n)
        ),
        batch_size=2000,
    )
    now = timezone.now()
    deliveries = Delivery.objects.bulk_create(
        (Delivery(notification=row, channel=Channel.EMAIL, next_attempt_at=now) for row in rows),
        batch_size=2000,
    )
    mine = Delivery.objects.filter(notification__recipient=user)
    # Polled every 50 ms: through the partial index of pending rows, as the old bench's query of
    # unsent rows was, so the polling costs the database next to nothing.
    pending = mine.filter(status=PENDING)
    worker = start_worker()
    try:
        started = time.monotonic()
        ids = [delivery.pk for delivery in deliveries]
        for start in range(0, n, per_change):
            assert outbox.publish(ids[start : start + per_change]), "the broker refused"
        finished = wait_until(lambda: not pending.exists(), "notifications", worker)
    finally:
        worker.terminate()
        worker.wait()
    sent = mine.filter(status=DELIVERED).count()
    assert sent == n, f"{sent} of {n} delivered"
    return finished - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=10_000, help="messages per phase")
    parser.add_argument(
        "--per-change",
        type=int,
        default=10,
        help="recipients per change (a nomination notifies the committee: typically 5 to 15)",
    )
    args = parser.parse_args()

    ensure_database()
    import django

    django.setup()
    from django.core.management import call_command
    from redis import Redis

    call_command("migrate", verbosity=0)
    Redis.from_url(REDIS_URL).flushdb()

    noop_seconds = bench_noop(args.n)
    notification_seconds = bench_notifications(args.n, args.per_change)
    noop_rate = args.n / noop_seconds
    notification_rate = args.n / notification_seconds
    print()
    print(f"machine: {platform.node()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(
        f"command: make bench-notifications  (n={args.n}, {args.per_change} per change, "
        f"broker {REDIS_URL})"
    )
    print()
    print("| phase | messages | seconds | per second |")
    print("|---|---|---|---|")
    print(f"| no-op task (floor) | {args.n} | {noop_seconds:.1f} | {noop_rate:.0f} |")
    print(
        f"| notification delivery | {args.n} | {notification_seconds:.1f} "
        f"| {notification_rate:.0f} |"
    )
    print()
    print(f"notifications / no-op: {notification_rate / noop_rate:.2f}")


if __name__ == "__main__":
    main()
