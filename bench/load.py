"""`make bench`: seed PostgreSQL with 10,000 members and 100,000 promotions, serve the app with
gunicorn (2 workers, production settings), drive it from this process with an async HTTP client,
and report requests/s and p50/p95/p99 per scenario, with the floor beside each read.

Writes the table to docs/bench-latest.md (and prints it)."""

import asyncio
import os
import platform
import random
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ladder_bench"
)
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
PORT = int(os.environ.get("BENCH_PORT", "8765"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "8"))
READS = int(os.environ.get("BENCH_READS", "2000"))
WRITES = int(os.environ.get("BENCH_WRITES", "1000"))
BASE = f"http://127.0.0.1:{PORT}"

os.environ.update(
    DJANGO_SETTINGS_MODULE="bench.settings",
    DATABASE_URL=DATABASE_URL,
    CELERY_BROKER_URL=REDIS_URL,
    EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
)
sys.path.insert(0, str(ROOT))


def start_server() -> subprocess.Popen:
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi:application",
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{PORT}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{BASE}/healthz", timeout=1) as response:
                if response.status == 200:
                    return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("gunicorn did not start")


async def drive(requests: list[tuple[str, str, str, dict | None]]) -> dict:
    """requests: (method, path, token, json). Runs them CONCURRENCY at a time."""
    import aiohttp

    latencies, errors = [], {}
    queue = list(reversed(requests))
    connector = aiohttp.TCPConnector(limit=CONCURRENCY)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def worker():
            while queue:
                method, path, token, body = queue.pop()
                headers = {"Authorization": f"Token {token}"}
                started = time.perf_counter()
                async with session.request(method, BASE + path, json=body, headers=headers) as r:
                    await r.read()
                    latencies.append(time.perf_counter() - started)
                    if r.status >= 400:
                        errors[r.status] = errors.get(r.status, 0) + 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    pct = statistics.quantiles(latencies, n=100, method="inclusive")
    return {
        "n": len(latencies),
        "rps": len(latencies) / elapsed,
        "p50": pct[49] * 1000,
        "p95": pct[94] * 1000,
        "p99": pct[98] * 1000,
        "errors": errors,
    }


def plan(world: dict, rng: random.Random) -> dict[str, list]:
    from promotions.models import Promotion

    tokens = world["tokens"]
    committee = world["committee_ids"]
    promotion_ids = [p[0] for p in world["promotions"]]
    ics = [i for i, _, manager in world["members"] if manager is not None]

    def committee_token():
        return tokens[rng.choice(committee)]

    scenarios = {
        "committee list (in review, page of 50)": [
            (
                "GET",
                f"/api/v1/promotions/?state=in_review&page_size=50&page={rng.randint(1, 20)}",
                committee_token(),
                None,
            )
            for _ in range(READS)
        ],
        "promotion detail": [
            ("GET", f"/api/v1/promotions/{rng.choice(promotion_ids)}/", committee_token(), None)
            for _ in range(READS)
        ],
        "member's own promotions": [
            ("GET", "/api/v1/promotions/?page_size=50", tokens[rng.choice(ics)], None)
            for _ in range(READS)
        ],
        "timeline": [
            (
                "GET",
                f"/api/v1/promotions/{rng.choice(promotion_ids)}/timeline/",
                committee_token(),
                None,
            )
            for _ in range(READS)
        ],
    }
    floors = {
        "committee list (in review, page of 50)": lambda r: (
            r[0],
            r[1].replace("/api/v1/promotions/", "/bench/floor/promotions/"),
            r[2],
            None,
        ),
        "promotion detail": lambda r: (r[0], r[1].replace("/api/v1/", "/bench/floor/"), r[2], None),
        "member's own promotions": lambda r: (
            r[0],
            r[1].replace("/api/v1/promotions/", "/bench/floor/mine/"),
            r[2],
            None,
        ),
        "timeline": lambda r: (r[0], r[1].replace("/api/v1/", "/bench/floor/"), r[2], None),
    }
    # Writes: nominate members with no open promotion, approve promotions in review.
    free = [
        i
        for i in ics
        if i not in world["open_candidates"] and world["level_of"][i] in world["moves"]
    ]
    rng.shuffle(free)
    nominations = [
        (
            "POST",
            "/api/v1/promotions/",
            tokens[world["manager_of"][i]],
            {"candidate": i, "to_level": None, "justification": "Ready for the next step."},
        )
        for i in free[:WRITES]
    ]
    codes = dict(
        __import__("ladder.models", fromlist=["Level"]).Level.objects.values_list("id", "code")
    )
    from ladder.models import Criterion

    criteria: dict[str, list[str]] = {}
    for level, code in Criterion.objects.filter(is_active=True).values_list("level__code", "code"):
        criteria.setdefault(level, []).append(code)
    for request, i in zip(nominations, free, strict=False):
        to_level = codes[world["moves"][world["level_of"][i]][0]]
        request[3]["to_level"] = to_level
        request[3]["evidence"] = [
            {"criterion": c, "text": "Shipped it.", "links": []} for c in criteria[to_level]
        ]
    in_review = Promotion.objects.filter(state="in_review").select_related("candidate")
    approvals = []
    for promotion in in_review[:WRITES]:
        involved = {
            promotion.candidate.user_id,
            promotion.nominated_by_id,
            world["manager_of"][promotion.candidate_id],
        }
        voter = next(c for c in committee if c not in involved)
        approvals.append(("POST", f"/api/v1/promotions/{promotion.id}/approve/", tokens[voter], {}))
    scenarios["nominate"] = nominations
    scenarios["approve"] = approvals
    return scenarios, floors


