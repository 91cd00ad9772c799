# Issue 25: the levels' executive_approval, seeded true for head-of-product, vp-product and cpo.

from django.db import migrations, models

SENIOR = ["head-of-product", "vp-product", "cpo"]


def seed(apps, schema_editor):
    Level = apps.get_model("ladder", "Level")
    Level.objects.filter(code__in=SENIOR).update(executive_approval=True)


class Migration(migrations.Migration):
    dependencies = [
        ("ladder", "0012_ladder_version"),
    ]

    operations = [
        migrations.AddField(
            model_name="level",
            name="executive_approval",
            field=models.BooleanField(default=False),
        ),
        migrations.RunPython(seed, migrations.RunPython.noop),
    ]
