from django.contrib import admin, messages
from django.utils.html import format_html
from django.utils.text import Truncator

from core.admin_mixins import ReadOnlyAdminMixin, log_time
from notifications import services
from notifications.models import Delivery, Notification

# What HR reads of a delivery: where it stands, and why it failed.
DELIVERY_FIELDS = ("channel", "status", "attempts", "last_error", "next_attempt_at", "delivered_at")


class DeliveryInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Delivery
    fields = readonly_fields = DELIVERY_FIELDS
    extra = 0


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The inbox messages, each with its deliveries (one per channel)."""

    list_display = ["created_at", "kind", "recipient", "subject", "read_at"]
    list_filter = ["kind"]
    list_select_related = ["recipient"]
    search_fields = ["recipient__username", "subject"]
    inlines = [DeliveryInline]
    # No bodies: a committee message can carry a note that an HR user who is the candidate must
    # not read; delivery needs only the envelope.
    fields = readonly_fields = (
        "recipient",
        "kind",
        "promotion",
        "subject",
        "created_at",
        "read_at",
    )


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Each message on each channel: what was sent, what is retried, what failed and why (Slack's
    `user_not_found`: the person has no Slack account under their e-mail address)."""

    # Compact cells, as the webhooks' log: the list fits beside the admin's menu at 1024 px.
    list_display = ["created", "channel", "recipient", "subject", "state", "tries"]
    list_filter = ["status", "channel", "notification__kind"]
    list_select_related = ["notification__recipient"]
    search_fields = ["notification__recipient__username", "notification__subject"]
    actions = ["send_again"]
    fields = readonly_fields = ("notification", *DELIVERY_FIELDS, "created_at")

    @admin.display(description="created", ordering="created_at")
    def created(self, delivery):
        return log_time(delivery.created_at)

    @admin.display(description="status", ordering="status")
    def state(self, delivery):
        """The status, with when it was delivered, or the last error (whole on hover)."""
        if delivery.delivered_at is not None:
            return format_html(
                "{}<br>{}", delivery.get_status_display(), log_time(delivery.delivered_at)
            )
        if not delivery.last_error:
            return delivery.get_status_display()
        return format_html(
            '{}<br><span class="quiet" title="{}">{}</span>',
            delivery.get_status_display(),
            delivery.last_error,
            Truncator(delivery.last_error).chars(60),
        )

    @admin.display(description="tries", ordering="attempts")
    def tries(self, delivery):
        return delivery.attempts

    @admin.display(description="recipient", ordering="notification__recipient__username")
    def recipient(self, delivery):
        return delivery.notification.recipient

    @admin.display(description="subject")
    def subject(self, delivery):
        return delivery.notification.subject

    @admin.action(description="Send again (undelivered ones)", permissions=["view"])
    def send_again(self, request, queryset):
        if not request.user.is_superuser:  # superusers' own business
            queryset = queryset.exclude(notification__recipient__is_superuser=True)
        count = services.deliveries_send_again(
            delivery_ids=list(queryset.values_list("id", flat=True))
        )
        skipped = queryset.count() - count
        messages.info(
            request, f"{count} queued for delivery; {skipped} already delivered and left alone."
        )
