"""Seeds the bench database: 10,000 members and 100,000 promotions with their reviews and events,
spread over a year and over the ladder, with COPY (about a minute)."""

import hashlib
import random
import secrets
import time
from datetime import timedelta
from io import StringIO

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, User
from django.db import connection
from django.utils import timezone

from ladder.models import Level, LevelTransition

MEMBERS = 10_000
PROMOTIONS = 100_000
COMMITTEE = 20
PASSWORD = "bench-password"
TABLES = [
    "promotions_nominationkey",
    "notifications_notification",
    "promotions_promotionevent",
    "promotions_review",
    "promotions_packetversion",
    "ladder_levelchange",
    "promotions_promotion",
    "ladder_member",
    "accounts_apitoken",
    "axes_accessattempt",
    "auth_user_groups",
    "auth_user",
]


def progress(message: str, started: float) -> None:
    print(f"  [{time.monotonic() - started:5.1f}s] {message}", flush=True)


def copy(table: str, columns: list[str], rows) -> int:
    buffer = StringIO()
    count = 0
    for row in rows:
        buffer.write("\t".join("\\N" if v is None else str(v) for v in row) + "\n")
        count += 1
    buffer.seek(0)
    with (
        connection.cursor() as cursor,
        cursor.connection.cursor().copy(
            f"COPY {table} ({', '.join(columns)}) FROM STDIN"
        ) as pg_copy,
    ):
        pg_copy.write(buffer.read())
    return count


def reset_sequence(table: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
        )


