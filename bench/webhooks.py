"""Benchmark: 2,000 webhook deliveries through one Celery worker on Redis to a receiver on
127.0.0.1, against a no-op task on the same broker. Run with `make bench-webhooks` (needs
PostgreSQL and Redis).

Each delivery is what production does: claim the row with a hold, check the destination
(resolve, judge every address), sign with standardwebhooks, POST over a new connection with the
5 s timeout, record the answer. The receiver (a threaded http.server in this process) reads the
body and answers 204."""

import argparse
import os
import platform
import sys
import threading
import time
import uuid
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["WEBHOOKS_ALLOW_PRIVATE_URLS"] = "true"  # the receiver is on loopback

# The same broker, database, worker and floor as the notifications bench.
from bench.database import ensure_database  # noqa: E402
from bench.notifications import REDIS_URL, bench_noop, start_worker, wait_until  # noqa: E402


class Receiver(BaseHTTPRequestHandler):
    received = 0

    def do_POST(self):
        self.rfile.read(int(self.headers.get("content-length") or 0))
        type(self).received += 1
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def bench_webhooks(n: int, url: str) -> float:
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from webhooks.models import Delivery, DeliveryStatus, Endpoint
    from webhooks.services import new_secret, outbox

    Endpoint.objects.all().delete()
    hr = get_user_model().objects.filter(is_superuser=True).first()
    endpoint = Endpoint.objects.create(url=url, secret=new_secret(), created_by=hr)
    now = timezone.now()
    body = (
        '{"type":"promotion.approved","timestamp":"2026-11-28T12:00:00+00:00","data":'
        '{"promotion":1,"candidate":2,"from_level":"pm","to_level":"senior-pm",'
        '"state":"approved","cycle":null,"effective_on":"2026-11-28"}}'
    )
    rows = Delivery.objects.bulk_create(
        (
            Delivery(
                endpoint=endpoint,
                event="promotion.approved",
                webhook_id=f"msg_{uuid.uuid4().hex}",
                body=body,
                next_attempt_at=now,
                retry_until=now + timedelta(hours=24),
            )
            for _ in range(n)
        ),
        batch_size=2000,
    )
    pending = Delivery.objects.filter(endpoint=endpoint, status=DeliveryStatus.PENDING)
    worker = start_worker()
    try:
        started = time.monotonic()
        outbox.publish([row.pk for row in rows])
        finished = wait_until(lambda: not pending.exists(), "webhook deliveries", worker)
    finally:
        worker.terminate()
        worker.wait()
    delivered = Delivery.objects.filter(endpoint=endpoint, status=DeliveryStatus.DELIVERED)
    assert delivered.count() == n == Receiver.received, (delivered.count(), Receiver.received)
    return finished - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=2_000, help="messages per phase")
    args = parser.parse_args()

    ensure_database()
    import django

    django.setup()
    from django.core.management import call_command
    from redis import Redis

    call_command("migrate", verbosity=0)
    Redis.from_url(REDIS_URL).flushdb()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/hooks"

    noop_seconds = bench_noop(args.n)
    webhook_seconds = bench_webhooks(args.n, url)
    server.shutdown()
    noop_rate = args.n / noop_seconds
    webhook_rate = args.n / webhook_seconds
    print()
    print(f"machine: {platform.node()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"command: make bench-webhooks  (n={args.n}, broker {REDIS_URL})")
    print()
    print("| phase | messages | seconds | per second |")
    print("|---|---|---|---|")
    print(f"| no-op task (floor) | {args.n} | {noop_seconds:.1f} | {noop_rate:.0f} |")
    print(f"| webhook delivery | {args.n} | {webhook_seconds:.1f} | {webhook_rate:.0f} |")
    print()
    print(f"webhooks / no-op: {webhook_rate / noop_rate:.2f}")


if __name__ == "__main__":
    main()