def explain_checks() -> list[str]:
    """EXPLAIN the committee's filtered list and a member's list at this size: they must use an
    index, not scan the promotions table."""
    from django.contrib.auth import get_user_model
    from django.db import connection

    from promotions.selectors import promotion_list_visible_to

    lines = []
    User = get_user_model()
    committee = User.objects.filter(groups__name="Promotion committee").first()
    member = User.objects.filter(member__manager__isnull=False).order_by("id")[500]
    cases = {
        "committee, state=in_review": promotion_list_visible_to(user=committee).filter(
            state="in_review"
        ),
        "a member's own": promotion_list_visible_to(user=member),
    }
    for name, queryset in cases.items():
        sql, params = queryset.order_by("-created_at", "-id")[:50].query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN " + sql, params)
            plan_text = "\n".join(row[0] for row in cursor.fetchall())
        uses_index = "Index" in plan_text and "Seq Scan on promotions_promotion" not in plan_text
        lines.append(f"- {name}: {'uses an index' if uses_index else 'SEQUENTIAL SCAN'}")
        lines.append("  ```\n  " + plan_text.replace("\n", "\n  ") + "\n  ```")
        if not uses_index:
            raise SystemExit(f"EXPLAIN check failed for {name}:\n{plan_text}")
    return lines


def main() -> None:
    from bench.database import ensure_database

    total_started = time.monotonic()
    ensure_database()
    import django

    django.setup()
    from django.core.management import call_command
    from redis import Redis

    from bench.seed import seed

    print("migrating", flush=True)
    call_command("migrate", verbosity=0)
    Redis.from_url(REDIS_URL).flushdb()
    rng = random.Random(20261125)
    print("seeding", flush=True)
    world = seed(rng)
    scenarios, floors = plan(world, rng)
    print("EXPLAIN", flush=True)
    explain = explain_checks()

    from django.db import connections

    connections.close_all()
    server = start_server()
    rows = []
    try:
        for name, requests in scenarios.items():
            print(f"driving: {name} ({len(requests)} requests)", flush=True)
            ours = asyncio.run(drive(requests))
            floor = (
                asyncio.run(drive([floors[name](r) for r in requests])) if name in floors else None
            )
            rows.append((name, ours, floor))
    finally:
        server.terminate()
        server.wait()

    lines = [
        f"Machine: {platform.node()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"PostgreSQL, Redis, gunicorn (2 workers) and the load driver on the same machine.",
        f"Command: `make bench` (concurrency {CONCURRENCY}, {READS} requests per read, "
        f"{WRITES} per write). Total run: {time.monotonic() - total_started:.0f} s.",
        "",
        "| scenario | req/s | p50 ms | p95 ms | p99 ms | errors "
        "| floor req/s | floor p50 ms | floor errors | p50 ours/floor |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, ours, floor in rows:
        floor_cells = (
            f"{floor['rps']:.0f} | {floor['p50']:.1f} | {floor['errors'] or 0} "
            f"| **{ours['p50'] / floor['p50']:.2f}**"
            if floor
            else "– | – | – | –"
        )
        lines.append(
            f"| {name} | {ours['rps']:.0f} | {ours['p50']:.1f} | {ours['p95']:.1f} | "
            f"{ours['p99']:.1f} | {ours['errors'] or 0} | {floor_cells} |"
        )
    lines += ["", "EXPLAIN at 100,000 promotions:", *explain]
    report = "\n".join(lines)
    print("\n" + report)
    (ROOT / "docs" / "bench-latest.md").write_text("# Latest `make bench`\n\n" + report + "\n")


if __name__ == "__main__":
    main()
