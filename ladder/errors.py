"""The ladder's error codes (registered by core.errors.app_error_codes). The domain errors
themselves are core.errors'."""

from enum import StrEnum


class ErrorCode(StrEnum):
    """Codes of the ladder and of people's records (members)."""

    SUPERUSER_PROTECTED = "superuser_protected"
    CONFLICT_OF_INTEREST = "conflict_of_interest"
    OWN_RECORD = "own_record"
    MANAGER_INACTIVE = "manager_inactive"
    MANAGER_CYCLE = "manager_cycle"
    USERNAME_TAKEN = "username_taken"
    PASSWORD_INVALID = "password_invalid"
    MEMBER_EXISTS = "member_exists"
    LEVEL_READ_ONLY = "level_read_only"
    LADDER_INTEGRITY = "ladder_integrity"
    NO_SUCH_MEMBER = "no_such_member"
    NO_SUCH_LEVEL = "no_such_level"
    NO_MEMBER_RECORD = "no_member_record"
    # Invitations (ladder/invitations.py)
    MEMBER_INACTIVE = "member_inactive"
    NO_EMAIL_ADDRESS = "no_email_address"
    # Erasure (ladder/erasure.py)
    MEMBER_ACTIVE = "member_active"
    ALREADY_ERASED = "already_erased"
