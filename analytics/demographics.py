"""Self-reported demographics (docs/analytics.md): the categories and choices offered, a member's
own values (read, given, changed, withdrawn: one transaction), and their part in the member's
data export and erasure (registered with core.personal_data)."""

from django.conf import settings
from django.db import transaction

from analytics.errors import UnknownCategory, UnknownChoice
from analytics.models import (
    PREFER_NOT_TO_SAY,
    PREFER_NOT_TO_SAY_LABEL,
    DemographicChoice,
    DemographicValue,
)
from ladder.models import Member

LABELS = {
    "gender": "Gender",
    "ethnicity": "Ethnicity",
    "age_band": "Age band",
}


def category_codes() -> list[str]:
    return list(settings.DEMOGRAPHIC_CATEGORIES)


def category_label(code: str) -> str:
    return LABELS.get(code, code.replace("_", " ").replace("-", " ").capitalize())


def categories() -> list[dict]:
    """Each configured category with its active choices in order, "prefer not to say" last and
    always there (even for a category no migration seeded)."""
    codes = category_codes()
    offered: dict[str, list[dict]] = {code: [] for code in codes}
    for choice in DemographicChoice.objects.filter(category__in=codes, is_active=True):
        if choice.code != PREFER_NOT_TO_SAY:
            offered[choice.category].append({"code": choice.code, "label": choice.label})
    prefer = {"code": PREFER_NOT_TO_SAY, "label": PREFER_NOT_TO_SAY_LABEL}
    return [
        {"code": code, "label": category_label(code), "choices": [*offered[code], prefer]}
        for code in codes
    ]


def member_values(*, member: Member) -> dict[str, str | None]:
    """The member's own answers: every configured category, null where none is given."""
    codes = category_codes()
    values: dict[str, str | None] = dict.fromkeys(codes)
    rows = DemographicValue.objects.filter(member=member, category__in=codes).select_related(
        "choice"
    )
    for value in rows:
        values[value.category] = value.choice.code
    return values


def _choice(category: str, code: str) -> DemographicChoice:
    if code == PREFER_NOT_TO_SAY:
        choice, _ = DemographicChoice.objects.get_or_create(
            category=category,
            code=PREFER_NOT_TO_SAY,
            defaults={"label": PREFER_NOT_TO_SAY_LABEL, "order": 32000},
        )
        return choice
    found = DemographicChoice.objects.filter(category=category, code=code, is_active=True).first()
    if found is None:
        raise UnknownChoice(f"{code!r} is not an active choice of {category!r}.", category=category)
    return found


def check_values(values: dict) -> None:
    """Refuse an unknown category (400 unknown_category) or a value that is neither a choice code
    nor null (400 unknown_choice), before anything is written."""
    codes = set(category_codes())
    for category, code in values.items():
        if category not in codes:
            raise UnknownCategory(f"{category!r} is not a demographic category of this site.")
        if code is not None and not isinstance(code, str):
            raise UnknownChoice(f"Give a choice code of {category!r} or null.", category=category)


@transaction.atomic
def member_values_set(*, member: Member, values: dict) -> dict[str, str | None]:
    """Give, change (a choice code) or withdraw (null) the member's own values, category by
    category; categories not named stay as they are; a value sent unchanged stays, even if its
    choice is no longer offered. All or nothing."""
    check_values(values)
    for category, code in values.items():
        if code is None:
            DemographicValue.objects.filter(member=member, category=category).delete()
            continue
        kept = DemographicValue.objects.filter(
            member=member, category=category, choice__code=code
        ).exists()
        if kept:  # unchanged: kept even if the choice is no longer offered
            continue
        choice = _choice(category, code)
        DemographicValue.objects.update_or_create(
            member=member, category=category, defaults={"choice": choice}
        )
    return member_values(member=member)


def member_choices(*, member: Member) -> dict[str, tuple[str, str]]:
    """The member's own answers as {category: (code, label)}, offered or not any more."""
    rows = DemographicValue.objects.filter(member=member).select_related("choice")
    return {value.category: (value.choice.code, value.choice.label) for value in rows}


# --- Data rights (core.personal_data) ----------------------------------------------------------


def export(member: Member) -> dict:
    """The member's own values with their labels, for their data export."""
    rows = DemographicValue.objects.filter(member=member).select_related("choice")
    return {
        value.category: {"code": value.choice.code, "label": value.choice.label}
        for value in rows.order_by("category")
    }


def erase(member: Member) -> None:
    DemographicValue.objects.filter(member=member).delete()
