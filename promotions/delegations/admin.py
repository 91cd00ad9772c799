"""HR's list of delegations in the admin: every one, add one for a seat holder, revoke (delete)
one. Writes go through promotions.delegations.services (the same rules and audit as the API).
Registered from promotions/admin.py."""

from typing import cast

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.utils import timezone

from core import roles
from core.errors import DomainError
from promotions.delegations import services
from promotions.delegations.models import Delegation
from promotions.delegations.selectors import SEAT_ROLES


def seat_holders():
    """Active users holding a seat (the committee, the Executives): the people a delegation
    names."""
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name__in=SEAT_ROLES)
        .distinct()
        .order_by("username")
    )


class DelegationForm(forms.ModelForm):
    """The service validates and saves it when the form validates, so a refusal (an overlap, a
    chain, a delegate without the role) shows beside what HR chose."""

    actor = None  # the user, set per request by DelegationAdmin.get_form

    class Meta:
        model = Delegation
        fields = ["delegator", "delegate", "starts_on", "ends_on"]
        help_texts = {
            "delegator": "Whose seat: a committee member or an Executive.",
            "delegate": "Who holds it meanwhile: someone holding the same role.",
            "starts_on": "The first day: today or later.",
            "ends_on": "The last day, included.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # On a delegation's page (read-only: revoke it and name another) the form has no fields.
        for name in ("delegator", "delegate"):
            if name in self.fields:
                cast(forms.ModelChoiceField, self.fields[name]).queryset = seat_holders()
        if "starts_on" in self.fields:
            self.fields["starts_on"].initial = timezone.localdate()

    def _post_clean(self):
        if self.errors:
            return
        try:
            self.instance = services.delegation_create(actor=self.actor, **self.cleaned_data)
        except DomainError as exc:
            self.add_error(None, exc.message)


class DelegationAdmin(admin.ModelAdmin):
    form = DelegationForm
    list_display = ["delegator", "delegate", "starts_on", "ends_on", "in_force", "created_by"]
    list_select_related = ["delegator", "delegate", "created_by"]
    search_fields = ["delegator__username", "delegate__username"]
    # Revoked one at a time, from its page (Delete): no bulk action.
    actions = None

    def has_module_permission(self, request):
        return roles.is_hr(request.user)

    def has_view_permission(self, request, obj=None):
        return roles.is_hr(request.user)

    def has_add_permission(self, request):
        return roles.is_hr(request.user)

    def has_change_permission(self, request, obj=None):
        return False  # revoke it and name another

    def has_delete_permission(self, request, obj=None):
        if not roles.is_hr(request.user):
            return False
        if obj is None:
            return True
        try:  # the service's rule: not while HR's own promotion is open (a conflict of interest)
            services.ensure_may_revoke(request.user, obj)
        except DomainError:
            return False
        return True

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        return type(form.__name__, (form,), {"actor": request.user})

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if field is not None and db_field.name in ("delegator", "delegate"):
            # People are chosen here, not added or edited: no links to the users' pages.
            field.widget = getattr(field.widget, "widget", field.widget)
        return field

    def save_model(self, request, obj, form, change):
        pass  # saved by the service when the form validated (DelegationForm)

    def delete_model(self, request, obj):
        services.delegation_revoke(actor=request.user, delegation=obj)

    def delete_queryset(self, request, queryset):
        for delegation in queryset.select_related("delegator", "delegate"):
            services.delegation_revoke(actor=request.user, delegation=delegation)

    @admin.display(description="in force today", boolean=True)
    def in_force(self, delegation):
        return delegation.starts_on <= timezone.localdate() <= delegation.ends_on
