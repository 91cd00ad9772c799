"""HR's webhooks in the admin: endpoints (the secret shown once, on creation) and the delivery
log, with "send again". Every write goes through webhooks.services."""

import json

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.db.models import Count
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.text import Truncator, capfirst

from core import roles
from core.admin_mixins import ReadOnlyAdminMixin, log_time
from core.errors import DomainError
from webhooks import services
from webhooks.events import Event
from webhooks.models import Delivery, DeliveryStatus, Endpoint

ENDPOINT_FILTER = "endpoint__id__exact"  # the list filter's parameter: one endpoint's log


def _deliveries(count: int) -> str:
    return f"{count} delivery" if count == 1 else f"{count} deliveries"


def _endpoint_named_by(value: str | None) -> Endpoint | None:
    if not value or not value.isascii() or not value.isdigit() or len(value) > 18:
        return None
    return Endpoint.objects.filter(pk=int(value)).first()


class HROnlyAdmin(admin.ModelAdmin):
    def has_module_permission(self, request):
        return roles.is_hr(request.user)

    def has_view_permission(self, request, obj=None):
        return roles.is_hr(request.user)


class EndpointForm(forms.ModelForm):
    """The service validates and saves (webhooks.services) when the form validates: a refused URL
    shows as a form error beside what HR typed."""

    actor = None  # the user, set per request by EndpointAdmin.get_form
    events = forms.MultipleChoiceField(
        # Grouped by what they are about; "radiolist": the admin's own style for a list of
        # choices, each label as wide as its name (not the 160 px of a field's label).
        choices=[
            (group, [(event, event) for event in Event if event.startswith(prefix)])
            for group, prefix in (
                ("Promotions", "promotion."),
                ("Members", "member."),
                ("Cycles", "cycle."),
            )
        ],
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "radiolist"}),
        help_text="None ticked: every event.",
    )

    class Meta:
        model = Endpoint
        fields = ["url", "description", "events", "is_active"]
        widgets = {"url": forms.URLInput(attrs={"size": 60})}
        labels = {"url": "URL", "is_active": "Active"}
        help_texts = {
            "url": "https, at a public address; checked again before every send.",
            "is_active": (
                "Unticked: nothing is sent to it; its events are held, and sent oldest first "
                "when it is ticked again."
            ),
        }

    def _post_clean(self):
        if self.errors:
            return
        # The form's own fields: the admin adds the read-only ones to Meta.fields as well.
        fields = {name: self.cleaned_data[name] for name in self.fields}
        try:
            if self.instance.pk is None:
                self.instance = services.endpoint_create(actor=self.actor, **fields)
            else:
                self.instance = services.endpoint_update(
                    actor=self.actor, endpoint=self.instance, changes=fields
                )
        except DomainError as exc:
            self.add_error("url" if "url" in exc.code else None, exc.message)


