from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm

from accounts import sso
from accounts.errors import SsoRequired
from core.errors import DomainError
from core.validators import GuardedForm, guard_form_fields
from promotions.errors import ErrorCode
from promotions.models import TEXT_LIMIT
from promotions.packets import services as packets
from promotions.packets.services import EVIDENCE_LINKS_LIMIT, EVIDENCE_TEXT_LIMIT


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

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if user.is_staff and sso.staff_must_use_sso():
            raise forms.ValidationError(sso.password_refused_message(), code=SsoRequired.code)


class PacketForm(GuardedForm):
    """A packet as a person writes it: the justification, then for each active criterion of the
    target level its evidence and links (one per line). Every field may be left empty here: what a
    packet must hold is the packet service's rule, and its refusal is shown on the field it names.
    Built from `criteria` (the target level's, in order); `hr` adds HR's two reasons."""

    justification = forms.CharField(
        label="Why this person is ready",
        required=False,
        max_length=TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="The summary the committee reads first.",
    )

    def __init__(self, *args, criteria, hr: bool = False, **kwargs):
        self.criteria = criteria
        super().__init__(*args, **kwargs)
        for criterion in criteria:
            text = self.text_name(criterion.code)
            self.fields[text] = forms.CharField(
                label="Evidence",
                required=False,
                max_length=EVIDENCE_TEXT_LIMIT,
                widget=forms.Textarea(
                    attrs={
                        "rows": 5,
                        "data-counter": "true",
                        "aria-describedby": f"id_{text}-expectation",
                    }
                ),
            )
            self.fields[self.links_name(criterion.code)] = forms.CharField(
                label="Links",
                required=False,
                max_length=TEXT_LIMIT,
                widget=forms.Textarea(attrs={"rows": 2, "class": "links"}),
                help_text=f"Optional: up to {EVIDENCE_LINKS_LIMIT} web addresses, one per line.",
            )
        if hr:
            for name, label, help_text in HR_REASONS:
                self.fields[name] = forms.CharField(
                    label=label,
                    required=False,
                    max_length=TEXT_LIMIT,
                    widget=forms.Textarea(attrs={"rows": 2}),
                    help_text=help_text,
                )
        guard_form_fields(self.fields)

    @staticmethod
    def text_name(code: str) -> str:
        return f"evidence-{code}"

    @staticmethod
    def links_name(code: str) -> str:
        return f"links-{code}"

    @classmethod
    def initial_from(cls, version) -> dict:
        """A version's packet as the form's initial values (the editor holds the current one)."""
        initial = {"justification": version.justification}
        for item in version.evidence:
            initial[cls.text_name(item["criterion"])] = item["text"]
            initial[cls.links_name(item["criterion"])] = "\n".join(item.get("links") or [])
        return initial

    def sections(self):
        """(criterion, its evidence field, its links field), in the criteria's order."""
        for criterion in self.criteria:
            yield (
                criterion,
                self[self.text_name(criterion.code)],
                self[self.links_name(criterion.code)],
            )

    def hr_fields(self):
        return [self[name] for name, _, _ in HR_REASONS if name in self.fields]

    def evidence(self) -> list[dict]:
        """The evidence as the packet service takes it: a criterion left empty is not sent, so
        the service names it among the missing ones."""
        evidence = []
        for criterion in self.criteria:
            text = self.cleaned_data.get(self.text_name(criterion.code), "")
            links = self.cleaned_data.get(self.links_name(criterion.code), "")
            if not text.strip() and not links.strip():
                continue
            evidence.append(
                {
                    "criterion": criterion.code,
                    "text": text,
                    "links": [line.strip() for line in links.splitlines() if line.strip()],
                }
            )
        return evidence

    def refuse(self, error: DomainError) -> None:
        """Show a service's refusal where it belongs: on the criteria it names, or on the form."""
        codes = {criterion.code: criterion for criterion in self.criteria}
        missing = error.extra.get("missing_criteria") or []
        for code in missing:
            if code in codes:
                self.add_error(self.text_name(code), "Write the evidence for this criterion.")
        if missing:
            return
        # Evidence rules name their criterion first ("<code>: ..."): put them on its box.
        code, _, rest = error.message.partition(": ")
        if code in codes and rest:
            field = self.links_name(code) if "link" in rest else self.text_name(code)
            self.add_error(field, rest[:1].upper() + rest[1:])
            return
        if error.code == ErrorCode.JUSTIFICATION_REQUIRED:
            self.add_error("justification", "Say why this person is ready.")
            return
        self.add_error(None, error.message)

    def refuse_whole_packet(self, error: DomainError, to_level) -> None:
        """`refuse`; when the service stopped at the justification, also what the evidence rule
        says of the evidence, so that one send shows every box to fix."""
        self.refuse(error)
        if error.code == ErrorCode.JUSTIFICATION_REQUIRED:
            try:
                packets.packet_evidence(to_level=to_level, evidence=self.evidence())
            except DomainError as more:
                self.refuse(more)


HR_REASONS = (
    (
        "eligibility_override_reason",
        "HR only: waive time in level, because…",
        "Leave empty unless you waive the months this person must spend at their level.",
    ),
    (
        "off_cycle_reason",
        "HR only: nominate outside any cycle, because…",
        "Leave empty to nominate into the open cycle of the target level's track.",
    ),
)


class NoteForm(GuardedForm):
    """An optional note with a transition (withdraw, resubmit)."""

    note = forms.CharField(
        label="Note (optional)",
        required=False,
        max_length=TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
