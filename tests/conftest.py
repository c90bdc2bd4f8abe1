"""Fixtures: a fresh Codecut app per test on SQLite and, when CODECUT_TEST_DATABASE_URL is set,
on PostgreSQL too (every test that takes ``app`` runs on both).

Each test session creates its own PostgreSQL database from that URL and drops it afterwards (the
server is shared and keeps whatever earlier runs left). Between tests the tables are emptied; the
schema is built once, by the real Alembic migrations.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from builders import cli_for, make_app
from flask import Flask
from sqlalchemy import Engine, create_engine, text
from sqlmodel import SQLModel

from codecut import db as database
from codecut.devtools.fake_stripe import StripeServer
from codecut.devtools.scratch_db import scratch_postgres
from codecut.state import get_state

#: Fixtures of the store-sync tests (a Shopify and a WooCommerce stand-in, an app with a key).
pytest_plugins = ("store_sync_support",)

PG_ENV = "CODECUT_TEST_DATABASE_URL"
FIXTURES = Path(__file__).parent / "fixtures"


def postgres_admin_url() -> str | None:
    return os.environ.get(PG_ENV) or None


BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if postgres_admin_url():
        return
    skip = pytest.mark.skip(reason=f"PostgreSQL tests need {PG_ENV}")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file; each test gets a copy, so migrations run once per session."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    engine = database.create_db_engine(f"sqlite:///{path}")
    database.upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_url(worker_id: str) -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for this test session (and xdist worker)."""
    admin_url = postgres_admin_url()
    if not admin_url:
        pytest.skip(f"PostgreSQL tests need {PG_ENV}")
    with scratch_postgres(admin_url, prefix=f"codecut_test_{worker_id}") as url:
        engine = database.create_db_engine(url)
        database.upgrade(engine)
        engine.dispose()
        yield url


def _truncate_postgres(url: str) -> None:
    engine = create_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty, migrated database: a copied SQLite file, or the emptied PostgreSQL database."""
    if request.param == "sqlite":
        path = tmp_path / "codecut.sqlite3"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("postgres_url")
    _truncate_postgres(url)
    return url


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    app = make_app(database_url, tmp_path)
    yield app
    get_state(app).engine.dispose()


@pytest.fixture
def engine(app: Flask) -> Engine:
    return get_state(app).engine


@pytest.fixture
def cli(app: Flask) -> Any:
    """Run ``codecut ...`` commands against the test app, as a user would type them."""
    return cli_for(app)


@pytest.fixture
def stripe_server() -> Iterator[StripeServer]:
    """A local stand-in for Stripe's API over real HTTP."""
    with StripeServer() as server:
        yield server


@pytest.fixture
def papp(database_url: str, tmp_path: Path, stripe_server: StripeServer) -> Iterator[Flask]:
    """The app wired to the Stripe stand-in, with a 50.00 payout minimum."""
    app = make_app(database_url, tmp_path, stripe_url=stripe_server.url)
    yield app
    get_state(app).engine.dispose()


@pytest.fixture
def pcli(papp: Flask) -> Any:
    return cli_for(papp)
