"""``codecut store connect``: one cheap call checks the credentials, which are kept encrypted and
never shown; bad input is one line, exit 1, nothing written."""

from __future__ import annotations

import json

from builders import cli_for, make_app
from sqlmodel import Session, select
from store_sync_support import KEY, SHOP, WOO, ok

from codecut.models import Store
from codecut.state import get_state


def _stored(app) -> Store:  # type: ignore[no-untyped-def]
    with Session(get_state(app).engine) as session:
        return session.exec(select(Store)).one()


def _add(cli, platform: str = "shopify", domain: str = SHOP) -> None:  # type: ignore[no-untyped-def]
    ok(
        cli(
            "store",
            "add",
            "--platform",
            platform,
            "--domain",
            domain,
            "--secret",
            "s",
            "--currency",
            "USD",
        )
    )


def test_shopify_credentials_are_checked_and_kept_encrypted(sapp, scli, shop) -> None:
    _add(scli)
    result = ok(
        scli(
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
    assert "connected" in result.output and shop.fake.token not in result.output
    assert shop.fake.operations == ["shop"]  # one cheap call
    row = _stored(sapp)
    assert row.admin_credentials and shop.fake.token not in row.admin_credentials
    assert row.api_base == shop.url
    listed = json.loads(ok(scli("store", "list", "--json")).stdout)
    assert listed[0]["admin_api"] == "connected"
    assert shop.fake.token not in json.dumps(listed)


def test_missing_scopes_are_named_in_one_line(sapp, scli, shop) -> None:
    _add(scli)
    shop.fake.scopes = {"read_orders"}
    result = scli(
        "store",
        "connect",
        "--domain",
        SHOP,
        "--admin-token",
        shop.fake.token,
        "--api-base",
        shop.url,
    )
    assert result.exit_code == 1
    assert "write_discounts (to create the campaign's discount codes)" in result.output
    assert "read_all_orders (to pull orders older than 60 days)" in result.output
    assert len(result.output.strip().splitlines()) == 1 and "Traceback" not in result.output
    assert _stored(sapp).admin_credentials is None


def test_a_refused_token_an_unknown_store_and_missing_flags_write_nothing(
    sapp, scli, shop, woo
) -> None:
    _add(scli)
    refused = scli(
        "store", "connect", "--domain", SHOP, "--admin-token", "shpat_wrong", "--api-base", shop.url
    )
    assert (
        refused.exit_code == 1
        and "refused the credentials (HTTP 401: [API] Invalid API key" in refused.output
    )
    unknown = scli("store", "connect", "--domain", "nope.myshopify.com", "--admin-token", "x")
    assert unknown.exit_code == 1 and "no store with domain nope.myshopify.com" in unknown.output
    missing = scli("store", "connect", "--domain", SHOP, "--consumer-key", "ck")
    assert missing.exit_code == 1 and "--admin-token" in missing.output
    bad_base = scli(
        "store", "connect", "--domain", SHOP, "--admin-token", "x", "--api-base", "ftp://x"
    )
    assert bad_base.exit_code == 1 and "--api-base must be an http(s) URL" in bad_base.output
    for base in ("http://[::1", "https://shop.example:99999", "http://"):  # no host or port
        bad = scli("store", "connect", "--domain", SHOP, "--admin-token", "x", "--api-base", base)
        assert bad.exit_code == 1 and "--api-base must be an http(s) URL" in bad.output, base
    _add(scli, "woocommerce", WOO)
    wrong = scli(
        "store",
        "connect",
        "--domain",
        WOO,
        "--consumer-key",
        "ck_x",
        "--consumer-secret",
        "cs_x",
        "--api-base",
        woo.url,
    )
    assert wrong.exit_code == 1 and "(HTTP 401: Sorry, you cannot list resources.)" in wrong.output
    with Session(get_state(sapp).engine) as session:
        assert all(s.admin_credentials is None for s in session.exec(select(Store)))


def test_an_unreachable_store_is_one_line(sapp, scli) -> None:
    _add(scli)
    result = scli(
        "store",
        "connect",
        "--domain",
        SHOP,
        "--admin-token",
        "x",
        "--api-base",
        "http://127.0.0.1:9",
    )
    assert result.exit_code == 1 and "could not be reached" in result.output
    assert "Traceback" not in result.output


def test_outside_development_credentials_need_the_key(database_url, tmp_path, shop) -> None:
    app = make_app(database_url, tmp_path, TESTING=False, CODECUT_MAIL_SERVER="127.0.0.1")
    assert not get_state(app).development
    cli = cli_for(app)
    _add(cli)
    result = cli(
        "store",
        "connect",
        "--domain",
        SHOP,
        "--admin-token",
        shop.fake.token,
        "--api-base",
        shop.url,
    )
    assert result.exit_code == 1 and "CODECUT_CREDENTIALS_KEY is not set" in result.output
    assert _stored(app).admin_credentials is None
    get_state(app).engine.dispose()


def test_a_changed_key_asks_to_connect_again(database_url, tmp_path, sapp, scli, shop) -> None:
    from cryptography.fernet import Fernet

    _add(scli)
    ok(
        scli(
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
    other = make_app(database_url, tmp_path, CODECUT_CREDENTIALS_KEY=Fernet.generate_key().decode())
    result = cli_for(other)("reconcile", "--store", SHOP)
    assert result.exit_code == 1 and "run `codecut store connect` again" in result.output
    get_state(other).engine.dispose()


def test_a_bad_key_stops_start_up(database_url, tmp_path) -> None:
    import pytest

    from codecut.config import ConfigError

    with pytest.raises(ConfigError, match="CODECUT_CREDENTIALS_KEY must be a Fernet key"):
        make_app(database_url, tmp_path, CODECUT_CREDENTIALS_KEY="not-a-key")
    assert KEY
