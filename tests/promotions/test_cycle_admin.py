"""Promotion cycles in the Django admin, through the test client: who may read, add, edit and move
a cycle; the buttons call the services and show their refusals; the calibration page (board,
statistics, charts drawn on the server) and HR's export of decisions."""

import csv
import io
import re
from datetime import date, timedelta

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from core import roles
from ladder.models import Level, LevelTransition
from promotions import services
from promotions.cycles import services as cycles
from promotions.cycles.calibration import DECISION_COLUMNS
from promotions.eligibility import months_between
from promotions.models import Cycle, Promotion
from promotions.packets import services as packets
from tests import factories

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/promotions/cycle/"
# The only addresses an inline SVG may carry: its namespaces, which name, never load.
NAMESPACES = {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}


def admin_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def change_url(cycle) -> str:
    return reverse("admin:promotions_cycle_change", args=[cycle.pk])


def calibration_url(cycle) -> str:
    return reverse("admin:promotions_cycle_calibration", args=[cycle.pk])


def transition_url(cycle) -> str:
    return reverse("admin:promotions_cycle_transition", args=[cycle.pk])


def decisions_url(cycle) -> str:
    return reverse("admin:promotions_cycle_decisions", args=[cycle.pk])


def plan(**changes) -> dict:
    today = timezone.localdate()
    data = {
        "name": "Autumn round",
        "nominations_open_on": today,
        "nominations_close_on": today + timedelta(days=14),
        "decisions_due_on": today + timedelta(days=28),
        "effective_on": today + timedelta(days=35),
        **changes,
    }
    return {
        key: value.isoformat() if isinstance(value, date) else value for key, value in data.items()
    }


def draft(hr, name: str = "Autumn round", tracks=()) -> Cycle:
    today = timezone.localdate()
    return cycles.cycle_create(
        actor=hr,
        name=name,
        tracks=list(tracks),
        nominations_open_on=today,
        nominations_close_on=today + timedelta(days=14),
        decisions_due_on=today + timedelta(days=28),
        effective_on=today + timedelta(days=35),
    )


def svg_addresses(html: str) -> set[str]:
    return {
        address
        for svg in re.findall(r"<svg.*?</svg>", html, re.DOTALL)
        for address in re.findall(r"https?://[^\s\"'<>)]+", svg)
    }


# --- A calibrating cycle, as people would bring it there (also seeds the browser test) ----------

NAMES = {
    # to pm, from associate-pm
    "lena": ("Lena", "Fischer"),
    "tom": ("Tom", "Becker"),
    "ines": ("Inês", "Costa"),
    "ravi": ("Ravi", "Iyer"),
    "mia": ("Mia", "Kowalski"),
    # to senior-pm, from pm
    "jon": ("Jon", "Berg"),
    "eva": ("Eva", "Novak"),
    "ana": ("Ana", "Silva"),
    "kai": ("Kai", "Tanaka"),
    "zoe": ("Zoë", "Laurent"),
    # to lead-pm (reports to Cora: she is recused) and to principal-pm
    "leo": ("Leo", "Marchetti"),
    "ben": ("Ben", "Osei"),
}


def person(username: str, level: str, manager, first: str = "", last: str = ""):
    first, last = NAMES.get(username, (first, last))
    return factories.MemberFactory(
        user__username=username,
        user__first_name=first,
        user__last_name=last,
        level=Level.objects.get(code=level),
        manager=manager,
    )


