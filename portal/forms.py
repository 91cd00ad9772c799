from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm


class SignInForm(AuthenticationForm):
    """Username or e-mail address, then the password. An address that names exactly one account
    signs in as that account; anything else is tried as a username, so the answer to a wrong
    address is the same as to a wrong username (it never says whether an account exists)."""

    username = forms.CharField(
        label="Username or e-mail",
        max_length=254,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )

    def clean(self):
        entered = self.cleaned_data.get("username") or ""
        if "@" in entered:
            users = get_user_model().objects.filter(email__iexact=entered.strip())
            usernames = list(users.values_list("username", flat=True)[:2])
            if len(usernames) == 1:
                self.cleaned_data["username"] = usernames[0]
        return super().clean()
