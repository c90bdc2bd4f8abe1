"""Concurrent deliveries to real gunicorn (4 workers): the database, not memory, keeps them once."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import requests
from programme import SECRET, SHOP, amounts, deliveries, make_programme
from servers import gunicorn
from storefront_payloads import dumps, load_fixture_json, shopify_headers


def _send_together(url: str, requests_: list[tuple[bytes, dict[str, str]]]) -> list[int]:
    """Fire every request at the same moment (a barrier releases all threads at once)."""
    barrier = threading.Barrier(len(requests_))

    def send(item: tuple[bytes, dict[str, str]]) -> int:
        body, headers = item
        barrier.wait()
        return requests.post(url, data=body, headers=headers, timeout=30).status_code

    with ThreadPoolExecutor(len(requests_)) as pool:
        return list(pool.map(send, requests_))


def _signed(payload: dict, topic: str) -> tuple[bytes, dict[str, str]]:
    body = dumps(payload)
    return body, shopify_headers(body, SECRET, topic, SHOP, webhook_id="same-delivery")


def test_the_same_delivery_five_times_at_once_books_one_commission(engine, database_url) -> None:  # type: ignore[no-untyped-def]
    make_programme(engine)
    order = load_fixture_json("shopify_order_code_FAKE30_manual_application")
    refund = load_fixture_json("shopify_refund_partial_two_lines")
    tenoff = load_fixture_json("shopify_order_code_TENOFF_partially_refunded")
    tenoff.update(financial_status="paid", refunds=[])
    second = dict(refund, id=777, refund_line_items=refund["refund_line_items"][1:])
    first = dict(refund, refund_line_items=refund["refund_line_items"][:1])
    with gunicorn(database_url, workers=4) as base_url:
        url = f"{base_url}/webhooks/shopify"
        assert _send_together(url, [_signed(order, "orders/paid")] * 5) == [200] * 5
        # Two different refunds of one order, each delivered three times, all at once, before
        # and with the order itself: each is reversed once, from the right cumulative total.
        burst = [_signed(first, "refunds/create")] * 3 + [_signed(second, "refunds/create")] * 3
        assert set(_send_together(url, [*burst, _signed(tenoff, "orders/paid")])) == {200}
    booked = amounts(engine)
    assert (booked["commission:1073459981"], booked["commission:450789469"]) == (1811, 5870)
    # 58.70 x 195.66/587.00 = 19.566 -> 19.57, and 39.133 -> 39.13 once both are in: the refund
    # that lands first takes 19.57, the other 19.56; together exactly 39.13, each once.
    assert sorted([booked["refund:509562969"], booked["refund:777"]]) == [-1957, -1956]
    assert len(booked) == 4
    statuses = [status for status, _ in deliveries(engine)]
    assert len(statuses) == 12 and "failed" not in statuses and "waiting" not in statuses
    assert statuses[:5].count("processed") == 1
