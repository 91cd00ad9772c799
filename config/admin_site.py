"""The admin site. Every model admin registered on it, ours or a library's, accepts in its
changelist only the filters it offers: Django's own rule lets any lookup on a model's own fields
through (`?approvals=1`, `?reviews=3`, `?body__contains=...`), and a user who may not read a
field could still tell rows apart by filtering on it. Its actions run only on ids. And every form
it shows takes text and dates by the rules of core.validators (`GuardedForms`), and names every
control of a table's rows for assistive technology (`LabelledRows`)."""

import re

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.apps import AdminConfig
from django.contrib.admin.exceptions import DisallowedModelAdminLookup
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.utils import timezone

INTEGER = re.compile(r"-?[0-9]+")
ID = re.compile(r"[0-9]{1,18}")
MIN_INT, MAX_INT = -(2**63), 2**63 - 1


class OfferedFiltersOnlyChangeList(ChangeList):
    def get_filters(self, request):
        for key, values in self.get_filters_params().items():
            for value in values:
                if _out_of_range(value):
                    # SQLite cannot even compare such a number (OverflowError, a 500).
                    raise DisallowedModelAdminLookup(f"{key}: {value[:30]} is out of range")
        filter_specs, has_filters, remaining, *rest = super().get_filters(request)
        # The list filters took their own parameters; whatever is left, no filter offers.
        if remaining:
            raise DisallowedModelAdminLookup(
                f"Filtering by {', '.join(sorted(remaining))} is not offered here"
            )
        return (filter_specs, has_filters, remaining, *rest)


def _out_of_range(value: str) -> bool:
    return any(
        INTEGER.fullmatch(part.strip()) and not MIN_INT <= int(part) <= MAX_INT
        for part in value.split(",")
    )


class OfferedFiltersOnly:
    def get_changelist(self, request, **kwargs):
        return OfferedFiltersOnlyChangeList


class WellFormedActionsOnly(admin.ModelAdmin):
    """A changelist action runs on the ids of the rows ticked; a forged selection that is not a
    list of ids is refused with a message (the admin would raise on it: a 500)."""

    def response_action(self, request, queryset, *args, **kwargs):
        selected = request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
        if not all(ID.fullmatch(value) for value in selected):
            self.message_user(request, "Tick rows of the list to act on.", messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())
        return super().response_action(request, queryset, *args, **kwargs)


def guarded(form_class):
    """The form class with the input rules of core.validators on every text and date field."""
    from core.validators import guard_form_fields

    def __init__(self, *args, **kwargs):
        form_class.__init__(self, *args, **kwargs)
        guard_form_fields(self.fields)

    return type(form_class.__name__, (form_class,), {"__init__": __init__})


class GuardedForms(admin.ModelAdmin):
    """Every form of the admin (add and change pages, their inlines, editable lists) takes text
    and dates by the rules of core.validators: no control or invisible format characters, dates
    at most a year ahead. The rules live there; this applies them to every model registered."""

    def get_form(self, request, obj=None, change=False, **kwargs):
        return guarded(super().get_form(request, obj, change=change, **kwargs))

    def get_changelist_form(self, request, **kwargs):
        return guarded(super().get_changelist_form(request, **kwargs))

    def get_formsets_with_inlines(self, request, obj=None):
        for formset, inline in super().get_formsets_with_inlines(request, obj):
            yield type(formset.__name__, (formset,), {"form": guarded(formset.form)}), inline


class LabelledRows(admin.ModelAdmin):
    """A form shown as a row of a table (a tabular inline, an editable list) has no label beside
    its controls: the column's heading names them for the eye only. Each control is named for
    assistive technology too, by that heading and its row: "Title (senior-pm: Mentors juniors)"."""

    def get_changelist_formset(self, request, **kwargs):
        return labelled_rows(super().get_changelist_formset(request, **kwargs))

    def get_formsets_with_inlines(self, request, obj=None):
        for formset, inline in super().get_formsets_with_inlines(request, obj):
            if inline.template.endswith("tabular.html"):
                formset = labelled_rows(formset)
            yield formset, inline


