# Issue 26: blind first pass. Each part fills in its own migration; the chain was laid down first so that
# parts built at the same time never leave two leaves.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("promotions", "0015_nomination_requests")]

    operations: list = [
        migrations.AddField(
            model_name="cycle",
            name="blind_review",
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name="review",
            name="blind",
            field=models.BooleanField(default=False),
        ),
    ]
