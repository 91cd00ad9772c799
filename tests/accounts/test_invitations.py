"""HR's invitations (ladder/invitations.py over accounts/invitations.py): who may invite whom, the
link that works once, until it expires, and only while it is the newest; the token stored as a
digest only, made when its e-mail goes out (never written to the outbox row or the audit)."""

import hashlib
import json
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core import mail
from django.utils import timezone
from freezegun import freeze_time

from accounts.errors import InvitationInvalid
from accounts.models import Invitation
from core.errors import Conflict, InvalidInput, NotAllowed
from core.outbox import DELIVERED, FAILED
from ladder import invitations, services
from ladder.models import Level, MemberChange
from notifications.models import Notification
from tests import factories
from tests.accounts.conftest import tokens_in_outbox
from tests.notifications.deliveries import email_of

pytestmark = pytest.mark.django_db
User = get_user_model()
PASSWORD = "a-Long-pass-phrase-9"


def test_the_invited_person_chooses_a_password_once(hr, newcomer, invite):
    token = invite(hr, newcomer.user)
    message = mail.outbox[0]
    assert message.to == ["nadia@example.com"]
    assert "Hello Nadia" in message.body and "nadia" in message.body
    assert "works once" in message.body

    user = invitations.invitation_accept(token=token, password=PASSWORD)
    assert user == newcomer.user
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    assert Invitation.objects.get(user=user).accepted_at is not None
    with pytest.raises(InvitationInvalid):
        invitations.invitation_accept(token=token, password="another-Long-phrase-7")
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_only_the_digest_of_the_token_is_stored_and_nothing_else_holds_it(hr, newcomer, invite):
    token = invite(hr, newcomer.user)
    invitation = Invitation.objects.get(user=newcomer.user)
    assert invitation.digest == hashlib.sha256(token.encode()).hexdigest()
    row = Notification.objects.get(recipient=newcomer.user, kind="invitation")
    assert token not in row.subject + row.body + row.html_body  # the inbox keeps no link
    assert email_of(row).status == DELIVERED
    assert row.deliveries.count() == 1  # e-mail only: it carries the link
    invitations.invitation_accept(token=token, password=PASSWORD)
    for change in MemberChange.objects.filter(user=newcomer.user):
        assert token not in json.dumps(change.changes)
        assert invitation.digest not in json.dumps(change.changes)


