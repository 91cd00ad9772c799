"""The blind first pass (promotions/blind.py): in a cycle with `blind_review`, every view a
committee member has of a case names it `Candidate <pseudonym>`, without the candidate's name,
username or e-mail, the nominator or the career history, until they have voted on its current
packet version; a new version blinds them again; HR reads all; each vote records `blind`."""

import re
from datetime import date

import pytest
from django.apps import apps
from django.db.models import Q
from django.test import Client
from rest_framework.test import APIClient

from ladder.models import Level, LevelChange
from ladder.selectors import member_of
from notifications.models import Notification
from promotions import blind, services
from promotions.cycles import services as cycles
from promotions.models import Cycle, Promotion, Review
from promotions.packets import services as packets
from tests import factories
from tests.routes import url_patterns
from tests.shared import shared_rows

pytestmark = pytest.mark.django_db

# What would tell a reader who the case is: the candidate's names, username and e-mail, the
# nominator's (their manager's), and the date of their career history's entry.
CANDIDATE = {"first_name": "Zelda", "last_name": "Quixotic", "username": "zquixotic"}
MANAGER = {"first_name": "Quorra", "last_name": "Vantablack", "username": "mgrvantablack"}
CAREER_DAY = date(2019, 3, 17)
SECRETS = (
    "zelda",
    "quixotic",
    "quorra",
    "vantablack",
    "march 17, 2019",
    "2019-03-17",
)
# Routes whose answer is not the case: the member directory lists every member by name (a
# committee member reads it, and it says nothing of who is nominated); the schema and its page.
NOT_THE_CASE = {"/api/v1/members/", "/api/v1/schema/", "/api/v1/docs/"}
# The API routes that must answer the committee member (so that the walk cannot skip them).
CASE_ROUTES = {
    "/api/v1/promotions/",
    "/api/v1/promotions/{pk}/",
    "/api/v1/promotions/{pk}/packet/",
    "/api/v1/promotions/{pk}/packet/versions/",
    "/api/v1/promotions/{pk}/packet/versions/{number}/",
    "/api/v1/promotions/{pk}/reviews/",
    "/api/v1/promotions/{pk}/timeline/",
    "/api/v1/cycles/{pk}/",
    "/api/v1/cycles/{pk}/calibration/",
    "/api/v1/cycles/{pk}/stats/",
    "/api/v1/notifications/",
}


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with shared_rows(django_db_blocker):
        yield build_world()


def build_world() -> dict:
    hr = factories.hr_user()
    reviewer = factories.committee_member(level="vp-product")  # hears of the nomination
    cycle = factories.blind_cycle(hr=hr, name="Blind H1")
    manager = factories.MemberFactory(
        user=factories.UserFactory(**MANAGER), level=Level.objects.get(code="group-pm")
    )
    candidate = factories.MemberFactory(
        user=factories.UserFactory(**CANDIDATE, email="zelda.quixotic@example.com"),
        level=Level.objects.get(code="pm"),
        manager=manager,
    )
    LevelChange.objects.create(
        member=candidate,
        from_level=Level.objects.get(code="associate-pm"),
        to_level=Level.objects.get(code="pm"),
        effective_date=CAREER_DAY,
    )
    promotion = factories.promotion(candidate=candidate, state="in_review", actor=hr)
    assert promotion.cycle_id == cycle.pk
    return {
        "hr": hr,
        "reviewer": reviewer,
        "manager": manager.user,
        "cycle": cycle,
        "promotion": promotion,
    }


