"""A programme whose store Codecut can call: a Shopify or WooCommerce stand-in over real HTTP,
and an app that keeps credentials under a real key."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from builders import cli_for, make_app
from cryptography.fernet import Fernet

from codecut.devtools.fake_shopify import ShopifyServer
from codecut.devtools.fake_woocommerce import WooCommerceServer
from codecut.state import get_state

SHOP = "sync-shop.myshopify.com"
WOO = "woo.example.com"
KEY = Fernet.generate_key().decode()


@pytest.fixture
def shop() -> Iterator[ShopifyServer]:
    with ShopifyServer() as server:
        yield server


@pytest.fixture
def woo() -> Iterator[WooCommerceServer]:
    with WooCommerceServer() as server:
        yield server


@pytest.fixture
def sapp(database_url: str, tmp_path: Path) -> Iterator[Any]:
    app = make_app(database_url, tmp_path, CODECUT_CREDENTIALS_KEY=KEY)
    yield app
    get_state(app).engine.dispose()


@pytest.fixture
def scli(sapp: Any) -> Any:
    return cli_for(sapp)


def ok(result: Any) -> Any:
    assert result.exit_code == 0, result.output
    return result


def shopify_programme(cli: Any, shop: ShopifyServer, influencers: int = 3) -> list[str]:
    """A Shopify store connected to the stand-in, a campaign with a 15% discount, codes issued."""
    ok(
        cli(
            "store",
            "add",
            "--platform",
            "shopify",
            "--domain",
            SHOP,
            "--secret",
            "whsec",
            "--currency",
            "USD",
        )
    )
    ok(
        cli(
            "store",
            "connect",
            "--domain",
            SHOP,
            "--admin-token",
            shop.fake.token,
            "--api-base",
            shop.url,
        )
    )
    ok(
        cli(
            "campaign",
            "add",
            "--store",
            SHOP,
            "--name",
            "Launch",
            "--slug",
            "launch",
            "--commission",
            "10%",
        )
    )
    ok(
        cli(
            "campaign",
            "update",
            "launch",
            "--customer-discount",
            "15%",
            "--once-per-customer",
            "--combines-with",
            "shipping",
        )
    )
    return _codes(cli, "launch", influencers)


def woo_programme(cli: Any, woo: WooCommerceServer, influencers: int = 3) -> list[str]:
    ok(
        cli(
            "store",
            "add",
            "--platform",
            "woocommerce",
            "--domain",
            WOO,
            "--secret",
            "wsec",
            "--currency",
            "USD",
        )
    )
    ok(
        cli(
            "store",
            "connect",
            "--domain",
            WOO,
            "--consumer-key",
            woo.fake.key,
            "--consumer-secret",
            woo.fake.secret,
            "--api-base",
            woo.url,
        )
    )
    ok(
        cli(
            "campaign",
            "add",
            "--store",
            WOO,
            "--name",
            "Woo",
            "--slug",
            "woo",
            "--commission",
            "10%",
        )
    )
    ok(cli("campaign", "update", "woo", "--customer-discount", "5.00 USD"))
    return _codes(cli, "woo", influencers)


def _codes(cli: Any, campaign: str, count: int) -> list[str]:
    codes = []
    for n in range(count):
        email = f"creator{n}@example.com"
        added = cli("influencer", "add", "--email", email, "--name", f"Creator {n}")
        assert added.exit_code == 0 or "exists already" in added.output, added.output
        code = f"{campaign.upper()}{n:04d}"
        ok(cli("code", "issue", "--influencer", email, "--campaign", campaign, "--code", code))
        codes.append(code)
    return codes
