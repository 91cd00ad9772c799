"""Every notification about a promotion goes only to those who may read it at the time it is
written (promotions.notify._notify): committee work to the committee and HR not involved in the
promotion, the rest to the people involved; never to someone deactivated or no longer on the
committee."""

import pytest
from django.contrib.auth.models import Group

from core import roles
from notifications.models import Notification
from promotions import services
from promotions.packets import services as packets
from promotions.permissions import can_see, sees_committee_work
from tests import factories

pytestmark = pytest.mark.django_db

COMMITTEE_WORK = {"review_requested", "resubmitted", "review_reminder"}


def _resubmitted_with_stale_votes(promotion, people, reviewers):
    for reviewer in reviewers:
        factories.review(promotion, reviewer, "approve")
    promotion = services.promotion_request_changes(
        promotion=promotion, actor=people["committee"], note="More evidence."
    )
    return promotion


def test_the_reported_case_former_committee_members_hear_nothing_more(people, in_review):
    """Removed from the group, or deactivated, after voting: no "look again" about a case they
    can no longer see; a reviewer still on the committee gets it."""
    promotion = in_review()
    removed, deactivated, stays = (factories.committee_member() for _ in range(3))
    promotion = _resubmitted_with_stale_votes(promotion, people, [removed, deactivated, stays])
    removed.groups.remove(Group.objects.get(name=roles.COMMITTEE_GROUP))
    deactivated.is_active = False
    deactivated.save()
    packets.packet_submit(
        promotion=promotion,
        actor=people["manager"],
        justification="Reworked.",
        evidence=factories.evidence_for("senior-pm"),
    )
    services.promotion_resubmit(promotion=promotion, actor=people["manager"])

    told = set(Notification.objects.filter(kind="resubmitted").values_list("recipient", flat=True))
    assert stays.pk in told
    assert removed.pk not in told and deactivated.pk not in told


def test_every_notification_of_a_promotion_reaches_only_its_readers(people, in_review, nominate):
    """Walks every path that notifies about a promotion (nominated, review started, changes
    requested, resubmitted, approved, effective, rejected, withdrawn, the overdue reminder) with
    a cast that includes a deactivated manager and a former committee member, and holds every
    row written to the rule."""
    from datetime import timedelta

    from django.utils import timezone

    from promotions import notify

    former = factories.committee_member()
    first = in_review()
    factories.review(first, former, "approve")
    first = services.promotion_request_changes(
        promotion=first, actor=people["committee"], note="More."
    )
    former.groups.remove(Group.objects.get(name=roles.COMMITTEE_GROUP))
    written_while_on_the_committee = list(Notification.objects.values_list("pk", flat=True))
    packets.packet_submit(
        promotion=first,
        actor=people["manager"],
        justification="Reworked.",
        evidence=factories.evidence_for("senior-pm"),
    )
    first = services.promotion_resubmit(promotion=first, actor=people["manager"])
    factories.review(first, people["committee2"], "approve")
    later = timezone.localdate() + timedelta(days=3)
    services.promotion_approve(promotion=first, actor=people["committee"], effective_on=later)
    services.promotions_apply_effective(today=later)

    factories.promotion(state="rejected")
    factories.promotion(state="withdrawn")
    overdue = factories.promotion()
    lapsed_manager = overdue.candidate.manager.user  # its nominator: deactivated, then it moves
    lapsed_manager.is_active = False
    lapsed_manager.save()
    services.promotion_start_review(promotion=overdue, actor=people["committee"])
    services.promotion_withdraw(promotion=factories.promotion(), actor=factories.hr_user())
    notify.notify_overdue(now=timezone.now() + timedelta(days=30))

    rows = (
        Notification.objects.exclude(promotion=None)
        .exclude(pk__in=written_while_on_the_committee)
        .select_related("recipient", "promotion")
    )
    kinds = set(rows.values_list("kind", flat=True))
    assert {"review_requested", "review_started", "resubmitted"} <= kinds
    assert {"approved", "effective", "rejected", "withdrawn", "review_reminder"} <= kinds
    for row in rows:
        who, promotion = row.recipient, row.promotion
        assert who.is_active, (row.kind, who)
        assert can_see(who, promotion), (row.kind, who)
        if row.kind in COMMITTEE_WORK and not (
            row.kind == "review_reminder" and who.pk == promotion.nominated_by_id
        ):
            assert sees_committee_work(who, promotion), (row.kind, who)
    assert not rows.filter(recipient=former).exists()
    assert not rows.filter(recipient=lapsed_manager).exists()


def test_a_message_is_sent_only_to_who_may_read_it_when_it_is_sent(people, nominate):
    """Found by review: the rule was asked when a message was written, not when it went out. A
    member removed from the committee (or deactivated) after a "review requested" was written,
    while the broker was down, got it later from the sweeper, or from HR's "send again"."""
    from django.core import mail

    from core.outbox import FAILED
    from notifications.services import deliveries_send_again
    from tests.notifications.deliveries import email_ids, email_of, send

    removed, deactivated, stays = (factories.committee_member() for _ in range(3))
    promotion = nominate()
    rows = {
        user: Notification.objects.get(recipient=user, promotion=promotion, kind="review_requested")
        for user in (removed, deactivated, stays)
    }
    removed.groups.remove(Group.objects.get(name=roles.COMMITTEE_GROUP))
    deactivated.is_active = False
    deactivated.save()
    mail.outbox.clear()

    assert send(*rows.values()) == 1
    assert [message.to for message in mail.outbox] == [[stays.email]]
    for user in (removed, deactivated):
        delivery = email_of(rows[user])
        assert delivery.status == FAILED and delivery.delivered_at is None
        assert "may no longer read" in delivery.last_error
    # HR sends them again: still refused when they go out.
    ids = email_ids(rows.values())
    assert deliveries_send_again(delivery_ids=ids) == 2
    mail.outbox.clear()
    assert send(*rows.values()) == 0
    assert mail.outbox == []
    assert {email_of(rows[user]).status for user in (removed, deactivated)} == {FAILED}
    # Back on the committee: a message sent again now reaches them.
    removed.groups.add(Group.objects.get(name=roles.COMMITTEE_GROUP))
    deliveries_send_again(delivery_ids=email_ids([rows[removed]]))
    assert send(rows[removed]) == 1
    assert [message.to for message in mail.outbox] == [[removed.email]]


def test_a_message_to_the_people_involved_is_asked_again_too(people, in_review):
    from django.core import mail

    from core.outbox import FAILED
    from tests.notifications.deliveries import email_of, send

    promotion = in_review()  # "review started" written for the candidate and the nominator
    row = Notification.objects.get(
        recipient=people["manager"], promotion=promotion, kind="review_started"
    )
    people["manager"].is_active = False
    people["manager"].save()
    mail.outbox.clear()
    assert send(row) == 0
    assert mail.outbox == []
    assert email_of(row).status == FAILED
