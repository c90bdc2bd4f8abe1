"""Fuzzing every endpoint that takes input, unsigned and signed, on both databases.

Whatever arrives: never a 5xx, never a traceback in the log, and nothing booked from a delivery
that was rejected. ``CODECUT_FUZZ_EXAMPLES`` sets the examples per test (default 150).
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import os
import time
from typing import Any

import pytest
from builders import WEBHOOK_SECRET
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from programme import SECRET, SHOP, entries, make_programme
from storefront_payloads import (
    generic_headers,
    load_fixture_json,
    shopify_headers,
    woo_order,
    woocommerce_headers,
)

from codecut.state import get_state

EXAMPLES = int(os.environ.get("CODECUT_FUZZ_EXAMPLES", "150"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

#: Look-alikes, controls, lone surrogates, huge and odd numbers: what careless senders send.
_odd_text = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [
            "",
            "\x00",
            "\ud800",
            "\uff21\uff2e\uff2e\uff2115",
            "ANNA\u200b15",
            "\u0410NNA15",
            "ev\u0131l1",
            "\uff11\uff10\uff10",
            "\u0661\u0660\u0660",
            "1_000",
            "1e30",
            "-0.00",
            "NaN",
            "Infinity",
            "9" * 400,
            "9999-12-31T23:59:59-23:59",
            "0001-01-01T00:00:00+23:59",
            "=cmd|' /C calc'!A0",
        ]
    ),
)
#: What an HTTP client can put in a URL or a form (no lone surrogates; bytes arrive as UTF-8).
_sendable_text = _odd_text.filter(lambda t: not any("\ud800" <= c <= "\udfff" for c in t))
_odd_number = st.one_of(
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, -1, 10**12, 10**12 + 1, 2**63, 1e30]),
)
_json_leaf = st.one_of(st.none(), st.booleans(), _odd_number, _odd_text)
json_values = st.recursive(
    _json_leaf,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_odd_text, inner, max_size=4),
    max_leaves=20,
)


def _encode(value: Any) -> bytes:
    return json.dumps(value, allow_nan=True).encode("utf-8", "surrogatepass")


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a JSON document, to put nonsense in."""
    found = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*prefix, index))
    return found


def _replaced(document: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    document = copy.deepcopy(document)
    node = document
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return document


@st.composite
def mutated(draw: st.DrawFn, document: Any) -> bytes:
    """A real payload with one to three places replaced by nonsense, or raw junk bytes."""
    kind = draw(st.sampled_from(["mutate", "mutate", "mutate", "junk", "deep"]))
    if kind == "junk":
        return draw(st.binary(max_size=200))
    if kind == "deep":
        depth = draw(st.integers(min_value=500, max_value=50_000))
        opener = draw(st.sampled_from([b"[", b'{"a":']))
        return opener * depth
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        path = draw(st.sampled_from(_paths(document)))
        document = _replaced(document, path, draw(json_values))
    return _encode(document)


def _assert_quiet(response: Any, caplog: pytest.LogCaptureFixture) -> None:
    assert response.status_code < 500, (response.status_code, response.get_data()[:300])
    assert response.is_json
    assert "Traceback" not in caplog.text, caplog.text[-2000:]


def _booked_nothing_if_rejected(response: Any, before: int, engine: Any) -> None:
    if response.status_code != 200 or response.get_json().get("status") != "processed":
        assert len(entries(engine)) == before


# -- storefront webhooks -------------------------------------------------------------------------

_SHOPIFY_ORDER = load_fixture_json("shopify_order_code_FAKE30_manual_application")
_SHOPIFY_REFUND = load_fixture_json("shopify_refund_partial_two_lines")


@FUZZ
@given(data=st.data())
def test_shopify_signed_nonsense(app, engine, caplog, data) -> None:  # type: ignore[no-untyped-def]
    if not _has_store(engine):
        make_programme(engine)
    topic, document = data.draw(
        st.sampled_from([("orders/paid", _SHOPIFY_ORDER), ("refunds/create", _SHOPIFY_REFUND)])
    )
    body = data.draw(mutated(document))
    before = len(entries(engine))
    response = app.test_client().post(
        "/webhooks/shopify", data=body, headers=shopify_headers(body, SECRET, topic, SHOP)
    )
    _assert_quiet(response, caplog)
    assert response.status_code == 200
    _booked_nothing_if_rejected(response, before, engine)


@FUZZ
@given(
    body=st.binary(max_size=300),
    headers=st.dictionaries(
        st.sampled_from(
            [
                "X-Shopify-Shop-Domain",
                "X-Shopify-Hmac-Sha256",
                "X-Shopify-Topic",
                "X-WC-Webhook-Source",
                "X-WC-Webhook-Signature",
                "X-WC-Webhook-Topic",
                "X-Codecut-Store",
                "X-Codecut-Signature",
                "Stripe-Signature",
                "Content-Type",
            ]
        ),
        st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=60),
        max_size=5,
    ),
    platform=st.sampled_from(["shopify", "woocommerce", "generic", "stripe", "nosuch"]),
)
def test_unsigned_anything(papp, caplog, body, headers, platform) -> None:  # type: ignore[no-untyped-def]
    engine = get_state(papp).engine
    if not _has_store(engine):
        make_programme(engine)
    response = papp.test_client().post(f"/webhooks/{platform}", data=body, headers=headers)
    _assert_quiet(response, caplog)
    assert response.status_code in (200, 400, 401, 404, 413, 503)
    if platform != "woocommerce" or response.get_json().get("status") != "ping":
        assert response.status_code != 200
    assert entries(engine) == []


