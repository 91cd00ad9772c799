"""What a person may enter: the one home of the rules for text, dates and links. The API's strict
serializers (core.serializers.StrictSerializer), every admin form (config.admin_site, through
`guard_form_fields`) and the member import apply them to every field they take; docs/decisions.md
says why each rule is what it is."""

import unicodedata
from datetime import date, datetime, timedelta
from urllib.parse import urlsplit

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils import timezone

# --- Text ----------------------------------------------------------------------------------------

# Control characters, and the line and paragraph separators: a name or title carrying one breaks
# the e-mail headers it ends up in (Django refuses such a header: the message is never sent).
REFUSED_CATEGORIES = {"Cc", "Zl", "Zp"}
# Prose (notes, comments, justifications, evidence) has lines and may have tabs; nothing else of
# the control characters (a NUL byte is a 500 on PostgreSQL).
PROSE_ALLOWS = frozenset("\t\n\r\u2028\u2029")
# Format characters (Unicode category Cf) are invisible: bidi overrides (U+202E) and isolates
# turn "exe.txt" into "txt.exe" on screen, tag characters smuggle text nobody sees. The two
# joiners are allowed: Persian and Indic names and emoji sequences need them.
JOINERS = frozenset("\u200c\u200d")  # ZERO WIDTH NON-JOINER, ZERO WIDTH JOINER


def _refuse_hidden(value: str, *, allowed: frozenset[str], refused_categories: set[str]) -> None:
    if value.isprintable():  # no character of the categories C or Z but the space: nothing to see
        return
    for char in value:
        if char in allowed:
            continue
        category = unicodedata.category(char)
        if category == "Cf" and char not in JOINERS:
            raise ValidationError(
                f"Invisible formatting characters (here U+{ord(char):04X}, such as the "
                "right-to-left override) are not allowed.",
                code="format_character",
            )
        if category in refused_categories:
            raise ValidationError(
                "Control characters and line breaks are not allowed here.",
                code="control_character",
            )


def refuse_control_characters(value: str) -> None:
    """For single-line text: names, titles, subjects, codes, links. Refuses control characters,
    line separators and format characters (but the two joiners)."""
    _refuse_hidden(value, allowed=frozenset(), refused_categories=REFUSED_CATEGORIES)


def refuse_control_characters_in_prose(value: str) -> None:
    """For prose: notes, comments, justifications, evidence. Line breaks and tabs are fine; other
    control characters and format characters (but the two joiners) are not."""
    _refuse_hidden(value, allowed=PROSE_ALLOWS, refused_categories={"Cc"})


# --- Dates ---------------------------------------------------------------------------------------

# A date a person enters is at most this far ahead: an approved promotion cannot be moved or
# undone, so a typo (9999 for 2026) would otherwise freeze a member's career for ever.
DATE_HORIZON = timedelta(days=366)


class DateBound:
    """A date (or a moment) at most `ahead` after today. Every date field of the API and the admin
    carries one: `FAR_DATES` unless the field declares a stricter one (`NOT_IN_FUTURE`)."""

    def __init__(self, ahead: timedelta, *, code: str, message: str):
        self.ahead, self.code, self.message = ahead, code, message

    def last_day(self, today: date | None = None) -> date:
        return (today or timezone.localdate()) + self.ahead

    def __call__(self, value: date | datetime | None) -> None:
        if value is None:
            return
        day = value
        if isinstance(value, datetime):
            day = timezone.localdate(value) if timezone.is_aware(value) else value.date()
        if day > self.last_day():
            raise ValidationError(self.message, code=self.code)


FAR_DATES = DateBound(
    DATE_HORIZON,
    code="date_too_far",
    message=f"This date is too far ahead: at most {DATE_HORIZON.days} days from today.",
)
NOT_IN_FUTURE = DateBound(timedelta(0), code="future_date", message="This date is in the future.")


def is_bounded(validators) -> bool:
    return any(isinstance(validator, DateBound) for validator in validators)


# --- Links ---------------------------------------------------------------------------------------

_http_url = URLValidator(schemes=["http", "https"])


def refuse_unsafe_links(value: str) -> None:
    """An absolute http(s) URL that shows where it goes: one line of visible characters, no user
    name or password before the host (`https://bank.example@evil.example/`), a port from 1 to
    65535."""
    refuse_control_characters(value)
    if any(char.isspace() for char in value):
        raise ValidationError("A link has no spaces in it.", code="invalid")
    _http_url(value)
    try:
        parts = urlsplit(value)
    except ValueError:
        raise ValidationError("Give an absolute http(s) URL.", code="invalid") from None
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise ValidationError(
            "A link may not carry a user name or password before its host.", code="invalid"
        )
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port == 0:
        raise ValidationError("A link's port is a number from 1 to 65535.", code="invalid")


# --- Forms ---------------------------------------------------------------------------------------

DATE_FORM_FIELDS = (forms.DateField, forms.DateTimeField, forms.SplitDateTimeField)


def _one_line_break(to_python):
    """A browser posts a textarea's line breaks as CR LF and counts each as one character (its
    `maxlength`, a page's counter): so does the form, which keeps them as LF, as the API does."""

    def lines_as_typed(value):
        value = to_python(value)
        return value.replace("\r\n", "\n") if isinstance(value, str) else value

    return lines_as_typed


def guard_form_fields(fields) -> None:
    """Give every text and date field of a form (its `fields`, a copy per form instance) the rules
    above: a textarea takes prose (its CR LF line breaks kept as LF, as a browser counts them),
    any other text box one line; passwords are left as typed.
    Called by every admin form (config.admin_site), the forms of promotions.forms and the member
    site's (portal.forms)."""
    for field in fields.values():
        if isinstance(field, forms.CharField):
            if isinstance(field.widget, forms.PasswordInput) or isinstance(field, forms.JSONField):
                continue  # a password is taken as typed; JSON is data, not text
            prose = isinstance(field.widget, forms.Textarea)
            if prose and not getattr(field, "lines_as_typed", False):
                # This field instance only (each form has its copy): setattr, not a subclass, as
                # the admin and Django choose the field classes.
                setattr(field, "to_python", _one_line_break(field.to_python))  # noqa: B010
                setattr(field, "lines_as_typed", True)  # noqa: B010
            rule = refuse_control_characters_in_prose if prose else refuse_control_characters
            if rule not in field.validators:
                field.validators.append(rule)
        elif isinstance(field, DATE_FORM_FIELDS) and not is_bounded(field.validators):
            field.validators.append(FAR_DATES)


class GuardedForm(forms.Form):
    """A plain form whose fields follow the rules above."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        guard_form_fields(self.fields)
