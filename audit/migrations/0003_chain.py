# Issue 26: the audit chain. Each part fills in its own migration; the chain was laid down first so that
# parts built at the same time never leave two leaves.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0002_hr_permissions"),
        ("promotions", "0017_data_rights"),
        ("ladder", "0014_data_rights"),
    ]

    operations: list = []