def _has_store(engine: Any) -> bool:
    from sqlalchemy import text

    with engine.connect() as connection:
        return bool(connection.execute(text("SELECT count(*) FROM codecut_store")).scalar())


@FUZZ
@given(data=st.data())
def test_woocommerce_signed_nonsense(app, engine, caplog, data) -> None:  # type: ignore[no-untyped-def]
    if not _has_store(engine):
        make_programme(engine, platform="woocommerce", domain="woo.example", codes=("ANNA15",))
    body = data.draw(mutated(woo_order(refunds=[(55, "-10.00")])))
    before = len(entries(engine))
    response = app.test_client().post(
        "/webhooks/woocommerce",
        data=body,
        headers=woocommerce_headers(body, SECRET, "order.updated", "https://woo.example"),
    )
    _assert_quiet(response, caplog)
    assert response.status_code == 200
    _booked_nothing_if_rejected(response, before, engine)


@FUZZ
@given(data=st.data())
def test_generic_signed_nonsense(app, engine, caplog, data) -> None:  # type: ignore[no-untyped-def]
    from storefront_payloads import generic_order

    if not _has_store(engine):
        make_programme(engine, platform="generic", domain="generic.example", codes=("ANNA15",))
    body = data.draw(mutated(generic_order(currency="USD")))
    before = len(entries(engine))
    response = app.test_client().post(
        "/webhooks/generic", data=body, headers=generic_headers(body, SECRET, "generic.example")
    )
    _assert_quiet(response, caplog)
    assert response.status_code == 200
    _booked_nothing_if_rejected(response, before, engine)


# -- Stripe ---------------------------------------------------------------------------------------

_STRIPE_EVENT = {
    "id": "evt_1",
    "object": "event",
    "type": "transfer.reversed",
    "created": 1700000000,
    "data": {"object": {"id": "tr_1", "amount_reversed": 100, "metadata": {"payout_id": "1"}}},
}


@FUZZ
@given(data=st.data())
def test_stripe_signed_nonsense(papp, caplog, data) -> None:  # type: ignore[no-untyped-def]
    body = data.draw(mutated(_STRIPE_EVENT))
    timestamp = int(time.time())
    mac = hmac.new(WEBHOOK_SECRET.encode(), b"%d." % timestamp + body, hashlib.sha256)
    header = f"t={timestamp},v1={mac.hexdigest()}"  # Stripe's scheme, over any bytes at all
    response = papp.test_client().post(
        "/webhooks/stripe", data=body, headers={"Stripe-Signature": header}
    )
    _assert_quiet(response, caplog)


# -- the finance API and the portal ---------------------------------------------------------------


@pytest.fixture
def api_key(papp):  # type: ignore[no-untyped-def]
    from builders import cli_for

    result = cli_for(papp)("apikey", "create", "--name", "fuzz", "--scope", "admin")
    return result.stdout.strip().split()[-1]


@FUZZ
@given(
    path=st.sampled_from(
        [
            "/api/exports/ledger.csv",
            "/api/exports/ledger.xlsx",
            "/api/exports/payouts.csv",
            "/api/exports/balances.csv",
            "/api/payouts",
        ]
    ),
    params=st.dictionaries(
        st.sampled_from(["from", "to", "by", "batch", "as_of", "status", "currency", "x"]),
        _sendable_text,
        max_size=4,
    ),
)
def test_api_parameters(papp, api_key, caplog, path, params) -> None:  # type: ignore[no-untyped-def]
    response = papp.test_client().get(
        path, query_string=params, headers={"Authorization": f"Bearer {api_key}"}
    )
    assert response.status_code < 500, (path, params, response.status_code)
    assert "Traceback" not in caplog.text


@FUZZ
@given(
    form=st.dictionaries(st.sampled_from(["email", "csrf_token", "x"]), _sendable_text, max_size=3),
    path=st.sampled_from(["/portal/login", "/portal/logout", "/portal/login/abc"]),
)
def test_portal_forms(app, caplog, form, path) -> None:  # type: ignore[no-untyped-def]
    response = app.test_client().post(path, data=form)
    assert response.status_code < 500
    assert "Traceback" not in caplog.text


@FUZZ
@given(code=_sendable_text.filter(lambda t: not set(t) & set("/?#")), query=_sendable_text)
def test_share_links(app, engine, caplog, code, query) -> None:  # type: ignore[no-untyped-def]
    if not _has_store(engine):
        make_programme(engine)
    response = app.test_client().get("/r/" + code, query_string={"store": query, "path": query})
    assert response.status_code < 500
    assert "Traceback" not in caplog.text
