"""Notification errors. Their base is core.errors (not ladder.errors): this app imports neither
the ladder nor the promotions app."""

from enum import StrEnum

from core.errors import NotFound


class ErrorCode(StrEnum):
    NO_SUCH_NOTIFICATION = "no_such_notification"


class NotificationNotFound(NotFound):
    """Not one of the requesting user's notifications (or no such one at all: the same 404)."""

    code = ErrorCode.NO_SUCH_NOTIFICATION
    default_message = "No such notification."
