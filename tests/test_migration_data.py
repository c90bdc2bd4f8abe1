"""Migrations that move data keep it: rows written at the revision before come out right after,
and going back down restores them (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import text

from codecut import db as database

NOW = "2026-11-01 10:00:00+00:00"


def _run(engine, *statements: str, **params: object) -> None:  # type: ignore[no-untyped-def]
    with engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement), params)


def _programme(engine) -> None:  # type: ignore[no-untyped-def]
    _run(
        engine,
        "INSERT INTO codecut_store (id, platform, domain, webhook_secret, currency, created_at) "
        f"VALUES (1, 'shopify', 'shop.myshopify.com', 's', 'USD', '{NOW}')",
        "INSERT INTO codecut_campaign (id, store_id, name, slug, commission_rate_bps, created_at) "
        f"VALUES (1, 1, 'Launch', 'launch', 1000, '{NOW}')",
        "INSERT INTO codecut_influencer (id, email, name, status, login_nonce, session_nonce, "
        f"created_at) VALUES (1, 'anna@example.com', 'Anna', 'active', '', '', '{NOW}')",
        "INSERT INTO codecut_code (id, code, store_id, campaign_id, influencer_id, active, "
        f"created_at) VALUES (1, 'TENOFF', 1, 1, 1, true, '{NOW}')",
    )


def test_settlement_moves_out_of_the_ledger_and_back(engine) -> None:  # type: ignore[no-untyped-def]
    database.downgrade(engine, "0002")
    _programme(engine)
    _run(
        engine,
        "INSERT INTO codecut_payout_batch (id, as_of, status, created_at) "
        f"VALUES (1, '2026-10-31', 'completed', '{NOW}')",
        "INSERT INTO codecut_payout (id, batch_id, influencer_id, currency, amount, entry_count, "
        "method, status, attempt, period_end, created_at) "
        f"VALUES (1, 1, 1, 'USD', 6000, 1, 'manual', 'paid', 1, '2026-10-31', '{NOW}')",
        "INSERT INTO codecut_ledger_entry (id, influencer_id, kind, status, currency, amount, "
        "available_on, payout_id, created_at, approved_at) VALUES "
        f"(1, 1, 'commission', 'paid', 'USD', 6000, '2026-10-01', 1, '{NOW}', '{NOW}'), "
        f"(2, 1, 'commission', 'approved', 'USD', 700, '2026-10-02', NULL, '{NOW}', '{NOW}'), "
        f"(3, 1, 'commission', 'pending', 'USD', 800, '2027-01-02', NULL, '{NOW}', NULL)",
    )
    database.upgrade(engine, "0003")
    with engine.connect() as connection:
        settled = connection.execute(text("SELECT entry_id, payout_id FROM codecut_settlement"))
        assert settled.all() == [(1, 1)]
        statuses = connection.execute(
            text("SELECT id, status FROM codecut_ledger_entry ORDER BY id")
        )
        assert statuses.all() == [(1, "approved"), (2, "approved"), (3, "pending")]
    database.downgrade(engine, "0002")
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT id, status, payout_id FROM codecut_ledger_entry ORDER BY id")
        ).all()
        assert rows == [(1, "paid", 1), (2, "approved", None), (3, "pending", None)]
    database.upgrade(engine)


def test_refund_dates_are_read_back_from_the_raw_deliveries(engine) -> None:  # type: ignore[no-untyped-def]
    database.downgrade(engine, "0003")
    _programme(engine)
    refund = {"id": 555, "order_id": 77, "created_at": "2026-11-20T08:15:00-05:00"}
    woo_order = {"id": 88, "refunds": [{"id": 666, "date_created_gmt": "2026-11-21T09:00:00"}]}
    _run(
        engine,
        "INSERT INTO codecut_order (id, store_id, external_id, code_id, influencer_id, "
        "campaign_id, code_as_entered, currency, base_amount, order_total, shipping_amount, test, "
        "taxes_included, self_referral, placed_at, cancelled_at, created_at, updated_at) VALUES "
        "(1, 1, '77', 1, 1, 1, 'TENOFF', 'USD', 10000, 10000, 0, false, false, false, "
        f"'2026-10-14 10:30:00+00:00', NULL, '{NOW}', '{NOW}'), "
        "(2, 1, '99', 1, 1, 1, 'TENOFF', 'USD', 10000, 10000, 0, false, false, false, "
        f"'2026-10-15 10:30:00+00:00', '2026-10-30 12:00:00+00:00', '{NOW}', '{NOW}')",
        "INSERT INTO codecut_ledger_entry (id, influencer_id, store_id, order_id, kind, status, "
        "currency, amount, available_on, dedupe_key, reason, created_at) VALUES "
        f"(1, 1, 1, 1, 'commission', 'pending', 'USD', 1000, '2026-11-13', 'commission:77', NULL, "
        f"'{NOW}'), "
        f"(2, 1, 1, 1, 'reversal', 'pending', 'USD', -500, '2026-11-13', 'refund:555', 'refund', "
        f"'{NOW}'), "
        f"(3, 1, 1, 2, 'reversal', 'pending', 'USD', -1000, '2026-11-14', 'cancel:99', "
        f"'cancellation', '{NOW}'), "
        f"(4, 1, 1, NULL, 'reversal', 'pending', 'USD', -1, '2026-11-14', 'refund:666', 'refund', "
        f"'{NOW}'), "
        f"(5, 1, NULL, NULL, 'adjustment', 'approved', 'USD', 5, '2026-11-14', NULL, 'manual', "
        f"'{NOW}')",
        "INSERT INTO codecut_webhook_event (store_id, source, topic, headers, body, status, "
        "attempts, received_at) VALUES "
        f"(1, 'shopify', 'refunds/create', '{{}}', :refund, 'processed', 1, '{NOW}'), "
        f"(1, 'woocommerce', 'order.updated', '{{}}', :woo, 'processed', 1, '{NOW}'), "
        f"(1, 'shopify', 'orders/paid', '{{}}', :junk, 'rejected', 1, '{NOW}')",
        refund=json.dumps(refund).encode(),
        woo=json.dumps(woo_order).encode(),
        junk=b"[" * 5000,
    )
    database.upgrade(engine, "0004")
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT id, occurred_at, refunded_at FROM codecut_ledger_entry ORDER BY id")
        ).all()

    def utc(value: object) -> datetime | None:
        if value is None:
            return None
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)

    assert [(i, utc(o), utc(r)) for i, o, r in rows] == [
        (1, datetime(2026, 10, 14, 10, 30, tzinfo=UTC), None),
        (2, datetime(2026, 11, 20, 13, 15, tzinfo=UTC), datetime(2026, 11, 20, 13, 15, tzinfo=UTC)),
        (3, datetime(2026, 10, 30, 12, 0, tzinfo=UTC), datetime(2026, 10, 30, 12, 0, tzinfo=UTC)),
        (4, datetime(2026, 11, 21, 9, 0, tzinfo=UTC), datetime(2026, 11, 21, 9, 0, tzinfo=UTC)),
        (5, datetime(2026, 11, 1, 10, 0, tzinfo=UTC), None),
    ]
    database.downgrade(engine, "0003")
    database.upgrade(engine)


def test_a_disabled_endpoints_pending_deliveries_are_parked(engine) -> None:  # type: ignore[no-untyped-def]
    database.downgrade(engine, "0023")
    _run(
        engine,
        "INSERT INTO codecut_webhook_endpoint (id, url, events, secret, enabled, "
        "consecutive_failures, created_at) VALUES "
        f"(1, 'https://on.example', 'commission.created', 's', true, 0, '{NOW}'), "
        f"(2, 'https://off.example', 'commission.created', 's', false, 20, '{NOW}')",
        "INSERT INTO codecut_outbox_event (id, public_id, type, body, created_at) VALUES "
        f"(1, 'evt_1', 'commission.created', '{{}}', '{NOW}'), "
        f"(2, 'evt_2', 'commission.created', '{{}}', '{NOW}')",
        "INSERT INTO codecut_webhook_delivery (id, event_id, endpoint_id, status, attempts, "
        "next_attempt_at, created_at) VALUES "
        f"(1, 1, 1, 'pending', 1, '{NOW}', '{NOW}'), "
        f"(2, 1, 2, 'pending', 20, '{NOW}', '{NOW}'), "
        f"(3, 2, 2, 'delivered', 1, '{NOW}', '{NOW}')",
    )
    database.upgrade(engine)

    def schedule() -> list[tuple[int, int]]:
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT id, next_attempt_at FROM codecut_webhook_delivery ORDER BY id")
            ).all()
        return [(id_, database_moment(moment).year) for id_, moment in rows]

    assert schedule() == [(1, 2026), (2, 9999), (3, 2026)]
    database.downgrade(engine, "0023")
    assert [id_ for id_, year in schedule() if year == 9999] == []
    database.upgrade(engine)


def database_moment(value: object) -> datetime:
    """A stored moment as SQLite (text) or PostgreSQL (a datetime) hands it back."""
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
