"""The desk keeps what was typed when it refuses a form: each of its forms (the review, and the one
note under the decision buttons) is refused once, for a reason of the form's or of the service's,
and comes back with every rating, choice and text as typed, the reason inside the form, the page
opened at that form. Shown once: the next visit shows the forms afresh."""

import re

import pytest

from promotions.models import TEXT_LIMIT, Promotion, Review
from tests import factories
from tests.promotions.test_admin import act_url, admin_client, change_url, rated

pytestmark = pytest.mark.django_db

LONG_NOTE = "Show the roadmap work in numbers. " * (TEXT_LIMIT // 30)


def checked(html: str, name: str, value: str) -> bool:
    field = re.search(rf'<input type="radio" name="{name}" value="{value}"[^>]*>', html)
    assert field, (name, value)
    return " checked" in field.group(0)


def textarea(html: str, name: str) -> str:
    field = re.search(rf'<textarea name="{name}"[^>]*>(.*?)</textarea>', html, re.S)
    assert field, name
    return field.group(1).strip()


def form_of(html: str, anchor: str) -> str:
    start = html.index(f'id="{anchor}"')
    return html[start : html.index("</form>", start)]


def ratings_cycling(promotion) -> dict[str, str]:
    """A rating per criterion, not all the same: each must come back as chosen."""
    kinds = ["exceeds", "meets", "not_yet"]
    return {name: kinds[i % 3] for i, name in enumerate(rated(promotion))}


def test_a_refused_review_comes_back_with_every_rating_its_decision_and_its_comment(
    people, in_review
):
    promotion = in_review()
    client = admin_client(people["committee2"])
    ratings = ratings_cycling(promotion)
    # Reject with every rating chosen and no comment: the service refuses (a comment is required).
    response = client.post(
        act_url(promotion), {"action": "review", "decision": "reject", **ratings}, follow=True
    )
    assert response.redirect_chain[-1][0] == f"{change_url(promotion)}#your-review"
    review = form_of(response.content.decode(), "your-review")
    # The reason beside the comment, which is marked invalid and described by it.
    assert re.search(
        r'<ul class="errorlist" id="id_comment_error"><li>A comment is required to reject.', review
    )
    comment = re.search(r"<textarea[^>]*>", review).group(0)
    assert 'aria-invalid="true"' in comment and 'aria-describedby="id_comment_error"' in comment
    for name, value in ratings.items():
        assert checked(review, name, value), name
    assert checked(review, "decision", "reject")
    assert not Review.objects.filter(reviewer=people["committee2"]).exists()

    # One rating missing, a comment typed: the form refuses; the rest comes back as typed.
    missing = next(iter(ratings))
    partial = {name: value for name, value in ratings.items() if name != missing}
    typed = {"decision": "reject", "comment": "Scope & depth <not yet>.", **partial}
    response = client.post(act_url(promotion), {"action": "review", **typed}, follow=True)
    review = form_of(response.content.decode(), "your-review")
    assert textarea(review, "comment") == "Scope &amp; depth &lt;not yet&gt;."  # escaped
    for name, value in partial.items():
        assert checked(review, name, value), name
    assert not any(checked(review, missing, value) for value in ("exceeds", "meets", "not_yet"))
    assert re.search(r'class="errorlist[^"]*"[^>]*>\s*<li>Rate “', review)

    # Shown once: the desk opened again shows the review form afresh.
    review = form_of(client.get(change_url(promotion)).content.decode(), "your-review")
    assert textarea(review, "comment") == ""
    assert not checked(review, "decision", "reject")


@pytest.mark.parametrize(
    ("action", "note", "state", "reason"),
    [
        ("approve", "Congratulations, well earned.", "in_review", "Approval needs"),
        ("reject", LONG_NOTE, "in_review", "at most 5000 characters"),
        ("reject", "", "in_review", "note is required"),
        ("request-changes", "Say more about the mentoring.", "nominated", "cannot be sent back"),
        ("request-changes", LONG_NOTE, "in_review", "at most 5000 characters"),
    ],
)
def test_a_refused_decision_comes_back_with_its_note(
    people, in_review, action, note, state, reason
):
    promotion = (
        in_review()
        if state == "in_review"
        else factories.promotion(candidate=people["candidate_member"], to="senior-pm")
    )
    client = admin_client(people["committee"])
    response = client.post(act_url(promotion), {"action": action, "note": note}, follow=True)
    assert response.redirect_chain[-1][0] == f"{change_url(promotion)}#transitions"
    html = response.content.decode()
    decide = form_of(html, "transitions") if 'id="transitions"' in html else ""
    if state == "nominated":  # no request changes here: the note comes back under start review
        assert 'value="request-changes"' not in decide
    assert reason.lower() in decide.lower()
    assert textarea(decide, "note") == note.strip() if note else textarea(decide, "note") == ""
    assert Promotion.objects.get(pk=promotion.pk).state == state
