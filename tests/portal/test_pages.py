"""The member site through its pages, as the test client (a browser without JavaScript) uses it:
every form posts what a person types, and every refusal keeps it."""

import pytest
from django.urls import reverse

from ladder.models import Level, MemberChange
from ladder.selectors import level_criteria
from notifications.models import Notification
from promotions import services
from promotions.models import Promotion
from tests import factories

pytestmark = pytest.mark.django_db


def packet_post(level_code: str, text: str = "Shipped it.", skip: str = "") -> dict:
    data = {"justification": "Ready: owns the onboarding area."}
    for criterion in level_criteria(level=Level.objects.get(code=level_code)):
        if criterion.code == skip:
            continue
        data[f"evidence-{criterion.code}"] = f"{text} ({criterion.title})"
        data[f"links-{criterion.code}"] = "https://wiki.example.com/a\n\nhttps://wiki.example.com/b"
    return data


@pytest.fixture
def people():
    candidate, manager = factories.team(level="pm", manager_level="group-pm")
    return candidate, manager


def test_pages_ask_to_sign_in(client):
    for name, args in [
        ("portal:home", []),
        ("portal:me", []),
        ("portal:my-promotion", [1]),
        ("portal:team", []),
        ("portal:nominate", [1, "senior-pm"]),
        ("portal:nomination", [1]),
        ("portal:withdraw", [1]),
        ("portal:inbox", []),
    ]:
        response = client.get(reverse(name, args=args))
        assert response.status_code == 302, name
        assert response["Location"].startswith("/login/?next="), name


def test_sign_in_with_username_or_email(client, people):
    candidate, _ = people
    user = candidate.user
    user.email = "Ana.Reyes@example.com"
    user.save()
    for login in (user.username, "ana.reyes@EXAMPLE.com"):
        client.logout()
        response = client.post(
            "/login/", {"username": login, "password": factories.PASSWORD}, follow=True
        )
        assert response.wsgi_request.user == user, login
        assert response.redirect_chain[-1][0] == "/"
    client.logout()
    response = client.post("/login/", {"username": user.username, "password": "wrong"})
    assert response.status_code == 200
    assert "Please enter a correct" in response.content.decode()


def test_a_manager_nominates_from_the_team_page(client, people):
    candidate, manager = people
    client.force_login(manager.user)
    team = client.get("/team/").content.decode()
    form_url = reverse("portal:nominate", args=[candidate.pk, "senior-pm"])
    assert form_url in team
    page = client.get(form_url).content.decode()
    for criterion in level_criteria(level=Level.objects.get(code="senior-pm")):
        assert criterion.description in page  # the expectation beside its box
    response = client.post(form_url, packet_post("senior-pm"))
    promotion = Promotion.objects.get(candidate=candidate)
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:nomination", args=[promotion.pk])
    version = promotion.packet_versions.get()
    assert version.evidence[0]["links"] == [
        "https://wiki.example.com/a",
        "https://wiki.example.com/b",
    ]
    assert promotion.nominated_by == manager.user


