"""The admin's forms for the committee's work. Their limits come from the models; the rules
(recusal, quorum, states) stay in the services they hand their data to."""

from django import forms

from promotions.models import TEXT_LIMIT, Decision


class ReviewForm(forms.Form):
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


class DecisionForm(forms.Form):
    """One note for whichever button is pressed; the buttons are the available transitions."""

    note = forms.CharField(
        required=False,
        max_length=TEXT_LIMIT,
        label="Note (required to reject; never shown to the candidate)",
        widget=forms.Textarea(attrs={"rows": 3}),
    )