def calibrating_cycle() -> dict:
    """Twelve candidates of one cycle in two organisations, nominated while it was open, then
    calibrated: five to pm and five to senior-pm, one each to lead-pm and principal-pm (these two
    suppressed, and pm with them: see the stats test); approved, rejected, withdrawn, in review
    with mixed ratings and a stale vote, or still nominated. Cora (committee) manages the lead-pm
    candidate: recused."""
    hr = factories.hr_user(username="hana", first_name="Hana", last_name="Reyes")
    top = person("pat", "cpo", None, "Pat", "Quinn")
    north = person("ada", "vp-product", top, "Ada", "North")
    south = person("bo", "vp-product", top, "Bo", "South")
    cora = factories.committee_member(
        level="group-pm", manager=north, username="cora", first_name="Cora", last_name="Mendes"
    )
    chen = factories.committee_member(username="chen", first_name="Chen", last_name="Okafor")
    dana = factories.committee_member(username="dana", first_name="Dana", last_name="Ruiz")
    maya = person("maya", "group-pm", north, "Maya", "Lindqvist")
    omar = person("omar", "group-pm", south, "Omar", "Bakr")
    today = timezone.localdate()
    cycle = cycles.cycle_create(
        actor=hr,
        name="Spring cycle",
        tracks=[],
        nominations_open_on=today - timedelta(days=30),
        nominations_close_on=today,
        decisions_due_on=today + timedelta(days=14),
        effective_on=today + timedelta(days=30),
    )
    cycles.cycle_open(actor=hr, cycle=cycle)
    cases = [
        ("lena", "associate-pm", maya, "pm", "approve"),
        ("tom", "associate-pm", maya, "pm", "approve"),
        ("ines", "associate-pm", maya, "pm", "reject"),
        ("ravi", "associate-pm", omar, "pm", "mixed"),
        ("mia", "associate-pm", omar, "pm", "withdraw"),
        ("jon", "pm", maya, "senior-pm", "approve"),
        ("eva", "pm", maya, "senior-pm", "reject"),
        ("ana", "pm", omar, "senior-pm", "stale"),
        ("kai", "pm", omar, "senior-pm", "nominated"),
        ("zoe", "pm", omar, "senior-pm", "approve"),
        ("leo", "senior-pm", cora.member, "lead-pm", "review"),
        ("ben", "lead-pm", omar, "principal-pm", "nominated"),
    ]
    nominated = {}
    for username, level, manager, to, outcome in cases:
        candidate = person(username, level, manager)
        nominated[username] = (factories.promotion(candidate=candidate, to=to), outcome)
    cycles.cycle_calibrate(actor=hr, cycle=cycle)
    for username, (promotion, outcome) in nominated.items():
        if outcome == "nominated":
            continue
        if outcome == "withdraw":
            services.promotion_withdraw(promotion=promotion, actor=promotion.nominated_by)
            continue
        decider = chen if username == "leo" else cora
        services.promotion_start_review(promotion=promotion, actor=decider)
        if outcome in ("approve", "reject"):
            factories.review(promotion, chen, outcome)
            factories.review(promotion, dana, outcome)
            decide = (
                services.promotion_approve if outcome == "approve" else services.promotion_reject
            )
            decide(promotion=promotion, actor=decider, note="Calibrated.")
        elif outcome in ("mixed", "review"):
            criteria = list(factories.ratings_for(promotion))
            for reviewer, ratings in (
                (chen, ["exceeds", "meets"]),
                (dana, ["meets", "meets"]),
                (cora, ["not_yet", "meets"]),
            ):
                if username == "leo" and reviewer == cora:
                    continue  # recused
                services.promotion_review(
                    promotion=promotion,
                    reviewer=reviewer,
                    decision="approve",
                    comment="",
                    ratings={c: ratings[i % 2] for i, c in enumerate(criteria)},
                )
        elif outcome == "stale":
            factories.review(promotion, chen, "approve")
            services.promotion_request_changes(
                promotion=promotion, actor=cora, note="Show the mentoring in numbers."
            )
            packets.packet_submit(
                promotion=promotion,
                actor=promotion.nominated_by,
                justification="Reworked: the mentoring in numbers.",
                evidence=factories.evidence_for(promotion.to_level, "Mentors two PMs weekly."),
            )
            services.promotion_resubmit(promotion=promotion, actor=promotion.nominated_by)
            factories.review(promotion, dana, "approve")
    return {
        "cycle": Cycle.objects.get(pk=cycle.pk),  # fresh (its state is protected)
        "hr": hr,
        "cora": cora,
        "chen": chen,
        "promotions": {name: p for name, (p, _) in nominated.items()},
    }


@pytest.fixture
def world(db):
    return calibrating_cycle()


# --- Who may do what -----------------------------------------------------------------------------


