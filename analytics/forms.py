"""Forms of people analytics: a member's own demographics on the member site, and the choice of
category and cycles on the admin's adverse-impact page."""

from django import forms

from analytics.demographics import categories


class MyDemographicsForm(forms.Form):
    """One optional select per category; "" means no answer (withdrawn)."""

    def __init__(self, *args, current: dict[str, tuple[str, str]] | None = None, **kwargs):
        """`current`: the member's answers ({category: (code, label)}), kept on offer to them
        when their choice is no longer offered to others."""
        super().__init__(*args, **kwargs)
        current = current or {}
        for category in categories():
            offered = [(choice["code"], choice["label"]) for choice in category["choices"]]
            mine = current.get(category["code"])
            if mine and mine[0] not in {code for code, _ in offered}:
                offered.insert(0, mine)
            self.fields[category["code"]] = forms.ChoiceField(
                label=category["label"],
                required=False,
                choices=[("", "No answer"), *offered],
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
