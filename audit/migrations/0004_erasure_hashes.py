# Issue 26, review finding 1: an erasure records the sha256 of the erasable columns it rewrote,
# before and after (audit.content.ERASABLE), and a row may be erased more than once (one Erasure
# per rewrite). The chain's content definition (audit/content.py) hashes the erasable columns
# apart; 0003's backfill uses that same definition, so a database migrated from scratch verifies.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0003_chain"),
    ]

    operations = [
        migrations.AddField(
            model_name="erasure",
            name="before_sha256",
            field=models.CharField(default="", max_length=64),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="erasure",
            name="after_sha256",
            field=models.CharField(default="", max_length=64),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name="erasure",
            name="link",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="erasures",
                to="audit.link",
            ),
        ),
    ]
