"""Alembic environment for Codecut: its own tables, its own version table, batch mode for SQLite."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection
from sqlmodel import SQLModel

from codecut.db import VERSION_TABLE, create_db_engine, include_name

config = context.config
target_metadata = SQLModel.metadata


def _configure(**kwargs: object) -> None:
    context.configure(
        target_metadata=target_metadata,
        version_table=VERSION_TABLE,
        include_name=include_name,
        render_as_batch=True,
        compare_type=True,
        **kwargs,
    )


def run_migrations_offline() -> None:
    _configure(url=config.get_main_option("sqlalchemy.url"), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def _run(connection: Connection) -> None:
    _configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()


def _sqlite_pragma(connection: Connection, statement: str) -> list[tuple[object, ...]]:
    """A PRAGMA on the driver's connection, outside any transaction (inside one,
    ``foreign_keys`` is silently ignored)."""
    cursor = connection.connection.driver_connection.execute(statement)  # type: ignore[union-attr]
    return list(cursor.fetchall())


def run_migrations_online() -> None:
    engine = config.attributes.get("engine")
    owned = engine is None
    if owned:
        engine = create_db_engine(config.get_main_option("sqlalchemy.url"))
    try:
        with engine.connect() as connection:
            sqlite = connection.dialect.name == "sqlite"
            if sqlite:
                # Batch mode rebuilds a table (copy, drop, rename); with foreign keys enforced,
                # dropping a table others reference fails. They are checked afterwards instead.
                _sqlite_pragma(connection, "PRAGMA foreign_keys=OFF")
            _run(connection)
            connection.commit()
            if sqlite:
                broken = _sqlite_pragma(connection, "PRAGMA foreign_key_check")
                _sqlite_pragma(connection, "PRAGMA foreign_keys=ON")
                if broken:
                    raise RuntimeError(f"rows whose foreign keys point nowhere: {broken}")
    finally:
        if owned:
            engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
