"""Helpers the bench scripts share. Importing this module changes nothing (no settings)."""

import os


def ensure_database(database_url: str | None = None) -> None:
    """Create the bench database if it does not exist."""
    database_url = database_url or os.environ["DATABASE_URL"]
    import psycopg

    name = database_url.rsplit("/", 1)[1]
    admin_url = database_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
