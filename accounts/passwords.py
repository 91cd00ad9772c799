"""Password resets by e-mail, through the notifications outbox: the reset form writes a row and
returns at once, whether or not the address is known (no e-mail is sent while the request waits,
so the answer's timing says nothing either), and a worker sends it, retried, swept if the broker
was down. The link is made as the e-mail goes out (`password_reset_emails`, registered for the
kind `password_reset`), by Django's token generator: nothing that lets anyone in is stored, and the
link stops working once the password changes or after PASSWORD_RESET_TIMEOUT."""

from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from notifications.models import Notification
from notifications.services import notifications_create

User = get_user_model()

KIND = "password_reset"
# The member site's e-mail templates (portal/urls.py names them for Django's reset view too).
EMAIL_TEMPLATE = "portal/email/password_reset.txt"
SUBJECT_TEMPLATE = "portal/email/password_reset_subject.txt"
INBOX_SUBJECT = "Password reset requested"
INBOX_BODY = (
    "Someone asked to reset your PM Ladder password, and a link to choose a new one was e-mailed "
    "to you (it is not kept here). If it was not you, your password is unchanged; tell HR."
)


# A reset form can be posted by anyone for any address: at most this many reset e-mails go to one
# person an hour (more requests get the same answer, and no e-mail), so nobody floods a mailbox.
RESET_MAILS_PER_HOUR = 3


def password_reset_mail(*, user) -> Notification | None:
    """Queue the reset e-mail of `user` (in the caller's transaction; sent after commit); None
    when they already had RESET_MAILS_PER_HOUR in the last hour."""
    recent = Notification.objects.filter(
        recipient=user, kind=KIND, created_at__gte=timezone.now() - timedelta(hours=1)
    )
    if recent.count() >= RESET_MAILS_PER_HOUR:
        return None
    [row] = notifications_create(
        recipient_ids=[user.pk], kind=KIND, subject=INBOX_SUBJECT, body=INBOX_BODY
    )
    return row


def password_reset_emails(rows: list[Notification]) -> dict[int, tuple[str, str] | None]:
    """The composer of the kind `password_reset`: each e-mail with its link made now; None for a
    person who may no longer reset (deactivated, no usable password: as Django's form asks)."""
    site = urlsplit(settings.SITE_URL)
    answer: dict[int, tuple[str, str] | None] = {}
    for row in rows:
        user = row.recipient
        if not (user.is_active and user.has_usable_password()):
            answer[row.pk] = None
            continue
        context = {
            "email": user.email,
            "user": user,
            "uid": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
            "protocol": site.scheme,
            "domain": site.netloc + site.path,
            "site_name": "PM Ladder",
        }
        subject = render_to_string(SUBJECT_TEMPLATE, context)
        answer[row.pk] = (" ".join(subject.split()), render_to_string(EMAIL_TEMPLATE, context))
    return answer
