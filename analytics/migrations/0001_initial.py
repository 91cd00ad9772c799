# Issue 26: demographics and adverse impact. Each part fills in its own migration; the chain was laid down first so that
# parts built at the same time never leave two leaves.

from django.db import migrations


class Migration(migrations.Migration):
    initial = True
    dependencies = [("ladder", "0014_data_rights")]

    operations: list = []
