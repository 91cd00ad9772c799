from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.http import HttpResponseRedirect
from django.utils.html import format_html_join

from ladder import services
from ladder.errors import DomainError
from ladder.models import Level, LevelChange, LevelTransition, Member, MemberChange

User = get_user_model()


class ReadOnlyAdminMixin:
    """A record that can be read in the admin, never added, changed or deleted there."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


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


class LadderIntegrityAdmin(admin.ModelAdmin):
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


@admin.register(Level)
class LevelAdmin(LadderIntegrityAdmin):
    list_display = ["rank", "code", "title", "track"]
    list_display_links = ["code"]
    list_filter = ["track"]
    ordering = ["rank"]
    inlines = [MoveOutInline]


class LevelTransitionForm(forms.ModelForm):
    class Meta:
        model = LevelTransition
        fields = ["from_level", "to_level", "is_active"]

    def clean(self):
        cleaned = super().clean()
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
    actor = None  # the user editing; set by MemberAdmin.get_form

    class Meta:
        model = Member
        fields = ["user", "level", "manager", "level_since", "is_active"]

    def clean(self):
        cleaned = super().clean()
        # The services' own checks, asked here so that a refusal is a message on the form.
        try:
            user = self.instance.user if self.instance.pk else cleaned.get("user")
            if user is not None:
                services.ensure_may_manage_user(self.actor, user)
            services.ensure_valid_manager(
                member=self.instance if self.instance.pk else None, manager=cleaned.get("manager")
            )
        except DomainError as exc:
            raise forms.ValidationError(exc.message) from None
        return cleaned


class LevelChangeInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = LevelChange
    fields = ["from_level", "to_level", "effective_date"]
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    form = MemberAdminForm
    list_display = ["__str__", "level", "manager", "level_since", "is_active"]
    list_filter = ["level", "level__track", "is_active"]
    list_select_related = ["user", "level", "manager__user"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "user__email"]
    autocomplete_fields = ["user", "manager"]
    inlines = [LevelChangeInline]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
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
        if obj:
            return ["user", "level", "level_since", "change_history"]
        return []

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.user.is_superuser and not request.user.is_superuser:
            return False  # read-only: a superuser's records are for superusers
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
            obj.pk, obj._state.adding = member.pk, False  # the admin goes on with this object
            return
        changes = {
            f: form.cleaned_data[f] for f in ("manager", "is_active") if f in form.changed_data
        }
        services.member_update(actor=request.user, member=obj, changes=changes, route="admin")


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
