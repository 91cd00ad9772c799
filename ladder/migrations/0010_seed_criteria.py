"""Seeds each level's criteria: the assessable clauses of its mission and goal in the ladder
definition (docs/ladder_definition.txt). Each description is "Mission: <quote>" or
"Goal: <quote>", the quote verbatim (tests/ladder/test_criteria.py checks it)."""

from django.db import migrations

CRITERIA = {
    "associate-pm": [
        (
            "executes-defined-tasks",
            "Executes well-defined tasks",
            "Mission",
            "execute well-defined tasks",
        ),
        (
            "owns-small-area",
            "Manages a small part of the product",
            "Mission",
            "manage a small part of the product",
        ),
        (
            "assists-senior-pm",
            "Assists a more experienced PM",
            "Mission",
            "assist a more experienced PM",
        ),
        (
            "learns-fundamentals",
            "Learns discovery, delivery and prioritization",
            "Goal",
            "learn the fundamentals of discovery, delivery, and prioritization",
        ),
    ],
    "pm": [
        (
            "owns-product-area",
            "Is responsible for a product or part of one",
            "Mission",
            "responsible for a product or part of a product",
        ),
        (
            "works-with-squad",
            "Works with a cross-functional squad",
            "Mission",
            "working with a squad (cross-functional team)",
        ),
        (
            "autonomous-in-scope",
            "Operates autonomously within a defined scope",
            "Goal",
            "operate autonomously within a defined scope",
        ),
        (
            "balances-needs",
            "Balances business, user and technical needs",
            "Goal",
            "balancing business, user, and technical needs",
        ),
    ],
    "senior-pm": [
        (
            "complex-challenges",
            "Handles complex or cross-functional challenges",
            "Mission",
            "handle more complex or cross-functional challenges",
        ),
        ("mentors-juniors", "Mentors juniors", "Mission", "mentor juniors"),
        ("strategic-depth", "Brings strategic depth", "Mission", "bring strategic depth"),
        (
            "point-of-reference",
            "Is a point of reference in the organization",
            "Goal",
            "act as a point of reference in the organization",
        ),
        (
            "influences-roadmap",
            "Influences the roadmap and strategic trade-offs",
            "Goal",
            "influence the roadmap and strategic trade-offs",
        ),
    ],
    "lead-pm": [
        (
            "product-architect",
            "Acts as a product architect",
            "Mission",
            "act as a “product architect,”",
        ),
        (
            "critical-issues",
            "Tackles the most critical issues",
            "Mission",
            "tackle the most critical issues",
        ),
        (
            "methodological-direction",
            "Sets methodological direction",
            "Mission",
            "set methodological direction",
        ),
        ("influences-pms", "Influences other PMs", "Mission", "influence other PMs"),
        (
            "product-consistency",
            "Ensures product consistency across the company",
            "Goal",
            "ensure product consistency across the company",
        ),
        (
            "sparring-partner",
            "Is a sparring partner for the CPO/VP",
            "Goal",
            "act as a sparring partner for the CPO/VP",
        ),
    ],
    "principal-pm": [
        (
            "strategic-initiatives",
            "Leads strategic initiatives across products or units",
            "Mission",
            "lead complex strategic initiatives spanning multiple products or business units",
        ),
        (
            "product-standards",
            "Defines product standards and methodologies",
            "Mission",
            "define product standards and methodologies",
        ),
        (
            "ultimate-reference",
            "Is the ultimate reference as an individual contributor",
            "Goal",
            "be the ultimate technical and strategic reference as an individual contributor",
        ),
        (
            "company-wide-impact",
            "Has company-wide impact",
            "Goal",
            "with impact at the company-wide level",
        ),
    ],
    "group-pm": [
        ("manages-pms", "Manages several PMs", "Mission", "manage several PMs"),
        (
            "portfolio-alignment",
            "Aligns a product portfolio or large functional area",
            "Mission",
            "ensure alignment across a product portfolio or a large functional area",
        ),
        (
            "strategy-into-organization",
            "Translates strategy into concrete organization",
            "Goal",
            "translate strategy into concrete organization",
        ),
        (
            "develops-talent",
            "Develops the PM talent in the team",
            "Goal",
            "develop the PM talent within their team",
        ),
    ],
    "head-of-product": [
        (
            "product-vision",
            "Defines and carries the product vision",
            "Mission",
            "define and carry the overall product vision",
        ),
        (
            "manages-organization",
            "Manages the product organization",
            "Mission",
            "manage the product organization",
        ),
        (
            "recruits-and-grows",
            "Recruits and grows the team",
            "Mission",
            "recruit and grow the team",
        ),
        (
            "business-alignment",
            "Aligns business and product strategy",
            "Goal",
            "ensure alignment between business strategy and product strategy",
        ),
    ],
    "vp-product": [
        (
            "executive-representation",
            "Represents product at the executive level",
            "Mission",
            "represent the product function at the executive level",
        ),
        (
            "oversees-domains",
            "Oversees several teams or product domains",
            "Mission",
            "oversee multiple teams or product domains",
        ),
        (
            "board-representation",
            "Represents product at the board",
            "Mission",
            "represent product at the board",
        ),
        (
            "business-objectives",
            "Aligns product strategy with business objectives",
            "Goal",
            "align product strategy with the company’s overall business objectives",
        ),
    ],
    "cpo": [
        (
            "embodies-vision",
            "Embodies the product vision at the highest level",
            "Mission",
            "embody the product vision at the highest level",
        ),
        (
            "long-term-strategy",
            "Defines long-term strategy",
            "Mission",
            "define long-term strategy",
        ),
        (
            "investment-priorities",
            "Arbitrates investment priorities",
            "Mission",
            "arbitrate investment priorities",
        ),
        (
            "central-lever",
            "Makes product a central lever of company strategy",
            "Goal",
            "make the product a central lever of the company’s strategy",
        ),
    ],
}


def seed(apps, schema_editor):
    Level = apps.get_model("ladder", "Level")
    Criterion = apps.get_model("ladder", "Criterion")
    for code, criteria in CRITERIA.items():
        level = Level.objects.get(code=code)
        for order, (slug, title, part, quote) in enumerate(criteria, start=1):
            Criterion.objects.get_or_create(
                level=level,
                code=slug,
                defaults={"title": title, "description": f"{part}: {quote}", "order": order},
            )


def grant(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    app_config = apps.get_app_config("ladder")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    codenames = {"HR": ["add_criterion", "change_criterion", "view_criterion"]}
    codenames["Promotion committee"] = ["view_criterion"]
    for name, names in codenames.items():
        for group in Group.objects.filter(name=name):
            group.permissions.add(
                *Permission.objects.filter(content_type__app_label="ladder", codename__in=names)
            )


class Migration(migrations.Migration):
    dependencies = [("ladder", "0009_criteria")]

    operations = [
        migrations.RunPython(seed, migrations.RunPython.noop),
        migrations.RunPython(grant, migrations.RunPython.noop),
    ]
