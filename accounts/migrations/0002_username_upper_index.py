"""An index for the case-insensitive username lookups (`username__iexact`: usernames are unique
regardless of case). Without it every member created, by the API or an import, scans all users:
a 10,000-row import spent most of its time there. PostgreSQL only (SQLite is the zero-setup
default, with few users)."""

from django.db import migrations

INDEX = "auth_user_username_upper"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON auth_user (UPPER(username::text))"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length")]

    operations = [migrations.RunPython(create, drop)]
