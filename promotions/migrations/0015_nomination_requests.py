# Issue 25: nomination requests. Each part fills in its own migration; the chain was laid
# down first so that parts built at the same time never leave two leaves.

import django.db.models.deletion
from django.conf import settings
from django.contrib.auth.management import create_permissions
from django.db import migrations, models


def grant(apps, schema_editor):
    """HR reads every request in the admin (and answers there through its own buttons)."""
    app_config = apps.get_app_config("promotions")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    view = Permission.objects.filter(
        content_type__app_label="promotions", codename="view_nominationrequest"
    )
    for group in Group.objects.filter(name="HR"):
        group.permissions.add(*view)


class Migration(migrations.Migration):
    dependencies = [
        ("promotions", "0014_delegations"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations: list[migrations.operations.base.Operation] = [
        migrations.CreateModel(
            name="NominationRequest",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("justification", models.TextField(max_length=5000)),
                ("evidence", models.JSONField(default=list)),
                (
                    "state",
                    models.CharField(
                        choices=[
                            ("pending", "Waiting for the manager"),
                            ("accepted", "Accepted: nominated"),
                            ("declined", "Declined"),
                        ],
                        default="pending",
                        max_length=10,
                    ),
                ),
                ("reason", models.TextField(blank=True, max_length=5000)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("answered_at", models.DateTimeField(blank=True, null=True)),
                (
                    "answered_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "member",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="nomination_requests",
                        to="ladder.member",
                    ),
                ),
                (
                    "promotion",
                    models.OneToOneField(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="nomination_request",
                        to="promotions.promotion",
                    ),
                ),
                (
                    "to_level",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="ladder.level",
                    ),
                ),
            ],
            options={
                "ordering": ["-created_at", "-id"],
                "indexes": [
                    models.Index(
                        condition=models.Q(("state", "pending")),
                        fields=["created_at"],
                        name="nomination_request_pending",
                    )
                ],
                "constraints": [
                    models.UniqueConstraint(
                        condition=models.Q(("state", "pending")),
                        fields=("member",),
                        name="one_pending_nomination_request_per_member",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(
                                ("answered_at__isnull", True),
                                ("promotion__isnull", True),
                                ("state", "pending"),
                            ),
                            models.Q(
                                ("answered_at__isnull", False),
                                ("promotion__isnull", False),
                                ("state", "accepted"),
                            ),
                            models.Q(
                                ("answered_at__isnull", False),
                                ("promotion__isnull", True),
                                ("state", "declined"),
                                models.Q(("reason", ""), _negated=True),
                            ),
                            _connector="OR",
                        ),
                        name="nomination_request_answer_consistent",
                    ),
                ],
            },
        ),
        migrations.RunPython(grant, migrations.RunPython.noop),
    ]
