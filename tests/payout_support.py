"""Fixtures and factories for the payout tests: an app wired to a local fake Stripe, and ledger
entries inserted directly (the webhook engine that books them in production is tested elsewhere).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlmodel import Session

from codecut import roster
from codecut.app import create_app
from codecut.db import transaction
from codecut.devtools.fake_stripe import StripeServer
from codecut.models import LedgerEntry, Order, Payout, utcnow

STRIPE_KEY = "sk_test_codecut"
WEBHOOK_SECRET = "whsec_codecut_test"
DAY = date(2026, 1, 31)


@pytest.fixture
def stripe_server() -> Iterator[StripeServer]:
    with StripeServer() as server:
        yield server


def make_app(database_url: str, tmp_path: Path, stripe_url: str, **config: Any) -> Flask:
    app = create_app(
        {
            "TESTING": True,
            "CODECUT_DATABASE_URL": database_url,
            "CODECUT_SECRET_KEY": "test-secret-key",
            "CODECUT_STRIPE_API_KEY": STRIPE_KEY,
            "CODECUT_STRIPE_API_BASE": stripe_url,
            "CODECUT_STRIPE_MAX_NETWORK_RETRIES": 1,
            "CODECUT_STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "CODECUT_PAYOUT_MINIMUM": "50.00",
            **config,
        }
    )
    app.instance_path = str(tmp_path / "instance")
    return app


@pytest.fixture
def papp(database_url: str, tmp_path: Path, stripe_server: StripeServer) -> Iterator[Flask]:
    app = make_app(database_url, tmp_path, stripe_server.url)
    yield app
    app.extensions["codecut"].engine.dispose()


def cli_for(app: Flask):  # type: ignore[no-untyped-def]
    from flask.cli import ScriptInfo

    from codecut.cli import main

    runner = app.test_cli_runner()

    def invoke(*args: str, input: str | None = None):  # type: ignore[no-untyped-def]
        return runner.invoke(main, list(args), input=input, obj=ScriptInfo(create_app=lambda: app))

    return invoke


@pytest.fixture
def pcli(papp: Flask):  # type: ignore[no-untyped-def]
    return cli_for(papp)


def engine_of(app: Flask) -> Any:
    return app.extensions["codecut"].engine


# -- factories -----------------------------------------------------------------------------------


def programme(session: Session, currency: str = "USD", domain: str = "shop.example.com") -> Any:
    """A store and a campaign in ``currency``; returns the campaign."""
    store = roster.add_store(
        session, platform="shopify", domain=domain, secret="s", currency=currency
    )
    return roster.add_campaign(
        session,
        store_domain=store.domain,
        name=f"Campaign {domain}",
        slug=domain.split(".")[0],
        commission="10%",
    )


def influencer(session: Session, email: str, account: str | None = None, name: str = "") -> int:
    row = roster.add_influencer(
        session, email=email, name=name or email.split("@")[0].title(), stripe_account=account
    )
    return int(row.id)  # type: ignore[arg-type]


def entry(
    session: Session,
    influencer_id: int,
    amount: int,
    currency: str = "USD",
    *,
    status: str = "approved",
    available_on: date = DAY,
    kind: str | None = None,
    memo: str | None = None,
) -> int:
    """A ledger entry as the commission engine books it (no order behind it)."""
    row = LedgerEntry(
        influencer_id=influencer_id,
        kind=kind or ("commission" if amount >= 0 else "reversal"),
        status=status,
        currency=currency,
        amount=amount,
        available_on=available_on,
        approved_at=utcnow() if status == "approved" else None,
        memo=memo,
    )
    session.add(row)
    session.flush()
    return int(row.id)  # type: ignore[arg-type]


def order_entry(
    session: Session,
    campaign: Any,
    email: str,
    amount: int,
    *,
    base: int,
    memo: str | None = None,
    status: str = "approved",
) -> int:
    """A commission with its store, code and order, as an export shows it."""
    person = roster.get_influencer(session, email)
    code = roster.issue_code(session, influencer_email=email, campaign_slug=campaign.slug)
    store_currency = roster.get_store(session, "shop.example.com").currency
    number = int(session.scalar(select(func.count()).select_from(Order)) or 0) + 1
    order = Order(
        store_id=campaign.store_id,
        external_id=f"ext-{number}",
        order_number=f"#{1000 + number}",
        code_id=code.id,
        influencer_id=person.id,
        campaign_id=campaign.id,
        code_as_entered=code.code,
        currency=store_currency,
        base_amount=base,
        order_total=base + 500,
    )
    session.add(order)
    session.flush()
    row = LedgerEntry(
        influencer_id=person.id,
        store_id=campaign.store_id,
        campaign_id=campaign.id,
        code_id=code.id,
        order_id=order.id,
        kind="commission",
        status=status,
        currency=store_currency,
        amount=amount,
        base_amount=base,
        rate_bps=1000,
        available_on=DAY,
        dedupe_key=f"commission:{order.id}",
        memo=memo,
    )
    session.add(row)
    session.flush()
    return int(row.id)  # type: ignore[arg-type]


# -- reading back --------------------------------------------------------------------------------


def payouts_of(app: Flask) -> list[Payout]:
    with transaction(engine_of(app)) as session:
        return list(session.scalars(select(Payout).order_by(Payout.id)))


def entries_of(app: Flask) -> list[LedgerEntry]:
    with transaction(engine_of(app)) as session:
        return list(session.scalars(select(LedgerEntry).order_by(LedgerEntry.id)))


def count(app: Flask, model: Any) -> int:
    with transaction(engine_of(app)) as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)
