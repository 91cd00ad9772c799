import base64
from typing import Any, cast

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import OuterRef
from django.http import HttpResponseRedirect
from django.template.defaultfilters import pluralize
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html_join

from accounts.invitations import invitation_dates
from accounts.services import tokens_revoke_for
from audit.admin import ConfigAuditAdminMixin
from core import roles
from core.admin_mixins import HRExportMixin, ReadOnlyAdminMixin
from core.errors import DomainError
from core.uploads import accepts_upload
from core.validators import NOT_IN_FUTURE
from ladder import erasure, invitations, services
from ladder.imports import DATE_FORMAT_CHOICES, MemberResource, members_import
from ladder.models import Criterion, Level, LevelChange, LevelTransition, Member, MemberChange

User = get_user_model()


NEW_LEVEL = object()  # the key of a level not saved yet


def _proposed_ladder(*, level: Level | None = None, moves_out=None, move=None):
    """The saved ladder with this edit applied: `level` (saved or new) with its proposed rank and
    track, its moves out replaced by `moves_out` (to-level ids), or one move changed or added."""
    levels, moves = services.ladder_as_saved()
    if level is not None:
        key = level.pk or NEW_LEVEL
        levels = [lv for lv in levels if lv.key != key]
        levels.append(services.LevelFacts(key, level.code, level.rank, level.track))
        if moves_out is not None:
            moves = [m for m in moves if m[0] != key] + [(key, to) for to in moves_out]
    if move is not None:
        moves = [m for m in moves if m != move[:2] and (move[2] is None or m != move[2])]
        moves.append(move[:2])
    return services.ladder_problems(levels=levels, moves=moves)


class MoveOutFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        level = self.instance  # already carries the rank and track of the form above
        if level.rank is None or not level.track:
            return  # the level's own form has errors, shown there
        moves_out = [
            form.cleaned_data["to_level"].pk
            for form in self.forms
            if form.cleaned_data
            and not form.cleaned_data.get("DELETE")
            and form.cleaned_data.get("to_level")
        ]
        problems = _proposed_ladder(level=level, moves_out=moves_out)
        if problems:
            raise forms.ValidationError(problems)


class MoveOutInline(admin.TabularInline):
    model = LevelTransition
    formset = MoveOutFormSet
    fk_name = "from_level"
    extra = 0
    verbose_name = "allowed move up"
    verbose_name_plural = "allowed moves up from this level"


