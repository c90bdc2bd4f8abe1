"""``codecut verify``: a consistent ledger passes; each kind of damage, written with SQL as a bug
or a hand edit would, is named row by row and exits 1."""

from __future__ import annotations

import json

from builders import DAY
from payout_support import engine_of, entry, influencer
from sqlalchemy import text

from codecut.db import transaction


def _paid_programme(papp, pcli, stripe_server) -> None:  # type: ignore[no-untyped-def]
    stripe_server.fake.fund("usd", 1_000_000)
    with transaction(engine_of(papp)) as s:
        anna = influencer(s, "anna@example.com", "acct_anna")
        entry(s, anna, 6000)
        entry(s, anna, -1000)
        entry(s, influencer(s, "ben@example.com"), 7000, "EUR")
    assert pcli("payouts", "run", "--as-of", DAY.isoformat()).exit_code == 0


def _verify(pcli):  # type: ignore[no-untyped-def]
    result = pcli("verify", "--json")
    return result.exit_code, json.loads(result.stdout)


def test_a_consistent_ledger_passes(papp, pcli, stripe_server) -> None:  # type: ignore[no-untyped-def]
    _paid_programme(papp, pcli, stripe_server)
    code, report = _verify(pcli)
    assert code == 0, report
    assert (report["ok"], report["entries"], report["payouts"], report["problems"]) == (
        True, 3, 2, [],
    )  # fmt: skip
    plain = pcli("verify")
    assert plain.exit_code == 0 and "all consistent" in plain.stderr


def test_damage_is_named_row_by_row(papp, pcli, stripe_server) -> None:  # type: ignore[no-untyped-def]
    _paid_programme(papp, pcli, stripe_server)
    with engine_of(papp).begin() as connection:
        connection.execute(text("UPDATE codecut_payout SET amount = amount + 1 WHERE id = 1"))
        connection.execute(
            text("INSERT INTO codecut_settlement (entry_id, payout_id) VALUES (999, 2)")
        )
        connection.execute(
            text(
                "INSERT INTO codecut_webhook_event (source, topic, headers, body, status, reason,"
                " attempts, received_at) VALUES ('shopify', 'orders/paid', '{}', :body, 'failed',"
                " 'boom', 1, CURRENT_TIMESTAMP)"
            ),
            {"body": b"{}"},
        )
    code, report = _verify(pcli)
    assert code == 1 and not report["ok"]
    details = [p["detail"] for p in report["problems"]]
    assert "settlement of entry 999 by payout 2: the entry or the payout does not exist" in details
    assert any(d.startswith("payout 1 (batch 1, paid): 50.01 USD in 2 entries") for d in details)
    assert any(d.startswith("event ") and "failed: boom" in d for d in details)
    plain = pcli("verify")
    assert plain.exit_code == 1 and "payout 1 (batch 1, paid)" in plain.stdout
