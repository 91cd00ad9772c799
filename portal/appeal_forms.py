"""The member site's appeal form, and what a rejected case's page shows of an appeal
(portal/appeal_views.py takes the form; the candidate's and the nominator's pages show it)."""

from django import forms
from django.utils import timezone

from core.validators import GuardedForm
from promotions import permissions
from promotions.appeals import services as appeals
from promotions.appeals.models import STATEMENT_LIMIT
from promotions.models import PromotionState


class AppealForm(GuardedForm):
    statement = forms.CharField(
        label="Why the decision should change",
        max_length=STATEMENT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="Committee members who did not decide it before read it, with the packet.",
        error_messages={
            "required": "Say why the decision should change: a statement is required.",
            "max_length": f"A statement is at most {STATEMENT_LIMIT:,} characters.",
        },
    )


def appeal_context(user, promotion, form: AppealForm | None = None) -> dict:
    """What a rejected case's page shows of an appeal: the deadline, and the form while the
    window is open (a refused form stays, as typed, with why, whatever the state now)."""
    if form is not None and form.is_bound:
        return {"appeal_deadline": appeals.appeal_deadline(promotion), "appeal_form": form}
    if promotion.state != PromotionState.REJECTED or not (
        permissions.is_candidate(user, promotion) or permissions.is_nominator(user, promotion)
    ):
        return {}
    deadline = appeals.appeal_deadline(promotion)
    is_open = deadline is not None and timezone.now() <= deadline
    if form is None and is_open:
        form = AppealForm()
    return {"appeal_deadline": deadline, "appeal_open": is_open, "appeal_form": form}
