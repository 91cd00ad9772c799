"""The refusals of nomination requests; their codes are the promotions app's (promotions.errors)."""

from core.errors import Conflict, NotFound
from promotions.errors import ErrorCode


class NominationRequestNotFound(NotFound):
    code = ErrorCode.NO_SUCH_NOMINATION_REQUEST
    default_message = "No such nomination request."


class RequestPending(Conflict):
    code = ErrorCode.NOMINATION_REQUEST_PENDING
    default_message = "You already have a request waiting for your manager's answer: one at a time."


class RequestAnswered(Conflict):
    code = ErrorCode.NOMINATION_REQUEST_ANSWERED
    default_message = "This request has been answered already."


class NoManager(Conflict):
    code = ErrorCode.NO_MANAGER
    default_message = (
        "You have no manager to ask for a nomination: ask HR to record who manages you."
    )
