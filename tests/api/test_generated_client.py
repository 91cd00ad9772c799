"""A Python client generated from our OpenAPI schema (openapi-python-client) drives a promotion
from login to the candidate's new level against a live server, with nothing but the client: the
schema is good enough for code generators, not just for people.

The clients raise on any status the schema does not document (`raise_on_unexpected_status`), and
parse every body into the schema's models (an error code missing from `ErrorCodeEnum` would fail
to parse)."""

import importlib
import subprocess
import sys
from datetime import date, timedelta

import pytest
from django.core.management import call_command
from standardwebhooks import Webhook

from tests import factories
from tests.webhooks.conftest import Receiver

pytestmark = [
    pytest.mark.services,
    # Real commits, so the server's own connection sees the test's users; serialized_rollback
    # restores the seeded ladder afterwards.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PACKAGE = "ladder_api_client"


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """The generated package, imported (its modules are forgotten afterwards)."""
    root = tmp_path_factory.mktemp("generated")
    schema = root / "schema.yaml"
    call_command("spectacular", "--file", str(schema), "--validate", "--fail-on-warn")
    config = root / "config.yaml"
    config.write_text("post_hooks: []\n")  # no ruff run over the generated code
    subprocess.run(
        [
            sys.executable,
            "-m",
            "openapi_python_client",
            "generate",
            "--path",
            str(schema),
            "--output-path",
            str(root / PACKAGE),
            "--meta",
            "none",
            "--config",
            str(config),
            "--fail-on-warning",
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    sys.path.insert(0, str(root))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(root))
        for name in [name for name in sys.modules if name.split(".")[0] == PACKAGE]:
            del sys.modules[name]


def api(name: str):
    """An operation module of the generated package, e.g. api("promotions.promotions_create")."""
    return importlib.import_module(f"{PACKAGE}.api.{name}")


def models():
    return importlib.import_module(f"{PACKAGE}.models")


@pytest.fixture
def company(db, settings):
    settings.PROMOTIONS_MIN_APPROVALS = 2  # two committee members must approve
    manager = factories.MemberFactory(level__code="group-pm")
    candidate = factories.MemberFactory(level__code="pm", manager=manager)
    other = factories.MemberFactory(level__code="pm")
    committee = [factories.committee_member(level="vp-product") for _ in range(2)]
    return {
        "manager": manager.user.username,
        "candidate": candidate.user.username,
        "other": other.user.username,
        "reviewers": [user.username for user in committee],
    }


def logger_in(live_server):
    """log_in(username) → an authenticated client of the generated package."""
    client_module = importlib.import_module(f"{PACKAGE}.client")
    m = models()
    anonymous = client_module.Client(base_url=live_server.url, raise_on_unexpected_status=True)

    def log_in(username: str):
        body = m.AuthTokenRequest(username=username, password=factories.PASSWORD)
        token = api("auth.auth_token_create").sync(client=anonymous, body=body)
        assert isinstance(token, m.Token), token
        # No prefix setting: the scheme is HTTP bearer, the client's default.
        return client_module.AuthenticatedClient(
            base_url=live_server.url, token=token.token, raise_on_unexpected_status=True
        )

    return anonymous, log_in


def test_a_generated_client_drives_a_promotion_end_to_end(generated, live_server, company):
    m = models()
    anonymous, log_in = logger_in(live_server)

    wrong = api("auth.auth_token_create").sync_detailed(
        client=anonymous, body=m.AuthTokenRequest(username=company["manager"], password="no")
    )
    assert wrong.status_code == 401
    assert isinstance(wrong.parsed, m.Error)
    assert wrong.parsed.code == m.ErrorCodeEnum.AUTHORIZATION

    manager = log_in(company["manager"])
    candidate = log_in(company["candidate"])
    other = log_in(company["other"])
    first, second = (log_in(username) for username in company["reviewers"])

    # The manager finds their report and nominates them.
    members = api("members.members_list").sync(client=manager)
    candidate_id = next(x.id for x in members.results if x.username == company["candidate"])
    # The packet: evidence for every criterion of the target level, as the ladder lists them.
    level = api("ladder.ladder_levels_retrieve").sync(code="senior-pm", client=manager)
    assert isinstance(level, m.LevelDetail) and level.criteria, level
    evidence = [
        m.EvidenceInputRequest(
            criterion=criterion.code,
            text=f"Checkout: {criterion.title}.",
            links=["https://example.com/checkout"],
        )
        for criterion in level.criteria
    ]
    missing = api("promotions.promotions_create").sync(
        client=manager,
        body=m.NominationRequest(
            candidate=candidate_id,
            to_level="senior-pm",
            justification="Owns checkout end to end.",
            evidence=evidence[1:],
        ),
    )
    assert isinstance(missing, m.Error) and missing.code == m.ErrorCodeEnum.EVIDENCE_MISSING
    nomination = m.NominationRequest(
        candidate=candidate_id,
        to_level="senior-pm",
        justification="Owns checkout end to end.",
        evidence=evidence,
    )
    promotion = api("promotions.promotions_create").sync(client=manager, body=nomination)
    assert isinstance(promotion, m.Promotion), promotion
    assert promotion.state == m.PromotionStateEnum.NOMINATED
    assert promotion.packet_version == 1
    again = api("promotions.promotions_create").sync(client=manager, body=nomination)
    assert isinstance(again, m.Error) and again.code == m.ErrorCodeEnum.NOT_ELIGIBLE
    assert [reason.code for reason in again.reasons] == [m.EligibilityReasonEnum.OPEN_PROMOTION]

    # The committee: start the review, two approving reviews, approve.
    note = m.TransitionNoteRequest(note="")
    started = api("promotions.promotions_start_review_create").sync(
        id=promotion.id, client=first, body=note
    )
    assert started.state == m.PromotionStateEnum.IN_REVIEW
    early = api("promotions.promotions_approve_create").sync(
        id=promotion.id, client=first, body=note
    )
    assert isinstance(early, m.Error) and early.code == m.ErrorCodeEnum.QUORUM_NOT_MET
    # Each reviewer rates every criterion of the packet they read.
    packet = api("promotions.promotions_packet_retrieve").sync(id=promotion.id, client=first)
    assert isinstance(packet, m.PacketVersion) and packet.version == 1, packet
    assert [e.criterion for e in packet.evidence] == [c.code for c in level.criteria]
    ratings = [
        m.RatingRequest(criterion=entry.criterion, rating=m.RatingEnum.MEETS)
        for entry in packet.evidence
    ]
    unrated = api("promotions.promotions_reviews_create").sync(
        id=promotion.id,
        client=first,
        body=m.ReviewInputRequest(decision=m.DecisionEnum.APPROVE, ratings=ratings[1:]),
    )
    assert isinstance(unrated, m.Error) and unrated.code == m.ErrorCodeEnum.RATINGS_MISSING
    for reviewer in (first, second):
        review = api("promotions.promotions_reviews_create").sync(
            id=promotion.id,
            client=reviewer,
            body=m.ReviewInputRequest(decision=m.DecisionEnum.APPROVE, ratings=ratings),
        )
        assert isinstance(review, m.Review), review
        assert review.packet_version == 1 and review.stale is False
    reviews = api("promotions.promotions_reviews_list").sync(id=promotion.id, client=first)
    assert len(reviews) == 2

    # The send-back loop: changes requested, a new version, resubmitted; the votes on v1 are
    # stale, so the committee votes again on v2.
    sent_back = api("promotions.promotions_request_changes_create").sync(
        id=promotion.id, client=first, body=m.TransitionNoteRequest(note="Add the numbers.")
    )
    assert sent_back.state == m.PromotionStateEnum.CHANGES_REQUESTED
    mine = api("promotions.promotions_retrieve").sync(id=promotion.id, client=manager)
    assert mine.changes_requested_note == "Add the numbers."
    unchanged = api("promotions.promotions_resubmit_create").sync(
        id=promotion.id, client=manager, body=note
    )
    assert isinstance(unchanged, m.Error) and unchanged.code == m.ErrorCodeEnum.PACKET_UNCHANGED
    version = api("promotions.promotions_packet_create").sync(
        id=promotion.id,
        client=manager,
        body=m.PacketInputRequest(justification="Owns checkout; conversion +4.", evidence=evidence),
    )
    assert isinstance(version, m.PacketVersion) and version.version == 2, version
    back = api("promotions.promotions_resubmit_create").sync(
        id=promotion.id, client=manager, body=note
    )
    assert back.state == m.PromotionStateEnum.IN_REVIEW and back.packet_version == 2
    stale = api("promotions.promotions_reviews_list").sync(id=promotion.id, client=first)
    assert all(review.stale for review in stale)
    # The second reviewer is away: they hand their seat to the first for a week, who votes for
    # it too; the two seats make the quorum of two.
    first_name, second_name = company["reviewers"]
    handed = api("delegations.delegations_create").sync(
        client=second,
        body=m.DelegationInputRequest(
            delegate=first_name, starts_on=date.today(), ends_on=date.today() + timedelta(days=7)
        ),
    )
    assert isinstance(handed, m.Delegation), handed
    assert (handed.delegator, handed.delegate) == (second_name, first_name)
    held = api("delegations.delegations_list").sync(client=first)
    assert [d.id for d in held.results] == [handed.id]
    for seat in (None, second_name):
        review = api("promotions.promotions_reviews_create").sync(
            id=promotion.id,
            client=first,
            body=m.ReviewInputRequest(
                decision=m.DecisionEnum.APPROVE, ratings=ratings, on_behalf_of=seat
            ),
        )
        assert isinstance(review, m.Review) and review.packet_version == 2, review
        assert (review.reviewer, review.cast_by) == (seat or first_name, first_name)
    versions = api("promotions.promotions_packet_versions_list").sync(
        id=promotion.id, client=candidate
    )
    assert [v.version for v in versions] == [1, 2]

    approved = api("promotions.promotions_approve_create").sync(
        id=promotion.id, client=second, body=m.TransitionNoteRequest(note="Well deserved.")
    )
    assert approved.state == m.PromotionStateEnum.APPROVED
    revoked = api("delegations.delegations_destroy").sync_detailed(id=handed.id, client=second)
    assert revoked.status_code == 204

    # The candidate reads their promotion, its timeline and their new level.
    mine = api("promotions.promotions_retrieve").sync(id=promotion.id, client=candidate)
    assert mine.state == m.PromotionStateEnum.APPROVED and mine.decided_at is not None
    timeline = api("promotions.promotions_timeline_list").sync(id=promotion.id, client=candidate)
    assert [event.from_state for event in timeline][0] is None  # the nomination: null → nominated
    assert timeline[-1].to_state == m.PromotionStateEnum.APPROVED
    assert all(event.actor is None and event.votes is None for event in timeline)
    me = api("members.members_me_retrieve").sync(client=candidate)
    assert me.level == "senior-pm"
    # The reviews are the committee's: a documented 403, parsed as an error.
    refused = api("promotions.promotions_reviews_list").sync_detailed(
        id=promotion.id, client=candidate
    )
    assert refused.status_code == 403
    assert refused.parsed.code == m.ErrorCodeEnum.PERMISSION_DENIED

    # Another PM may not see it: 404, as if it did not exist.
    hidden = api("promotions.promotions_retrieve").sync_detailed(id=promotion.id, client=other)
    assert hidden.status_code == 404
    assert hidden.parsed.code == m.ErrorCodeEnum.NO_SUCH_PROMOTION

    # Logging out revokes the token: the same client is now refused (a documented 401).
    assert api("auth.auth_token_destroy").sync_detailed(client=other).status_code == 204
    after = api("members.members_me_retrieve").sync_detailed(client=other)
    assert after.status_code == 401
    assert after.parsed.code == m.ErrorCodeEnum.AUTHENTICATION_FAILED


def test_a_generated_client_appeals_and_an_executive_approves(generated, live_server, company):
    """A rejected candidate appeals (a statement is required); the two reviewers, who took no part
    before, approve it on appeal. A move to head-of-product, approved by the committee, waits for
    an Executive, who approves it."""
    m = models()
    _, log_in = logger_in(live_server)
    earlier = factories.committee_member()
    rejected = factories.promotion(
        candidate=factories.team()[0],
        state="rejected",
        votes=[(earlier, "reject")],
        actor=earlier,
    )
    candidate = log_in(rejected.candidate.user.username)
    first, second = (log_in(username) for username in company["reviewers"])

    empty = api("promotions.promotions_appeal_create").sync_detailed(
        id=rejected.id, client=candidate, body=m.AppealRequest(statement="")
    )
    assert empty.status_code == 400
    assert empty.parsed.code == m.ErrorCodeEnum.STATEMENT_REQUIRED
    appealed = api("promotions.promotions_appeal_create").sync(
        id=rejected.id, client=candidate, body=m.AppealRequest(statement="The numbers came in.")
    )
    assert appealed.state == m.PromotionStateEnum.APPEALED
    for reviewer in (first, second):
        packet = api("promotions.promotions_packet_retrieve").sync(id=rejected.id, client=reviewer)
        ratings = [
            m.RatingRequest(criterion=item.criterion, rating=m.RatingEnum.MEETS)
            for item in packet.evidence
        ]
        api("promotions.promotions_reviews_create").sync(
            id=rejected.id,
            client=reviewer,
            body=m.ReviewInputRequest(decision=m.DecisionEnum.APPROVE, ratings=ratings),
        )
    approved = api("promotions.promotions_approve_create").sync(
        id=rejected.id, client=first, body=m.ApprovalRequest()
    )
    assert approved.state == m.PromotionStateEnum.APPROVED and approved.level_applied

    senior = factories.promotion(
        candidate=factories.team(level="group-pm", manager_level="vp-product")[0],
        to="head-of-product",
        state="in_review",
        votes=[(earlier, "approve"), (factories.committee_member(), "approve")],
    )
    level = api("ladder.ladder_levels_retrieve").sync(code="head-of-product", client=first)
    assert level.executive_approval is True
    waiting = api("promotions.promotions_approve_create").sync(
        id=senior.id, client=first, body=m.ApprovalRequest()
    )
    assert waiting.state == m.PromotionStateEnum.AWAITING_EXECUTIVE
    assert waiting.decided_at is None
    executive = log_in(factories.executive().username)
    refused = api("promotions.promotions_approve_create").sync_detailed(
        id=senior.id, client=first, body=m.ApprovalRequest()
    )
    assert refused.status_code == 403
    done = api("promotions.promotions_approve_create").sync(
        id=senior.id, client=executive, body=m.ApprovalRequest()
    )
    assert done.state == m.PromotionStateEnum.APPROVED and done.level_applied


def test_a_generated_client_asks_for_a_nomination(generated, live_server, company):
    """The candidate asks their manager, who declines with a reason the candidate reads; asked
    again, the manager accepts: the nomination's packet is the candidate's, as version 1."""
    m = models()
    _, log_in = logger_in(live_server)
    manager, candidate = log_in(company["manager"]), log_in(company["candidate"])
    level = api("ladder.ladder_levels_retrieve").sync(code="senior-pm", client=candidate)
    ask = m.NominationRequestInputRequest(
        to_level="senior-pm",
        justification="I run checkout.",
        evidence=[
            m.EvidenceInputRequest(criterion=criterion.code, text=f"Mine: {criterion.title}.")
            for criterion in level.criteria
        ],
    )
    alone = api("nomination_requests.nomination_requests_create").sync(
        client=log_in(company["other"]), body=ask
    )
    assert isinstance(alone, m.Error) and alone.code == m.ErrorCodeEnum.NO_MANAGER
    asked = api("nomination_requests.nomination_requests_create").sync(client=candidate, body=ask)
    assert isinstance(asked, m.NominationRequestRecord), asked
    assert asked.state == m.NominationRequestRecordStateEnum.PENDING
    pending = api("nomination_requests.nomination_requests_list").sync(client=manager)
    assert [r.id for r in pending.results] == [asked.id]
    declined = api("nomination_requests.nomination_requests_decline_create").sync(
        id=asked.id, client=manager, body=m.DeclineRequest(reason="Lead pricing first.")
    )
    assert declined.state == m.NominationRequestRecordStateEnum.DECLINED
    read = api("nomination_requests.nomination_requests_retrieve").sync(
        id=asked.id, client=candidate
    )
    assert read.reason == "Lead pricing first." and read.answered_at is not None

    again = api("nomination_requests.nomination_requests_create").sync(client=candidate, body=ask)
    refused = api("nomination_requests.nomination_requests_accept_create").sync(
        id=again.id, client=candidate
    )
    assert isinstance(refused, m.Error) and refused.code == m.ErrorCodeEnum.PERMISSION_DENIED
    accepted = api("nomination_requests.nomination_requests_accept_create").sync(
        id=again.id, client=manager
    )
    assert accepted.state == m.NominationRequestRecordStateEnum.ACCEPTED
    packet = api("promotions.promotions_packet_retrieve").sync(
        id=accepted.promotion, client=manager
    )
    assert packet.version == 1 and packet.justification == "I run checkout."
    assert [e.text for e in packet.evidence] == [e.text for e in ask.evidence]


def test_a_generated_client_runs_a_cycle(generated, live_server, company):
    """HR runs a cycle: eligibility, a nomination that joins the cycle, no decision before
    calibration, the board and the statistics, an approval effective on the cycle's date (the
    level pending until then) and held from the candidate until the manager releases it, the
    decisions export, and closing."""
    m = models()
    _, log_in = logger_in(live_server)
    hr_user = factories.hr_user()
    hr, manager = log_in(hr_user.username), log_in(company["manager"])
    candidate = log_in(company["candidate"])
    first, second = (log_in(username) for username in company["reviewers"])
    today = date.today()
    plan = m.CycleInputRequest(
        name="2027 H1",
        tracks=[m.TrackEnum.IC],
        nominations_open_on=today,
        nominations_close_on=today + timedelta(days=30),
        decisions_due_on=today + timedelta(days=45),
        effective_on=today + timedelta(days=60),
        release_on=today + timedelta(days=50),
    )
    cycle = api("cycles.cycles_create").sync(client=hr, body=plan)
    assert cycle.release_on == plan.release_on
    assert isinstance(cycle, m.Cycle) and cycle.state == m.CycleStateEnum.DRAFT, cycle
    refused = api("cycles.cycles_create").sync_detailed(client=manager, body=plan)
    assert refused.status_code == 403
    opened = api("cycles.cycles_open_create").sync(id=cycle.id, client=hr)
    assert opened.state == m.CycleStateEnum.OPEN
    edit = api("cycles.cycles_partial_update").sync(
        id=cycle.id, client=hr, body=m.PatchedCycleInputRequest(name="Late edit")
    )
    assert isinstance(edit, m.Error) and edit.code == m.ErrorCodeEnum.CYCLE_NOT_DRAFT

    me = api("members.members_me_retrieve").sync(client=candidate)
    eligibility = api("members.members_eligibility_retrieve").sync(id=me.id, client=candidate)
    assert isinstance(eligibility, m.Eligibility), eligibility
    senior = next(x for x in eligibility.next_levels if x.code == "senior-pm")
    assert senior.eligible and senior.reasons == []

    level = api("ladder.ladder_levels_retrieve").sync(code="senior-pm", client=manager)
    evidence = [
        m.EvidenceInputRequest(criterion=criterion.code, text="Done.", links=[])
        for criterion in level.criteria
    ]
    promotion = api("promotions.promotions_create").sync(
        client=manager,
        body=m.NominationRequest(
            candidate=me.id, to_level="senior-pm", justification="Ready.", evidence=evidence
        ),
    )
    assert isinstance(promotion, m.Promotion) and promotion.cycle == cycle.id, promotion
    note = m.TransitionNoteRequest(note="")
    api("promotions.promotions_start_review_create").sync(id=promotion.id, client=first, body=note)
    packet = api("promotions.promotions_packet_retrieve").sync(id=promotion.id, client=first)
    ratings = [
        m.RatingRequest(criterion=entry.criterion, rating=m.RatingEnum.EXCEEDS)
        for entry in packet.evidence
    ]
    for reviewer in (first, second):
        api("promotions.promotions_reviews_create").sync(
            id=promotion.id,
            client=reviewer,
            body=m.ReviewInputRequest(decision=m.DecisionEnum.APPROVE, ratings=ratings),
        )
    early = api("promotions.promotions_approve_create").sync(
        id=promotion.id, client=first, body=m.ApprovalRequest(note="")
    )
    assert isinstance(early, m.Error) and early.code == m.ErrorCodeEnum.CYCLE_NOT_CALIBRATING

    calibrating = api("cycles.cycles_calibrate_create").sync(id=cycle.id, client=hr)
    assert calibrating.state == m.CycleStateEnum.CALIBRATING
    board = api("cycles.cycles_calibration_retrieve").sync(id=cycle.id, client=first)
    assert isinstance(board, m.Calibration), board
    (group,) = board.groups
    assert (group.to_level, group.track) == ("senior-pm", m.TrackEnum.IC)
    (row,) = group.candidates
    assert row.votes.approve == 2 and row.votes.stale == 0
    assert all(counts.exceeds == 2 for counts in row.ratings.additional_properties.values())
    stats = api("cycles.cycles_stats_retrieve").sync(id=cycle.id, client=first)
    assert isinstance(stats, m.Stats) and stats.totals.suppressed  # one candidate: too few
    hidden = api("cycles.cycles_stats_retrieve").sync_detailed(id=cycle.id, client=candidate)
    assert hidden.status_code == 403

    approved = api("promotions.promotions_approve_create").sync(
        id=promotion.id, client=first, body=m.ApprovalRequest(note="")
    )
    assert approved.state == m.PromotionStateEnum.APPROVED
    assert approved.effective_on == plan.effective_on and approved.level_applied is False
    assert approved.released is False and approved.available_transitions == []
    # Held from the candidate until the release date, or until the manager has told them.
    held = api("promotions.promotions_retrieve").sync(id=promotion.id, client=candidate)
    assert held.state == m.PromotionStateEnum.IN_REVIEW and held.effective_on is None
    assert held.decided_at is None and held.released is None
    me = api("members.members_me_retrieve").sync(client=candidate)
    assert me.pending_promotion is None
    refused = api("promotions.promotions_release_create").sync_detailed(
        id=promotion.id, client=candidate, body=note
    )
    assert refused.status_code == 403
    released = api("promotions.promotions_release_create").sync(
        id=promotion.id, client=manager, body=m.TransitionNoteRequest(note="Told them today.")
    )
    assert isinstance(released, m.Promotion) and released.released is True, released
    again = api("promotions.promotions_release_create").sync(
        id=promotion.id, client=manager, body=note
    )
    assert isinstance(again, m.Error) and again.code == m.ErrorCodeEnum.ALREADY_RELEASED
    me = api("members.members_me_retrieve").sync(client=candidate)
    assert me.level == "pm"  # until the cycle's effective date
    assert me.pending_promotion.to_level == "senior-pm"
    assert me.pending_promotion.effective_on == plan.effective_on

    export = api("cycles.cycles_decisions_csv_retrieve").sync_detailed(id=cycle.id, client=hr)
    assert export.status_code == 200
    lines = export.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "member,email,from,to,state,decided_at,effective_on"
    assert lines[1].startswith(f"{company['candidate']},") and lines[1].endswith(
        plan.effective_on.isoformat()
    )
    closed = api("cycles.cycles_close_create").sync(id=cycle.id, client=hr)
    assert closed.state == m.CycleStateEnum.CLOSED


def test_a_generated_client_manages_webhooks(generated, live_server, company, settings):
    """HR registers an endpoint at a real receiver (on 127.0.0.1: private URLs allowed) and keeps
    the secret, shown once; lists, reads and changes it; a nomination made through the API
    reaches the receiver signed with that secret and is logged as delivered; a resend arrives
    under the same `webhook-id`; deleting it stops the deliveries. A manager is refused: 403
    on the collection, 404 on the endpoint."""
    m = models()
    _, log_in = logger_in(live_server)
    hr, manager = log_in(factories.hr_user().username), log_in(company["manager"])
    receiver = Receiver().start()
    try:
        settings.WEBHOOKS_ALLOW_PRIVATE_URLS = False
        body = m.EndpointInputRequest(
            url=receiver.url,
            events=[m.EventsEnum.PROMOTION_NOMINATED, m.EventsEnum.PROMOTION_WITHDRAWN],
            description="HRIS",
        )
        refused = api("webhooks.webhooks_create").sync(client=hr, body=body)
        assert isinstance(refused, m.Error) and refused.code == m.ErrorCodeEnum.WEBHOOK_URL_REFUSED
        settings.WEBHOOKS_ALLOW_PRIVATE_URLS = True

        created = api("webhooks.webhooks_create").sync(client=hr, body=body)
        assert isinstance(created, m.EndpointCreated), created
        secret = created.secret
        assert secret.startswith("whsec_") and created.is_active
        assert created.events == [
            m.EventsEnum.PROMOTION_NOMINATED,
            m.EventsEnum.PROMOTION_WITHDRAWN,
        ]

        # Never again: neither listed nor read.
        listed = api("webhooks.webhooks_list").sync_detailed(client=hr)
        assert [endpoint.id for endpoint in listed.parsed.results] == [created.id]
        read = api("webhooks.webhooks_retrieve").sync_detailed(id=created.id, client=hr)
        assert isinstance(read.parsed, m.Endpoint) and read.parsed.url == receiver.url
        for answer in (listed, read):
            assert b"secret" not in answer.content and secret.encode() not in answer.content
        changed = api("webhooks.webhooks_partial_update").sync(
            id=created.id, client=hr, body=m.PatchedEndpointInputRequest(description="HRIS prod")
        )
        assert isinstance(changed, m.Endpoint) and changed.description == "HRIS prod", changed

        # The manager: 403 on the collection, 404 on the endpoint and what is under it.
        forbidden = api("webhooks.webhooks_list").sync_detailed(client=manager)
        assert forbidden.status_code == 403
        assert forbidden.parsed.code == m.ErrorCodeEnum.HR_ONLY
        forbidden = api("webhooks.webhooks_create").sync_detailed(client=manager, body=body)
        assert forbidden.status_code == 403
        for hidden in (
            api("webhooks.webhooks_retrieve").sync_detailed(id=created.id, client=manager),
            api("webhooks.webhooks_deliveries_list").sync_detailed(id=created.id, client=manager),
            api("webhooks.webhooks_destroy").sync_detailed(id=created.id, client=manager),
        ):
            assert hidden.status_code == 404
            assert hidden.parsed.code == m.ErrorCodeEnum.NO_SUCH_WEBHOOK

        # An event, through the API: the manager nominates their report.
        members = api("members.members_list").sync(client=manager)
        candidate_id = next(x.id for x in members.results if x.username == company["candidate"])
        level = api("ladder.ladder_levels_retrieve").sync(code="senior-pm", client=manager)
        evidence = [
            m.EvidenceInputRequest(criterion=criterion.code, text="Done.", links=[])
            for criterion in level.criteria
        ]
        promotion = api("promotions.promotions_create").sync(
            client=manager,
            body=m.NominationRequest(
                candidate=candidate_id,
                to_level="senior-pm",
                justification="Ready.",
                evidence=evidence,
            ),
        )
        assert isinstance(promotion, m.Promotion), promotion

        deliveries = api("webhooks.webhooks_deliveries_list").sync(
            id=created.id, client=hr, status=m.WebhooksDeliveriesListStatus.DELIVERED
        )
        assert isinstance(deliveries, m.PaginatedDeliveryList), deliveries
        (delivery,) = deliveries.results
        assert delivery.event == "promotion.nominated"
        assert delivery.status == m.DeliveryStatusEnum.DELIVERED
        assert delivery.attempts == 1 and delivery.last_status_code == 200
        assert delivery.delivered_at is not None and delivery.next_attempt_at is None
        failed = api("webhooks.webhooks_deliveries_list").sync(
            id=created.id, client=hr, status=m.WebhooksDeliveriesListStatus.FAILED
        )
        assert failed.count == 0

        (request,) = receiver.requests
        payload = Webhook(secret).verify(request["body"], request["headers"])
        assert payload["type"] == "promotion.nominated"
        assert payload["data"]["promotion"] == promotion.id
        assert payload["data"]["candidate"] == candidate_id
        assert request["headers"]["webhook-id"] == delivery.webhook_id

        # A resend: 202, and the same webhook-id arrives again, signed again.
        again = api("webhooks.webhooks_deliveries_redeliver_create").sync_detailed(
            id=created.id, delivery_id=delivery.id, client=hr
        )
        assert again.status_code == 202, again.content
        assert isinstance(again.parsed, m.Delivery) and again.parsed.id == delivery.id
        assert again.parsed.webhook_id == delivery.webhook_id
        first, second = receiver.requests
        assert second["headers"]["webhook-id"] == first["headers"]["webhook-id"]
        assert Webhook(secret).verify(second["body"], second["headers"]) == payload
        (resent,) = api("webhooks.webhooks_deliveries_list").sync(id=created.id, client=hr).results
        assert resent.status == m.DeliveryStatusEnum.DELIVERED and resent.attempts == 2
        hidden = api("webhooks.webhooks_deliveries_redeliver_create").sync_detailed(
            id=created.id, delivery_id=delivery.id, client=manager
        )
        assert hidden.status_code == 404

        # Deleted: gone, and the next event (a withdrawal) is sent nowhere.
        gone = api("webhooks.webhooks_destroy").sync_detailed(id=created.id, client=hr)
        assert gone.status_code == 204
        missing = api("webhooks.webhooks_retrieve").sync_detailed(id=created.id, client=hr)
        assert missing.status_code == 404
        assert missing.parsed.code == m.ErrorCodeEnum.NO_SUCH_WEBHOOK
        withdrawn = api("promotions.promotions_withdraw_create").sync(
            id=promotion.id, client=manager, body=m.TransitionNoteRequest(note="")
        )
        assert withdrawn.state == m.PromotionStateEnum.WITHDRAWN
        assert len(receiver.requests) == 2
    finally:
        receiver.stop()
