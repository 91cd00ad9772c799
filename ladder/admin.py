from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import Group

from ladder import roles, services
from ladder.errors import DomainError
from ladder.models import Level, LevelChange, LevelTransition, Member

User = get_user_model()

admin.site.site_header = "PM Ladder"
admin.site.site_title = "PM Ladder"
admin.site.index_title = "Promotions and the career ladder"


class ReadOnlyAdminMixin:
    """A record that can be read in the admin, never added, changed or deleted there."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class MoveOutInline(admin.TabularInline):
    model = LevelTransition
    fk_name = "from_level"
    extra = 0
    verbose_name = "allowed move up"
    verbose_name_plural = "allowed moves up from this level"


@admin.register(Level)
class LevelAdmin(admin.ModelAdmin):
    list_display = ["rank", "code", "title", "track"]
    list_display_links = ["code"]
    list_filter = ["track"]
    ordering = ["rank"]
    inlines = [MoveOutInline]


@admin.register(LevelTransition)
class LevelTransitionAdmin(admin.ModelAdmin):
    list_display = ["__str__", "from_level", "to_level", "is_active"]
    list_editable = ["is_active"]
    list_filter = ["is_active", "from_level__track"]
    list_select_related = ["from_level", "to_level"]


class MemberAdminForm(forms.ModelForm):
    class Meta:
        model = Member
        fields = ["user", "level", "manager", "level_since", "is_active"]

    def clean(self):
        cleaned = super().clean()
        manager = cleaned.get("manager")
        try:
            services.ensure_valid_manager(
                member=self.instance if self.instance.pk else None, manager=manager
            )
        except DomainError as exc:
            raise forms.ValidationError({"manager": exc.message}) from None
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

    def get_readonly_fields(self, request, obj=None):
        # Placing someone on the ladder sets their level; after that only a promotion moves it.
        return ["user", "level", "level_since"] if obj else []

    def save_model(self, request, obj, form, change):
        if not change:
            super().save_model(request, obj, form, change)
            return
        # Changes go through the same service as the API: deactivating a member ends their login.
        changes = {
            f: form.cleaned_data[f] for f in ("manager", "is_active") if f in form.changed_data
        }
        services.member_update(actor=request.user, member=obj, changes=changes)


@admin.register(LevelChange)
class LevelChangeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Career history is a record: it can be read, never added, changed or deleted here."""

    list_display = ["member", "from_level", "to_level", "effective_date"]
    list_filter = ["to_level"]
    list_select_related = ["member__user", "from_level", "to_level"]
    search_fields = ["member__user__username"]


class LadderUserAdmin(UserAdmin):
    """HR manages users and their groups; only a superuser may grant superuser status or raw
    permissions. Members of HR and of the committee are made staff so they can log in here."""

    def get_queryset(self, request):
        users = super().get_queryset(request)
        # Superusers are managed by superusers only (password, activity, groups).
        return users if request.user.is_superuser else users.filter(is_superuser=False)

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            readonly += ["is_superuser", "user_permissions"]
        return readonly

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "groups" and not request.user.is_superuser:
            kwargs["queryset"] = Group.objects.filter(name__in=roles.ROLE_GROUPS)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        services.user_grant_staff_for_roles(user=form.instance)


admin.site.unregister(User)
admin.site.register(User, LadderUserAdmin)
