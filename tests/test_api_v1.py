"""The admin API, ``/api/v1``: every route refused and allowed by scope, problem details for
every error, cursor pages, audited writes, and the OpenAPI document the routes are built from."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlmodel import Session, select

from codecut.access import apikeys
from codecut.db import transaction
from codecut.models import AuditEvent
from codecut.state import get_state

SHOP = "api-shop.myshopify.com"


def _key(app: Any, scope: str, name: str | None = None) -> dict[str, str]:
    with transaction(get_state(app).engine) as session:
        _row, key = apikeys.create_key(
            session, name=name or f"{scope}-bot", scope=scope, actor="test"
        )
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def keys(app: Any, cli: Any) -> dict[str, dict[str, str]]:
    cli(
        "store",
        "add",
        "--platform",
        "shopify",
        "--domain",
        SHOP,
        "--secret",
        "s",
        "--currency",
        "USD",
    )
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
    cli(
        "influencer",
        "add",
        "--email",
        "anna@example.com",
        "--name",
        "Anna Berg",
        "--followers",
        "4000",
    )
    cli(
        "code",
        "issue",
        "--influencer",
        "anna@example.com",
        "--campaign",
        "launch",
        "--code",
        "ANNA15",
    )
    return {scope: _key(app, scope) for scope in apikeys.SCOPES}


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.content_type == "application/problem+json"
    body = response.get_json(force=True)
    assert body["status"] == status and body["title"]
    return body


#: (method, path, body, the scope it needs)
WRITES = [
    ("POST", "/api/v1/campaigns", {"store": SHOP, "name": "Summer", "slug": "summer"}, "marketing"),
    ("PATCH", "/api/v1/campaigns/launch", {"hold_days": 14}, "marketing"),
    ("POST", "/api/v1/influencers", {"email": "ben@example.com", "name": "Ben"}, "marketing"),
    (
        "POST",
        "/api/v1/codes",
        {"influencer": "anna@example.com", "campaign": "launch"},
        "marketing",
    ),
    (
        "POST",
        "/api/v1/posts",
        {
            "influencer": "anna@example.com",
            "campaign": "launch",
            "url": "https://instagram.com/p/1",
            "posted_on": "2026-11-01",
            "reach": 1000,
        },
        "marketing",
    ),
    (
        "POST",
        "/api/v1/seeding",
        {"influencer": "anna@example.com", "campaign": "launch", "cost": "40.00"},
        "marketing",
    ),
    (
        "POST",
        "/api/v1/adjustments",
        {"influencer": "anna@example.com", "amount": "5.00", "currency": "USD", "memo": "bonus"},
        "finance",
    ),
    (
        "POST",
        "/api/v1/webhook-endpoints",
        {"url": "https://crm.example.com/h", "events": ["payout.paid"]},
        "admin",
    ),
]
READS = [
    "/api/v1/stores",
    f"/api/v1/stores/{SHOP}",
    "/api/v1/campaigns",
    "/api/v1/campaigns/launch",
    "/api/v1/campaigns/launch/report",
    "/api/v1/leaderboard?by=revenue",
    "/api/v1/influencers",
    "/api/v1/influencers/anna@example.com",
    "/api/v1/codes",
    "/api/v1/posts",
    "/api/v1/seeding",
    "/api/v1/review",
    "/api/v1/payouts",
    "/api/v1/payout-batches",
    "/api/v1/orders",
    "/api/v1/ledger-entries",
    "/api/v1/events",
]


def test_every_read_needs_a_key_and_any_scope_may_read(app, keys) -> None:
    client = app.test_client()
    for path in READS:
        missing = client.get(path)
        _problem(missing, 401)
        assert missing.headers["WWW-Authenticate"].startswith("Bearer")
        _problem(client.get(path, headers={"Authorization": "Bearer cc_nope"}), 401)
        for scope in apikeys.SCOPES:
            answer = client.get(path, headers=keys[scope])
            assert answer.status_code == 200, (path, scope, answer.get_data(as_text=True))


@pytest.mark.parametrize(("method", "path", "body", "needed"), WRITES)
def test_every_write_is_refused_below_its_scope_and_audited(
    app, keys, method, path, body, needed
) -> None:
    client = app.test_client()
    allowed = {
        "read": set(),
        "marketing": {"marketing"},
        "finance": {"finance"},
        "admin": {"marketing", "finance", "admin"},
    }
    for scope in ("read", "marketing", "finance"):
        if needed in allowed[scope]:
            continue
        _problem(client.open(path, method=method, json=body, headers=keys[scope]), 403)
    key = keys["admin"] if needed == "admin" else keys[needed]
    answer = client.open(path, method=method, json=body, headers=key)
    assert answer.status_code in (200, 201), answer.get_data(as_text=True)
    with Session(get_state(app).engine) as session:
        actors = [e.actor for e in session.exec(select(AuditEvent))]
    assert f"api key {needed}-bot" in actors


def test_problems_for_bad_input_write_nothing(app, keys) -> None:
    client = app.test_client()
    marketing = keys["marketing"]
    not_json = client.post(
        "/api/v1/campaigns",
        data=b"{nope",
        headers={**marketing, "Content-Type": "application/json"},
    )
    assert "not JSON" in _problem(not_json, 400)["detail"]
    unknown = client.post(
        "/api/v1/campaigns", json={"store": SHOP, "name": "X", "colour": "red"}, headers=marketing
    )
    body = _problem(unknown, 422)
    assert any(e["field"].endswith("colour") for e in body["errors"])
    wrong_type = client.post(
        "/api/v1/campaigns",
        json={"store": SHOP, "name": "X", "hold_days": "soon"},
        headers=marketing,
    )
    assert any("hold_days" in e["field"] for e in _problem(wrong_type, 422)["errors"])
    duplicate = client.post(
        "/api/v1/codes",
        json={"influencer": "anna@example.com", "campaign": "launch", "code": "ANNA15"},
        headers=marketing,
    )
    assert "taken" in _problem(duplicate, 409)["detail"]
    _problem(client.get("/api/v1/campaigns/nope", headers=marketing), 404)
    bad_commission = client.post(
        "/api/v1/campaigns",
        json={"store": SHOP, "name": "X", "commission": "15"},
        headers=marketing,
    )
    assert "ambiguous" in _problem(bad_commission, 400)["detail"]
    for query in (
        "limit=0",
        "limit=1000000000",
        "limit=abc",
        "cursor=%%%",
        "cursor=eyJhZnRlciI6LTF9",
    ):
        answer = client.get(f"/api/v1/influencers?{query}", headers=marketing)
        assert answer.status_code in (400, 422), (query, answer.status_code)
        assert answer.content_type == "application/problem+json"
    impossible = client.get("/api/v1/orders?from=2026-02-30", headers=marketing)
    assert impossible.status_code == 422
    backwards = client.get("/api/v1/orders?from=2026-03-01&to=2026-02-01", headers=marketing)
    assert backwards.status_code == 400
    listed = client.get("/api/v1/campaigns", headers=marketing).get_json()
    assert [c["campaign"] for c in listed["items"]] == ["launch"]


def test_cursor_pages_walk_every_item_once(app, keys, cli) -> None:
    for n in range(7):
        cli("influencer", "add", "--email", f"p{n}@example.com", "--name", f"P {n}")
    client = app.test_client()
    seen, cursor = [], None
    while True:
        url = "/api/v1/influencers?limit=3" + (f"&cursor={cursor}" if cursor else "")
        body = client.get(url, headers=keys["read"]).get_json()
        seen += [i["email"] for i in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 8 and len(set(seen)) == 8
    status = client.get("/api/v1/influencers?status=paused", headers=keys["read"]).get_json()
    assert status["items"] == []
    by_campaign = client.get("/api/v1/influencers?campaign=launch", headers=keys["read"]).get_json()
    assert [i["email"] for i in by_campaign["items"]] == ["anna@example.com"]


def test_the_report_equals_the_cli_s(app, keys, cli) -> None:
    from datetime import date

    cli(
        "post",
        "add",
        "--influencer",
        "anna@example.com",
        "--campaign",
        "launch",
        "--url",
        "https://x.example/1",
        "--posted-on",
        date.today().isoformat(),
        "--reach",
        "500",
    )
    api = app.test_client().get("/api/v1/campaigns/launch/report", headers=keys["read"]).get_json()
    assert api == json.loads(cli("report", "campaign", "launch", "--format", "json").stdout)


def test_webhook_endpoints_on_the_api(app, keys) -> None:
    client = app.test_client()
    admin = keys["admin"]
    made = client.post(
        "/api/v1/webhook-endpoints",
        json={"url": "https://crm.example.com/h", "events": ["commission.created"]},
        headers=admin,
    )
    assert made.status_code == 201 and made.get_json()["secret"].startswith("whsec_")
    endpoint = made.get_json()["id"]
    listed = client.get("/api/v1/webhook-endpoints", headers=admin).get_json()["items"]
    assert "secret" not in listed[0]
    assert (
        client.post(f"/api/v1/webhook-endpoints/{endpoint}/disable", headers=admin).get_json()[
            "enabled"
        ]
        is False
    )
    assert (
        client.post(f"/api/v1/webhook-endpoints/{endpoint}/enable", headers=admin).get_json()[
            "enabled"
        ]
        is True
    )
    rotated = client.post(
        f"/api/v1/webhook-endpoints/{endpoint}/rotate-secret", headers=admin
    ).get_json()
    assert rotated["secret"] != made.get_json()["secret"]
    assert client.get(
        f"/api/v1/webhook-endpoints/{endpoint}/deliveries", headers=admin
    ).get_json() == {"items": []}
    bad = client.post(
        "/api/v1/webhook-endpoints",
        json={"url": "https://x.example", "events": ["nope"]},
        headers=admin,
    )
    assert "unknown event type" in _problem(bad, 400)["detail"]
    assert client.delete(f"/api/v1/webhook-endpoints/{endpoint}", headers=admin).status_code == 204
    _problem(client.delete(f"/api/v1/webhook-endpoints/{endpoint}", headers=admin), 404)


def test_the_document_and_its_page(app) -> None:
    client = app.test_client()
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.1")
    assert "/api/v1/campaigns/{slug}/report" in document["paths"]
    page = client.get("/api/v1/docs")
    assert page.status_code == 200 and "validatorUrl: null" in page.get_data(as_text=True)
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]


def test_the_finance_api_keeps_working(app, keys) -> None:
    client = app.test_client()
    assert client.get("/api/payouts", headers=keys["read"]).status_code == 200
    assert client.get("/api/exports/payouts.csv", headers=keys["finance"]).status_code == 200
    assert client.get("/api/exports/payouts.csv", headers=keys["marketing"]).status_code == 403


def test_exports_and_keys_on_the_api(app, keys) -> None:
    client = app.test_client()
    csv_file = client.get("/api/v1/exports/ledger.csv?from=2026-01-01", headers=keys["finance"])
    assert csv_file.status_code == 200 and csv_file.data.startswith(b"entry_id,")
    xlsx = client.get("/api/v1/exports/payouts.xlsx", headers=keys["finance"])
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
    _problem(client.get("/api/v1/exports/payouts.csv", headers=keys["marketing"]), 403)
    _problem(client.get("/api/v1/exports/payouts.csv?batch=9", headers=keys["finance"]), 404)
    _problem(client.get("/api/v1/exports/ledger.pdf", headers=keys["finance"]), 404)
    made = client.post(
        "/api/v1/api-keys", json={"name": "robot", "scope": "read"}, headers=keys["admin"]
    )
    assert made.status_code == 201 and made.get_json()["key"].startswith("cc_")
    listed = client.get("/api/v1/api-keys", headers=keys["admin"]).get_json()["items"]
    assert all("key" not in item for item in listed)
    robot = {"Authorization": f"Bearer {made.get_json()['key']}"}
    assert client.get("/api/v1/stores", headers=robot).status_code == 200
    revoked = client.delete(f"/api/v1/api-keys/{made.get_json()['id']}", headers=keys["admin"])
    assert revoked.get_json()["revoked"] is True
    _problem(client.get("/api/v1/stores", headers=robot), 401)
    store = client.post(
        "/api/v1/stores",
        json={
            "platform": "shopify",
            "domain": "n.myshopify.com",
            "secret": "topsecret",
            "currency": "USD",
        },
        headers=keys["admin"],
    )
    assert store.status_code == 201 and "topsecret" not in store.get_data(as_text=True)
