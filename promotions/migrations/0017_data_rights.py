# Issue 26: data rights (legal hold, retention). Each part fills in its own migration; the chain was laid down first so that
# parts built at the same time never leave two leaves.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("promotions", "0016_blind_review")]

    operations: list = []
