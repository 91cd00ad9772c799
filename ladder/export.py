"""A member's right of access and to portability (GDPR Art. 15 and 20; docs/data-rights.md):
everything about the member that they may read, as one JSON document. Each part is read through
the selector and serializer the member's own API and pages use, so the export shows nothing the
member may not read elsewhere; the sections other apps register (core.personal_data: the
promotions app's cases, nominations and requests; analytics' demographics) follow."""

from django.utils import timezone

from core import personal_data
from ladder.selectors import member_me
from ladder.serializers import MemberSerializer
from notifications.selectors import notification_inbox
from notifications.serializers import NotificationSerializer

FORMAT = "pm-ladder-export/1"


def _level_history(member) -> list[dict]:
    changes = member.level_changes.select_related("from_level", "to_level").order_by(
        "effective_date", "id"
    )
    return [
        {
            "from_level": change.from_level.code,
            "to_level": change.to_level.code,
            "to_level_title": change.to_level.title,
            "effective_date": change.effective_date.isoformat(),
            "promotion": change.promotion_id,
        }
        for change in changes
    ]


def member_export(*, user) -> dict:
    """The requesting user's own data (404 `no_member_record` for a user with no member record)."""
    member = member_me(user=user)
    record = dict(MemberSerializer(member).data)
    # HR's columns (invitations) are not the member's to read: the serializer gives them null.
    record.pop("invited_at", None)
    record.pop("invitation_accepted_at", None)
    export = {
        "format": FORMAT,
        "exported_at": timezone.now().isoformat(),
        "member": record,
        "level_history": _level_history(member),
        "notifications": NotificationSerializer(notification_inbox(user=user), many=True).data,
    }
    for section in personal_data.sections():
        export[section.name] = section.export(member)
    return export


def export_filename(*, user) -> str:
    return f"pm-ladder-my-data-{user.pk}-{timezone.localdate():%Y-%m-%d}.json"
