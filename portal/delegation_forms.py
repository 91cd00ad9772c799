"""The member site's part of delegations (docs/member-site.md): what /me/ shows a committee member
or an Executive of their delegations, and the form to name a delegate; the views are
portal/delegation_views.py."""

from typing import cast

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone

from core.validators import GuardedForm
from promotions.delegations import selectors


class DateInput(forms.DateInput):
    input_type = "date"


class DelegationForm(GuardedForm):
    """Whose seat is the viewer's own; the delegate is chosen among those holding the same role."""

    delegate = forms.ChoiceField(
        label="Delegate",
        help_text="Someone holding the same role, who votes for your seat and receives its "
        "messages meanwhile.",
    )
    starts_on = forms.DateField(
        label="From", widget=DateInput, help_text="The first day: today or later."
    )
    ends_on = forms.DateField(label="Until", widget=DateInput, help_text="The last day, included.")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        seats = selectors.seat_roles_of(user)
        people = (
            get_user_model()
            .objects.filter(is_active=True, groups__name__in=seats)
            .exclude(pk=user.pk)
            .distinct()
            .order_by("first_name", "last_name", "username")
        )
        delegate = cast(forms.ChoiceField, self.fields["delegate"])
        delegate.choices = [("", "Choose someone")] + [
            (person.get_username(), _label(person)) for person in people
        ]
        self.fields["starts_on"].initial = timezone.localdate()


def _label(user) -> str:
    name = user.get_full_name()
    return f"{name} ({user.get_username()})" if name else user.get_username()


def me_delegations_context(user, *, form: DelegationForm | None = None) -> dict:
    """What /me/ shows of delegations: for a seat holder (the committee, the Executives) those
    they gave and those they hold, and the form (bound when refused, keeping what was chosen)."""
    if not selectors.seat_roles_of(user):
        return {"holds_seat": False}
    rows = list(
        selectors.delegations_visible_to(user=user).filter(ends_on__gte=timezone.localdate())
    )
    return {
        "holds_seat": True,
        "delegations_given": [row for row in rows if row.delegator_id == user.pk],
        "delegations_held": [row for row in rows if row.delegate_id == user.pk],
        "delegation_form": form or DelegationForm(user=user),
        "today": timezone.localdate(),
    }