def test_a_member_gets_no_access(world):
    cycle = world["cycle"]
    member = factories.MemberFactory().user
    client = admin_client(member)
    for url in (CHANGELIST, change_url(cycle), calibration_url(cycle), decisions_url(cycle)):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    response = client.post(transition_url(cycle), {"action": "close"})
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")

    # Staff without a role (HR or the committee): refused all the same.
    member.is_staff = True
    member.save()
    client = admin_client(member)
    for url in (CHANGELIST, change_url(cycle), calibration_url(cycle), decisions_url(cycle)):
        assert client.get(url).status_code == 403, url
    assert client.post(transition_url(cycle), {"action": "close"}).status_code == 403
    assert Cycle.objects.get(pk=cycle.pk).state == "calibrating"


def test_the_committee_reads_cycles_but_cannot_add_edit_or_move_them(world):
    cycle, chen = world["cycle"], world["chen"]
    client = admin_client(chen)
    page = client.get(CHANGELIST)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Spring cycle" in html
    assert calibration_url(cycle) in html  # the board, from the list
    assert "/admin/promotions/cycle/add/" not in html
    assert "export_decisions" not in html  # HR's action only

    page = client.get(change_url(cycle))
    assert page.status_code == 200
    html = page.content.decode()
    assert calibration_url(cycle) in html
    assert 'name="action"' not in html  # no transition buttons
    assert decisions_url(cycle) not in html
    assert 'name="_save"' not in html  # read-only

    assert client.get("/admin/promotions/cycle/add/").status_code == 403
    assert client.post("/admin/promotions/cycle/add/", plan()).status_code == 403
    assert client.post(change_url(cycle), plan(name="Renamed")).status_code == 403
    assert client.post(transition_url(cycle), {"action": "close"}).status_code == 403
    assert client.get(decisions_url(cycle)).status_code == 403
    response = client.post(
        CHANGELIST, {"action": "export_decisions", "_selected_action": [cycle.pk]}
    )
    assert response.get("Content-Type", "").startswith("text/html")  # not a CSV
    cycle = Cycle.objects.get(pk=cycle.pk)
    assert (cycle.name, cycle.state) == ("Spring cycle", "calibrating")
    assert client.get(calibration_url(cycle)).status_code == 200


def test_cycles_are_never_deleted(world):
    cycle = world["cycle"]
    client = admin_client(world["hr"])
    delete = reverse("admin:promotions_cycle_delete", args=[cycle.pk])
    assert client.get(delete).status_code == 403
    assert "delete_selected" not in client.get(CHANGELIST).content.decode()
    superuser = factories.UserFactory(is_superuser=True, is_staff=True)
    assert admin_client(superuser).post(delete, {"post": "yes"}).status_code == 403
    assert Cycle.objects.filter(pk=cycle.pk).exists()


# --- HR plans a cycle ----------------------------------------------------------------------------


def test_hr_adds_a_cycle_and_edits_it_while_a_draft():
    hr = factories.hr_user()
    client = admin_client(hr)
    response = client.post("/admin/promotions/cycle/add/", {**plan(), "tracks": ["ic"]})
    assert response.status_code == 302, response.content.decode()[:2000]
    cycle = Cycle.objects.get()
    assert (cycle.name, cycle.tracks, cycle.state) == ("Autumn round", ["ic"], "draft")

    response = client.post(change_url(cycle), plan(name="  Autumn round 2026 "))
    assert response.status_code == 302
    cycle = Cycle.objects.get(pk=cycle.pk)
    assert (cycle.name, cycle.tracks) == ("Autumn round 2026", [])  # trimmed; none ticked: both

    cycles.cycle_open(actor=hr, cycle=cycle)
    page = client.get(change_url(cycle))
    assert 'name="_save"' not in page.content.decode()  # no longer editable
    assert client.post(change_url(cycle), plan(name="Too late")).status_code == 403
    assert Cycle.objects.get(pk=cycle.pk).name == "Autumn round 2026"


