# Issue 26: demographics and adverse impact. Each part fills in its own migration; the chain was laid down first so that
# parts built at the same time never leave two leaves.
#
# Self-reported demographics (docs/analytics.md): the choices offered and members' own values, the
# common choices of the default categories, and the group `People analytics` with what its admin
# work needs (editing the choices; no permission on the values: no admin page lists them).

import django.db.models.deletion
from django.contrib.auth.management import create_permissions
from django.db import migrations, models

import core.validators

PREFER = ("prefer-not-to-say", "Prefer not to say")
SEEDED = {
    "gender": [
        ("woman", "Woman"),
        ("man", "Man"),
        ("non-binary", "Non-binary"),
        ("self-described", "Another gender (self-described)"),
    ],
    "ethnicity": [
        ("asian", "Asian"),
        ("black", "Black"),
        ("hispanic-latino", "Hispanic or Latino"),
        ("middle-eastern-north-african", "Middle Eastern or North African"),
        ("white", "White"),
        ("mixed", "Mixed or multiple"),
        ("other", "Another ethnicity"),
    ],
    "age_band": [
        ("under-25", "Under 25"),
        ("25-34", "25 to 34"),
        ("35-44", "35 to 44"),
        ("45-54", "45 to 54"),
        ("55-plus", "55 and over"),
    ],
}
PEOPLE_ANALYTICS_PERMISSIONS = [
    "view_demographicchoice",
    "add_demographicchoice",
    "change_demographicchoice",
]


def seed(apps, schema_editor):
    Choice = apps.get_model("analytics", "DemographicChoice")
    for category, choices in SEEDED.items():
        for order, (code, label) in enumerate([*choices, PREFER], start=1):
            Choice.objects.get_or_create(
                category=category, code=code, defaults={"label": label, "order": order * 10}
            )
    app_config = apps.get_app_config("analytics")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="People analytics")
    group.permissions.add(
        *Permission.objects.filter(
            content_type__app_label="analytics", codename__in=PEOPLE_ANALYTICS_PERMISSIONS
        )
    )


class Migration(migrations.Migration):
    initial = True
    dependencies = [
        ("ladder", "0014_data_rights"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.CreateModel(
            name="DemographicChoice",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("category", models.SlugField(max_length=40)),
                ("code", models.SlugField(max_length=60)),
                (
                    "label",
                    models.CharField(
                        max_length=120, validators=[core.validators.refuse_control_characters]
                    ),
                ),
                ("order", models.PositiveSmallIntegerField(default=0)),
                ("is_active", models.BooleanField(default=True)),
            ],
            options={
                "ordering": ["category", "order", "code"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("category", "code"), name="demographic_choice_unique"
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            ("is_active", True),
                            models.Q(("code", "prefer-not-to-say"), _negated=True),
                            _connector="OR",
                        ),
                        name="demographic_prefer_not_to_say_active",
                    ),
                ],
            },
        ),
        migrations.CreateModel(
            name="DemographicValue",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("category", models.SlugField(max_length=40)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                (
                    "choice",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="analytics.demographicchoice",
                    ),
                ),
                (
                    "member",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="ladder.member",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("member", "category"), name="demographic_value_one_per_category"
                    )
                ],
            },
        ),
        migrations.RunPython(seed, migrations.RunPython.noop),
    ]
