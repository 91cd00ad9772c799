import os

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from ladder import roles, services
from ladder.models import Level, Member

DEMO_PASSWORD = "ladder-demo-2026"

# username, first name, last name, level code, manager username, groups
PEOPLE = [
    ("hr", "Hana", "Reyes", None, None, [roles.HR_GROUP]),
    ("committee1", "Cora", "Mendes", "vp-product", None, [roles.COMMITTEE_GROUP]),
    ("committee2", "Chen", "Okafor", "head-of-product", "committee1", [roles.COMMITTEE_GROUP]),
    ("manager", "Maya", "Lindqvist", "group-pm", "committee2", []),
    ("alex", "Alex", "Moreau", "associate-pm", "manager", []),
    ("sam", "Sam", "Novak", "pm", "manager", []),
    ("priya", "Priya", "Shah", "senior-pm", "manager", []),
]


class Command(BaseCommand):
    help = (
        "Creates demo users (HR, two committee members, a manager and three reports). Idempotent."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="run even with DEBUG off (never in production)"
        )

    @transaction.atomic
    def handle(self, *args, force=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError("Demo users have a published password: refusing with DEBUG off.")
        User = get_user_model()
        for username, first, last, level_code, manager_name, groups in PEOPLE:
            user, _ = User.objects.get_or_create(
                username=username,
                defaults={
                    "first_name": first,
                    "last_name": last,
                    "email": f"{username}@example.com",
                },
            )
            user.set_password(DEMO_PASSWORD)
            user.save()
            user.groups.add(*(Group.objects.get(name=name) for name in groups))
            services.user_grant_staff_for_roles(user=user)
            if level_code and not Member.objects.filter(user=user).exists():
                manager = Member.objects.get(user__username=manager_name) if manager_name else None
                Member.objects.create(
                    user=user, level=Level.objects.get(code=level_code), manager=manager
                )

        self.stdout.write(self.style.SUCCESS("Demo users are ready. Password for all of them:"))
        self.stdout.write(f"    {DEMO_PASSWORD}\n")
        for username, first, last, level_code, manager_name, groups in PEOPLE:
            role = ", ".join(groups) or ("manager" if username == "manager" else "member")
            where = f"at {level_code}" if level_code else "not on the ladder"
            boss = f", reports to {manager_name}" if manager_name else ""
            self.stdout.write(f"    {username:<11} {first} {last}: {role}, {where}{boss}")
        base = f"http://127.0.0.1:{os.environ.get('PORT', '8000')}"
        self.stdout.write(
            f"\nAdmin: {base}/admin/  API docs: {base}/api/v1/docs/\n"
            "Token: curl -X POST -H 'Content-Type: application/json' "
            f"""-d '{{"username": "alex", "password": "{DEMO_PASSWORD}"}}' """
            f"{base}/api/v1/auth/token/"
        )