class LadderIntegrityAdmin(ConfigAuditAdminMixin, admin.ModelAdmin):
    """The forms check the ladder they are about to save (ladder_problems); the save checks the
    ladder as saved, in the same transaction (ensure_ladder_integrity), so an edit that slipped
    past the form (two at once) is rolled back and answered with a message, not saved."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as exc:  # raised in save_related: the transaction was rolled back
            messages.error(request, f"Not saved: {exc.message}")
            return HttpResponseRedirect(request.get_full_path())

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        services.ensure_ladder_integrity()


class CriterionInline(admin.TabularInline):
    """What a promotion to this level is judged against. Reword or deactivate; never delete (a
    packet or review may refer to one)."""

    model = Criterion
    fields = ["order", "code", "title", "description", "is_active"]
    extra = 0
    can_delete = False
    # Inline rows sit in the main column: the admin's default widths overflowed it at 1280 px.
    formfield_overrides = {
        models.CharField: {"widget": forms.TextInput(attrs={"size": 22})},
        models.TextField: {"widget": forms.Textarea(attrs={"rows": 2, "cols": 36})},
    }


@admin.register(Level)
class LevelAdmin(LadderIntegrityAdmin):
    list_display = ["rank", "code", "title", "track", "min_months_in_level", "executive_approval"]
    list_display_links = ["code"]
    list_filter = ["track"]
    ordering = ["rank"]
    inlines = [CriterionInline, MoveOutInline]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "min_months_in_level":
            kwargs["help_text"] = (
                "Eligibility: the months a member spends at this level before a move up "
                "(0: no minimum)."
            )
        if db_field.name == "executive_approval":
            kwargs["help_text"] = (
                "A move to this level needs an Executive's approval after the committee's."
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)


@admin.register(Criterion)
class CriterionAdmin(ConfigAuditAdminMixin, admin.ModelAdmin):
    list_display = ["level", "order", "title", "code", "is_active"]
    list_filter = ["level", "is_active"]
    list_select_related = ["level"]
    search_fields = ["title", "description", "code"]

    def has_delete_permission(self, request, obj=None):
        return False  # deactivate instead: packets and reviews keep referring to it


class LevelTransitionForm(forms.ModelForm):
    class Meta:
        model = LevelTransition
        fields = ["from_level", "to_level", "is_active"]

    def clean(self):
        cleaned = super().clean() or {}
        start, end = cleaned.get("from_level"), cleaned.get("to_level")
        if start and end:
            before = (self.instance.from_level_id, self.instance.to_level_id)
            problems = _proposed_ladder(
                move=(start.pk, end.pk, before if self.instance.pk else None)
            )
            if problems:
                raise forms.ValidationError(problems)
        return cleaned


@admin.register(LevelTransition)
class LevelTransitionAdmin(LadderIntegrityAdmin):
    form = LevelTransitionForm
    list_display = ["__str__", "from_level", "to_level", "is_active"]
    list_editable = ["is_active"]
    list_filter = ["is_active", "from_level__track"]
    list_select_related = ["from_level", "to_level"]


class MemberAdminForm(forms.ModelForm):
    actor: Any = None  # the user editing; set by MemberAdmin.get_form
    # Placing someone: e-mail them a link to choose their password (never chosen by HR).
    invite = forms.BooleanField(
        label="Send an invitation",
        required=False,
        help_text="E-mail this person a link to choose their own password (it works once, for "
        f"{settings.INVITE_TTL_HOURS} hours).",
    )

    class Meta:
        model = Member
        fields = ["user", "level", "manager", "level_since", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "level_since" in self.fields:  # placing someone: since when, never ahead of today
            self.fields["level_since"].validators.append(NOT_IN_FUTURE)

    def clean(self):
        cleaned = super().clean() or {}
        # The services' own checks, asked here so that a refusal is a message on the form.
        try:
            user = self.instance.user if self.instance.pk else cleaned.get("user")
            if user is not None:
                services.ensure_may_manage_user(self.actor, user)
            if self.instance.pk:
                if user == self.actor and not self.actor.is_superuser:
                    raise forms.ValidationError("You may not change your own record.")
                if {"is_active", "manager"} & set(self.changed_data):
                    services.ensure_may_administer_accounts(self.actor)
            services.ensure_valid_manager(
                member=self.instance if self.instance.pk else None, manager=cleaned.get("manager")
            )
            if cleaned.get("invite") and user is not None:
                invitations.ensure_may_invite(self.actor, user)
        except DomainError as exc:
            raise forms.ValidationError(exc.message) from None
        return cleaned


class LevelChangeInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = LevelChange
    fields = readonly_fields = ("from_level", "to_level", "effective_date")
    extra = 0
    can_delete = False


class MemberImportForm(forms.Form):
    file = forms.FileField(
        label="CSV or XLSX file",
        help_text="CSV in UTF-8 or Windows-1252, separated by commas, semicolons or tabs, or an "
        "Excel workbook (its first sheet); the columns of the member export (its header line).",
    )
    date_format = forms.ChoiceField(
        label="Dates (level_since) written as",
        choices=DATE_FORMAT_CHOICES,
        required=False,
        help_text="YYYY-MM-DD is always read. Without a format, a date such as 01/03/2024 that "
        "the file leaves ambiguous is an error.",
    )

    invite = forms.BooleanField(
        label="Send an invitation to each member created",
        required=False,
        help_text="Each new member is e-mailed a link to choose their own password; members "
        "updated by the file are not.",
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.UPLOAD_MAX_FILE_BYTES:
            megabytes = settings.UPLOAD_MAX_FILE_BYTES // (1024 * 1024)
            raise forms.ValidationError(f"The file is larger than {megabytes} MB: split it.")
        return upload


IMPORT_SESSION_KEY = "ladder_member_import"  # the file checked: content (base64), name, format
IMPORT_INVITE_SESSION_KEY = "ladder_member_import_invite"


@admin.register(Member)
class MemberAdmin(HRExportMixin, admin.ModelAdmin):
    form = MemberAdminForm
    resource_classes = [MemberResource]
    import_export_change_list_template = "admin/ladder/member/change_list.html"
    # Short headers: beside the filters, every column fits at 1280 px.
    list_display = ["__str__", "level", "manager", "since", "active"]
    list_filter = ["level", "level__track", "is_active"]
    list_select_related = ["user", "level", "manager__user"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "user__email"]
    autocomplete_fields = ["user", "manager"]
    inlines = [LevelChangeInline]
    actions = ["send_invitations", "erase_personal_data"]

    def get_queryset(self, request):
        members = super().get_queryset(request)
        if roles.is_hr(request.user):  # HR reads who was invited, and who accepted
            members = members.annotate(**invitation_dates(OuterRef("user_id")))
        return members

    def get_list_display(self, request):
        columns = list(super().get_list_display(request))
        return [*columns, "invitation"] if roles.is_hr(request.user) else columns

    @admin.display(description="invitation", ordering="invited_at")
    def invitation(self, member):
        return _invitation_state(member)

    @admin.display(description="invited at")
    def invited_at(self, member):
        return _when(getattr(member, "invited_at", None))

    @admin.display(description="invitation accepted at")
    def invitation_accepted_at(self, member):
        return _when(getattr(member, "invitation_accepted_at", None))

    @admin.action(description="Send invitations (a new link; older ones stop working)")
    def send_invitations(self, request, queryset):
        if not roles.is_hr(request.user):
            raise PermissionDenied
        try:
            sent = invitations.invitations_send(
                actor=request.user,
                users=[member.user for member in queryset.select_related("user")],
                route="admin",
            )
        except DomainError as exc:
            self.message_user(request, f"No invitation sent: {exc.message}", messages.ERROR)
            return
        if sent.invited:
            self.message_user(
                request,
                f"{len(sent.invited)} invitation{pluralize(len(sent.invited))} sent: "
                f"{', '.join(sent.invited[:20])}{' …' if len(sent.invited) > 20 else ''}.",
                messages.SUCCESS,
            )
        for username, reason in list(sent.refused.items())[:20]:
            self.message_user(request, f"Not invited: {username}: {reason}", messages.WARNING)
        if len(sent.refused) > 20:
            self.message_user(
                request, f"… and {len(sent.refused) - 20} more not invited.", messages.WARNING
            )

    @admin.action(description="Erase personal data (inactive members; cannot be undone)")
    def erase_personal_data(self, request, queryset):
        """A confirmation page first, then each member through ladder.erasure.member_erase (one
        transaction each): the refused are listed with the reason."""
        if not roles.is_hr(request.user):
            raise PermissionDenied
        members = list(queryset.select_related("user").order_by("id"))
        if request.POST.get("post") != "yes":
            context = {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "members": members,
                "title": "Erase personal data",
            }
            return TemplateResponse(request, "admin/ladder/member/erase_confirmation.html", context)
        erased = 0
        for member in members:
            name = str(member)
            try:
                erasure.member_erase(actor=request.user, member=member, route="admin")
            except DomainError as exc:
                self.message_user(request, f"Not erased: {name}: {exc.message}", messages.WARNING)
            else:
                erased += 1
        if erased:
            self.message_user(
                request,
                f"The personal data of {erased} member{pluralize(erased)} was erased.",
                messages.SUCCESS,
            )
        return None

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not roles.is_hr(request.user):
            actions.pop("send_invitations", None)
            actions.pop("erase_personal_data", None)
        return actions

    @admin.display(description="since", ordering="level_since")
    def since(self, member):
        return member.level_since

    @admin.display(description="active", boolean=True, ordering="is_active")
    def active(self, member):
        return member.is_active

    # --- HR's import: upload, a dry run as preview, confirm -------------------------------------

    def get_urls(self):
        return [
            path(
                "import/",
                self.admin_site.admin_view(accepts_upload(self.import_view)),
                name="ladder_member_import",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_import_members": roles.is_hr(request.user)}
        return super().changelist_view(request, extra_context)

    def import_view(self, request):
        """Upload a CSV: every row is checked and the import is run and rolled back (a dry run),
        and the page shows what it would do or every error with its line. Confirming runs it for
        real, from the file kept in the session. Both call ladder.imports.members_import."""
        if not roles.is_hr(request.user):
            raise PermissionDenied
        form = MemberImportForm()
        result = None
        if request.method == "POST" and "confirm" in request.POST:
            checked = request.session.get(IMPORT_SESSION_KEY)
            if not isinstance(checked, dict):
                messages.error(request, "Nothing to import: upload the file again.")
                return HttpResponseRedirect(request.path)
            invite = bool(request.session.get(IMPORT_INVITE_SESSION_KEY))
            try:
                result = members_import(
                    actor=request.user,
                    content=base64.b64decode(checked["content"]),
                    filename=checked["filename"],
                    date_format=checked["date_format"],
                    invite=invite,
                )
            except DomainError as exc:
                raise PermissionDenied(exc.message) from None
            if result.ok:
                del request.session[IMPORT_SESSION_KEY]
                request.session.pop(IMPORT_INVITE_SESSION_KEY, None)
                messages.success(
                    request,
                    f"Imported: {len(result.created)} created, {len(result.updated)} updated, "
                    f"{result.unchanged} unchanged."
                    + (f" {len(result.invited)} invited." if invite else ""),
                )
                for username, reason in list(result.not_invited.items())[:20]:
                    messages.warning(request, f"Not invited: {username}: {reason}")
                return HttpResponseRedirect(reverse("admin:ladder_member_changelist"))
        elif request.method == "POST":
            form = MemberImportForm(request.POST, request.FILES)
            if form.is_valid():
                upload = form.cleaned_data["file"]
                checked = {
                    "content": upload.read(),
                    "filename": upload.name or "",
                    "date_format": form.cleaned_data["date_format"],
                }
                try:
                    result = members_import(actor=request.user, dry_run=True, **checked)
                except DomainError as exc:
                    raise PermissionDenied(exc.message) from None
                if result.ok:
                    # Confirming imports this very file (checked again then, as a whole).
                    checked["content"] = base64.b64encode(checked["content"]).decode("ascii")
                    request.session[IMPORT_SESSION_KEY] = checked
                    request.session[IMPORT_INVITE_SESSION_KEY] = form.cleaned_data["invite"]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Import members (CSV or XLSX)",
            "form": form,
            "result": result,
            "invite": bool(request.session.get(IMPORT_INVITE_SESSION_KEY)),
            "columns": MemberResource().get_export_headers(),
        }
        return TemplateResponse(request, "admin/ladder/member/import.html", context)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = cast(type[MemberAdminForm], super().get_form(request, obj, change=change, **kwargs))
        form.actor = request.user
        return form

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user":
            # Only people not on the ladder yet; superusers only for a superuser. A forged id
            # outside this set is "not one of the available choices".
            users = User.objects.filter(member__isnull=True)
            if not request.user.is_superuser:
                users = users.filter(is_superuser=False)
            kwargs["queryset"] = users
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        # Placing someone on the ladder sets their level; after that only a promotion moves it.
        if obj is None:
            return []
        readonly = ["user", "level", "level_since"]
        if roles.is_hr(request.user):
            readonly += ["invited_at", "invitation_accepted_at"]
        if request.user.has_perm(
            "ladder.view_memberchange"
        ):  # HR's audit trail, not the committee's
            readonly.append("change_history")
        return readonly

    def get_fields(self, request, obj=None):
        fields = list(super().get_fields(request, obj))
        if obj is not None:  # a placed member is invited from the list's action
            fields.remove("invite")
        return fields

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.user.is_superuser and not request.user.is_superuser:
            return False  # read-only: a superuser's records are for superusers
        if obj is not None and obj.erased_at is not None:
            return False  # read-only: an erased member's record is closed (already_erased)
        return super().has_change_permission(request, obj)

    @admin.display(description="change history (every route)")
    def change_history(self, member):
        rows = MemberChange.objects.filter(user_id=member.user_id).select_related("actor")
        return (
            format_html_join(
                "",
                "{} · {} · {} · {}<br>",
                (
                    (f"{c.at:%Y-%m-%d %H:%M}", c.actor or "—", c.route, _describe(c.changes))
                    for c in rows
                ),
            )
            or "—"
        )

    def save_model(self, request, obj, form, change):
        # Both go through the services, as the API does: checks, audit trail, token revocation.
        if not change:
            member = services.member_place(
                actor=request.user,
                user=form.cleaned_data["user"],
                level=form.cleaned_data["level"],
                manager=form.cleaned_data.get("manager"),
                level_since=form.cleaned_data.get("level_since"),
            )
            if form.cleaned_data.get("invite"):  # the admin's transaction: both, or neither
                invitations.invitation_send(actor=request.user, user=member.user, route="admin")
            obj.pk, obj._state.adding = member.pk, False  # the admin goes on with this object
            return
        changes = {
            f: form.cleaned_data[f] for f in ("manager", "is_active") if f in form.changed_data
        }
        services.member_update(actor=request.user, member=obj, changes=changes, route="admin")


def _when(moment) -> str:
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M}" if moment else "—"


def _invitation_state(member) -> str:
    """The newest invitation in a few words: accepted, or sent and waiting (or never)."""
    invited = getattr(member, "invited_at", None)
    accepted = getattr(member, "invitation_accepted_at", None)
    if accepted and (invited is None or accepted >= invited):
        return f"accepted {timezone.localtime(accepted):%Y-%m-%d}"
    if invited:
        return f"sent {timezone.localtime(invited):%Y-%m-%d}"
    return "—"


def _describe(changes: dict) -> str:
    return "; ".join(f"{field}: {c['from']!r} → {c['to']!r}" for field, c in changes.items())


@admin.register(MemberChange)
class MemberChangeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The audit trail of people's records: read it, never add, change or delete it."""

    list_display = ["at", "user", "actor", "route", "what"]
    list_filter = ["route"]
    list_select_related = ["user", "actor"]
    search_fields = ["user__username", "actor__username"]

    @admin.display(description="what changed")
    def what(self, change):
        return _describe(change.changes)


