"""The accounts app's error codes. Their base is core.errors: this app sits below the ladder and
imports none of the domain apps."""

from enum import StrEnum

from core.errors import InvalidInput, NotAllowed


class ErrorCode(StrEnum):
    INVITATION_INVALID = "invitation_invalid"
    SSO_REQUIRED = "sso_required"


class InvitationInvalid(InvalidInput):
    """An invitation link that does not work: unknown, used, replaced by a newer one, expired, or
    its person deactivated or given another address since. One answer for all of them: the page
    says to ask HR for a new invitation, and nothing about any account."""

    code = ErrorCode.INVITATION_INVALID
    default_message = "This invitation link no longer works."


class SsoRequired(NotAllowed):
    """A staff password where SSO_REQUIRED_FOR_STAFF: staff sign in with the identity provider
    (403 at auth/token/; the sign-in forms say the same)."""

    code = ErrorCode.SSO_REQUIRED