def labelled_rows(formset_class):
    """The formset class with an aria-label on every control of its forms (a list of radio
    buttons or check boxes is left alone: each of its choices has a label of its own)."""

    def add_fields(self, form, index):
        formset_class.add_fields(self, form, index)
        instance = getattr(form, "instance", None)
        if instance is not None and instance.pk is not None:
            row = str(instance)
        elif instance is not None:
            row = f"new {instance._meta.verbose_name}"
        else:
            row = "new" if index is None else f"row {index + 1}"
        for name, field in form.fields.items():
            # The control itself, inside the admin's wrapper of a related field (whose `attrs`
            # are still those of the form class's widget after the form's deep copy).
            widget = getattr(field.widget, "widget", field.widget)
            if widget.is_hidden or isinstance(widget, forms.RadioSelect):
                continue
            widget.attrs["aria-label"] = f"{field.label or name} ({row})"

    return type(formset_class.__name__, (formset_class,), {"add_fields": add_fields})


class HistoryForAuditReaders(admin.ModelAdmin):
    """The admin's generic history of an object says who changed what on it: an audit trail, so
    it is for those who read the audit trails (HR, superusers), on every model, as the member
    page's own change history is."""

    def history_view(self, request, object_id, extra_context=None):
        if not request.user.has_perm(AUDIT_READER_PERMISSION):
            raise PermissionDenied
        return super().history_view(request, object_id, extra_context)


AUDIT_READER_PERMISSION = "ladder.view_memberchange"  # HR's, given by a migration


class AxesAttemptTime(admin.ModelAdmin):
    """django-axes' own action ("Clean up expired attempts") reads `request.axes_attempt_time`,
    which only its login handler sets (jazzband/django-axes#1424): a 500 whatever is ticked.
    The cool-off is counted from now, as at a login."""

    def response_action(self, request, queryset, *args, **kwargs):
        if not hasattr(request, "axes_attempt_time"):
            request.axes_attempt_time = timezone.now()
        return super().response_action(request, queryset, *args, **kwargs)


class LadderAdminSite(admin.AdminSite):
    site_header = "PM Ladder"
    site_title = "PM Ladder"
    index_title = "Promotions and the career ladder"
    index_template = "admin/ladder_index.html"

    def index(self, request, extra_context=None):
        """The committee's index says how many promotions wait on the user's vote."""
        # Imported here: this module is loaded with the app registry, before models can be.
        from core import roles
        from promotions.selectors import awaiting_executive_of, awaiting_vote_of

        if roles.sees_everyone(request.user):
            waiting = awaiting_vote_of(user=request.user).count()
            extra_context = {**(extra_context or {}), "awaiting_my_vote": waiting}
        if roles.is_executive(request.user):
            # The Executives' share: the cases the committee approved that they may decide.
            waiting = awaiting_executive_of(user=request.user).count()
            extra_context = {**(extra_context or {}), "awaiting_my_approval": waiting}
        return super().index(request, extra_context)

    def login(self, request, extra_context=None):
        # Imported here: forms of django.contrib.auth need the app registry (config.desk_login).
        from accounts.sso import button_context
        from config.desk_login import DeskLoginForm

        self.login_form = DeskLoginForm
        return super().login(request, {**(extra_context or {}), **button_context()})

    def register(self, model_or_iterable, admin_class=None, **options):
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, OfferedFiltersOnly):
            bases: tuple[type, ...] = (
                OfferedFiltersOnly,
                HistoryForAuditReaders,
                WellFormedActionsOnly,
                GuardedForms,
                LabelledRows,
                admin_class,
            )
            if admin_class.__module__.startswith("axes."):
                bases = (AxesAttemptTime, *bases)
            admin_class = type(admin_class.__name__, bases, {})
        super().register(model_or_iterable, admin_class, **options)

    def password_change(self, request, extra_context=None):
        """A user's own password change, kept in the audit trail of people's records (older API
        tokens stop working by themselves: they were issued under the old password)."""
        from ladder.services import PASSWORD_CHANGED, member_change_record

        response = super().password_change(request, extra_context)
        if request.method == "POST" and response.status_code == 302:
            member_change_record(
                actor=request.user,
                user=request.user,
                changes=PASSWORD_CHANGED,
                route="admin",
            )
        return response


class LadderAdminConfig(AdminConfig):
    default_site = "config.admin_site.LadderAdminSite"
