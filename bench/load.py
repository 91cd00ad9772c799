"""`make bench`: seed PostgreSQL with 10,000 members, 100,000 promotions (BENCH_PROMOTIONS) and a
cycle of 500 candidates in calibration, serve the app with gunicorn (2 workers, production
settings), drive it from this process with an async HTTP client, and report requests/s and
p50/p95/p99 per scenario, with the floor beside each read.

Writes the table and the EXPLAIN plans to docs/bench-latest.md (and prints them); with another
BENCH_PROMOTIONS, to docs/bench-latest-<size>.md (1,000,000: docs/bench-latest-1m.md)."""

import asyncio
import hashlib
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import time
import urllib.request
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ladder_bench"
)
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
PORT = int(os.environ.get("BENCH_PORT", "8765"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "8"))
# 1,000 of each read: at 2,000 the run took 9 minutes on the shared 2-core VM (the calibration
# board and its floor alone 3.5 minutes), too close to its 10-minute budget.
READS = int(os.environ.get("BENCH_READS", "1000"))
WRITES = int(os.environ.get("BENCH_WRITES", "1000"))
PROMOTIONS = int(os.environ.get("BENCH_PROMOTIONS", "100000"))
# While working on one read: BENCH_ONLY="timeline,packet" drives only the scenarios whose names
# contain one of these, and prints the table without writing the report.
ONLY = [part for part in os.environ.get("BENCH_ONLY", "").split(",") if part]
BASE = f"http://127.0.0.1:{PORT}"
SIZE = "1m" if PROMOTIONS == 1_000_000 else f"{PROMOTIONS // 1000}k"
REPORT = ROOT / "docs" / ("bench-latest.md" if PROMOTIONS == 100_000 else f"bench-latest-{SIZE}.md")
PRODUCT_APPS = ["accounts", "config", "core", "ladder", "notifications", "promotions", "webhooks"]
COMMITTEE_LIST = "committee list (in review, page of 50)"
DETAIL = "promotion detail"
MEMBERS_LIST = "member's own promotions"
TIMELINE = "timeline"
PACKET = "packet (current version)"
CALIBRATION = "cycle calibration (500 candidates)"
CYCLE_STATS = "cycle stats (500 candidates)"

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
    return summary(*await drive_raw(requests))


async def drive_raw(requests: list[tuple[str, str, str, dict | None]]):
    """(latencies, errors by status, elapsed seconds) of running `requests`."""
    import aiohttp

    latencies: list[float] = []
    errors: dict[int, int] = {}
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
    return latencies, errors, elapsed


