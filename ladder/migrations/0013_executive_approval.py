# Issue 25: the levels' executive_approval. Each part fills in its own migration; the chain was laid
# down first so that parts built at the same time never leave two leaves.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("ladder", "0012_ladder_version"),
    ]

    operations: list[migrations.operations.base.Operation] = []
