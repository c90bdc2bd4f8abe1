"""The set-up commands, and every bad input the foundation names: one line, non-zero, no writes."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from codecut.models import Campaign, Code, Influencer, Store


def count(engine, model) -> int:  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def programme(cli):  # type: ignore[no-untyped-def]
    assert (
        cli(
            "store",
            "add",
            "--platform",
            "shopify",
            "--domain",
            "Shop.MyShopify.com",
            "--secret",
            "s3cret",
            "--currency",
            "usd",
        ).exit_code
        == 0
    )
    assert (
        cli(
            "campaign",
            "add",
            "--store",
            "shop.myshopify.com",
            "--name",
            "Spring Launch",
            "--commission",
            "10%",
        ).exit_code
        == 0
    )
    assert (
        cli(
            "influencer",
            "add",
            "--email",
            "Anna@Example.com",
            "--name",
            "Anna Berg",
            "--handle",
            "@annaberg",
            "--followers",
            "1200",
        ).exit_code
        == 0
    )
    return cli


def test_store_campaign_influencer_code_round_trip(programme, engine) -> None:  # type: ignore[no-untyped-def]
    cli = programme
    result = cli(
        "code",
        "issue",
        "--influencer",
        "anna@example.com",
        "--campaign",
        "spring-launch",
        "--code",
        " anna15 ",
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "ANNA15"

    generated = cli(
        "code", "issue", "--influencer", "anna@example.com", "--campaign", "spring-launch", "--json"
    )
    record = json.loads(generated.stdout)
    assert record["code"].startswith("ANNABERG")
    assert record["influencer_email"] == "anna@example.com"
    assert record["campaign"] == "spring-launch"

    listed = json.loads(cli("code", "list", "--campaign", "spring-launch", "--json").stdout)
    assert [c["code"] for c in listed] == ["ANNA15", record["code"]]

    influencers = json.loads(cli("influencer", "list", "--json").stdout)
    assert influencers[0]["email"] == "anna@example.com"
    assert influencers[0]["handle"] == "annaberg"
    assert influencers[0]["codes"] == ["ANNA15", record["code"]]

    exported = cli("code", "export", "--campaign", "spring-launch")
    lines = exported.stdout.strip().splitlines()
    assert lines[0] == "code,influencer_email,influencer_name,campaign,store,active"
    assert lines[1] == "ANNA15,anna@example.com,Anna Berg,spring-launch,shop.myshopify.com,true"

    stores = json.loads(cli("store", "list", "--json").stdout)
    assert stores[0]["domain"] == "shop.myshopify.com" and stores[0]["currency"] == "USD"


def test_json_outputs_keep_messages_off_stdout(programme) -> None:  # type: ignore[no-untyped-def]
    result = programme("influencer", "add", "--email", "ben@example.com", "--name", "Ben", "--json")
    assert json.loads(result.stdout)["email"] == "ben@example.com"


BAD_INPUTS = [
    (("influencer", "add", "--email", "ANNA@example.COM", "--name", "Other"), "exists already"),
    (("influencer", "add", "--email", "not-an-email", "--name", "X"), "not a valid email"),
    (
        ("influencer", "add", "--email", "x@example.com", "--name", "X", "--commission", "110%"),
        "between 0% and 100%",
    ),
    (
        ("influencer", "add", "--email", "x@example.com", "--name", "X", "--commission", "-5"),
        "percentage",
    ),
    (("campaign", "add", "--store", "nowhere.example.com", "--name", "X"), "no store"),
    (
        ("campaign", "add", "--store", "shop.myshopify.com", "--name", "X", "--commission", "110%"),
        "between 0% and 100%",
    ),
    (
        (
            "campaign",
            "add",
            "--store",
            "shop.myshopify.com",
            "--name",
            "X",
            "--commission",
            "-5.00 USD",
        ),
        "must not be negative",
    ),
    (
        ("campaign", "add", "--store", "shop.myshopify.com", "--name", "X", "--commission", "15"),
        "write 15% for a rate, or 15 USD for a flat amount per order",
    ),
    (
        (
            "campaign",
            "add",
            "--store",
            "shop.myshopify.com",
            "--name",
            "X",
            "--commission",
            "15.00 EUR",
        ),
        "in the store's currency, USD",
    ),
    (("campaign", "update", "nosuch", "--hold-days", "3"), "no campaign"),
    (("campaign", "update", "spring-launch", "--commission", "7"), "ambiguous"),
    (("campaign", "update", "spring-launch", "--hold-days", "-1"), "must be from 0 to 3,650"),
    # A hold of a hundred million days is no date: every booking under it would have failed.
    (("campaign", "update", "spring-launch", "--hold-days", "99999999"), "from 0 to 3,650"),
    (
        ("campaign", "add", "--store", "shop.myshopify.com", "--name", "L", "--hold-days", "3651"),
        "hold days must be from 0 to 3,650, not 3,651",
    ),
    (
        ("campaign", "add", "--store", "shop.myshopify.com", "--name", "Spring Launch"),
        "exists already",
    ),
    (
        (
            "store",
            "add",
            "--platform",
            "shopify",
            "--domain",
            "b.example.com",
            "--secret",
            "s",
            "--currency",
            "DOLLARS",
        ),
        "unknown currency",
    ),
    (
        (
            "store",
            "add",
            "--platform",
            "shopify",
            "--domain",
            "SHOP.myshopify.com",
            "--secret",
            "s",
            "--currency",
            "USD",
        ),
        "exists already",
    ),
    (("code", "issue", "--influencer", "anna@example.com", "--campaign", "nope"), "no campaign"),
    (
        ("code", "issue", "--influencer", "nobody@example.com", "--campaign", "spring-launch"),
        "no influencer",
    ),
    (("code", "list", "--campaign", "nope"), "no campaign"),
]


@pytest.mark.parametrize(("args", "message"), BAD_INPUTS)
def test_bad_input_is_one_line_and_writes_nothing(programme, engine, args, message) -> None:  # type: ignore[no-untyped-def]
    before = [count(engine, m) for m in (Store, Campaign, Influencer, Code)]
    result = programme(*args)
    assert result.exit_code != 0
    assert message in result.stderr
    assert "Traceback" not in result.output
    assert len(result.stderr.strip().splitlines()) == 1
    assert [count(engine, m) for m in (Store, Campaign, Influencer, Code)] == before


def test_duplicate_code_in_any_letter_case(programme, engine) -> None:  # type: ignore[no-untyped-def]
    cli = programme
    assert (
        cli(
            "code",
            "issue",
            "--influencer",
            "anna@example.com",
            "--campaign",
            "spring-launch",
            "--code",
            "ANNA15",
        ).exit_code
        == 0
    )
    cli("influencer", "add", "--email", "ben@example.com", "--name", "Ben")
    result = cli(
        "code",
        "issue",
        "--influencer",
        "ben@example.com",
        "--campaign",
        "spring-launch",
        "--code",
        "anna15",
    )
    assert result.exit_code == 1
    assert "ANNA15 is taken" in result.stderr
    assert count(engine, Code) == 1


def test_commands_before_migrations_say_what_to_do(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from codecut.app import create_app
    from codecut.cli.main import main

    app = create_app(
        {
            "TESTING": True,
            "CODECUT_SECRET_KEY": "k",
            "CODECUT_DATABASE_URL": f"sqlite:///{tmp_path}/empty.sqlite3",
        }
    )
    from flask.cli import ScriptInfo

    result = app.test_cli_runner().invoke(
        main, ["influencer", "list"], obj=ScriptInfo(create_app=lambda: app)
    )
    assert result.exit_code == 1
    assert "codecut db upgrade" in result.stderr


def test_campaign_commission_is_a_rate_or_a_flat_amount_in_the_store_currency(programme) -> None:  # type: ignore[no-untyped-def]
    flat = programme(
        "campaign",
        "add",
        "--store",
        "shop.myshopify.com",
        "--name",
        "Flat",
        "--commission",
        "15.00 USD",
        "--json",
    )
    assert flat.exit_code == 0, flat.output
    assert json.loads(flat.stdout)["commission"] == "15.00 USD"
    updated = programme(
        "campaign", "update", "flat", "--commission", "12.5%", "--hold-days", "14", "--json"
    )
    assert updated.exit_code == 0, updated.output
    record = json.loads(updated.stdout)
    assert (record["commission"], record["hold_days"]) == ("12.5%", 14)
    renamed = programme("campaign", "update", "flat", "--name", "Flat Summer")
    assert renamed.stderr.strip() == "campaign flat (12.5%) updated"


def test_influencer_update_changes_only_what_is_given(programme) -> None:  # type: ignore[no-untyped-def]
    result = programme(
        "influencer",
        "update",
        "anna@example.com",
        "--followers",
        "5000",
        "--stripe-account",
        "acct_9Anna",
        "--commission",
        "12%",
        "--json",
    )
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert (record["name"], record["handle"], record["followers"]) == (
        "Anna Berg",
        "annaberg",
        5000,
    )
    assert (record["stripe_account"], record["commission"]) == ("acct_9Anna", "12%")
    cleared = programme(
        "influencer",
        "update",
        "anna@example.com",
        "--commission",
        "none",
        "--stripe-account",
        "none",
        "--json",
    )
    record = json.loads(cleared.stdout)
    assert (record["stripe_account"], record["commission"]) == (None, None)
    for args, message in (
        (("--stripe-account", "ba_1"), "is not a Stripe account id"),
        (("--followers", "many"), "whole number"),
        (("--commission", "5.00 USD"), "percentage"),
        (("--name", " "), "must not be empty"),
    ):
        refused = programme("influencer", "update", "anna@example.com", *args)
        assert refused.exit_code == 1 and message in refused.stderr, (args, refused.stderr)
    unknown = programme("influencer", "update", "nobody@example.com", "--name", "X")
    assert unknown.exit_code == 1 and "no influencer" in unknown.stderr


@pytest.mark.parametrize("number", ["99999999999", "99999999999999999999"])
def test_a_command_given_an_id_the_database_cannot_hold_says_so(cli, number: str) -> None:  # type: ignore[no-untyped-def]
    for command in (
        ("payouts", "retry", number),
        ("payouts", "verify", number),
        ("webhook-endpoint", "deliveries", number),
        ("events", "replay", number),
    ):
        result = cli(*command)
        assert result.exit_code == 1, (command, result.output)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: "), (command, result.stderr)


def test_a_store_url_is_a_web_address(cli) -> None:  # type: ignore[no-untyped-def]
    added = cli(
        "store", "add", "--platform", "shopify", "--domain", "s.myshopify.com", "--secret", "s",
        "--currency", "USD", "--url", "https://shop.example.com",
    )  # fmt: skip
    assert added.exit_code == 0, added.stderr
    for url in ("javascript:alert(1)", "ftp://x", "http://[::1", "http://127.0.0.1:99999/"):
        result = cli("store", "update", "s.myshopify.com", "--url", url)
        assert result.exit_code == 1, (url, result.output)
        assert "the store URL must be an http:// or https:// address" in result.stderr
    listed = json.loads(cli("store", "list", "--json").stdout)
    assert listed[0]["url"] == "https://shop.example.com"


def test_text_longer_than_its_column_is_refused_by_name(programme, cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    long = "x" * 10_000  # SQLite would keep it; PostgreSQL refused it naming no column
    for command, why in (
        (
            ("influencer", "add", "--email", "a@example.com", "--name", long),
            "name is longer than 200",
        ),
        (("apikey", "create", "--name", long, "--scope", "read"), "name is longer than 200"),
        (
            ("campaign", "add", "--store", "shop.myshopify.com", "--name", long),
            "name is longer than 200",
        ),
    ):
        result = cli(*command)
        assert result.exit_code == 1, (command[:2], result.output[:300])
        assert result.stderr.strip().splitlines() == [f"Error: {why} characters"], command[:2]
    path = tmp_path / "long.csv"
    path.write_text(f"email,name\nok@example.com,Ok\nb@example.com,{long}\n")
    imported = cli("influencer", "import", str(path), "--campaign", "spring-launch")
    assert imported.exit_code == 1 and "row 3: name is longer than 200" in imported.stderr
    listed = json.loads(cli("influencer", "list", "--json").stdout)
    assert not any(row["email"] in ("a@example.com", "ok@example.com") for row in listed)


def test_bytes_the_arguments_could_not_decode_are_one_line(programme, cli) -> None:  # type: ignore[no-untyped-def]
    # A shell hands Python undecodable bytes as lone surrogates ($'Camp\xff' -> "Camp\udcff").
    for command in (
        ("campaign", "add", "--store", "shop.myshopify.com", "--name", "Camp\udcff"),
        ("influencer", "add", "--email", "b@example.com", "--name", "B\udcffB"),
    ):
        result = cli(*command)
        assert result.exit_code == 1, (command[:2], result.output)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: "), (command[:2], result.stderr)
