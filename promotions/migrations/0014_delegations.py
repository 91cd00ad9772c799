# Issue 25: delegations. Each part fills in its own migration; the chain was laid
# down first so that parts built at the same time never leave two leaves.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("promotions", "0013_release"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="review",
            name="cast_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.CreateModel(
            name="Delegation",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("starts_on", models.DateField()),
                ("ends_on", models.DateField()),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "created_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "delegate",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="delegations_held",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "delegator",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="delegations_given",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["-starts_on", "-id"],
                "indexes": [
                    models.Index(fields=["delegate", "ends_on"], name="delegation_delegate_ends"),
                    models.Index(fields=["delegator", "ends_on"], name="delegation_delegator_ends"),
                ],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("starts_on__lte", models.F("ends_on"))),
                        name="delegation_dates_in_order",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("delegator", models.F("delegate")), _negated=True),
                        name="delegation_not_to_oneself",
                    ),
                ],
            },
        ),
    ]
