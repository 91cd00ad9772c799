"""Creates the groups `HR` and `Promotion committee` with the ladder permissions their admin work
needs. The promotions app adds its own permissions to the same groups in its migrations."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

HR_PERMISSIONS = [
    "add_level",
    "change_level",
    "view_level",
    "add_leveltransition",
    "change_leveltransition",
    "view_leveltransition",
    "add_member",
    "change_member",
    "view_member",
    "view_levelchange",
    # HR grants committee membership: it adds and edits users (ladder/admin.py keeps
    # superuser status and raw permissions out of their reach).
    "add_user",
    "change_user",
    "view_user",
    "view_group",
]
COMMITTEE_PERMISSIONS = ["view_level", "view_leveltransition", "view_member", "view_levelchange"]


def create_groups(apps, schema_editor):
    # Permissions are normally created after all migrations ran; we need them now.
    for label in ("auth", "ladder"):
        app_config = apps.get_app_config(label)
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in (("HR", HR_PERMISSIONS), ("Promotion committee", COMMITTEE_PERMISSIONS)):
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(
            *Permission.objects.filter(
                content_type__app_label__in=["auth", "ladder"], codename__in=codenames
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("ladder", "0002_seed_ladder"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, migrations.RunPython.noop)]
