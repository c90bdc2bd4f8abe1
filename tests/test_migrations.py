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


def test_every_migration_steps_down_and_up_with_data_in_the_tables(
    papp, pcli, stripe_server
) -> None:  # type: ignore[no-untyped-def]
    """One revision at a time down to the first, then up to the newest, with orders, entries,
    a payout run and its settlements in the tables: what the ledger holds comes back the same."""
    from alembic.script import ScriptDirectory
    from builders import DAY
    from payout_support import engine_of, entry, influencer
    from sqlalchemy import text

    from codecut.db import transaction

    engine = engine_of(papp)
    stripe_server.fake.fund("usd", 1_000_000)
    with transaction(engine) as s:
        anna = influencer(s, "anna@example.com", "acct_anna")
        entry(s, anna, 6000)
        entry(s, anna, -1000)
        entry(s, influencer(s, "ben@example.com"), 7000, "EUR")
    assert pcli("payouts", "run", "--as-of", DAY.isoformat()).exit_code == 0

    def ledger() -> list[tuple[object, ...]]:
        with engine.connect() as connection:
            rows = connection.execute(
                text(
                    "SELECT e.id, e.kind, e.amount, e.currency, s.payout_id, p.status, p.amount"
                    " FROM codecut_ledger_entry e"
                    " LEFT JOIN codecut_settlement s ON s.entry_id = e.id"
                    " LEFT JOIN codecut_payout p ON p.id = s.payout_id ORDER BY e.id"
                )
            )
            return [tuple(row) for row in rows]

    before = ledger()
    assert len(before) == 3 and all(row[4] is not None for row in before)
    script = ScriptDirectory(database.migrations_path())
    chain = [r.revision for r in script.walk_revisions()]  # newest first
    for revision in chain[1:]:
        database.downgrade(engine, revision)
        assert database.current_revision(engine) == revision
    database.upgrade(engine)
    assert database.current_revision(engine) == chain[0]
    after = ledger()
    assert [row[:5] for row in after] == [row[:5] for row in before]
    assert pcli("verify").exit_code == 0


def test_a_revision_this_installation_lacks_is_one_line(cli) -> None:  # type: ignore[no-untyped-def]
    for command in (
        ("db", "upgrade", "--revision", "zzz"),
        ("db", "upgrade", "--revision", ""),
        ("db", "downgrade", "99999999999"),
        ("db", "downgrade", " "),
    ):
        result = cli(*command)
        assert result.exit_code == 1, (command, result.output)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: "), (command, result.stderr)
    assert cli("db", "current").stdout.strip() != "base"  # nothing was stepped down
