# Issue 25: the cycles' release date. Each part fills in its own migration; the chain was laid
# down first so that parts built at the same time never leave two leaves.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("promotions", "0012_executive_appeals"),
    ]

    operations: list[migrations.operations.base.Operation] = []
