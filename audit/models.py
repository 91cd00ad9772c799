from django.conf import settings
from django.db import models
from django.utils import timezone

from core.records import AppendOnlyModel, append_only_trigger


class ConfigChange(AppendOnlyModel):
    """The audit trail of configuration: who created, changed, deleted or moved a cycle, a webhook
    endpoint, a level, a criterion or an allowed move, when, by which route, and the values before
    and after. Never updated or deleted. The target is named, not referred to: a deleted webhook
    endpoint keeps its record."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    route = models.CharField(max_length=20)  # api, admin, site, system (the scheduler, a command)
    action = models.CharField(max_length=30)
    target_type = models.CharField(max_length=60)  # the model's label, e.g. "webhooks.endpoint"
    target_id = models.CharField(max_length=40)
    target = models.CharField(max_length=200)  # what it was called at the time
    # {"field": {"from": old, "to": new}}; a secret is recorded as changed, never its value.
    changes = models.JSONField(default=dict)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["target_type", "target_id", "-at"], name="config_change_target_at")
        ]
        triggers = [append_only_trigger("config_change_append_only")]
        verbose_name = "change to the configuration"
        verbose_name_plural = "changes to the configuration"

    def __str__(self) -> str:
        who = self.actor or "the system"
        return f"{self.target} {self.action} by {who} at {self.at:%Y-%m-%d %H:%M}"
