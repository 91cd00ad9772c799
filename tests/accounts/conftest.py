import re

import pytest
from django.core import mail

from ladder import invitations
from ladder.models import Level
from tests import factories

LINK = re.compile(r"http://ladder\.test/invite/([A-Za-z0-9_-]+)/")


@pytest.fixture
def hr(db):
    return factories.hr_user(username="hana", first_name="Hana", last_name="Ito")


@pytest.fixture
def newcomer(db):
    """A member put on the ladder by HR's import: no password yet."""
    member = factories.MemberFactory(
        user__username="nadia",
        user__first_name="Nadia",
        user__email="nadia@example.com",
        level=Level.objects.get(code="pm"),
    )
    member.user.set_unusable_password()
    member.user.save()
    return member


def tokens_in_outbox() -> list[str]:
    return [token for message in mail.outbox for token in LINK.findall(message.body)]


@pytest.fixture
def invite(django_capture_on_commit_callbacks):
    """invite(actor, user) -> the token of the link in the e-mail that went out (after commit)."""

    def send(actor, user, **kwargs):
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            invitations.invitation_send(actor=actor, user=user, **kwargs)
        [token] = tokens_in_outbox()
        return token

    return send