def test_a_refused_nomination_keeps_every_field_and_says_why(client, people):
    candidate, manager = people
    client.force_login(manager.user)
    form_url = reverse("portal:nominate", args=[candidate.pk, "senior-pm"])
    skipped = level_criteria(level=Level.objects.get(code="senior-pm"))[1]
    data = packet_post("senior-pm", skip=skipped.code)
    response = client.post(form_url, data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Write the evidence for this criterion." in page
    for name, value in data.items():
        if name.startswith("evidence-"):
            assert value in page, name  # what was typed is still there
    assert data["justification"] in page
    assert not Promotion.objects.filter(candidate=candidate).exists()

    bad_link = packet_post("senior-pm")
    first = level_criteria(level=Level.objects.get(code="senior-pm"))[0]
    bad_link[f"links-{first.code}"] = "javascript:alert(1)"
    page = client.post(form_url, bad_link).content.decode()
    assert "javascript:alert(1)" in page and "not a link we take" in page
    assert not Promotion.objects.filter(candidate=candidate).exists()


def test_not_eligible_reasons_are_sentences(client, people):
    candidate, manager = people
    factories.promotion(candidate=candidate, to="senior-pm")
    client.force_login(manager.user)
    form_url = reverse("portal:nominate", args=[candidate.pk, "senior-pm"])
    page = client.get(form_url).content.decode()
    assert "already has an open promotion" in page
    response = client.post(form_url, packet_post("senior-pm"))
    assert response.status_code == 200
    assert "already has an open promotion" in response.content.decode()
    assert Promotion.objects.filter(candidate=candidate).count() == 1


def test_send_back_edit_resubmit_then_withdraw_with_confirmation(client, people):
    candidate, manager = people
    promotion = factories.promotion(candidate=candidate, to="senior-pm", state="in_review")
    committee = factories.committee_member()
    services.promotion_request_changes(
        promotion=promotion, actor=committee, note="Say more about mentoring."
    )
    client.force_login(manager.user)
    url = reverse("portal:nomination", args=[promotion.pk])
    page = client.get(url).content.decode()
    assert "Say more about mentoring." in page
    assert "Led it end to end." in page  # the editor holds the current version
    assert "Resubmit" not in page  # not before a new version
    response = client.post(url, packet_post("senior-pm", text="Mentored two APMs"))
    assert response.status_code == 302
    promotion = Promotion.objects.get(pk=promotion.pk)
    assert promotion.packet_version == 2
    page = client.get(url).content.decode()
    assert "Resubmit version 2" in page
    client.post(reverse("portal:resubmit", args=[promotion.pk]))
    promotion = Promotion.objects.get(pk=promotion.pk)
    assert promotion.state == "in_review"

    confirm = client.get(reverse("portal:withdraw", args=[promotion.pk]))
    assert "Withdraw the nomination of" in confirm.content.decode()
    promotion = Promotion.objects.get(pk=promotion.pk)
    assert promotion.state == "in_review"  # asking is not withdrawing
    client.post(reverse("portal:withdraw", args=[promotion.pk]), {"note": "Moving teams."})
    promotion = Promotion.objects.get(pk=promotion.pk)
    assert promotion.state == "withdrawn"


def test_the_candidate_follows_their_promotion(client, people):
    candidate, _ = people
    promotion = factories.promotion(candidate=candidate, to="senior-pm", state="approved")
    client.force_login(candidate.user)
    page = client.get(reverse("portal:my-promotion", args=[promotion.pk])).content.decode()
    assert "Approved" in page
    assert promotion.effective_on.strftime("%Y") in page
    home = client.get("/").content.decode()
    assert reverse("portal:my-promotion", args=[promotion.pk]) in home


def test_inbox_lists_and_marks_read(client, people):
    candidate, _ = people
    factories.promotion(candidate=candidate, to="senior-pm", state="in_review")
    client.force_login(candidate.user)
    page = client.get("/inbox/").content.decode()
    notification = Notification.objects.filter(recipient=candidate.user).first()
    assert notification is not None and notification.subject in page
    client.post(reverse("portal:inbox-read", args=[notification.pk]))
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_a_member_at_the_desks_sign_in_is_sent_to_the_member_site(client, people):
    candidate, _ = people
    response = client.post(
        "/admin/login/", {"username": candidate.user.username, "password": factories.PASSWORD}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "This desk is for the committee and HR" in page
    assert 'href="/login/"' in page
    assert "_auth_user_id" not in client.session


def test_a_password_change_is_audited(client, people):
    candidate, _ = people
    client.force_login(candidate.user)
    response = client.post(
        "/password/change/",
        {
            "old_password": factories.PASSWORD,
            "new_password1": "a-new-long-passphrase-42",
            "new_password2": "a-new-long-passphrase-42",
        },
    )
    assert response.status_code == 302
    change = MemberChange.objects.filter(user=candidate.user).latest("at")
    assert change.route == "site" and change.changes == {
        "password": {"from": None, "to": "changed"}
    }


def test_the_sign_in_locks_out_after_repeated_failures(client, people, settings):
    candidate, _ = people
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/login/", {"username": candidate.user.username, "password": "wrong"})
    response = client.post(
        "/login/", {"username": candidate.user.username, "password": factories.PASSWORD}
    )
    assert response.status_code == 429
    page = response.content.decode()
    assert "Too many failed logins" in page and 'href="/password/reset/"' in page
    assert "_auth_user_id" not in client.session


def test_a_line_break_counts_as_one_character_as_the_browser_counts_it(client, people):
    """A browser sends a textarea's line breaks as CR LF, and its maxlength and the page's counter
    count each as one: a box filled to 2,000 that way is taken, and kept with LF."""
    candidate, manager = people
    client.force_login(manager.user)
    data = packet_post("senior-pm")
    first = level_criteria(level=Level.objects.get(code="senior-pm"))[0]
    typed = "\r\n".join(["x" * 396] * 5)  # 1,980 characters and 4 line breaks, as a browser counts
    typed += "y" * (2000 - 1984)
    data[f"evidence-{first.code}"] = typed
    response = client.post(reverse("portal:nominate", args=[candidate.pk, "senior-pm"]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    kept = Promotion.objects.get(candidate=candidate).packet_versions.get().evidence[0]["text"]
    assert len(kept) == 2000 and "\r" not in kept


def test_a_packet_refused_because_the_review_started_keeps_what_was_typed(client, people):
    candidate, manager = people
    promotion = factories.promotion(candidate=candidate, to="senior-pm")
    client.force_login(manager.user)
    url = reverse("portal:nomination", args=[promotion.pk])
    assert "Save version 2" in client.get(url).content.decode()
    services.promotion_start_review(promotion=promotion, actor=factories.committee_member())
    data = packet_post("senior-pm", text="Typed while the committee started")
    response = client.post(url, data)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Typed while the committee started" in page
    assert "Nothing was sent yet." in page
    assert "A promotion that is in review cannot take a new version of its packet." in page
    assert Promotion.objects.get(pk=promotion.pk).packet_version == 1


def test_only_a_move_of_the_ladder_has_a_form(client, people):
    candidate, manager = people  # a pm: senior-pm is the one move up
    client.force_login(manager.user)
    for code in ("associate-pm", "pm", "lead-pm", "cpo"):
        url = reverse("portal:nominate", args=[candidate.pk, code])
        assert client.get(url).status_code == 404, code
        assert client.post(url, packet_post("senior-pm")).status_code == 404, code
    assert not Promotion.objects.filter(candidate=candidate).exists()


def test_withdraw_is_not_offered_once_it_cannot_be_done(client, people):
    candidate, manager = people
    promotion = factories.promotion(candidate=candidate, to="senior-pm", state="approved")
    client.force_login(manager.user)
    url = reverse("portal:withdraw", args=[promotion.pk])
    response = client.get(url, follow=True)
    assert response.redirect_chain[-1][0] == reverse("portal:nomination", args=[promotion.pk])
    assert "it can no longer be withdrawn" in response.content.decode()
    assert "Withdraw the nomination" not in response.content.decode()
    response = client.post(url, follow=True)
    assert "cannot be withdrawn" in response.content.decode()
    assert Promotion.objects.get(pk=promotion.pk).state == "approved"


def test_saving_the_packet_unchanged_makes_no_version(client, people):
    candidate, manager = people
    promotion = factories.promotion(candidate=candidate, to="senior-pm", state="in_review")
    services.promotion_request_changes(
        promotion=promotion, actor=factories.committee_member(), note="More on mentoring."
    )
    client.force_login(manager.user)
    url = reverse("portal:nomination", args=[promotion.pk])
    version = Promotion.objects.get(pk=promotion.pk).packet_versions.get()
    data = {"justification": version.justification}
    for item in version.evidence:
        data[f"evidence-{item['criterion']}"] = item["text"]
        data[f"links-{item['criterion']}"] = "\r\n".join(item["links"])
    page = client.post(url, data).content.decode()
    assert "Nothing changed since version 1" in page
    assert "Resubmit" not in page
    assert Promotion.objects.get(pk=promotion.pk).packet_version == 1


def test_one_send_shows_every_box_to_fix(client, people):
    candidate, manager = people
    client.force_login(manager.user)
    url = reverse("portal:nominate", args=[candidate.pk, "senior-pm"])
    page = client.post(url, {"justification": ""}).content.decode()
    assert "Say why this person is ready." in page
    criteria = level_criteria(level=Level.objects.get(code="senior-pm"))
    assert page.count("Write the evidence for this criterion.") == len(criteria)


def test_home_lists_every_open_nomination_first(client):
    manager = factories.MemberFactory(level=Level.objects.get(code="group-pm"))
    reports = [
        factories.MemberFactory(level=Level.objects.get(code="pm"), manager=manager)
        for _ in range(7)
    ]
    promotions = [factories.promotion(candidate=report, to="senior-pm") for report in reports]
    for promotion in promotions[:6]:
        services.promotion_withdraw(promotion=promotion, actor=manager.user)
    client.force_login(manager.user)
    page = client.get("/").content.decode()
    assert reverse("portal:nomination", args=[promotions[6].pk]) in page  # the oldest, open
    assert page.index("Nominated") < page.index("Withdrawn")
