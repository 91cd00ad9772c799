"""Seeds the bench database with COPY: 10,000 members; BENCH_PROMOTIONS promotions (default
100,000) with their packets, reviews and events, spread over a year and over the ladder; and a
cycle in calibration with 500 candidates."""

import hashlib
import json
import os
import random
import secrets
import time
from datetime import timedelta

from django.apps import apps
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, User
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from audit.chain import links_append_missing
from ladder.models import Criterion, Level, LevelTransition

MEMBERS = 10_000
PROMOTIONS = int(os.environ.get("BENCH_PROMOTIONS", "100000"))
COMMITTEE = 20
PASSWORD = "bench-password"
# Open promotions: at most one per member (a database constraint), so they do not grow with
# PROMOTIONS; the decided ones do.
NOMINATED, IN_REVIEW = 3000, 5000
OPEN = NOMINATED + IN_REVIEW
# The cycle in calibration: 500 candidates nominated to the management track (a calibrating
# cycle closes its tracks to nominations, and the bench's nominations go to the IC track). Its
# promotions are taken from the open ones above: its in-review ones from the in-review ones (so
# 5,000 are in review in all, as before), the others from the nominated ones.
CYCLE_ID = 1
CYCLE_TRACKS = ["management"]
CYCLE_MIX = {
    "in_review": 330,
    "nominated": 25,
    "changes_requested": 20,
    "approved": 75,
    "rejected": 35,
    "withdrawn": 15,
}
RATING_WEIGHTS = {"not_yet": 2, "meets": 5, "exceeds": 2}
TABLES = [
    "promotions_nominationkey",
    "notifications_notification",
    "promotions_promotionevent",
    "promotions_review",
    "promotions_packetversion",
    "ladder_levelchange",
    "promotions_promotion",
    "promotions_cycle",
    "ladder_member",
    "accounts_apitoken",
    "axes_accessattempt",
    "auth_user_groups",
    "auth_user",
    # The audit chain: linked again after the load (links_append_missing, below).
    "audit_erasure",
    "audit_link",
]
PROMOTION_COLUMNS = [
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
    "changes_requested_version",
    "level_applied",
    "effective_on",
    "eligibility_override_reason",
    "off_cycle_reason",
    "cycle_id",
    "from_level_since",
]


def progress(message: str, started: float) -> None:
    print(f"  [{time.monotonic() - started:5.1f}s] {message}", flush=True)


def model_defaults(table: str, columns: list[str]) -> dict[str, object]:
    """The columns of `table` that the seed leaves out and that need a value (NOT NULL), with
    the model's default: COPY fills only the database's defaults, and Django keeps its own in
    Python. A column a later migration adds then seeds as the model would write it."""
    model = next(
        model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.db_table == table
    )
    defaults = {}
    for field in model._meta.concrete_fields:
        if field.column in columns or field.null or field.primary_key:
            continue
        value = field.get_default()  # a text field without one: ""
        if value is None:
            raise ValueError(f"The seed gives no {table}.{field.column} and it has no default")
        defaults[field.column] = json.dumps(value) if isinstance(value, dict | list) else value
    return defaults


def copy(table: str, columns: list[str], rows) -> int:
    """COPY `rows` (tuples of Python values; JSON as text) into `table`, streamed; the columns
    left out take the model's defaults."""
    defaults = model_defaults(table, columns)
    columns = [*columns, *defaults]
    extra = tuple(defaults.values())
    count = 0
    with (
        connection.cursor() as cursor,
        cursor.connection.cursor().copy(
            f"COPY {table} ({', '.join(columns)}) FROM STDIN"
        ) as pg_copy,
    ):
        for row in rows:
            pg_copy.write_row(row + extra)
            count += 1
    return count


BIG_TABLES = [
    "promotions_promotion",
    "promotions_packetversion",
    "promotions_review",
    "promotions_promotionevent",
]


