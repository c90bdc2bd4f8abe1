"""The Alembic migrations build exactly the models' schema, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

from codecut import db as database
from codecut.db import include_name


def test_migrations_match_models(engine) -> None:  # type: ignore[no-untyped-def]
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "include_name": include_name,
                "compare_type": True,
                "version_table": database.VERSION_TABLE,
            },
        )
        assert compare_metadata(context, SQLModel.metadata) == []


def test_downgrade_and_upgrade_again(engine) -> None:  # type: ignore[no-untyped-def]
    database.downgrade(engine, "base")
    assert not [
        t
        for t in inspect(engine).get_table_names()
        if t.startswith("codecut_") and t != database.VERSION_TABLE
    ]
    database.upgrade(engine)
    assert database.current_revision(engine) is not None
    assert "codecut_ledger_entry" in inspect(engine).get_table_names()


def test_own_version_table_leaves_host_tables_alone(engine) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import text

    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE host_orders (id INTEGER PRIMARY KEY)"))
    database.upgrade(engine)
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"include_name": include_name, "version_table": database.VERSION_TABLE}
        )
        assert compare_metadata(context, SQLModel.metadata) == []
    assert "host_orders" in inspect(engine).get_table_names()
    assert "alembic_version" not in inspect(engine).get_table_names()
