"""The accounts app's error codes. Their base is core.errors: this app sits below the ladder and
imports none of the domain apps."""

from enum import StrEnum

from core.errors import InvalidInput


class ErrorCode(StrEnum):
    INVITATION_INVALID = "invitation_invalid"


class InvitationInvalid(InvalidInput):
    """An invitation link that does not work: unknown, used, replaced by a newer one, expired, or
    its person deactivated or given another address since. One answer for all of them: the page
    says to ask HR for a new invitation, and nothing about any account."""

    code = ErrorCode.INVITATION_INVALID
    default_message = "This invitation link no longer works."
