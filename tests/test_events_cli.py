"""``codecut events list`` and ``codecut events replay``: finding and recovering deliveries."""

from __future__ import annotations

import json

from programme import amounts, deliveries, make_programme, shopify_post
from storefront_payloads import load_fixture_json

from codecut.commissions import posting as ledger

ORDER = "shopify_order_code_FAKE30_manual_application"


def test_list_shows_deliveries_newest_first_and_filters_by_status(app, engine, cli) -> None:  # type: ignore[no-untyped-def]
    make_programme(engine)
    client = app.test_client()
    shopify_post(client, b"not json", "orders/paid")
    shopify_post(client, load_fixture_json(ORDER), "orders/create", webhook_id="wh-1")
    result = cli("events", "list", "--json")
    assert result.exit_code == 0, result.stderr
    listed = json.loads(result.stdout)
    assert [(e["status"], e["topic"]) for e in listed] == [
        ("processed", "orders/create"),
        ("rejected", "orders/paid"),
    ]
    assert listed[0]["order_id"] == "1073459981" and listed[0]["delivery_id"] == "wh-1"
    rejected = json.loads(cli("events", "list", "--status", "rejected", "--json").stdout)
    assert [e["reason"] for e in rejected] == ["the body is not JSON"]
    text = cli("events", "list").stdout
    assert "orders/create\tprocessed\t1073459981" in text


def test_replay_recovers_failed_deliveries_without_booking_twice(
    app,
    engine,
    cli,
    monkeypatch,  # type: ignore[no-untyped-def]
) -> None:
    make_programme(engine)
    client = app.test_client()

    def broken(self, event):  # type: ignore[no-untyped-def]
        raise KeyError("line_items")

    monkeypatch.setattr(ledger.Posting, "apply_order", broken)
    shopify_post(client, load_fixture_json(ORDER), "orders/create")
    shopify_post(client, load_fixture_json(ORDER), "orders/paid")
    failed = json.loads(cli("events", "list", "--status", "failed", "--json").stdout)
    assert len(failed) == 2 and failed[0]["reason"] == "KeyError: 'line_items'"

    # Still broken: the replay fails again, says so, exits non-zero, books nothing.
    result = cli("events", "replay", str(failed[0]["id"]))
    assert result.exit_code == 1 and "failed again" in result.stderr
    assert amounts(engine) == {}

    monkeypatch.undo()
    result = cli("events", "replay", "--failed", "--json")
    assert result.exit_code == 0, result.stderr
    assert [r["status"] for r in json.loads(result.stdout)] == ["processed", "ignored"]
    assert amounts(engine) == {"commission:1073459981": 1811}
    # Replaying a processed delivery again is harmless.
    again = cli("events", "replay", str(failed[1]["id"]), "--json")
    assert json.loads(again.stdout)[0]["status"] == "ignored"
    assert amounts(engine) == {"commission:1073459981": 1811}
    assert [status for status, _ in deliveries(engine)] == ["processed", "ignored"]
    assert json.loads(cli("events", "replay", "--failed", "--json").stdout) == []


def test_replay_needs_one_id_or_failed_and_a_known_id(app, engine, cli) -> None:  # type: ignore[no-untyped-def]
    make_programme(engine)
    assert cli("events", "replay").exit_code == 2
    result = cli("events", "replay", "999")
    assert result.exit_code == 1 and "no stored delivery with id 999" in result.stderr
