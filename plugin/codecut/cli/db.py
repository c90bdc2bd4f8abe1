"""``codecut db``: create and migrate Codecut's tables."""

from __future__ import annotations

import click

from .. import db as database
from ._common import engine, group, info

db_group = group("db", "Create and migrate Codecut's tables.")


@db_group.command("upgrade")
@click.option("--revision", default="head", show_default=True, help="Target revision.")
def upgrade(revision: str) -> None:
    """Bring the database to the newest schema (safe to run any time)."""
    bound = engine()
    database.upgrade(bound, revision)
    revision_now = database.current_revision(bound)
    info(f"database at revision {revision_now} ({bound.url.render_as_string()})")


@db_group.command("downgrade")
@click.argument("revision")
def downgrade(revision: str) -> None:
    """Step the schema back to REVISION ("base" removes every Codecut table)."""
    bound = engine()
    database.downgrade(bound, revision)
    info(f"database at revision {database.current_revision(bound) or 'base'}")


@db_group.command("current")
def current() -> None:
    """Print the schema revision the database is at."""
    click.echo(database.current_revision(engine()) or "base")
