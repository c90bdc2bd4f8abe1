"""``codecut db``: create and migrate Codecut's tables."""

from __future__ import annotations

import click

from .. import db as database
from ..extension import get_state
from ._common import group, info

db_group = group("db", "Create and migrate Codecut's tables.")


@db_group.command("upgrade")
@click.option("--revision", default="head", show_default=True, help="Target revision.")
def upgrade(revision: str) -> None:
    """Bring the database to the newest schema (safe to run any time)."""
    engine = get_state().engine
    database.upgrade(engine, revision)
    revision_now = database.current_revision(engine)
    info(f"database at revision {revision_now} ({engine.url.render_as_string()})")


@db_group.command("downgrade")
@click.argument("revision")
def downgrade(revision: str) -> None:
    """Step the schema back to REVISION ("base" removes every Codecut table)."""
    engine = get_state().engine
    database.downgrade(engine, revision)
    info(f"database at revision {database.current_revision(engine) or 'base'}")


@db_group.command("current")
def current() -> None:
    """Print the schema revision the database is at."""
    click.echo(database.current_revision(get_state().engine) or "base")