def set_replication_role(role: str) -> bool:
    """`replica` skips triggers, foreign-key checks included (superusers only: False if refused)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"SET session_replication_role = {role}")
    except DatabaseError:
        return False
    return True


FOREIGN_KEYS_SQL = """
SELECT c.conrelid::regclass::text, a.attname, c.confrelid::regclass::text, r.attname
FROM pg_constraint c
JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
JOIN pg_attribute r ON r.attrelid = c.confrelid AND r.attnum = c.confkey[1]
WHERE c.contype = 'f' AND cardinality(c.conkey) = 1 AND c.conrelid::regclass::text = ANY(%s)
"""


SECONDARY_INDEXES_SQL = """
SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
FROM pg_index i
WHERE i.indrelid::regclass::text = ANY(%s)
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
"""


def drop_secondary_indexes(tables: list[str]) -> list[str]:
    """Drop the indexes of `tables` that back no constraint (in the caller's transaction); return
    the statements that create them again."""
    with connection.cursor() as cursor:
        cursor.execute(SECONDARY_INDEXES_SQL, [tables])
        indexes = cursor.fetchall()
        for name, _ in indexes:
            cursor.execute(f"DROP INDEX {name}")
    return [definition for _, definition in indexes]


def check_foreign_keys(tables: list[str]) -> None:
    """Every single-column foreign key of `tables` points at a row (what the skipped triggers
    would have checked), or stop."""
    with connection.cursor() as cursor:
        cursor.execute(FOREIGN_KEYS_SQL, [tables])
        for table, column, target, target_column in cursor.fetchall():
            cursor.execute(
                f"SELECT count(*) FROM {table} t LEFT JOIN {target} x "
                f"ON x.{target_column} = t.{column} "
                f"WHERE t.{column} IS NOT NULL AND x.{target_column} IS NULL"
            )
            (dangling,) = cursor.fetchone()
            if dangling:
                raise SystemExit(f"seed: {dangling} rows of {table}.{column} match no {target}")


def reset_sequence(table: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
        )


def evidence_of(criteria: list[tuple[str, str, str]], pid: int, version: int) -> str:
    """A packet's evidence as a version keeps it: every criterion, with title and expectation."""
    return json.dumps(
        [
            {
                "criterion": code,
                "title": title,
                "expectation": description,
                "text": f"{title}: shown on the checkout rewrite (case {pid}, version {version}).",
                "links": [f"https://wiki.example.com/bench/{pid}/{code}"],
            }
            for code, title, description in criteria
        ]
    )


def seed(rng: random.Random) -> dict:
    started = time.monotonic()
    now = timezone.now()
    today = now.date()
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE")
    progress("emptied", started)

    levels = {level.code: level for level in Level.objects.all()}
    track_of = {level.id: level.track for level in levels.values()}
    moves: dict[int, list[int]] = {}
    for move in LevelTransition.objects.filter(is_active=True).select_related(
        "from_level", "to_level"
    ):
        moves.setdefault(move.from_level_id, []).append(move.to_level_id)
    cycle_moves = {
        level: [to for to in targets if track_of[to] in CYCLE_TRACKS]
        for level, targets in moves.items()
    }
    cycle_moves = {level: targets for level, targets in cycle_moves.items() if targets}
    criteria: dict[int, list[tuple[str, str, str]]] = {}
    for level_id, code, title, description in (
        Criterion.objects.filter(is_active=True)
        .order_by("order", "id")
        .values_list("level_id", "code", "title", "description")
    ):
        criteria.setdefault(level_id, []).append((code, title, description))

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
    by_code: dict[str, list[int]] = {}
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
    level_since = (now - timedelta(days=400)).date()
    copy(
        "ladder_member",
        ["id", "user_id", "level_id", "manager_id", "level_since", "is_active"],
        ((i, i, level, manager, level_since, "t") for i, level, manager in members),
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
    tokens = {u[0]: secrets.token_hex(20) for u in users}
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

    # The cycle: nominations open for 60 days, closed 15 days ago, effective in 45 days.
    opened_on = today - timedelta(days=75)
    closed_on = today - timedelta(days=15)
    cycle_effective_on = today + timedelta(days=45)
    copy(
        "promotions_cycle",
        [
            "id",
            "name",
            "tracks",
            "nominations_open_on",
            "nominations_close_on",
            "decisions_due_on",
            "effective_on",
            "state",
            "created_at",
            "updated_at",
        ],
        [
            (
                CYCLE_ID,
                "Bench cycle",
                json.dumps(CYCLE_TRACKS),
                opened_on,
                closed_on,
                today + timedelta(days=15),
                cycle_effective_on,
                "calibrating",
                now - timedelta(days=80),
                now - timedelta(days=14),
            )
        ],
    )
    reset_sequence("promotions_cycle")

    level_of = {i: level for i, level, _ in members}
    manager_of = {i: manager for i, _, manager in members}
    promotable = [i for i, level, _ in members if level in moves]
    open_candidates = rng.sample(promotable, OPEN)
    open_states = ["nominated"] * NOMINATED + ["in_review"] * IN_REVIEW
    # Which open slots (index into open_candidates) belong to the cycle, and in which state.
    can_join = [k for k in range(OPEN) if level_of[open_candidates[k]] in cycle_moves]
    # Two VPs up for CPO: a group smaller than ANALYTICS_MIN_GROUP, as real cycles have, so the
    # statistics suppress some groups.
    vps = [k for k in can_join if level_of[open_candidates[k]] == levels["vp-product"].id][:2]
    other_states = [s for s, n in CYCLE_MIX.items() if s != "in_review" for _ in range(n)]
    in_review_slots, other_slots = (
        [k for k in vps if open_states[k] == state] for state in ("in_review", "nominated")
    )
    in_review_slots += rng.sample(
        [k for k in can_join if open_states[k] == "in_review" and k not in vps],
        CYCLE_MIX["in_review"] - len(in_review_slots),
    )
    other_slots += rng.sample(
        [k for k in can_join if open_states[k] == "nominated" and k not in vps],
        len(other_states) - len(other_slots),
    )
    cycle_state = dict.fromkeys(in_review_slots, "in_review")
    cycle_state.update(zip(other_slots, other_states, strict=True))

    closed = ["approved"] * 50 + ["rejected"] * 25 + ["withdrawn"] * 17
    sha_empty = hashlib.sha256(b"bench").hexdigest()
    promotions, packets, reviews, events = [], [], [], []
    review_id = event_id = 0

    def voters_for(candidate: int, nominator: int) -> list[int]:
        return [c for c in committee_ids if c not in (candidate, nominator, manager_of[candidate])]

    def ratings_for(to_level: int) -> str:
        return json.dumps(
            {
                code: rng.choices(list(RATING_WEIGHTS), weights=list(RATING_WEIGHTS.values()))[0]
                for code, _, _ in criteria[to_level]
            }
        )

    def review(pid, reviewer, decision, version, to_level, at) -> None:
        nonlocal review_id
        review_id += 1
        comment = "Scope not there yet." if decision == "reject" else ""
        reviews.append(
            (review_id, pid, reviewer, decision, comment, at, at, version, ratings_for(to_level))
        )

    def event(pid, from_state, to_state, actor, at, note="") -> None:
        nonlocal event_id
        event_id += 1
        events.append((event_id, pid, from_state, to_state, actor, note, at))

    def packet(pid, version, justification, to_level, submitted_by, at) -> None:
        evidence = evidence_of(criteria[to_level], pid, version)
        sha = hashlib.sha256(f"{justification}{evidence}".encode()).hexdigest()
        packets.append((pid, version, justification, evidence, submitted_by, at, sha))

    def cycle_promotion(pid: int, candidate: int, state: str) -> tuple:
        """A promotion of the cycle, nominated while it was open, with what calibration shows:
        packet versions, reviews with ratings (stale ones too), events."""
        from_level = level_of[candidate]
        to_level = rng.choice(cycle_moves[from_level])
        nominator = manager_of[candidate] or hr_ids[0]
        created = now - timedelta(days=rng.uniform(16, 74))
        justification = "Runs a product area across three squads; grew two PMs."
        review_started = created + timedelta(days=rng.uniform(1, 5))
        decided = None
        version = 1
        note = ""
        changes_version = None
        event(pid, None, "nominated", nominator, created)
        packet(pid, 1, justification, to_level, nominator, created)
        voters = voters_for(candidate, nominator)
        if state != "nominated" and not (state == "withdrawn" and rng.random() < 0.5):
            event(pid, "nominated", "in_review", rng.choice(committee_ids), review_started)
        if state == "changes_requested" or (state == "in_review" and rng.random() < 0.15):
            # Sent back once; in review again on version 2, the votes on version 1 now stale.
            asked = review_started + timedelta(days=rng.uniform(1, 4))
            for reviewer in rng.sample(voters, rng.randint(1, 2)):
                review(pid, reviewer, rng.choice(["approve", "reject"]), 1, to_level, asked)
            note, changes_version = "Show the impact in numbers.", 1
            event(pid, "in_review", "changes_requested", rng.choice(committee_ids), asked, note)
            if state == "in_review":
                version = 2
                resubmitted = asked + timedelta(days=rng.uniform(1, 4))
                packet(pid, 2, justification + " Numbers added.", to_level, nominator, resubmitted)
                event(pid, "changes_requested", "in_review", nominator, resubmitted)
        last = events[-1][6]
        if state in ("in_review", "approved", "rejected"):
            count = rng.choice([0, 1, 2, 2, 3, 3, 3, 4, 4, 5]) if state == "in_review" else 3
            lean = {"approved": 0.9, "rejected": 0.15}.get(state, 0.7)
            for reviewer in rng.sample(voters, min(count, len(voters))):
                last = events[-1][6] + timedelta(days=rng.uniform(0.2, 2.5))
                decision = "approve" if rng.random() < lean else "reject"
                review(pid, reviewer, decision, version, to_level, last)
        if state in ("approved", "rejected", "withdrawn"):
            # Decided while calibrating: since the day after nominations closed.
            calibrating_since = now - timedelta(days=14)
            decided = min(now, max(last, calibrating_since) + timedelta(days=rng.uniform(0.1, 3)))
            actor = nominator if state == "withdrawn" else rng.choice(committee_ids)
            from_state = events[-1][3]
            event(pid, from_state, state, actor, decided, "Decided in calibration.")
        return (
            pid,
            candidate,
            from_level,
            to_level,
            state,
            nominator,
            justification + (" Numbers added." if version == 2 else ""),
            created,
            decided or events[-1][6],
            decided,
            version,
            note,
            changes_version,
            False,
            cycle_effective_on if state == "approved" else None,
            "",
            "",
            CYCLE_ID,
            level_since,
        )

    for pid in range(1, PROMOTIONS + 1):
        slot = pid - 1
        if slot in cycle_state:
            promotions.append(cycle_promotion(pid, open_candidates[slot], cycle_state[slot]))
            continue
        is_open = slot < OPEN
        if is_open:
            candidate = open_candidates[slot]
            state = open_states[slot]
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
        justification = "Led a cross-team launch; mentors two PMs."
        promotions.append(
            (
                pid,
                candidate,
                from_level,
                to_level,
                state,
                nominator,
                justification,
                created,
                decided or created,
                decided,
                1,
                "",
                None,
                state == "approved",  # approved ones took effect on approval
                decided.date() if state == "approved" else None,
                "",
                "",
                None,
                level_since if is_open else None,
            )
        )
        # Open promotions have a full packet (every criterion of the target level); decided ones
        # an empty one, as from before packets.
        if is_open:
            packet(pid, 1, justification, to_level, nominator, created)
        else:
            packets.append((pid, 1, justification, "[]", nominator, created, sha_empty))
        trail = [(None, "nominated", nominator, created)]
        if state != "nominated" and not (state == "withdrawn" and rng.random() < 0.5):
            trail.append(
                ("nominated", "in_review", rng.choice(committee_ids), created + timedelta(hours=2))
            )
        if state in ("approved", "rejected", "withdrawn"):
            actor = nominator if state == "withdrawn" else rng.choice(committee_ids)
            trail.append((trail[-1][1], state, actor, decided))
        for from_state, to_state, actor, at in trail:
            note = "" if to_state in ("nominated", "in_review") else "Decided by the committee."
            event(pid, from_state, to_state, actor, at, note)
        if state in ("in_review", "approved", "rejected"):
            decision = "reject" if state == "rejected" else "approve"
            for reviewer in rng.sample(voters_for(candidate, nominator), rng.randint(1, 3)):
                if is_open:
                    review(pid, reviewer, decision, 1, to_level, created)
                else:
                    review_id += 1
                    comment = "Scope not there yet." if decision == "reject" else ""
                    reviews.append(
                        (review_id, pid, reviewer, decision, comment, created, created, 1, "{}")
                    )
    progress(f"generated {len(promotions)} promotions", started)
    # The big tables load without their foreign-key triggers (a check per row) and without their
    # secondary indexes (built once, sorted, after the COPY): row by row, both took most of the
    # seeding at 1,000,000 promotions. One transaction: if the load fails, the indexes are back.
    # check_foreign_keys() then checks every key in one pass.
    checked_per_row = not set_replication_role("replica")
    with transaction.atomic():
        rebuild = drop_secondary_indexes(BIG_TABLES)
        # Who wrote its packet (the nominator, version 1's author) and no hold: columns COPY does
        # not fill with the model's defaults.
        copy(
            "promotions_promotion",
            [*PROMOTION_COLUMNS, "packet_authors", "held_from"],
            (row + (json.dumps([row[5]]), "") for row in promotions),
        )
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
            packets,
        )
        progress(f"{len(promotions)} promotions, {len(packets)} packet versions", started)
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
            reviews,
        )
        progress(f"{len(reviews)} reviews", started)
        copy(
            "promotions_promotionevent",
            ["id", "promotion_id", "from_state", "to_state", "actor_id", "note", "at"],
            events,
        )
        progress(f"{len(events)} events", started)
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
            for definition in rebuild:
                cursor.execute(definition)
        progress(f"{len(rebuild)} indexes rebuilt", started)
    if not checked_per_row:
        set_replication_role("DEFAULT")
        check_foreign_keys(BIG_TABLES)
        progress("foreign keys checked", started)
    for table in ("promotions_promotion", "promotions_review", "promotions_promotionevent"):
        reset_sequence(table)
    # COPY writes around the audit chain: its events get their links now, so the seeded
    # database passes audit_verify like any other.
    progress(f"{links_append_missing()} audit rows linked", started)
    # VACUUM as well as ANALYZE: a live database is vacuumed (index-only scans can skip the heap),
    # and autovacuum then has nothing to do on these tables in the middle of the run.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")
    progress("vacuumed and analyzed", started)
    cycle_candidates = [open_candidates[slot] for slot in cycle_state]
    return {
        "tokens": tokens,
        "committee_ids": committee_ids,
        "hr_ids": hr_ids,
        "members": members,
        "open_candidates": set(open_candidates),
        "promotions": promotions,
        # Promotions with a full packet (the open ones and the cycle's).
        "packet_ids": list(range(1, OPEN + 1)),
        "cycle_id": CYCLE_ID,
        "cycle_tracks": CYCLE_TRACKS,
        "cycle_candidates": cycle_candidates,
        "manager_of": manager_of,
        "moves": moves,
        "track_of": track_of,
        "level_of": level_of,
        "counts": {
            "promotions": len(promotions),
            "packet versions": len(packets),
            "reviews": len(reviews),
            "events": len(events),
        },
    }