@admin.register(LevelChange)
class LevelChangeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Career history is a record: it can be read, never added, changed or deleted here."""

    list_display = ["member", "from_level", "to_level", "effective_date"]
    list_filter = ["to_level"]
    list_select_related = ["member__user", "from_level", "to_level"]
    search_fields = ["member__user__username"]


class LadderUserAdmin(UserAdmin):
    """User accounts. HR manages them and grants committee membership (the groups); the accounts
    of superusers, and of anyone with rights beyond the two roles, are for superusers alone, and
    so are superuser status and raw permissions. While HR has a conflict of interest (their own
    promotion is open: roles.account_conflict) this page is read-only for them. Every change is
    kept in the audit trail of people's records; a deactivation or a new password revokes the
    user's API tokens."""

    def get_queryset(self, request):
        users = super().get_queryset(request)
        if request.user.is_superuser:
            return users
        beyond_roles = Group.objects.exclude(name__in=roles.STAFF_GROUPS)
        return users.filter(is_superuser=False, user_permissions__isnull=True).exclude(
            groups__in=beyond_roles
        )

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            readonly += ["is_superuser", "user_permissions"]
        return readonly

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "groups" and not request.user.is_superuser:
            kwargs["queryset"] = Group.objects.filter(name__in=roles.STAFF_GROUPS)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def _free_of_conflict(self, request) -> bool:
        return roles.account_conflict(request.user) is None

    def has_add_permission(self, request):
        return super().has_add_permission(request) and self._free_of_conflict(request)

    def has_change_permission(self, request, obj=None):
        if obj is not None and Member.objects.filter(user=obj, erased_at__isnull=False).exists():
            return False  # read-only: an erased member's account is closed (already_erased)
        return super().has_change_permission(request, obj) and self._free_of_conflict(request)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._free_of_conflict(request)

    def user_change_password(self, request, id, form_url=""):
        if not self.has_change_permission(request):
            raise PermissionDenied
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302:  # the form was saved
            user = self.get_object(request, id)
            services.member_change_record(
                actor=request.user, user=user, changes=services.PASSWORD_CHANGED, route="admin"
            )
            tokens_revoke_for(user=user)
        return response

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        request._account_changes = _account_changes(form)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        user = form.instance
        changes = {
            **getattr(request, "_account_changes", {}),
            **_many_changes(form, "groups"),
            **_many_changes(form, "user_permissions"),
        }
        if services.user_grant_staff_for_roles(user=user):
            changes["is_staff"] = {"from": False, "to": True}
        member = Member.objects.filter(user=user).first()
        if member is not None and "is_active" in changes and member.is_active != user.is_active:
            # The member follows their login (and that service keeps its own audit row).
            del changes["is_active"]
            services.member_update(
                actor=request.user,
                member=member,
                changes={"is_active": user.is_active},
                route="admin",
            )
        services.member_change_record(actor=request.user, user=user, changes=changes, route="admin")
        if not user.is_active or "password" in changes:
            tokens_revoke_for(user=user)


ACCOUNT_FIELDS = (
    "username",
    "first_name",
    "last_name",
    "email",
    "is_active",
    "is_staff",
    "is_superuser",
    "date_joined",
)


def _account_changes(form) -> dict:
    changes = {
        field: {
            "from": services.audit_value(form.initial.get(field)),
            "to": services.audit_value(form.cleaned_data.get(field)),
        }
        for field in ACCOUNT_FIELDS
        if field in form.changed_data
    }
    if "password1" in form.changed_data:  # the add form: a first password
        changes["password"] = {"from": None, "to": "set"}
    return changes


def _many_changes(form, field: str) -> dict:
    if field not in form.changed_data:
        return {}
    before = sorted(str(item) for item in form.initial.get(field, []))
    after = sorted(str(item) for item in form.cleaned_data.get(field, []))
    return {field: {"from": before, "to": after}}


admin.site.unregister(User)
admin.site.register(User, LadderUserAdmin)
