from django.contrib import admin
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.text import Truncator

from audit.models import ConfigChange
from audit.services import config_change_record, diff, snapshot
from core.admin_mixins import ReadOnlyAdminMixin


@admin.register(ConfigChange)
class ConfigChangeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The configuration's audit trail, for HR: read it, never add, change or delete it. The list
    says each change in short (it fits beside the filters at 1024 px); a row's page has it whole."""

    list_display = ["when", "target", "how", "actor", "what"]
    list_filter = ["route", "action", "target_type"]
    list_select_related = ["actor"]
    search_fields = ["target", "actor__username"]
    fields = (
        "at",
        "actor",
        "route",
        "action",
        "target_type",
        "target_id",
        "target",
        "changed",
    )
    readonly_fields = fields

    @admin.display(description="at", ordering="at")
    def when(self, change):
        return f"{timezone.localtime(change.at):%Y-%m-%d %H:%M}"

    @admin.display(description="action", ordering="action")
    def how(self, change):
        return format_html("{}<br>via {}", change.action, change.route)

    @admin.display(description="what changed")
    def what(self, change):
        return _changes_html(change, _short)

    @admin.display(description="what changed")
    def changed(self, change):
        return _changes_html(change, repr)


def _changes_html(change: ConfigChange, shown) -> str:
    """One line per field: `field: before → after`, each value as `shown` writes it."""
    return format_html_join(
        mark_safe("<br>"),
        "{}: {} → {}",
        ((field, shown(c["from"]), shown(c["to"])) for field, c in change.changes.items()),
    )


def _short(value) -> str:
    return Truncator(repr(value)).chars(60)


def _fields(form, obj) -> list[str]:
    """The form's fields that are the object's own (not DELETE, not the inline's id)."""
    concrete = set(_all_fields(obj))
    return [name for name in form.fields if name in concrete]


def _saved(obj, fields: list[str]) -> dict:
    """The object's fields as the database holds them before this save ({} for a new one)."""
    if obj.pk is None:
        return {}
    saved = type(obj)._base_manager.filter(pk=obj.pk).first()
    return snapshot(saved, fields) if saved is not None else {}


class ConfigAuditAdminMixin(admin.ModelAdmin):
    """Every add, change and delete of this model in the admin, and of its inlines' rows, is
    appended to the configuration's audit trail in the save's transaction."""

    def save_model(self, request, obj, form, change):
        fields = _fields(form, obj)
        before = _saved(obj, fields)
        super().save_model(request, obj, form, change)
        _record(request.user, obj, before, snapshot(obj, fields), created=not before)

    def delete_model(self, request, obj):
        _record_deleted(request.user, obj, _all_fields(obj))
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            _record_deleted(request.user, obj, _all_fields(obj))
        super().delete_queryset(request, queryset)

    def save_formset(self, request, form, formset, change):
        befores = {
            f.instance.pk: _saved(f.instance, _fields(f, f.instance))
            for f in formset.forms
            if f.instance.pk is not None
        }
        for f in formset.deleted_forms:  # recorded first: a deleted row has no pk after
            if f.instance.pk is not None:
                _record_deleted(request.user, f.instance, _fields(f, f.instance))
        super().save_formset(request, form, formset, change)
        for obj in formset.new_objects:
            fields = _fields(formset.forms[0], obj) if formset.forms else []
            _record(request.user, obj, {}, snapshot(obj, fields), created=True)
        for obj, _changed in formset.changed_objects:
            before = befores.get(obj.pk, {})
            _record(request.user, obj, before, snapshot(obj, list(before)), created=False)


def _all_fields(obj) -> list[str]:
    return [field.name for field in obj._meta.concrete_fields if not field.primary_key]


def _record(actor, obj, before: dict, after: dict, *, created: bool) -> None:
    changes = diff(before, after)
    if created or changes:
        action = "created" if created else "changed"
        config_change_record(actor=actor, action=action, target=obj, changes=changes)


def _record_deleted(actor, obj, fields: list[str]) -> None:
    before = snapshot(obj, fields)
    config_change_record(actor=actor, action="deleted", target=obj, changes=diff(before, {}))
