from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError

from accounts.models import ApiToken, ScimToken
from accounts.scim import tokens
from core import roles
from core.errors import DomainError


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Superusers may see and revoke tokens (delete); nobody adds or edits one here: a key is
    issued by `POST /api/v1/auth/token/` and shown only there."""

    list_display = ["user", "created_at", "last_used_at"]
    list_select_related = ["user"]
    search_fields = ["user__username"]
    fields = ("user", "created_at", "last_used_at")
    readonly_fields = ("user", "created_at", "last_used_at")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ScimTokenForm(forms.ModelForm):
    class Meta:
        model = ScimToken
        fields = ["name"]

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if ScimToken.objects.filter(name__iexact=name).exists():
            raise ValidationError("A SCIM token of this name exists already.")
        return name


@admin.register(ScimToken)
class ScimTokenAdmin(admin.ModelAdmin):
    """HR's tokens for the identity provider's SCIM client: added with a name (the token is shown
    once, on the page that follows), revoked with the action; never edited or deleted (a revoked
    token stays listed: who made it, when it was last used)."""

    form = ScimTokenForm
    list_display = ["name", "created_at", "created_by", "last_used_at", "revoked_at"]
    list_select_related = ["created_by"]
    actions = ["revoke"]
    readonly_fields = ("created_by", "created_at", "last_used_at", "revoked_at")

    def get_fields(self, request, obj=None):
        return ("name",) if obj is None else ("name", *self.readonly_fields)

    def has_module_permission(self, request):
        return roles.is_hr(request.user)

    def has_view_permission(self, request, obj=None):
        return roles.is_hr(request.user)

    def has_add_permission(self, request):
        return roles.is_hr(request.user)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        try:
            row, token = tokens.scim_token_create(actor=request.user, name=obj.name)
        except DomainError as exc:  # a token of that name made meanwhile
            raise ValidationError(exc.message) from None
        obj.pk, obj.digest, obj.created_at, obj.created_by = (
            row.pk,
            row.digest,
            row.created_at,
            row.created_by,
        )
        messages.warning(
            request,
            f"The SCIM token {row.name!r} is {token} — copy it into the identity provider now: "
            "it is not stored and is shown only this once.",
        )

    @admin.action(description="Revoke the selected SCIM tokens")
    def revoke(self, request, queryset):
        for token in queryset:
            tokens.scim_token_revoke(actor=request.user, token=token)
        self.message_user(request, f"{queryset.count()} SCIM token(s) revoked.")