def summary(latencies: list[float], errors: dict[int, int], elapsed: float) -> dict:
    latencies = sorted(latencies)
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
    packet_ids = world["packet_ids"]
    cycle = world["cycle_id"]
    ics = [i for i, _, manager in world["members"] if manager is not None]

    def committee_token():
        return tokens[rng.choice(committee)]

    scenarios = {
        COMMITTEE_LIST: [
            (
                "GET",
                f"/api/v1/promotions/?state=in_review&page_size=50&page={rng.randint(1, 20)}",
                committee_token(),
                None,
            )
            for _ in range(READS)
        ],
        DETAIL: [
            ("GET", f"/api/v1/promotions/{rng.choice(promotion_ids)}/", committee_token(), None)
            for _ in range(READS)
        ],
        MEMBERS_LIST: [
            ("GET", "/api/v1/promotions/?page_size=50", tokens[rng.choice(ics)], None)
            for _ in range(READS)
        ],
        TIMELINE: [
            (
                "GET",
                f"/api/v1/promotions/{rng.choice(promotion_ids)}/timeline/",
                committee_token(),
                None,
            )
            for _ in range(READS)
        ],
        PACKET: [
            (
                "GET",
                f"/api/v1/promotions/{rng.choice(packet_ids)}/packet/",
                committee_token(),
                None,
            )
            for _ in range(READS)
        ],
        CALIBRATION: [
            ("GET", f"/api/v1/cycles/{cycle}/calibration/", committee_token(), None)
            for _ in range(READS)
        ],
        CYCLE_STATS: [
            ("GET", f"/api/v1/cycles/{cycle}/stats/", committee_token(), None) for _ in range(READS)
        ],
    }

    def same_path(r):
        return (r[0], r[1].replace("/api/v1/", "/bench/floor/"), r[2], None)

    floors = {
        COMMITTEE_LIST: same_path,
        DETAIL: same_path,
        MEMBERS_LIST: lambda r: (
            r[0],
            r[1].replace("/api/v1/promotions/", "/bench/floor/mine/"),
            r[2],
            None,
        ),
        TIMELINE: same_path,
        PACKET: same_path,
        CALIBRATION: same_path,
        CYCLE_STATS: same_path,
    }
    # Writes: nominate members with no open promotion (nor one in the cycle: its approved ones
    # are pending) to a level of a track the calibrating cycle does not close; approve
    # promotions in review outside the cycle.
    closed_tracks = set(world["cycle_tracks"])

    def target(member: int) -> int | None:
        moves = world["moves"].get(world["level_of"][member], [])
        return next((to for to in moves if world["track_of"][to] not in closed_tracks), None)

    free = [i for i in ics if i not in world["open_candidates"] and target(i) is not None]
    if len(free) < WRITES:
        print(f"warning: only {len(free)} members to nominate, not {WRITES}", flush=True)
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
        to_level = codes[target(i)]
        request[3]["to_level"] = to_level
        request[3]["evidence"] = [
            {"criterion": c, "text": "Shipped it.", "links": []} for c in criteria[to_level]
        ]
    in_review = Promotion.objects.filter(state="in_review", cycle__isnull=True).select_related(
        "candidate"
    )
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
    if ONLY:
        scenarios = {k: v for k, v in scenarios.items() if any(part in k for part in ONLY)}
    return scenarios, floors


# Ours and the floor take turns, a tenth of the requests at a time (which goes first alternates):
# both then meet the same moments of a shared machine, and a slow spell does not land on one side.
TURNS = 10


