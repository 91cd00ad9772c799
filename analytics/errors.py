"""The error codes of people analytics (docs/api.md, "Error codes")."""

from enum import StrEnum

from core.errors import InvalidInput, NotAllowed


class ErrorCode(StrEnum):
    """Codes of demographics and adverse impact."""

    UNKNOWN_CATEGORY = "unknown_category"
    UNKNOWN_CHOICE = "unknown_choice"
    INVALID_CYCLES = "invalid_cycles"
    PEOPLE_ANALYTICS_ONLY = "people_analytics_only"


class UnknownCategory(InvalidInput):
    code = ErrorCode.UNKNOWN_CATEGORY
    default_message = "Not a demographic category of this site."


class UnknownChoice(InvalidInput):
    code = ErrorCode.UNKNOWN_CHOICE
    default_message = "Not an active choice of that category."


class InvalidCycles(InvalidInput):
    code = ErrorCode.INVALID_CYCLES
    default_message = "Give `cycles` as cycle ids separated by commas, or `last:N`."


class PeopleAnalyticsOnly(NotAllowed):
    code = ErrorCode.PEOPLE_ANALYTICS_ONLY
    default_message = "Only People analytics reads these aggregates."
