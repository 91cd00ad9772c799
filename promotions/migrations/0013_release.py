# Issue 25: the cycles' release date. Each part fills in its own migration; the chain was laid
# down first so that parts built at the same time never leave two leaves.

from django.db import migrations, models

EVENT_STATES = [
    ("nominated", "Nominated"),
    ("in_review", "In review"),
    ("changes_requested", "Changes requested"),
    ("on_hold", "On hold"),
    ("awaiting_executive", "Awaiting an executive"),
    ("appealed", "Appealed"),
    ("approved", "Approved"),
    ("rejected", "Rejected"),
    ("withdrawn", "Withdrawn"),
    ("upheld", "Rejection upheld"),
    ("effective", "Effective"),
    ("released", "Released"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("promotions", "0012_executive_appeals"),
    ]

    operations = [
        migrations.AddField(
            model_name="cycle",
            name="release_on",
            field=models.DateField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="promotion",
            name="release_held",
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name="promotion",
            name="released_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name="promotionevent",
            name="from_state",
            field=models.CharField(choices=EVENT_STATES, max_length=20, null=True),
        ),
        migrations.AlterField(
            model_name="promotionevent",
            name="to_state",
            field=models.CharField(choices=EVENT_STATES, max_length=20),
        ),
        migrations.AddIndex(
            model_name="promotion",
            index=models.Index(
                condition=models.Q(("release_held", True)), fields=["cycle"], name="promotion_held"
            ),
        ),
        migrations.AddConstraint(
            model_name="cycle",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("release_on__isnull", True),
                    models.Q(
                        ("decisions_due_on__lte", models.F("release_on")),
                        ("release_on__lte", models.F("effective_on")),
                    ),
                    _connector="OR",
                ),
                name="cycle_release_on_in_order",
            ),
        ),
    ]