def interleaved(ours: list, floor: list) -> tuple[dict, dict]:
    results: dict[str, tuple[list, dict, float]] = {"ours": ([], {}, 0.0), "floor": ([], {}, 0.0)}
    size = -(-len(ours) // TURNS)
    for turn, start in enumerate(range(0, len(ours), size)):
        sides = [("ours", ours), ("floor", floor)]
        for side, requests in sides if turn % 2 == 0 else reversed(sides):
            latencies, errors, elapsed = asyncio.run(drive_raw(requests[start : start + size]))
            kept = results[side]
            for status, count in errors.items():
                kept[1][status] = kept[1].get(status, 0) + count
            results[side] = (kept[0] + latencies, kept[1], kept[2] + elapsed)
    return summary(*results["ours"]), summary(*results["floor"])


def fetch_json(path: str, token: str):
    request = urllib.request.Request(BASE + path, headers={"Authorization": f"Token {token}"})
    with urllib.request.urlopen(request, timeout=120) as response:
        return json.load(response)


STAT_CELLS = ["candidates", "nominated", "approved", "rejected", "withdrawn", "open"]
STAT_RATES = ["approval_rate", "median_days_to_decision"]


def check_floors(scenarios: dict, floors: dict) -> list[str]:
    """The new reads' floors must return what ours returns (else the comparison is unfair): one
    request of each, compared. Stops the run on a difference."""
    problems = []

    def pair(name: str):
        request = scenarios[name][0]
        return fetch_json(request[1], request[2]), fetch_json(floors[name](request)[1], request[2])

    def moment(value):
        # DRF writes microseconds, Django's JSON encoder milliseconds: compare to the millisecond.
        if isinstance(value, str) and len(value) > 18 and value[10] == "T":
            parsed = datetime.fromisoformat(value)
            return parsed.replace(microsecond=parsed.microsecond // 1000 * 1000)
        return value

    def same(a: dict, b: dict, keys) -> bool:
        return all(moment(a[k]) == moment(b[k]) for k in keys)

    # The lists and the detail: every field but what ours decides per viewer.
    per_viewer = {"available_transitions", "changes_requested_note", "blind"}
    per_viewer |= {"eligibility_override_reason", "off_cycle_reason"}
    for name in (COMMITTEE_LIST, MEMBERS_LIST):
        ours, floor = pair(name)
        keys = set(ours["results"][0]) - per_viewer
        if (
            ours["count"] != floor["count"]
            or len(ours["results"]) != len(floor["results"])
            or not all(
                same(a, b, keys) for a, b in zip(ours["results"], floor["results"], strict=True)
            )
        ):
            problems.append(name)
    ours, floor = pair(DETAIL)
    if not same(ours, floor, set(ours) - per_viewer):
        problems.append(DETAIL)
    # The timeline: actor, note and votes wherever ours shows them (the committee's view).
    ours, floor = pair(TIMELINE)
    keys = ["from_state", "to_state", "at"]
    if len(ours) != len(floor) or not all(
        same(a, b, keys + (["actor", "note", "votes"] if a["actor"] else []))
        for a, b in zip(ours, floor, strict=True)
    ):
        problems.append(TIMELINE)

    ours, floor = pair(PACKET)
    keys = ["version", "justification", "evidence", "submitted_by", "sha256"]
    if [ours[k] for k in keys] != [floor[k] for k in keys] or not ours["evidence"]:
        problems.append(PACKET)

    ours, floor = pair(CALIBRATION)
    fields = ["promotion", "candidate", "from_level", "months_in_level", "nominated_by"]
    fields += ["state", "packet_version"]

    def rows(body):
        return [(g["to_level"], g["track"], r) for g in body["groups"] for r in g["candidates"]]

    a, b = rows(ours), rows(floor)
    same = len(a) == len(b) and len(a) > 0
    recused = 0
    for (level_a, track_a, x), (level_b, track_b, y) in zip(a, b, strict=False):
        same = same and (level_a, track_a) == (level_b, track_b)
        same = same and all(x[f] == y[f] for f in fields)
        if x["votes"] is None:
            recused += 1
        else:
            same = same and x["votes"] == y["votes"] and x["ratings"] == y["ratings"]
    if not same:
        problems.append(CALIBRATION)
    calibration = (len(a), len(ours["groups"]), recused)

    ours, floor = pair(CYCLE_STATS)

    def groups(body):
        parts = [("by_level", "level"), ("by_track", "track"), ("by_organisation", "organisation")]
        return [("totals", "", body["totals"])] + [
            (part, g[label], g) for part, label in parts for g in body[part]
        ]

    a, b = groups(ours), groups(floor)
    same = [k[:2] for k in a] == [k[:2] for k in b]
    suppressed = 0
    for (_, _, x), (_, _, y) in zip(a, b, strict=False):
        if x["suppressed"]:
            suppressed += 1
            continue
        same = same and all(x[c] == y[c] for c in STAT_CELLS)
        for c in STAT_RATES:
            same = same and (
                x[c] == y[c] or (None not in (x[c], y[c]) and abs(x[c] - y[c]) <= 0.051)
            )
    if not same:
        problems.append(CYCLE_STATS)
    if problems:
        raise SystemExit(f"The floor differs from ours for: {', '.join(problems)}")
    return [
        "Floors checked against ours before the run (one request each): the same pages of "
        "both lists and the same detail, field for field (but those ours shows per viewer); the "
        "same timeline, with actors, notes and votes wherever ours shows them; the same packet "
        f"version; the same {calibration[0]} candidates in {calibration[1]} groups, with the "
        f"same votes and rating counts wherever ours shows them (the viewer was recused from "
        f"{calibration[2]}); the same {len(a)} stats groups, with the same cells wherever ours "
        f"publishes them ({suppressed} suppressed)."
    ]


def walks_promotions_index(plan_text: str) -> bool:
    """An index scan of the promotions table with a filter and no index condition: it reads the
    index from one end until the page is full."""
    nodes = plan_text.split("->")
    return any(
        "Index Scan" in node
        and "on promotions_promotion " in node
        and "Index Cond" not in node
        and "Filter" in node
        for node in nodes
    )


def code_digest() -> str:
    """The commit and a digest of the product's Python sources as the server loads them (others
    may edit them between runs)."""
    git = shutil.which("git")
    head = (
        subprocess.run(
            [git, "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        if git
        else ""
    )
    digest = hashlib.sha256()
    for app in PRODUCT_APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            digest.update(str(path.relative_to(ROOT)).encode() + path.read_bytes())
    return f"{head or '?'}, product sources {digest.hexdigest()[:12]}"


def explain_checks() -> list[str]:
    """EXPLAIN the query for the rows of a page (its ids found first, then joined) of the
    committee's filtered list, first and twentieth, and of a member's list at this size: they
    must use an index, not scan the promotions table."""
    from django.contrib.auth import get_user_model
    from django.db import connection

    from config.pagination import late_row_lookup
    from promotions.selectors import promotion_list_visible_to, row_values

    lines = []
    User = get_user_model()
    committee = User.objects.filter(groups__name="Promotion committee").first()
    member = User.objects.filter(member__manager__isnull=False).order_by("id")[500]
    in_review = promotion_list_visible_to(user=committee).filter(state="in_review")
    cases = {
        "committee, state=in_review, page 1": in_review[:50],
        "committee, state=in_review, page 20": in_review[950:1000],
        "a member's own, page 1": promotion_list_visible_to(user=member)[:50],
    }
    for name, page in cases.items():
        # The query the list runs for the page's rows, in the selector's own order.
        sql, params = row_values(late_row_lookup(page)).query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN " + sql, params)
            plan_text = "\n".join(row[0] for row in cursor.fetchall())
        uses_index = "Index" in plan_text and "Seq Scan on promotions_promotion" not in plan_text
        verdict = "uses an index" if uses_index else "SEQUENTIAL SCAN"
        if uses_index and walks_promotions_index(plan_text):
            # Not fatal, but as costly as a scan when the rows it filters for are few.
            verdict = "WALKS A WHOLE INDEX of promotions in order, filtering (no index condition)"
            print(f"warning: EXPLAIN, {name}: {verdict}", flush=True)
        lines.append(f"- {name}: {verdict}")
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
    print(f"seeding {PROMOTIONS:,} promotions", flush=True)
    seed_started = time.monotonic()
    world = seed(rng)
    seeded_in = time.monotonic() - seed_started
    scenarios, floors = plan(world, rng)
    print("EXPLAIN", flush=True)
    explain = explain_checks()

    from django.db import connections

    connections.close_all()
    code = code_digest()
    server = start_server()
    rows = []
    try:
        checks = [] if ONLY else check_floors(scenarios, floors)
        # Warm both workers up on every read (not measured): first requests pay for imports.
        for name, requests in scenarios.items():
            if name in floors:
                asyncio.run(drive(requests[: 2 * CONCURRENCY]))
                asyncio.run(drive([floors[name](r) for r in requests[: 2 * CONCURRENCY]]))
        for name, requests in scenarios.items():
            print(f"driving: {name} ({len(requests)} requests)", end="", flush=True)
            started = time.monotonic()
            if name in floors:
                ours, floor = interleaved(requests, [floors[name](r) for r in requests])
            else:
                ours, floor = asyncio.run(drive(requests)), None
            print(f", {time.monotonic() - started:.0f} s", flush=True)
            rows.append((name, ours, floor))
    finally:
        server.terminate()
        server.wait()

    command = "make bench" + (f" BENCH_PROMOTIONS={PROMOTIONS}" if PROMOTIONS != 100_000 else "")
    seeded = ", ".join(f"{n:,} {what}" for what, n in world["counts"].items())
    lines = [
        f"Machine: {platform.node()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"PostgreSQL, Redis, gunicorn (2 workers) and the load driver on the same machine.",
        f"Command: `{command}` (concurrency {CONCURRENCY}, {READS} requests per read, "
        f"{WRITES} per write). Seeding: {seeded_in:.0f} s ({seeded}, and a calibrating cycle of "
        f"{len(world['cycle_candidates'])} candidates). "
        f"Total run: {time.monotonic() - total_started:.0f} s.",
        f"Code: {code}"
        + ("" if code_digest() == code else " (the sources changed during the run)")
        + ".",
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
    lines += ["", *checks, "", f"EXPLAIN at {PROMOTIONS:,} promotions:", *explain]
    report = "\n".join(lines)
    print("\n" + report)
    if ONLY:
        return
    REPORT.write_text(f"# Latest `{command}`\n\n" + report + "\n")


if __name__ == "__main__":
    main()
