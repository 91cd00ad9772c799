import unicodedata

from django.core.exceptions import ValidationError

# Control characters, and the line and paragraph separators: a name or title carrying one breaks
# the e-mail headers it ends up in (Django refuses such a header: the message is never sent).
REFUSED_CATEGORIES = {"Cc", "Zl", "Zp"}


def refuse_control_characters(value: str) -> None:
    """For single-line text: names, titles, subjects."""
    if any(unicodedata.category(char) in REFUSED_CATEGORIES for char in value):
        raise ValidationError(
            "Control characters and line breaks are not allowed here.", code="control_character"
        )
