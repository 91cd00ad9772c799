"""Forms of people analytics: a member's own demographics on the member site, and the choice of
category and cycles on the admin's adverse-impact page."""

from django import forms

from analytics.demographics import categories


class MyDemographicsForm(forms.Form):
    """One optional select per category; "" means no answer (withdrawn)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for category in categories():
            self.fields[category["code"]] = forms.ChoiceField(
                label=category["label"],
                required=False,
                choices=[("", "No answer")]
                + [(choice["code"], choice["label"]) for choice in category["choices"]],
            )

    def values(self) -> dict:
        return {name: value or None for name, value in self.cleaned_data.items()}


class ReportForm(forms.Form):
    category = forms.ChoiceField(label="Category")
    cycles = forms.CharField(
        label="Cycles",
        initial="last:3",
        max_length=200,
        help_text="Cycle ids separated by commas, or last:N for the N latest.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["category"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(c["code"], c["label"]) for c in categories()]