def test_dates_out_of_order_are_shown_as_a_form_error_and_nothing_is_saved():
    client = admin_client(factories.hr_user())
    today = timezone.localdate()
    response = client.post(
        "/admin/promotions/cycle/add/",
        plan(nominations_close_on=today + timedelta(days=40)),  # after the decisions are due
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.non_field_errors()
    assert "The dates go in order" in str(errors)
    assert "The dates go in order" in response.content.decode()
    assert not Cycle.objects.exists()
    # A field the form itself refuses: shown beside the field, the service never called.
    response = client.post("/admin/promotions/cycle/add/", {**plan(), "tracks": ["astronaut"]})
    assert "tracks" in response.context["adminform"].form.errors
    assert not Cycle.objects.exists()


# --- HR moves a cycle with the buttons -----------------------------------------------------------


def test_hr_opens_calibrates_and_closes_a_cycle_with_the_buttons():
    hr = factories.hr_user()
    cycle = draft(hr)
    client = admin_client(hr)
    html = client.get(change_url(cycle)).content.decode()
    assert 'name="action" value="open"' in html
    assert 'value="calibrate"' not in html and 'value="close"' not in html

    response = client.post(transition_url(cycle), {"action": "open"}, follow=True)
    assert "Done: Autumn round is now open for nominations." in messages_of(response)
    assert 'name="action" value="calibrate"' in response.content.decode()
    promotion = factories.promotion()
    assert promotion.cycle == Cycle.objects.get(pk=cycle.pk)  # nominated while open: joins it

    response = client.post(transition_url(cycle), {"action": "calibrate"}, follow=True)
    assert "Done: Autumn round is now calibrating." in messages_of(response)

    # 409 cycle_has_open_promotions: shown, and the cycle stays as it was.
    response = client.post(transition_url(cycle), {"action": "close"}, follow=True)
    assert messages_of(response) == [
        "Refused: 1 promotion(s) of this cycle are still open: decide or withdraw them first."
    ]
    assert Cycle.objects.get(pk=cycle.pk).state == "calibrating"

    services.promotion_withdraw(promotion=promotion, actor=promotion.nominated_by)
    response = client.post(transition_url(cycle), {"action": "close"}, follow=True)
    assert "Done: Autumn round is now closed." in messages_of(response)
    assert 'name="action"' not in response.content.decode()  # nothing after closed
    # A transition the state does not allow, forged: refused with a message.
    response = client.post(transition_url(cycle), {"action": "open"}, follow=True)
    assert messages_of(response) == ["Refused: A cycle that is closed cannot open."]
    response = client.post(transition_url(cycle), {"action": "delete"}, follow=True)
    assert messages_of(response) == ["Unknown action."]
    assert client.get(transition_url(cycle)).status_code == 405


def test_opening_a_cycle_on_a_track_another_holds_is_refused_with_a_message():
    hr = factories.hr_user()
    first = draft(hr, "Management round", tracks=["management"])
    second = draft(hr, "Everyone")
    cycles.cycle_open(actor=hr, cycle=first)
    client = admin_client(hr)
    response = client.post(transition_url(second), {"action": "open"}, follow=True)
    (message,) = messages_of(response)
    assert message.startswith("Refused: Management round is open for the management track(s)")
    assert Cycle.objects.get(pk=second.pk).state == "draft"


def test_the_transition_form_is_protected_by_csrf(world):
    cycle = world["cycle"]
    client = Client(enforce_csrf_checks=True)
    client.force_login(world["hr"])
    assert client.post(transition_url(cycle), {"action": "close"}).status_code == 403
    assert Cycle.objects.get(pk=cycle.pk).state == "calibrating"


# --- The calibration page ------------------------------------------------------------------------


def test_the_calibration_page_shows_the_board_with_recusal(world):
    cycle, promotions = world["cycle"], world["promotions"]
    page = admin_client(world["cora"]).get(calibration_url(cycle))
    assert page.status_code == 200
    html = page.content.decode()
    board = html[html.index('id="board"') : html.index('id="stats"')]
    for title in (
        "To Product Manager · Individual contributor · 5 candidates",
        "To Senior Product Manager · Individual contributor · 5 candidates",
        "To Lead Product Manager (Staff PM) · Individual contributor · 1 candidate",
    ):
        assert title in board
    # Each candidate links to the promotion's desk.
    for promotion in promotions.values():
        desk = reverse("admin:promotions_promotion_change", args=[promotion.pk])
        assert f'href="{desk}"' in board
    page_of = page.context["page"]
    rows = {row.username: row for group in page_of.board for row in group.rows}
    assert rows["ravi"].votes == {"approve": 3, "reject": 0, "stale": 0}
    ravi = promotions["ravi"].candidate
    assert rows["ravi"].months_in_level == months_between(ravi.level_since, timezone.localdate())
    assert (rows["ravi"].from_level, rows["ravi"].nominated_by) == (
        "Junior Product Manager (Associate PM)",
        "omar",
    )
    assert rows["ravi"].state == "In review" and rows["kai"].state == "Nominated"
    assert rows["ana"].votes == {"approve": 1, "reject": 0, "stale": 1}
    assert rows["ana"].packet_version == 2
    # Ravi's first criterion: exceeds (Chen), meets (Dana), not yet (Cora).
    assert "1 exceeds<" in board and "1 not yet<" in board
    assert [cell.parts for cell in rows["ravi"].ratings][:2] == [
        [("Exceeds", 1), ("Meets", 1), ("Not yet", 1)],
        [("Meets", 3)],
    ]
    # Cora manages Leo: recused, no votes nor ratings for her.
    assert rows["leo"].recused and rows["leo"].votes is None
    leo = board[board.index("Leo Marchetti") :]
    leo = leo[: leo.index("</tr>")]
    assert "recused" in leo and "approve" not in leo and "meets" not in leo
    # Chen is not recused on Leo: he reads the two votes.
    chen_page = admin_client(world["chen"]).get(calibration_url(cycle)).context["page"]
    chen_rows = {row.username: row for group in chen_page.board for row in group.rows}
    assert chen_rows["leo"].votes == {"approve": 2, "reject": 0, "stale": 0}


def test_the_calibration_page_shows_the_stats_with_suppressed_groups_and_charts(world):
    cycle = world["cycle"]
    page = admin_client(world["hr"]).get(calibration_url(cycle))
    html = page.content.decode()
    stats = html[html.index('id="stats"') :]
    levels = stats[stats.index('id="stats-level"') : stats.index('id="stats-track"')]
    # senior-pm: 5 candidates, 2 approved, 1 rejected, none withdrawn, 2 open; rate 2 / 3.
    senior = levels[levels.index('<th scope="row">Senior Product Manager</th>') :]
    senior = senior[: senior.index("</tr>")]
    assert re.findall(r'<td class="num">([^<]*)</td>', senior) == [
        "5", "5", "2", "1", "0", "2", "67 %", "0",
    ]  # fmt: skip
    # lead-pm and principal-pm have one candidate each; hidden alone, 12 − 5 − 5 = 2 over two
    # listed groups would say one each, so pm (the smaller of the other two, by name) goes too.
    for suppressed in (
        "Product Manager",
        "Lead Product Manager (Staff PM)",
        "Principal Product Manager",
    ):
        row = levels[levels.index(f'<th scope="row">{suppressed}</th>') :]
        row = row[: row.index("</tr>")]
        assert "suppressed (fewer than 5 candidates" in row
        assert '<td class="num">' not in row  # no cell published
    assert "North" in stats and "South" in stats  # organisations, by their heads
    # Charts: drawn on the server, inline; nothing loads from elsewhere.
    for chart in ("chart-level", "chart-track", "chart-organisation", "chart-approval"):
        figure = stats[stats.index(f'id="{chart}"') :]
        assert figure.index("<svg") < figure.index("</figure>"), chart
    assert svg_addresses(html) <= NAMESPACES
    svgs = "".join(re.findall(r"<svg.*?</svg>", html, re.DOTALL))
    assert "<script" not in svgs and "<!--" not in svgs
    outcomes = stats[stats.index('id="chart-level"') :]
    outcomes = outcomes[: outcomes.index("</figure>")]
    assert "Product Manager" in outcomes and "Senior Product Manager" in outcomes
    assert "Lead Product Manager" not in outcomes  # suppressed groups are not charted


def test_a_cycle_of_few_candidates_has_its_groups_suppressed_and_no_chart():
    hr = factories.hr_user()
    cycle = draft(hr)
    cycles.cycle_open(actor=hr, cycle=cycle)
    factories.promotion()
    factories.promotion()
    html = admin_client(hr).get(calibration_url(cycle)).content.decode()
    assert html.count("suppressed (fewer than 5 candidates") >= 3  # totals, level, track...
    assert "pygal-chart" not in html
    assert "no chart, every group is suppressed" in html


def test_an_unknown_cycle_redirects_as_the_admin_does():
    client = admin_client(factories.hr_user())
    response = client.get(reverse("admin:promotions_cycle_calibration", args=[987654]))
    assert response.status_code == 302 and response["Location"] == "/admin/"


def test_the_notification_link_opens_the_calibration_page(world):
    from notifications.models import Notification

    notification = Notification.objects.filter(subject__startswith="Calibration:").first()
    assert notification is not None
    assert calibration_url(world["cycle"]) in notification.body


# --- HR exports the decisions --------------------------------------------------------------------


def parse_csv(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment; filename=")
    assert response.content.startswith(b"\xef\xbb\xbf")  # a byte-order mark, for Excel
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_hr_exports_a_cycles_decisions_as_csv(world):
    cycle, promotions = world["cycle"], world["promotions"]
    client = admin_client(world["hr"])
    assert "Export decisions (CSV)" in client.get(CHANGELIST).content.decode()
    response = client.post(
        CHANGELIST, {"action": "export_decisions", "_selected_action": [cycle.pk]}
    )
    rows = parse_csv(response)
    assert tuple(rows[0]) == DECISION_COLUMNS
    by_member = {row[0]: row for row in rows[1:]}
    assert len(by_member) == 12
    lena = Promotion.objects.get(pk=promotions["lena"].pk)
    assert by_member["lena"] == [
        "lena",
        "lena@example.com",
        "associate-pm",
        "pm",
        "approved",
        lena.decided_at.isoformat(timespec="seconds"),
        cycle.effective_on.isoformat(),
    ]
    assert (by_member["mia"][4], by_member["mia"][6]) == ("withdrawn", "")
    assert by_member["kai"][4:] == ["nominated", "", ""]
    # The same file from the cycle's page.
    assert parse_csv(client.get(decisions_url(cycle))) == rows
    assert decisions_url(cycle) in client.get(change_url(cycle)).content.decode()
    assert decisions_url(cycle) in client.get(calibration_url(cycle)).content.decode()


def test_the_export_defuses_cells_a_spreadsheet_would_run_as_formulas():
    hr = factories.hr_user()
    cycle = draft(hr)
    cycles.cycle_open(actor=hr, cycle=cycle)
    for username, email in (
        ("@cmd", "=HYPERLINK(1)@example.com"),
        ("-2+3", "+sum@example.com"),
        ("plain", "plain@example.com"),
    ):
        candidate, _ = factories.team()
        candidate.user.username, candidate.user.email = username, email
        candidate.user.save()
        factories.promotion(candidate=candidate)
    response = admin_client(hr).post(
        CHANGELIST, {"action": "export_decisions", "_selected_action": [cycle.pk]}
    )
    members = {row[0]: row[1] for row in parse_csv(response)[1:]}
    assert members == {
        "'@cmd": "'=HYPERLINK(1)@example.com",
        "'-2+3": "'+sum@example.com",
        "plain": "plain@example.com",
    }


def test_the_export_takes_one_cycle_at_a_time():
    hr = factories.hr_user()
    first, second = draft(hr, "One"), draft(hr, "Two", tracks=["ic"])
    response = admin_client(hr).post(
        CHANGELIST,
        {"action": "export_decisions", "_selected_action": [first.pk, second.pk]},
        follow=True,
    )
    assert response["Content-Type"].startswith("text/html")
    assert messages_of(response) == ["Export one cycle at a time: select exactly one."]


# --- The desk shows the promotion's cycle and dates, and HR's reasons ---------------------------


def test_the_desk_shows_the_cycle_the_effective_date_and_hr_reasons(world):
    cycle, cora = world["cycle"], world["cora"]
    lena = Promotion.objects.get(pk=world["promotions"]["lena"].pk)
    html = admin_client(cora).get(f"/admin/promotions/promotion/{lena.pk}/change/")
    html = html.content.decode()
    assert f'<a href="{calibration_url(cycle)}">Spring cycle</a>' in html
    # Approved in the cycle: the level changes on the cycle's date.
    assert f"pending until {date_format(cycle.effective_on)}" in html

    # HR nominates outside the cycle, waiving time in level: the committee reads both reasons.
    candidate, manager = factories.team(level="associate-pm")
    candidate.level_since = timezone.localdate() - timedelta(days=30)
    candidate.save()
    promotion = services.promotion_nominate(
        candidate=candidate,
        to_level=Level.objects.get(code="pm"),
        nominated_by=world["hr"],
        justification="Exceptional.",
        evidence=factories.evidence_for("pm"),
        off_cycle_reason="Joins the new payments squad next month.",
        eligibility_override_reason="Was a PM elsewhere for three years.",
    )
    services.promotion_start_review(promotion=promotion, actor=world["chen"])
    factories.review(promotion, world["chen"], "approve")
    services.promotion_approve(promotion=promotion, actor=world["chen"])  # effective today
    html = admin_client(cora).get(f"/admin/promotions/promotion/{promotion.pk}/change/")
    html = html.content.decode()
    assert "Joins the new payments squad next month." in html
    assert "Was a PM elsewhere for three years." in html
    assert "effective on" in html and "pending until" not in html
    assert 'class="field-cycle"' not in html  # off-cycle
    # The nominator's manager's view (recused): no HR reasons.
    manager.user.groups.add(Group.objects.get(name=roles.COMMITTEE_GROUP))
    manager.user.is_staff = True
    manager.user.save()
    html = admin_client(manager.user).get(f"/admin/promotions/promotion/{promotion.pk}/change/")
    assert html.status_code == 200
    assert "Joins the new payments squad" not in html.content.decode()


# --- The ladder: HR edits a level's minimum time --------------------------------------------------


def test_hr_sees_and_edits_min_months_in_level():
    client = admin_client(factories.hr_user())
    pm = Level.objects.get(code="pm")
    assert "min-months-in-level" in client.get("/admin/ladder/level/").content.decode().replace(
        "_", "-"
    )
    page = client.get(f"/admin/ladder/level/{pm.pk}/change/").content.decode()
    assert 'name="min_months_in_level"' in page
    form = {
        "code": pm.code,
        "rank": pm.rank,
        "title": pm.title,
        "track": pm.track,
        "position": pm.position,
        "mission": pm.mission,
        "goal": pm.goal,
        "min_months_in_level": 18,
        "criteria-TOTAL_FORMS": "0",  # the criteria and moves left as they are
        "criteria-INITIAL_FORMS": "0",
    }
    moves = list(LevelTransition.objects.filter(from_level=pm))
    form["moves_out-TOTAL_FORMS"] = form["moves_out-INITIAL_FORMS"] = str(len(moves))
    for i, move in enumerate(moves):
        form[f"moves_out-{i}-id"] = move.pk
        form[f"moves_out-{i}-from_level"] = pm.pk
        form[f"moves_out-{i}-to_level"] = move.to_level_id
        form[f"moves_out-{i}-is_active"] = "on" if move.is_active else ""
    response = client.post(f"/admin/ladder/level/{pm.pk}/change/", form)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Level.objects.get(code="pm").min_months_in_level == 18


def test_names_on_the_page_and_in_the_charts_are_escaped(settings):
    settings.ANALYTICS_MIN_GROUP = 1  # every group published, so the name is charted
    hr = factories.hr_user()
    cycle = draft(hr)
    cycles.cycle_open(actor=hr, cycle=cycle)
    candidate, _ = factories.team()
    candidate.user.first_name, candidate.user.last_name = "<script>alert(1)</script>", "X"
    candidate.user.save()
    factories.promotion(candidate=candidate)
    html = admin_client(hr).get(calibration_url(cycle)).content.decode()
    assert "<script>alert(1)" not in html
    chart = html[html.index('id="chart-organisation"') :]
    chart = chart[: chart.index("</figure>")]
    assert "pygal-chart" in chart and "&lt;script&gt;alert(1)" in chart
