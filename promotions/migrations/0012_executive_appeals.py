# Issue 25, part A: the executive step (awaiting_executive) and appeals (appealed, upheld, the
# Appeal row); the open-promotion constraint counts the two new open states; the group
# `Executives` gets what its work in the admin needs (reading promotions, their reviews and
# events, and the levels and members they name).

import django.db.models.deletion
import django_fsm
from django.conf import settings
from django.contrib.auth.management import create_permissions
from django.db import migrations, models

EXECUTIVES = "Executives"
EXECUTIVE_PERMISSIONS = {
    "promotions": ["view_promotion", "view_review", "view_promotionevent", "view_appeal"],
    "ladder": ["view_level", "view_leveltransition", "view_member", "view_levelchange"],
}
# The committee and HR read appeals beside the promotions they read.
ROLE_PERMISSIONS = ["view_appeal"]

STATES = [
    ("nominated", "Nominated"),
    ("in_review", "In review"),
    ("changes_requested", "Changes requested"),
    ("on_hold", "On hold"),
    ("awaiting_executive", "Awaiting an executive"),
    ("appealed", "Appealed"),
    ("approved", "Approved"),
    ("rejected", "Rejected"),
    ("withdrawn", "Withdrawn"),
    ("upheld", "Rejection upheld"),
]
OPEN = (
    "nominated",
    "in_review",
    "changes_requested",
    "on_hold",
    "awaiting_executive",
    "appealed",
)


def grant(apps, schema_editor):
    for label in ("ladder", "promotions"):
        app_config = apps.get_app_config(label)
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    executives, _ = Group.objects.get_or_create(name=EXECUTIVES)
    for label, codenames in EXECUTIVE_PERMISSIONS.items():
        executives.permissions.add(
            *Permission.objects.filter(content_type__app_label=label, codename__in=codenames)
        )
    appeals = Permission.objects.filter(
        content_type__app_label="promotions", codename__in=ROLE_PERMISSIONS
    )
    for group in Group.objects.filter(name__in=["HR", "Promotion committee"]):
        group.permissions.add(*appeals)


class Migration(migrations.Migration):
    dependencies = [
        ("ladder", "0013_executive_approval"),
        ("promotions", "0011_on_hold"),
        ("accounts", "0004_scim"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="promotion",
            name="one_open_promotion_per_candidate",
        ),
        migrations.AlterField(
            model_name="promotion",
            name="state",
            field=django_fsm.FSMField(
                choices=STATES, default="nominated", max_length=50, protected=True
            ),
        ),
        migrations.AlterField(
            model_name="promotionevent",
            name="from_state",
            field=models.CharField(
                choices=[*STATES, ("effective", "Effective")], max_length=20, null=True
            ),
        ),
        migrations.AlterField(
            model_name="promotionevent",
            name="to_state",
            field=models.CharField(choices=[*STATES, ("effective", "Effective")], max_length=20),
        ),
        migrations.AddConstraint(
            model_name="promotion",
            constraint=models.UniqueConstraint(
                condition=models.Q(("state__in", OPEN)),
                fields=("candidate",),
                name="one_open_promotion_per_candidate",
            ),
        ),
        migrations.CreateModel(
            name="Appeal",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("statement", models.TextField(max_length=4000)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "appellant",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "promotion",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="appeal_filed",
                        to="promotions.promotion",
                    ),
                ),
            ],
            options={"ordering": ["-created_at", "-id"]},
        ),
        migrations.RunPython(grant, migrations.RunPython.noop),
    ]