def seed(rng: random.Random) -> dict:
    started = time.monotonic()
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE")
    progress("emptied", started)

    levels = {level.code: level for level in Level.objects.all()}
    moves = {}
    for move in LevelTransition.objects.filter(is_active=True).select_related(
        "from_level", "to_level"
    ):
        moves.setdefault(move.from_level_id, []).append(move.to_level_id)

    # The organisation: a CPO, 6 VPs, 60 heads, 1,200 group PMs, and individual contributors.
    plan = [("cpo", 1), ("vp-product", 6), ("head-of-product", 60), ("group-pm", 1200)]
    ics = MEMBERS - sum(n for _, n in plan)
    plan += [
        ("principal-pm", ics * 4 // 100),
        ("lead-pm", ics * 10 // 100),
        ("senior-pm", ics * 25 // 100),
        ("pm", ics * 35 // 100),
    ]
    plan.append(("associate-pm", MEMBERS - sum(n for _, n in plan)))
    password = make_password(PASSWORD)
    members = []  # (id, level_id, manager_id)
    by_code = {}
    member_id = 0
    for code, count in plan:
        for _ in range(count):
            member_id += 1
            by_code.setdefault(code, []).append(member_id)
    boss_of = {"vp-product": "cpo", "head-of-product": "vp-product", "group-pm": "head-of-product"}
    for code, ids in by_code.items():
        bosses = by_code.get(boss_of.get(code, "group-pm")) if code != "cpo" else None
        for i in ids:
            manager = None if bosses is None else bosses[i % len(bosses)]
            members.append((i, levels[code].id, manager))

    users = [
        (i, password, "f", f"pm{i}", "Bench", f"Member {i}", f"pm{i}@example.com", "f", "t", now)
        for i, _, _ in members
    ]
    hr_ids = [MEMBERS + 1, MEMBERS + 2]
    users += [
        (i, password, "f", f"hr{i}", "Bench", "HR", f"hr{i}@example.com", "t", "t", now)
        for i in hr_ids
    ]
    copy(
        "auth_user",
        [
            "id",
            "password",
            "is_superuser",
            "username",
            "first_name",
            "last_name",
            "email",
            "is_staff",
            "is_active",
            "date_joined",
        ],
        users,
    )
    copy(
        "ladder_member",
        ["id", "user_id", "level_id", "manager_id", "level_since", "is_active"],
        (
            (i, i, level, manager, (now - timedelta(days=400)).date(), "t")
            for i, level, manager in members
        ),
    )
    # Committee: VPs and heads of product. HR: two users off the ladder.
    committee_ids = (by_code["vp-product"] + by_code["head-of-product"])[:COMMITTEE]
    committee_group = Group.objects.get(name="Promotion committee")
    hr_group = Group.objects.get(name="HR")
    copy(
        "auth_user_groups",
        ["user_id", "group_id"],
        [(i, committee_group.id) for i in committee_ids] + [(i, hr_group.id) for i in hr_ids],
    )
    tokens = {i: secrets.token_hex(20) for i, _ in [(u[0], None) for u in users]}
    # Every bench user has the same password hash, so the same credentials hash (accounts.ApiToken).
    credentials = User(password=password).get_session_auth_hash()
    copy(
        "accounts_apitoken",
        ["digest", "credentials", "user_id", "created_at", "last_used_at"],
        (
            (hashlib.sha256(k.encode()).hexdigest(), credentials, i, now, now)
            for i, k in tokens.items()
        ),
    )
    for table in ("auth_user", "ladder_member"):
        reset_sequence(table)
    progress(f"{len(members)} members, {len(committee_ids)} committee, {len(hr_ids)} HR", started)

    level_of = {i: level for i, level, _ in members}
    manager_of = {i: manager for i, _, manager in members}
    promotable = [i for i, level, _ in members if level in moves]
    open_candidates = rng.sample(promotable, 8000)
    open_states = ["nominated"] * 3000 + ["in_review"] * 5000
    closed = ["approved"] * 50 + ["rejected"] * 25 + ["withdrawn"] * 17
    promotions, reviews, events = [], [], []
    review_id = event_id = 0
    for pid in range(1, PROMOTIONS + 1):
        if pid <= len(open_candidates):
            candidate = open_candidates[pid - 1]
            state = open_states[pid - 1]
            from_level = level_of[candidate]
            created = now - timedelta(days=rng.uniform(0, 60))
        else:
            candidate = rng.choice(promotable)
            state = rng.choice(closed)
            from_level = rng.choice(list(moves))
            created = now - timedelta(days=rng.uniform(0, 365))
        to_level = rng.choice(moves[from_level])
        nominator = manager_of[candidate] or hr_ids[0]
        decided = (
            None
            if state in ("nominated", "in_review")
            else created + timedelta(days=rng.uniform(1, 30))
        )
        promotions.append(
            (
                pid,
                candidate,
                from_level,
                to_level,
                state,
                nominator,
                "Led a cross-team launch; mentors two PMs.",
                created,
                decided or created,
                decided,
            )
        )
        trail = [(None, "nominated", nominator, created)]
        if state != "nominated" and not (state == "withdrawn" and rng.random() < 0.5):
            trail.append(
                ("nominated", "in_review", rng.choice(committee_ids), created + timedelta(hours=2))
            )
        if state in ("approved", "rejected", "withdrawn"):
            actor = nominator if state == "withdrawn" else rng.choice(committee_ids)
            trail.append((trail[-1][1], state, actor, decided))
        for from_state, to_state, actor, at in trail:
            event_id += 1
            note = "" if to_state in ("nominated", "in_review") else "Decided by the committee."
            events.append((event_id, pid, from_state, to_state, actor, note, at))
        if state in ("in_review", "approved", "rejected"):
            voters = [
                c for c in committee_ids if c not in (candidate, nominator, manager_of[candidate])
            ]
            for reviewer in rng.sample(voters, rng.randint(1, 3)):
                review_id += 1
                decision = "reject" if state == "rejected" else "approve"
                comment = "Scope not there yet." if decision == "reject" else ""
                reviews.append((review_id, pid, reviewer, decision, comment, created, created))
    copy(
        "promotions_promotion",
        [
            "id",
            "candidate_id",
            "from_level_id",
            "to_level_id",
            "state",
            "nominated_by_id",
            "justification",
            "created_at",
            "updated_at",
            "decided_at",
            "packet_version",
            "changes_requested_note",
            # Approved ones took effect on approval; no cycles, no overrides.
            "level_applied",
            "effective_on",
            "eligibility_override_reason",
            "off_cycle_reason",
        ],
        (
            row
            + (
                1,
                "",
                "t" if row[4] == "approved" else "f",
                row[9].date() if row[4] == "approved" else None,
                "",
                "",
            )
            for row in promotions
        ),
    )
    # Version 1 of each packet (no evidence: as a promotion from before packets).
    sha = hashlib.sha256(b"bench").hexdigest()
    copy(
        "promotions_packetversion",
        [
            "promotion_id",
            "number",
            "justification",
            "evidence",
            "submitted_by_id",
            "submitted_at",
            "sha256",
        ],
        ((row[0], 1, row[6], "[]", row[5], row[7], sha) for row in promotions),
    )
    progress(f"{len(promotions)} promotions", started)
    copy(
        "promotions_review",
        [
            "id",
            "promotion_id",
            "reviewer_id",
            "decision",
            "comment",
            "created_at",
            "updated_at",
            "packet_version",
            "ratings",
        ],
        (row + (1, "{}") for row in reviews),
    )
    progress(f"{len(reviews)} reviews", started)
    copy(
        "promotions_promotionevent",
        ["id", "promotion_id", "from_state", "to_state", "actor_id", "note", "at"],
        events,
    )
    progress(f"{len(events)} events", started)
    for table in ("promotions_promotion", "promotions_review", "promotions_promotionevent"):
        reset_sequence(table)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    progress("analyzed", started)
    return {
        "tokens": tokens,
        "committee_ids": committee_ids,
        "hr_ids": hr_ids,
        "members": members,
        "open_candidates": set(open_candidates),
        "promotions": promotions,
        "manager_of": manager_of,
        "moves": moves,
        "level_of": level_of,
    }
