"""HR reads the configuration's audit trail in the admin (nobody writes it there)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations


def grant(apps, schema_editor):
    app_config = apps.get_app_config("audit")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group in Group.objects.filter(name="HR"):
        group.permissions.add(
            Permission.objects.get(content_type__app_label="audit", codename="view_configchange")
        )


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial"), ("ladder", "0003_role_groups")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