def test_the_token_is_made_when_the_e_mail_goes_out(
    hr, newcomer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as after_commit:
        invitations.invitation_send(actor=hr, user=newcomer.user)
    invitation = Invitation.objects.get(user=newcomer.user)
    assert invitation.digest is None  # nothing to guess before the e-mail exists
    for callback in after_commit:
        callback()
    invitation.refresh_from_db()
    [token] = tokens_in_outbox()
    assert invitation.digest == hashlib.sha256(token.encode()).hexdigest()


def test_a_new_invitation_voids_the_older_one(hr, newcomer, invite):
    first = invite(hr, newcomer.user)
    second = invite(hr, newcomer.user)
    assert first != second
    assert Invitation.objects.filter(user=newcomer.user, voided_at__isnull=True).count() == 1
    with pytest.raises(InvitationInvalid):
        invitations.invitation_accept(token=first, password=PASSWORD)
    invitations.invitation_accept(token=second, password=PASSWORD)


def test_an_older_invitation_not_yet_sent_is_not_sent_once_voided(
    hr, newcomer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as first_send:
        invitations.invitation_send(actor=hr, user=newcomer.user)
    with django_capture_on_commit_callbacks(execute=True):
        invitations.invitation_send(actor=hr, user=newcomer.user)
    assert len(tokens_in_outbox()) == 1
    mail.outbox.clear()
    for callback in first_send:  # the first one's delivery, late (the broker was down)
        callback()
    assert mail.outbox == []
    older = Notification.objects.filter(recipient=newcomer.user).order_by("id").first()
    delivery = email_of(older)
    assert delivery.status == FAILED and "no longer works" in delivery.last_error


def test_an_expired_invitation_does_not_work(hr, newcomer, invite, settings):
    settings.INVITE_TTL_HOURS = 2
    token = invite(hr, newcomer.user)
    late = freeze_time(timezone.now() + timedelta(hours=2, seconds=1))
    with late, pytest.raises(InvitationInvalid):
        invitations.invitation_accept(token=token, password=PASSWORD)
    with freeze_time(timezone.now() + timedelta(hours=1, minutes=59)):
        invitations.invitation_accept(token=token, password=PASSWORD)


@pytest.mark.parametrize("token", ["", "x", "nope" * 40, "set-password", "é\u202e"])
def test_an_unknown_token_does_not_work(hr, newcomer, invite, token):
    invite(hr, newcomer.user)
    with pytest.raises(InvitationInvalid):
        invitations.invitation_accept(token=token, password=PASSWORD)


def test_a_person_deactivated_after_the_invitation_cannot_use_it(hr, newcomer, invite):
    token = invite(hr, newcomer.user)
    services.member_update(actor=hr, member=newcomer, changes={"is_active": False})
    with pytest.raises(InvitationInvalid):
        invitations.invitation_accept(token=token, password=PASSWORD)


def test_a_changed_address_voids_the_invitation_sent_to_the_old_one(hr, newcomer, invite):
    token = invite(hr, newcomer.user)
    services.member_update(actor=hr, member=newcomer, changes={"email": "n.park@example.com"})
    with pytest.raises(InvitationInvalid):
        invitations.invitation_accept(token=token, password=PASSWORD)


def test_a_password_the_validators_refuse_leaves_the_invitation_open(hr, newcomer, invite):
    token = invite(hr, newcomer.user)
    with pytest.raises(InvalidInput) as refused:
        invitations.invitation_accept(token=token, password="12345678")
    assert refused.value.code == "password_invalid"
    assert Invitation.objects.get(user=newcomer.user).accepted_at is None
    invitations.invitation_accept(token=token, password=PASSWORD)


# --- Who may invite whom ------------------------------------------------------------------------


def test_an_inactive_member_is_never_invited(hr, newcomer):
    services.member_update(actor=hr, member=newcomer, changes={"is_active": False})
    with pytest.raises(Conflict) as refused:
        invitations.invitation_send(actor=hr, user=newcomer.user)
    assert refused.value.code == "member_inactive"
    assert not Invitation.objects.exists()


@pytest.mark.parametrize("actor", ["hr", "superuser"])
def test_a_superuser_is_never_invited(hr, actor):
    boss = factories.UserFactory(username="root", is_superuser=True, is_staff=True)
    inviter = hr if actor == "hr" else factories.UserFactory(is_superuser=True, is_staff=True)
    with pytest.raises(NotAllowed) as refused:
        invitations.invitation_send(actor=inviter, user=boss)
    assert refused.value.code == "superuser_protected"
    assert not Invitation.objects.exists()


def test_hr_does_not_invite_an_account_only_superusers_manage(hr):
    privileged = factories.MemberFactory().user
    privileged.user_permissions.add(Permission.objects.get(codename="view_level"))
    with pytest.raises(NotAllowed) as refused:
        invitations.invitation_send(actor=hr, user=privileged)
    assert refused.value.code == "superuser_protected"


@pytest.mark.parametrize("who", ["committee", "manager", "member"])
def test_only_hr_invites(hr, newcomer, who):
    people = {
        "committee": factories.committee_member(level="vp-product"),
        "manager": factories.MemberFactory(level=Level.objects.get(code="group-pm")).user,
        "member": newcomer.user,
    }
    with pytest.raises(NotAllowed) as refused:
        invitations.invitation_send(actor=people[who], user=newcomer.user)
    assert refused.value.code == "permission_denied"


def test_hr_does_not_invite_themselves(hr):
    factories.MemberFactory(user=hr)
    with pytest.raises(NotAllowed) as refused:
        invitations.invitation_send(actor=hr, user=hr)
    assert refused.value.code == "own_record"


def test_hr_whose_own_promotion_is_open_invites_nobody(hr, newcomer):
    factories.MemberFactory(user=hr, level=Level.objects.get(code="pm"))
    factories.promotion(candidate=hr.member, by=factories.hr_user())
    with pytest.raises(NotAllowed) as refused:
        invitations.invitation_send(actor=hr, user=newcomer.user)
    assert refused.value.code == "conflict_of_interest"
    with pytest.raises(NotAllowed):
        invitations.invitations_send(actor=hr, users=[newcomer.user])


def test_a_person_without_an_address_is_not_invited(hr, newcomer):
    User.objects.filter(pk=newcomer.user.pk).update(email="")
    with pytest.raises(Conflict) as refused:
        invitations.invitation_send(actor=hr, user=User.objects.get(pk=newcomer.user.pk))
    assert refused.value.code == "no_email_address"


# --- Many at once, and the audit trail -----------------------------------------------------------


def test_many_at_once_invites_those_who_may_be_and_says_why_not_the_others(
    hr, newcomer, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    others = [factories.MemberFactory().user for _ in range(5)]
    gone = factories.MemberFactory(user__username="gone")
    services.member_update(actor=hr, member=gone, changes={"is_active": False})
    root = factories.UserFactory(username="root", is_superuser=True)
    users = [newcomer.user, *others, gone.user, root]
    # The same number of queries for 7 people or 7,000.
    with django_capture_on_commit_callbacks(execute=True), django_assert_max_num_queries(14):
        sent = invitations.invitations_send(actor=hr, users=users, route="admin")
    assert sorted(sent.invited) == sorted(u.username for u in [newcomer.user, *others])
    assert set(sent.refused) == {"gone", "root"}
    assert "inactive" in sent.refused["gone"]
    assert len(tokens_in_outbox()) == 6
    assert {m.to[0] for m in mail.outbox} == {u.email for u in [newcomer.user, *others]}


def test_every_invitation_and_its_acceptance_is_audited_without_the_token(hr, newcomer, invite):
    token = invite(hr, newcomer.user, route="admin")
    sent = MemberChange.objects.get(user=newcomer.user)
    assert sent.actor == hr and sent.route == "admin"
    assert sent.changes["invitation"]["from"] is None
    assert sent.changes["invitation"]["to"].startswith("sent to nadia@example.com, valid until")
    invite(hr, newcomer.user)
    again = MemberChange.objects.filter(user=newcomer.user).order_by("-id").first()
    assert again.changes["invitation"]["from"] == "open"  # the older one was voided
    assert again.route == "system"  # no request: the route the audit app says
    token = tokens_in_outbox()[0]
    invitations.invitation_accept(token=token, password=PASSWORD)
    accepted = MemberChange.objects.filter(user=newcomer.user).order_by("-id").first()
    assert accepted.actor == newcomer.user
    assert accepted.changes == {
        "invitation": {"from": "open", "to": "accepted"},
        "password": {"from": None, "to": "set"},
    }


def test_accepting_ends_the_api_tokens_issued_before(hr, invite):
    member = factories.MemberFactory()
    key = factories.token_for(member.user)
    token = invite(hr, member.user)
    invitations.invitation_accept(token=token, password=PASSWORD)
    from accounts.services import token_authenticate

    assert token_authenticate(key=key) is None
