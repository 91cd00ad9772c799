"""Gives `HR` and `Promotion committee` (created by ladder.0003) what their admin work needs:
reading promotions, reviews and events. Transitions and reviews go through the admin's own
buttons, which call the services and their role checks."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

PERMISSIONS = ["view_promotion", "view_review", "view_promotionevent"]


def grant(apps, schema_editor):
    app_config = apps.get_app_config("promotions")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = Permission.objects.filter(
        content_type__app_label="promotions", codename__in=PERMISSIONS
    )
    for group in Group.objects.filter(name__in=["HR", "Promotion committee"]):
        group.permissions.add(*permissions)


class Migration(migrations.Migration):
    dependencies = [("promotions", "0001_initial"), ("ladder", "0003_role_groups")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
