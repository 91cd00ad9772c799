# Issue 26: data rights (legal hold, retention). Each part fills in its own migration; the chain was laid down first so that
# parts built at the same time never leave two leaves.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("promotions", "0016_blind_review")]

    operations = [
        migrations.AddField(
            model_name="promotion",
            name="legal_hold",
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name="promotion",
            name="legal_hold_reason",
            field=models.TextField(blank=True, max_length=5000),
        ),
        migrations.AddField(
            model_name="promotion",
            name="text_removed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