def api(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {factories.token_for(user)}")
    return client


def api_case_texts(user, world) -> dict[str, str]:
    """Every API route `user` may GET, with the blind case's ids: {route: the answer's text}."""
    ids = {
        "promotions": world["promotion"].pk,
        "cycles": world["cycle"].pk,
    }
    if (me := member_of(user)) is not None:
        ids["members"] = me.pk  # their own: the directory is not the case
    client = api(user)
    texts = {}
    for route in url_patterns():
        if not route.startswith("/api/v1/") or route in NOT_THE_CASE:
            continue
        collection = route.split("/")[3]
        if "{pk}" in route and collection not in ids:
            continue  # another kind of object: nothing of the case
        url = route.replace("{pk}", str(ids.get(collection))).replace("{number}", "1")
        url = url.replace("{code}", "pm")
        response = client.get(url)
        assert response.status_code != 500, url
        if response.status_code == 200:
            texts[route] = response.content.decode()
    return texts


def page_texts(user, world) -> dict[str, str]:
    """The committee's pages of the case: the desk, the admin's lists (and a search by the
    candidate's name), the calibration page, the member site's inbox."""
    client = Client()
    client.force_login(user)
    promotion, cycle = world["promotion"], world["cycle"]
    urls = {
        "desk": f"/admin/promotions/promotion/{promotion.pk}/change/",
        "list": "/admin/promotions/promotion/",
        "events": "/admin/promotions/promotionevent/",
        "calibration": f"/admin/promotions/cycle/{cycle.pk}/calibration/",
        "inbox": "/inbox/",
    }
    texts = {}
    for name, url in urls.items():
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        texts[name] = response.content.decode()
    found = client.get("/admin/promotions/promotion/", {"q": "Quixotic"}).content.decode()
    # The term itself comes back in the search box and the filters' links.
    texts["search"] = found.replace('value="Quixotic"', "").replace("q=Quixotic", "")
    return texts


def admin_texts(user, world) -> dict[str, str]:
    """Every admin URL that names the case or a row pointing at it: for the promotion and each
    of its rows of every model referring to it (events, reviews, packet versions, level changes,
    notifications...), the change, history and delete pages; the autocomplete of every field
    naming a promotion (it labels each by its candidate's name); the raw-id lookup's popup.
    {url: text} of those that answer 200 (a refusal names nothing)."""
    promotion = world["promotion"]
    urls = ["/admin/promotions/promotion/?_to_field=id&_popup=1"]
    for model in apps.get_models():
        meta = model._meta
        fields = [
            f.name
            for f in meta.get_fields()
            if f.concrete and f.is_relation and f.related_model is Promotion
        ]
        if model is Promotion:
            rows = [promotion.pk]
        elif fields:
            pointing = Q()
            for name in fields:
                pointing |= Q(**{name: promotion})
            rows = list(model._base_manager.filter(pointing).values_list("pk", flat=True))
        else:
            continue
        base = f"/admin/{meta.app_label}/{meta.model_name}/"
        urls += [f"{base}{pk}/{page}/" for pk in rows for page in ("change", "history", "delete")]
        urls += [
            f"/admin/autocomplete/?app_label={meta.app_label}&model_name={meta.model_name}"
            f"&field_name={name}"
            for name in fields
        ]
    client = Client()
    client.force_login(user)
    texts = {}
    for url in urls:
        response = client.get(url)
        assert response.status_code != 500, url
        if response.status_code == 200:
            texts[url] = response.content.decode()
    return texts


def event_pages(promotion) -> set[str]:
    pks = promotion.events.values_list("pk", flat=True)
    assert pks
    return {f"/admin/promotions/promotionevent/{pk}/change/" for pk in pks}


def messages_of(user, promotion) -> str:
    rows = Notification.objects.filter(recipient=user, promotion_id=promotion.pk)
    assert rows.exists()
    return "\n".join(f"{n.subject}\n{n.body}\n{n.html_body}" for n in rows)


def leaks(texts: dict[str, str]) -> dict[str, list[str]]:
    return {
        where: found
        for where, text in texts.items()
        if (found := [secret for secret in SECRETS if secret in text.lower()])
    }


def vote(user, promotion, decision="approve"):
    body = {"decision": decision, "comment": "Seen.", "ratings": factories.ratings_body(promotion)}
    response = api(user).post(f"/api/v1/promotions/{promotion.pk}/reviews/", body, format="json")
    assert response.status_code in (200, 201), response.content
    return response.json()


def test_a_blind_reader_learns_no_time_in_level_nor_who_has_an_open_promotion(world):
    # With the directory's `level_since` of everyone, either would name the candidate.
    reviewer, hr, promotion, cycle = (world[k] for k in ("reviewer", "hr", "promotion", "cycle"))
    months = re.compile(r"Time in level|\d+ months? in level")
    pages, hr_pages = page_texts(reviewer, world), page_texts(hr, world)
    for where in ("desk", "calibration"):
        assert not months.search(pages[where]), where
        assert months.search(hr_pages[where]), where
    board = api(reviewer).get(f"/api/v1/cycles/{cycle.pk}/calibration/").json()
    rows = [row for group in board["groups"] for row in group["candidates"]]
    assert rows and all(row["blind"] and row["months_in_level"] is None for row in rows)
    board = api(hr).get(f"/api/v1/cycles/{cycle.pk}/calibration/").json()
    assert all(row["months_in_level"] is not None for row in board["groups"][0]["candidates"])

    # Eligibility is for those who nominate or are nominated; to the committee as such it is
    # no member's.
    url = f"/api/v1/members/{promotion.candidate_id}/eligibility/"
    refused = api(reviewer).get(url)
    assert refused.status_code == 404, refused.content
    assert "open_promotion" not in refused.content.decode()
    for user in (hr, world["manager"], promotion.candidate.user):
        answered = api(user).get(url)
        assert answered.status_code == 200 and "open_promotion" in answered.content.decode()

    # Nor from the directory: approved, not yet effective, the case is no one's pending
    # promotion to a blind reader.
    Promotion.objects.filter(pk=promotion.pk).update(state="approved", level_applied=False)

    def pending(user) -> dict:
        rows = api(user).get("/api/v1/members/", {"page_size": 200}).json()["results"]
        return {row["id"]: row["pending_promotion"] for row in rows}

    assert pending(reviewer)[promotion.candidate_id] is None
    assert pending(hr)[promotion.candidate_id]["id"] == promotion.pk


def test_the_committee_reads_the_case_blind_until_its_vote_on_the_current_version(world):
    reviewer, hr, promotion = world["reviewer"], world["hr"], world["promotion"]
    name = blind.pseudonym(promotion.pk)

    before = api_case_texts(reviewer, world)
    assert set(before) >= CASE_ROUTES, CASE_ROUTES - set(before)
    pages = page_texts(reviewer, world)
    admin_pages = admin_texts(reviewer, world)
    # An event's page is masked, not refused (the list links to it).
    assert event_pages(promotion) <= set(admin_pages)
    texts = {**before, **pages, **admin_pages, "messages": messages_of(reviewer, promotion)}
    assert leaks(texts) == {}
    assert name in before["/api/v1/promotions/{pk}/"] and name in pages["desk"]
    assert name in pages["calibration"] and name in pages["list"] and name in texts["messages"]
    assert name not in pages["search"]  # the search by name finds nothing
    assert "The packet should not name the candidate" in pages["desk"]
    detail = api(reviewer).get(f"/api/v1/promotions/{promotion.pk}/").json()
    assert detail["blind"] is True and detail["candidate"]["id"] is None
    # Nor is it found by who the candidate is.
    by_candidate = (
        api(reviewer).get("/api/v1/promotions/", {"candidate": promotion.candidate_id}).json()
    )
    assert by_candidate["count"] == 0

    # HR reads all, throughout.
    hr_texts = {**api_case_texts(hr, world), **page_texts(hr, world), **admin_texts(hr, world)}
    assert {"/api/v1/promotions/{pk}/", "desk", "calibration", "search"} <= set(leaks(hr_texts))
    assert event_pages(promotion) <= set(leaks(hr_texts))

    # After the vote (ratings on the current version), the reviewer reads who it is.
    vote(reviewer, promotion)
    after = {**api_case_texts(reviewer, world), **page_texts(reviewer, world)}
    named = set(leaks(after))
    assert {"/api/v1/promotions/{pk}/", "/api/v1/cycles/{pk}/calibration/"} <= named
    assert {"desk", "list", "calibration", "search"} <= named
    assert "March 17, 2019" in after["desk"]  # the career history

    # A new version of the packet blinds them again until they vote on it.
    services.promotion_request_changes(promotion=promotion, actor=hr, note="More on scope.")
    packets.packet_submit(
        promotion=promotion,
        actor=world["manager"],
        justification="Scope made clearer.",
        evidence=factories.evidence_for(promotion.to_level, text="Led the launch end to end."),
    )
    promotion = services.promotion_resubmit(promotion=promotion, actor=world["manager"])
    again = {
        **api_case_texts(reviewer, world),
        **page_texts(reviewer, world),
        **admin_texts(reviewer, world),
    }
    assert leaks(again) == {}
    vote(reviewer, promotion)
    assert "desk" in leaks(page_texts(reviewer, world))


def test_a_vote_records_whether_its_voter_read_the_case_blind(world):
    reviewer, hr, promotion = world["reviewer"], world["hr"], world["promotion"]
    assert vote(reviewer, promotion)["blind"] is True
    assert vote(hr, promotion)["blind"] is False
    # Changed after the first cast, a vote keeps what it was when cast.
    assert vote(reviewer, promotion, "reject")["blind"] is True
    rows = api(hr).get(f"/api/v1/promotions/{promotion.pk}/reviews/").json()
    assert {(r["reviewer"], r["blind"]) for r in rows} == {
        (reviewer.username, True),
        (hr.username, False),
    }
    assert Review.objects.get(reviewer=reviewer).blind is True
    # A decision's record in the timeline says which of its votes were cast blind.
    cycles.cycle_calibrate(actor=hr, cycle=world["cycle"])
    services.promotion_reject(promotion=promotion, actor=hr, note="Not yet.")
    timeline = api(hr).get(f"/api/v1/promotions/{promotion.pk}/timeline/").json()
    recorded = {(v["reviewer"], v.get("blind", False)) for v in timeline[-1]["votes"]}
    assert recorded == {(reviewer.username, True), (hr.username, False)}
    client = Client()
    client.force_login(hr)
    desk = client.get(f"/admin/promotions/promotion/{promotion.pk}/change/").content.decode()
    assert desk.count('<span class="blind-mark">blind</span>') == 1


def test_a_cycle_without_blind_review_is_read_as_before(world):
    Cycle.objects.filter(pk=world["cycle"].pk).update(blind_review=False)
    texts = {**api_case_texts(world["reviewer"], world), **page_texts(world["reviewer"], world)}
    assert {"/api/v1/promotions/{pk}/", "desk", "calibration", "list", "search"} <= set(
        leaks(texts)
    )
    assert "should not name the candidate" not in texts["desk"]


def test_blind_review_is_set_while_a_draft_only(world):
    hr = world["hr"]
    draft = factories.draft_cycle(hr)
    client = api(hr)
    changed = client.patch(f"/api/v1/cycles/{draft.pk}/", {"blind_review": True}, format="json")
    assert changed.status_code == 200 and changed.json()["blind_review"] is True
    refused = client.patch(
        f"/api/v1/cycles/{world['cycle'].pk}/", {"blind_review": False}, format="json"
    )
    assert refused.status_code == 409
    assert Cycle.objects.get(pk=world["cycle"].pk).blind_review is True


def test_the_nomination_form_of_a_blind_cycle_asks_not_to_name_the_candidate(world):
    manager = factories.MemberFactory(level=Level.objects.get(code="group-pm"))
    report = factories.MemberFactory(level=Level.objects.get(code="pm"), manager=manager)
    client = Client()
    client.force_login(manager.user)
    url = f"/team/{report.pk}/nominate/senior-pm/"
    assert 'id="blind-note"' in client.get(url).content.decode()
    Cycle.objects.filter(pk=world["cycle"].pk).update(blind_review=False)
    assert 'id="blind-note"' not in client.get(url).content.decode()


def test_masking_a_page_costs_the_same_queries_whatever_its_blind_cases(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = api(world["reviewer"])

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            page = client.get("/api/v1/promotions/").json()
        assert all(row["blind"] for row in page["results"])
        return len(captured)

    queries()  # the first request of a run fills the process's caches (content types, groups)
    one = queries()
    for _ in range(3):
        factories.promotion()  # joins the blind cycle too
    assert client.get("/api/v1/promotions/").json()["count"] == 4
    assert queries() == one
