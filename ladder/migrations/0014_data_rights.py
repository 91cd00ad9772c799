# Issue 26: data rights (erasure). Each part fills in its own migration; the chain was laid down first so that
# parts built at the same time never leave two leaves.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("ladder", "0013_executive_approval")]

    operations = [
        migrations.AddField(
            model_name="member",
            name="erased_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