@admin.register(Endpoint)
class EndpointAdmin(HROnlyAdmin):
    form = EndpointForm
    # Four columns and no filter (a company has a handful of webhooks; the state is a column):
    # the list has the page's width, and a long address fits at 1280 px.
    list_display = ["webhook", "subscribed", "state", "delivery_log"]
    search_fields = ["url", "description"]
    readonly_fields = ["consecutive_failures", "disabled_at", "delivery_log"]

    def has_add_permission(self, request):
        return roles.is_hr(request.user)

    def has_change_permission(self, request, obj=None):
        return roles.is_hr(request.user)

    def has_delete_permission(self, request, obj=None):
        return roles.is_hr(request.user)

    def get_fields(self, request, obj=None):
        fields = ["url", "description", "events", "is_active"]
        return fields if obj is None else [*fields, *self.readonly_fields]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        return type(form.__name__, (form,), {"actor": request.user})

    def save_model(self, request, obj, form, change):
        pass  # saved by the service when the form validated (EndpointForm)

    def delete_model(self, request, obj):
        services.endpoint_delete(actor=request.user, endpoint=obj)

    def delete_queryset(self, request, queryset):
        for endpoint in queryset:
            services.endpoint_delete(actor=request.user, endpoint=endpoint)

    def get_deleted_objects(self, objs, request):
        """An endpoint goes with its delivery log (services.endpoint_delete): deleting it asks for
        no right to delete deliveries, which nobody has, and the log is counted, not listed row by
        row."""
        endpoints = list(objs)
        counts = dict(
            Delivery.objects.filter(endpoint__in=endpoints)
            .values("endpoint")
            .annotate(n=Count("id"))
            .values_list("endpoint", "n")
        )
        to_delete: list = []  # an object's line, then a list of what goes with it
        for endpoint in endpoints:
            to_delete.append(
                format_html(
                    '{}: <a href="{}">{}</a>',
                    capfirst(self.opts.verbose_name),
                    reverse("admin:webhooks_endpoint_change", args=[endpoint.pk]),
                    endpoint,
                )
            )
            if counts.get(endpoint.pk):
                to_delete.append([f"Its delivery log: {_deliveries(counts[endpoint.pk])}"])
        model_count = {self.opts.verbose_name_plural: len(endpoints)}
        if sum(counts.values()):
            model_count[Delivery._meta.verbose_name_plural] = sum(counts.values())
        return to_delete, model_count, set(), []

    def response_add(self, request, obj, post_url_continue=None):
        """The secret, this once: on a page of its own (not in a message, which may be kept in a
        cookie)."""
        return TemplateResponse(
            request,
            "admin/webhooks/endpoint/secret.html",
            {
                **self.admin_site.each_context(request),
                "title": "Keep this secret now",
                "endpoint": obj,
                "opts": self.opts,
                "change_url": reverse("admin:webhooks_endpoint_change", args=[obj.pk]),
            },
        )

    @admin.display(description="events")
    def subscribed(self, endpoint):
        if not endpoint.events:
            return "All"
        if len(endpoint.events) > 4:
            return format_html(
                '<span title="{}">{} of {} events</span>',
                ", ".join(endpoint.events),
                len(endpoint.events),
                len(Event),
            )
        return format_html_join(mark_safe("<br>"), "{}", ((event,) for event in endpoint.events))

    @admin.display(description="webhook", ordering="description")
    def webhook(self, endpoint):
        short = Truncator(endpoint.url).chars(70)
        url = format_html('<span title="{}">{}</span>', endpoint.url, short)
        if not endpoint.description:
            return url
        return format_html('{}<br><span class="quiet">{}</span>', endpoint.description, url)

    @admin.display(description="state", ordering="is_active")
    def state(self, endpoint):
        if endpoint.is_active:
            if not endpoint.consecutive_failures:
                return "Active"
            return format_html(
                'Active<br><span class="quiet">{} failed in a row{}</span>',
                endpoint.consecutive_failures,
                format_html(", since {}", log_time(endpoint.failing_since))
                if endpoint.failing_since
                else "",
            )
        if endpoint.disabled_at:
            return format_html(
                'Disabled<br><span class="quiet">failing {} h, {}; events held</span>',
                settings.WEBHOOKS_DISABLE_AFTER_HOURS,
                log_time(endpoint.disabled_at),
            )
        return mark_safe('Off<br><span class="quiet">events held</span>')

    @admin.display(description="deliveries")
    def delivery_log(self, endpoint):
        if endpoint.pk is None:
            return "-"
        url = reverse("admin:webhooks_delivery_changelist") + f"?{ENDPOINT_FILTER}={endpoint.pk}"
        return format_html('<a href="{}">Delivery log</a>', url)


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdminMixin, HROnlyAdmin):
    """Read-only: deliveries are written by the workflow and sent by the workers. HR sends one
    again with the action."""

    # Short columns, times without the year: beside the filters, the log fits at 1280 px.
    list_display = ["created", "event", "webhook", "state", "tries", "http"]
    list_filter = ["status", "event", "endpoint"]
    list_select_related = ["endpoint"]
    search_fields = ["webhook_id"]
    search_help_text = "Search by webhook-id (msg_...)."
    actions = ["send_again"]
    fields = readonly_fields = (
        "endpoint",
        "event",
        "webhook_id",
        "status",
        "attempts",
        "last_status_code",
        "last_error",
        "next_attempt_at",
        "retry_until",
        "delivered_at",
        "created_at",
        "payload",
    )

    def get_list_display(self, request):
        if ENDPOINT_FILTER in request.GET:  # one endpoint's log: it is named in the title
            return [name for name in self.list_display if name != "webhook"]
        return self.list_display

    def changelist_view(self, request, extra_context=None):
        endpoint = None
        if self.has_view_permission(request):  # else the admin refuses the page (403)
            endpoint = _endpoint_named_by(request.GET.get(ENDPOINT_FILTER))
        if endpoint is not None:
            extra_context = {
                "title": f"Delivery log: {endpoint}",
                "subtitle": endpoint.url if endpoint.description else None,
                **(extra_context or {}),
            }
        return super().changelist_view(request, extra_context)

    @admin.display(description="created", ordering="created_at")
    def created(self, delivery):
        return log_time(delivery.created_at)

    @admin.display(description="webhook", ordering="endpoint")
    def webhook(self, delivery):
        name = str(delivery.endpoint)
        return format_html('<span title="{}">{}</span>', name, Truncator(name).chars(24))

    @admin.display(description="status", ordering="status")
    def state(self, delivery):
        if delivery.status == DeliveryStatus.DELIVERED:
            at = delivery.delivered_at
        elif delivery.status == DeliveryStatus.PENDING:
            at = delivery.next_attempt_at
        else:
            at = None
        if at is None:
            return delivery.get_status_display()
        label = "next try " if delivery.status == DeliveryStatus.PENDING else ""
        return format_html(
            '{}<br><span class="quiet">{}{}</span>',
            delivery.get_status_display(),
            label,
            log_time(at),
        )

    @admin.display(description="tries", ordering="attempts")
    def tries(self, delivery):
        return delivery.attempts

    @admin.display(description="HTTP", ordering="last_status_code")
    def http(self, delivery):
        return delivery.last_status_code

    @admin.display(description="body")
    def payload(self, delivery):
        """The body as sent, laid out to read (the bytes signed are in the database)."""
        try:
            text = json.dumps(json.loads(delivery.body), indent=2, ensure_ascii=False)
        except ValueError:
            text = delivery.body
        return format_html('<pre class="webhook-body">{}</pre>', text)

    @admin.action(description="Send again (same webhook-id)", permissions=["view"])
    def send_again(self, request, queryset):
        sent, refused = 0, []
        for delivery in queryset.select_related("endpoint"):
            try:
                services.delivery_redeliver(actor=request.user, delivery=delivery)
                sent += 1
            except DomainError as exc:
                refused.append(f"{delivery.webhook_id}: {exc.message}")
        if sent:
            messages.info(request, f"{_deliveries(sent)} queued to be sent again.")
        elif not refused:  # ids of rows deleted since the list was shown
            messages.warning(request, "None of the ticked deliveries is there any more.")
        for line in refused:
            messages.warning(request, line)
