"""Seeds the nine levels (texts from docs/ladder_definition.txt) and the ten allowed moves.

The data is written out here rather than read from the file: a migration must do the same thing
on every database, whatever the file says later. tests/ladder/test_seed.py checks the two agree.
"""

from django.db import migrations

LEVELS = [
    (
        1,
        "associate-pm",
        "Junior Product Manager (Associate PM)",
        "ic",
        "entry level.",
        "execute well-defined tasks, manage a small part of the product, or assist a more experienced PM.",
        "learn the fundamentals of discovery, delivery, and prioritization.",
    ),
    (
        2,
        "pm",
        "Product Manager",
        "ic",
        "standard role.",
        "responsible for a product or part of a product, working with a squad (cross-functional team).",
        "operate autonomously within a defined scope, balancing business, user, and technical needs.",
    ),
    (
        3,
        "senior-pm",
        "Senior Product Manager",
        "ic",
        "experienced level.",
        "handle more complex or cross-functional challenges, mentor juniors, and bring strategic depth.",
        "act as a point of reference in the organization, influence the roadmap and strategic trade-offs.",
    ),
    (
        4,
        "lead-pm",
        "Lead Product Manager (Staff PM)",
        "ic",
        "senior expert, not necessarily with direct management.",
        "act as a “product architect,” tackle the most critical issues, set methodological direction, and influence other PMs.",
        "ensure product consistency across the company, act as a sparring partner for the CPO/VP.",
    ),
    (
        5,
        "principal-pm",
        "Principal Product Manager",
        "ic",
        "very high level of individual expertise, equivalent to a “technical director” on the product side, but without line management.",
        "lead complex strategic initiatives spanning multiple products or business units, define product standards and methodologies.",
        "be the ultimate technical and strategic reference as an individual contributor, with impact at the company-wide level.",
    ),
    (
        6,
        "group-pm",
        "Group Product Manager",
        "management",
        "mid-level management.",
        "manage several PMs (often standard and senior), ensure alignment across a product portfolio or a large functional area.",
        "translate strategy into concrete organization, develop the PM talent within their team.",
    ),
    (
        7,
        "head-of-product",
        "Head of Product",
        "management",
        "product leadership, generally in scale-ups or larger companies.",
        "define and carry the overall product vision, manage the product organization, recruit and grow the team.",
        "ensure alignment between business strategy and product strategy.",
    ),
    (
        8,
        "vp-product",
        "VP Product",
        "management",
        "member of the executive committee in mature organizations.",
        "represent the product function at the executive level, oversee multiple teams or product domains, represent product at the board.",
        "align product strategy with the company’s overall business objectives.",
    ),
    (
        9,
        "cpo",
        "Chief Product Officer",
        "management",
        "highest level, reporting directly to the CEO.",
        "embody the product vision at the highest level, define long-term strategy, arbitrate investment priorities.",
        "make the product a central lever of the company’s strategy.",
    ),
]

MOVES = [
    ("associate-pm", "pm"),
    ("pm", "senior-pm"),
    ("senior-pm", "lead-pm"),
    ("lead-pm", "principal-pm"),
    ("senior-pm", "group-pm"),
    ("lead-pm", "group-pm"),
    ("principal-pm", "head-of-product"),
    ("group-pm", "head-of-product"),
    ("head-of-product", "vp-product"),
    ("vp-product", "cpo"),
]


def seed(apps, schema_editor):
    Level = apps.get_model("ladder", "Level")
    LevelTransition = apps.get_model("ladder", "LevelTransition")
    by_code = {}
    for rank, code, title, track, position, mission, goal in LEVELS:
        by_code[code], _ = Level.objects.update_or_create(
            code=code,
            defaults={
                "rank": rank,
                "title": title,
                "track": track,
                "position": position,
                "mission": mission,
                "goal": goal,
            },
        )
    for from_code, to_code in MOVES:
        LevelTransition.objects.get_or_create(
            from_level=by_code[from_code], to_level=by_code[to_code]
        )


class Migration(migrations.Migration):
    dependencies = [("ladder", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
