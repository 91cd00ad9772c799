from django.contrib import admin, messages
from django.db.models import Q

from notifications import services
from notifications.models import Notification


class DeliveryFilter(admin.SimpleListFilter):
    title = "delivery"
    parameter_name = "delivery"

    def lookups(self, request, model_admin):
        return [("sent", "sent"), ("unsent", "not sent yet"), ("failed", "failed")]

    def queryset(self, request, queryset):
        if self.value() == "sent":
            return queryset.filter(sent_at__isnull=False)
        if self.value() == "unsent":
            return queryset.filter(sent_at__isnull=True)
        if self.value() == "failed":  # given up on, or failing and still retried
            return queryset.filter(sent_at__isnull=True).filter(
                Q(failed_at__isnull=False) | ~Q(last_error="")
            )
        return queryset


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """Read-only: the outbox is written by the workflow and delivered by the workers."""

    list_display = ["created_at", "kind", "recipient", "subject", "sent_at", "attempts", "read_at"]
    list_filter = [DeliveryFilter, "kind"]
    list_select_related = ["recipient"]
    search_fields = ["recipient__username", "subject"]
    actions = ["send_again"]
    # No bodies: a committee message can carry a note that an HR user who is the candidate must
    # not read; delivery needs only the envelope.
    fields = readonly_fields = (
        "recipient",
        "kind",
        "promotion",
        "subject",
        "created_at",
        "enqueued_at",
        "sent_at",
        "read_at",
        "attempts",
        "last_error",
        "failed_at",
    )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Send again (unsent ones)", permissions=["view"])
    def send_again(self, request, queryset):
        if not request.user.is_superuser:
            queryset = queryset.exclude(recipient__is_superuser=True)  # superusers' own business
        count = services.notifications_send_again(
            notification_ids=list(queryset.values_list("id", flat=True))
        )
        skipped = queryset.count() - count
        messages.info(
            request, f"{count} queued for delivery; {skipped} already sent and left alone."
        )
