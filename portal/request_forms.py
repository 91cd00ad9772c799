"""The member site's forms and page parts of nomination requests (docs/member-site.md): what /me/
and /team/ show of them; the pages themselves are portal/request_views.py."""

from django import forms

from core.validators import GuardedForm
from portal.forms import PacketForm
from promotions.requests import selectors
from promotions.requests.models import TEXT_LIMIT, RequestState


class RequestForm(PacketForm):
    """The nomination form, in the member's own words."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["justification"].label = "Why I am ready"
        self.fields[
            "justification"
        ].help_text = "The summary your manager, then the committee, read first."


class DeclineForm(GuardedForm):
    reason = forms.CharField(
        label="Why you decline",
        max_length=TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="The member reads it.",
        error_messages={"required": "Say why you decline: the member reads it."},
    )

    def __init__(self, *args, request, **kwargs):
        """One per request on /team/: its ids and label name the member."""
        super().__init__(*args, auto_id=f"id_%s_{request.pk}", **kwargs)
        self.fields["reason"].label = f"Why you decline {request.member.name}'s request"


def me_requests_context(member) -> dict:
    """What /me/ shows of requests: each of them, and whether the member may ask now (a manager,
    nothing pending)."""
    requests = selectors.requests_of_member(member=member)
    manager = member.manager
    has_manager = manager is not None and manager.is_active and manager.user.is_active
    return {
        "nomination_requests": requests,
        "may_request": has_manager
        and not any(request.state == RequestState.PENDING for request in requests),
    }


def team_requests_context(user, *, refused: tuple[int, DeclineForm] | None = None) -> dict:
    """What /team/ shows of requests: the pending ones of the user's reports, oldest first, each
    with its decline form (the refused one bound, keeping what was typed)."""
    answers = []
    for request in selectors.requests_pending_for(user=user):
        if refused is not None and refused[0] == request.pk:
            form = refused[1]
        else:
            form = DeclineForm(request=request)
        answers.append((request, form))
    return {"nomination_requests": answers}
