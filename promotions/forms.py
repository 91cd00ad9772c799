"""The admin's forms for the committee's work. Their limits come from the models; the rules
(recusal, quorum, states) stay in the services they hand their data to."""

from django import forms

from core.validators import GuardedForm
from promotions.models import TEXT_LIMIT, Decision, Rating
from promotions.workflow import TRANSITIONS


class ReviewForm(GuardedForm):
    decision = forms.ChoiceField(
        choices=Decision.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose a decision: approve or reject.",
            "invalid_choice": "The decision is approve or reject.",
        },
    )
    comment = forms.CharField(
        required=False,
        max_length=TEXT_LIMIT,
        label="Comment (required to reject)",
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args, criteria=(), seats=(), **kwargs):
        """`criteria`: the current packet version's evidence items; a rating field each.
        `seats`: the usernames of those whose seat the user holds today by a delegation: a
        choice of whose vote this is."""
        super().__init__(*args, **kwargs)
        if seats:
            self.fields["on_behalf_of"] = forms.ChoiceField(
                choices=[("", "My own seat"), *((name, f"{name}'s seat") for name in seats)],
                required=False,
                label="Vote for",
                help_text="A seat you hold by a delegation: the vote is theirs, cast by you.",
            )
        for item in criteria:
            self.fields[f"rating_{item['criterion']}"] = forms.ChoiceField(
                choices=Rating.choices,
                widget=forms.RadioSelect,
                label=item["title"],
                error_messages={"required": f"Rate “{item['title']}”."},
            )

    def rating_fields(self):
        return [self[name] for name in self.fields if name.startswith("rating_")]

    def ratings(self) -> dict[str, str]:
        prefix = "rating_"
        return {
            name.removeprefix(prefix): value
            for name, value in self.cleaned_data.items()
            if name.startswith(prefix)
        }


# The transitions the table says need a note: "reject, request changes or hold".
_NEEDING_A_NOTE = [t.action.replace("-", " ") for t in TRANSITIONS.values() if t.note_required]
NOTE_REQUIRED_TO = ", ".join(_NEEDING_A_NOTE[:-1]) + " or " + _NEEDING_A_NOTE[-1]


class DecisionForm(GuardedForm):
    """One note for whichever button is pressed; the buttons are the available transitions."""

    note = forms.CharField(
        required=False,
        max_length=TEXT_LIMIT,
        label=(
            f"Note (required to {NOTE_REQUIRED_TO}; the nominator reads what to change; the "
            "candidate never sees a note)"
        ),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
