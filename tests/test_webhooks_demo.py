"""The demo's sample deliveries, sent over real HTTP to gunicorn, book what they should."""

from __future__ import annotations

import pytest
from programme import SECRET, SHOP, amounts, make_programme
from servers import gunicorn

from codecut.devtools.demo_orders import replay_samples


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_sample_orders_refunds_and_cancellations_over_http(engine, database_url) -> None:  # type: ignore[no-untyped-def]
    make_programme(engine, codes=("ANNA15", "BEN10", "CHLOE5"))
    with gunicorn(database_url, workers=2) as base_url:
        sent = replay_samples(
            base_url, SHOP, SECRET, ["anna15", "BEN10", "Chloe5"], first_order_id=1
        )
    assert {s.status for s in sent} == {200}
    assert [s.answer["status"] for s in sent] == [
        "processed",
        "processed",
        "processed",
        "ignored",  # the duplicate refund
        "processed",
        "processed",
    ]
    # Each order: 120.00 - 20.00 + 80.00 = 180.00 of goods, 10% = 18.00. Order 2 refunds the
    # 80.00 line: 18.00 x 80/180 = 8.00. Order 3 is cancelled: everything goes back.
    assert amounts(engine) == {
        "commission:1": 1800,
        "commission:2": 1800,
        "refund:201": -800,
        "commission:3": 1800,
        "cancel:3": -1800,
    }
