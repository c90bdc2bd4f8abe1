"""A campaign's own leak-rule thresholds: ``campaign update --leak-threshold NAME=VALUE``."""

from __future__ import annotations

import json
from datetime import timedelta

from programme import PLACED, book, entries, make_programme, order

SLUG = "shopify-launch"


def _repeat_orders(engine, prefix: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    book(
        engine,
        *(
            order(
                f"{prefix}{n}", customer_id=f"{prefix}-buyer", placed_at=PLACED + timedelta(days=n)
            )
            for n in range(1, 5)
        ),
    )
    return {key: status for key, _k, status, _a, _b, _r in entries(engine) if prefix in key}


def test_a_campaign_can_be_stricter_than_the_defaults(engine, cli) -> None:  # type: ignore[no-untyped-def]
    make_programme(engine)
    # The defaults: the 4th order of one customer within 30 days is held.
    assert sorted(_repeat_orders(engine, "a").values()) == ["held", "pending", "pending", "pending"]
    updated = cli(
        "campaign", "update", SLUG, "--leak-threshold", "repeat_max_orders=1",
        "--leak-threshold", "spike-factor=3", "--json",
    )  # fmt: skip
    assert updated.exit_code == 0, updated.stderr
    thresholds = json.loads(updated.stdout)["leak_thresholds"]
    assert (thresholds["repeat_max_orders"], thresholds["spike_factor"]) == (1, 3)
    assert thresholds["repeat_window_days"] == 30  # untouched: the default
    # Stricter now: the second order of one customer is held.
    statuses = _repeat_orders(engine, "b")
    assert [statuses[f"commission:b{n}"] for n in range(1, 5)] == ["pending"] + ["held"] * 3
    back = cli("campaign", "update", SLUG, "--leak-threshold", "default", "--json")
    assert json.loads(back.stdout)["leak_thresholds"]["repeat_max_orders"] == 3


def test_bad_thresholds_are_refused_and_change_nothing(engine, cli) -> None:  # type: ignore[no-untyped-def]
    make_programme(engine)
    for value, message in (
        ("nonsense=2", "is not a leak threshold"),
        ("repeat_max_orders=0", "from 1 to 1,000,000"),
        ("repeat_max_orders=abc", "whole number"),
        ("repeat_max_orders=\u0663", "whole number"),  # an Arabic-Indic three
        ("repeat_window_days=367", "repeat_window_days must be a whole number from 1 to 366"),
        # A window of a hundred million days is no date: every booking would have failed.
        ("repeat_window_days=99999999", "from 1 to 366"),
        ("spike_baseline_days=100000", "from 1 to 366"),
        ("spike_factor=1000001", "from 1 to 1,000,000"),
    ):
        result = cli("campaign", "update", SLUG, "--leak-threshold", value)
        assert result.exit_code == 1 and message in result.stderr, (value, result.stderr)
    shown = json.loads(cli("campaign", "list", "--json").stdout)[0]
    assert shown["leak_thresholds"]["repeat_max_orders"] == 3


def test_a_brand_adds_its_own_coupon_sites(database_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import pytest
    from builders import make_app
    from programme import shopify_post
    from storefront_payloads import load_fixture_json

    from codecut.config import ConfigError
    from codecut.state import get_state

    extra = tmp_path / "our-coupon-sites.txt"
    extra.write_text("# deal sites our team found\nbargainbin.example\n", encoding="utf-8")
    app = make_app(database_url, tmp_path, CODECUT_COUPON_SITES_FILE=str(extra))
    engine = get_state(app).engine
    make_programme(engine)
    client = app.test_client()
    for number, landing in (
        (1, "https://www.bargainbin.example/deal/123"),
        (2, "https://shop.example/"),
    ):
        payload = load_fixture_json("shopify_order_code_FAKE30_manual_application")
        payload.update(id=number, landing_site=landing, referring_site=None)
        assert shopify_post(client, payload, "orders/paid").status_code == 200
    statuses = {key: status for key, _k, status, _a, _b, _r in entries(engine)}
    assert statuses == {"commission:1": "held", "commission:2": "pending"}
    get_state(app).engine.dispose()
    with pytest.raises(ConfigError, match=r"^CODECUT_COUPON_SITES_FILE cannot be read"):
        make_app(database_url, tmp_path, CODECUT_COUPON_SITES_FILE=str(tmp_path / "missing.txt"))


def test_the_generic_format_feeds_the_leak_rules_too(app, engine) -> None:  # type: ignore[no-untyped-def]
    from programme import SECRET
    from storefront_payloads import dumps, generic_headers, generic_order

    make_programme(engine, platform="generic", domain="generic.example", codes=("ANNA15",))
    client = app.test_client()
    for number in range(1, 5):
        payload = generic_order(order_id=str(number), currency="USD")
        payload["customer_id"] = "cust-9"
        if number == 1:
            payload["landing_site"] = "https://www.retailmenot.com/view/generic.example"
        body = dumps(payload)
        answer = client.post(
            "/webhooks/generic", data=body, headers=generic_headers(body, SECRET, "generic.example")
        )
        assert answer.status_code == 200, answer.get_data()
    statuses = {key: status for key, _k, status, _a, _b, _r in entries(engine)}
    # 1: from a coupon site; 4: the same customer's 4th order within 30 days.
    assert [statuses[f"commission:{n}"] for n in range(1, 5)] == [
        "held", "pending", "pending", "held",
    ]  # fmt: skip


def test_the_largest_thresholds_still_book(engine, cli) -> None:  # type: ignore[no-untyped-def]
    make_programme(engine)
    limits = ("spike_min_age_days=1", "spike_baseline_days=366", "repeat_window_days=366")
    for value in limits:
        assert cli("campaign", "update", SLUG, "--leak-threshold", value).exit_code == 0
    # A spike baseline of a year, a repeat window of a year: the 4th order within it is held.
    statuses = _repeat_orders(engine, "y")
    assert [statuses[f"commission:y{n}"] for n in range(1, 5)] == ["pending"] * 3 + ["held"]


def test_a_threshold_stored_before_the_limits_is_read_within_them(engine) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import update

    from codecut.db import transaction
    from codecut.models import Campaign

    make_programme(engine)
    with transaction(engine) as session:  # as an older version could store it
        session.execute(update(Campaign).values(leak_thresholds='{"repeat_window_days": 99999999}'))
    statuses = _repeat_orders(engine, "z")  # booked, not failed: the window is a year
    assert [statuses[f"commission:z{n}"] for n in range(1, 5)] == ["pending"] * 3 + ["held"]
