"""What operators rely on: liveness and readiness, request ids and JSON logs that hold no secret,
metrics summed across gunicorn workers, client addresses only from trusted proxies."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import pytest
import requests
from builders import make_app
from flask import request
from programme import SECRET, SHOP, make_programme
from servers import gunicorn
from storefront_payloads import dumps, load_fixture_json, shopify_headers

from codecut import db as database
from codecut.logs import JSONFormatter
from codecut.state import get_state

ORDER = "shopify_order_code_FAKE30_manual_application"


def test_liveness_needs_no_database_and_readiness_says_why_not(tmp_path: Path) -> None:
    gone = make_app("postgresql+psycopg://postgres@127.0.0.1:1/nowhere", tmp_path)
    client = gone.test_client()
    alive = client.get("/healthz")
    assert alive.status_code == 200 and alive.get_json() == {"status": "ok"}
    assert alive.headers["Cache-Control"] == "no-store"
    down = client.get("/readyz")
    assert down.status_code == 503 and "does not answer" in down.get_json()["reason"]
    assert down.headers["Cache-Control"] == "no-store"

    behind = make_app(f"sqlite:///{tmp_path}/codecut.sqlite3", tmp_path)
    database.upgrade(get_state(behind).engine, "0006")
    answer = behind.test_client().get("/readyz")
    assert answer.status_code == 503
    assert answer.get_json()["reason"] == (
        f"the schema is at 0006, this version needs {database.head_revision()}: "
        "run codecut db upgrade"
    )
    database.upgrade(get_state(behind).engine)
    for path in ("/readyz", "/health"):
        assert behind.test_client().get(path).get_json() == {"status": "ok"}
    # A newer version upgraded the schema during a rolling deploy: this node still serves.
    with get_state(behind).engine.begin() as connection:
        connection.exec_driver_sql(f"UPDATE {database.VERSION_TABLE} SET version_num = '9001'")
    assert behind.test_client().get("/readyz").status_code == 200


def test_requests_carry_an_id_and_json_logs_hold_no_secret(app, engine, caplog) -> None:  # type: ignore[no-untyped-def]
    make_programme(engine)
    client = app.test_client()
    caplog.set_level(logging.INFO, logger="codecut")
    body = dumps(load_fixture_json(ORDER))
    headers = shopify_headers(body, SECRET, "orders/paid", SHOP)
    answered = client.post(
        "/webhooks/shopify", data=body, headers={**headers, "X-Request-Id": "abc-123"}
    )
    assert answered.headers["X-Request-Id"] == "abc-123"
    made = client.get("/healthz", headers={"X-Request-Id": "not <an> id!"})
    assert re.fullmatch(r"[0-9a-f]{32}", made.headers["X-Request-Id"])
    client.get("/portal/login/eyJzZWNyZXQiOiJ0b2tlbiJ9.signature")  # a sign-in token in a path

    lines = [json.loads(JSONFormatter().format(record)) for record in caplog.records]
    requests_ = [line for line in lines if line["event"] == "request"]
    assert {"ts", "level", "method", "route", "status", "duration_ms", "request_id"} <= set(
        requests_[0]
    )
    assert requests_[0]["route"] == "/webhooks/<platform>"
    assert requests_[0]["request_id"] == "abc-123"
    assert "/portal/login/<token>" in {line["route"] for line in requests_}
    (webhook,) = [line for line in lines if line["event"] == "webhook"]
    assert (webhook["platform"], webhook["store"], webhook["topic"], webhook["outcome"]) == (
        "shopify", SHOP, "orders/paid", "processed",
    )  # fmt: skip
    assert webhook["request_id"] == "abc-123" and isinstance(webhook["event_id"], int)
    text = "\n".join(json.dumps(line) for line in lines)
    payload = load_fixture_json(ORDER)
    for secret in (
        SECRET,
        headers["X-Shopify-Hmac-Sha256"],
        "eyJzZWNyZXQiOiJ0b2tlbiJ9",
        payload["email"],
        payload["customer"]["email"],
        payload["billing_address"]["address1"],
        "anna@example.com",
    ):
        assert secret not in text, secret


def test_client_addresses_come_from_proxies_only_when_trusted(database_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    forwarded = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}
    for hops, expected in ((0, ("127.0.0.1", "http")), (1, ("203.0.113.9", "https"))):
        app = make_app(database_url, tmp_path, CODECUT_TRUSTED_PROXIES=hops)
        app.add_url_rule(
            "/whoami", "whoami", lambda: {"addr": request.remote_addr, "scheme": request.scheme}
        )
        seen = app.test_client().get("/whoami", headers=forwarded).get_json()
        assert (seen["addr"], seen["scheme"]) == expected
        get_state(app).engine.dispose()


def test_metrics_are_off_unless_asked_and_behind_their_token(app) -> None:  # type: ignore[no-untyped-def]
    assert app.test_client().get("/metrics").status_code == 404


@pytest.mark.parametrize("token", [None, "metrics-s3cret"])
def test_metrics_count_every_worker_under_gunicorn(tmp_path: Path, token: str | None) -> None:
    url = f"sqlite:///{tmp_path / 'codecut.sqlite3'}"
    engine = database.create_db_engine(url)
    database.upgrade(engine)
    make_programme(engine)
    engine.dispose()
    multiproc = tmp_path / "prometheus"
    multiproc.mkdir()
    env = {"CODECUT_METRICS": "1", "PROMETHEUS_MULTIPROC_DIR": str(multiproc)}
    if token:
        env["CODECUT_METRICS_TOKEN"] = token
    auth = {"Authorization": f"Bearer {token}"} if token else {}
    payload = load_fixture_json(ORDER)
    with gunicorn(url, workers=3, env=env) as base:
        for number in range(12):
            payload["id"] = 7000 + number
            body = dumps(payload)
            answer = requests.post(
                f"{base}/webhooks/shopify",
                data=body,
                headers=shopify_headers(body, SECRET, "orders/paid", SHOP),
                timeout=10,
            )
            assert answer.status_code == 200
        if token:
            refused = requests.get(f"{base}/metrics", timeout=10)
            assert refused.status_code == 401 and "Bearer" in refused.headers["WWW-Authenticate"]
        for _ in range(4):  # whichever worker answers, it counts them all
            text = requests.get(f"{base}/metrics", headers=auth, timeout=10).text
            assert (
                _sample(
                    text, 'codecut_webhook_deliveries_total{outcome="processed",platform="shopify"}'
                )
                == 12
            )
            assert _sample(text, "codecut_webhook_seconds_count") == 12
            assert _sample(text, 'codecut_ledger_entries_total{kind="commission"}') == 12
            assert _sample(text, 'codecut_events{status="failed"}') == 0
            assert _sample(text, "codecut_outbox_pending") == 0


def _sample(text: str, name: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{name} not in:\n{text}")


def test_a_sign_in_and_a_payout_run_log_no_secret(database_url, tmp_path, caplog) -> None:  # type: ignore[no-untyped-def]
    from builders import DAY, STRIPE_KEY, cli_for
    from payout_support import entry, influencer
    from portal_factory import csrf_of, seller, smtp_server

    from codecut.db import transaction
    from codecut.devtools.fake_stripe import StripeServer

    with smtp_server() as (catcher, port), StripeServer() as stripe_server:
        stripe_server.fake.fund("usd", 100_000)
        app = make_app(
            database_url,
            tmp_path,
            stripe_url=stripe_server.url,
            CODECUT_MAIL_SERVER="127.0.0.1",
            CODECUT_MAIL_PORT=port,
        )
        # After the app: the service's logging set-up (text: warnings only) runs as it starts.
        caplog.set_level(logging.INFO, logger="codecut")
        with transaction(get_state(app).engine) as s:
            seller(s)
            entry(s, influencer(s, "ben@example.com", "acct_ben"), 6000)
        client = app.test_client()
        page = client.get("/portal/login")
        client.post(
            "/portal/login", data={"email": "anna@example.com", "csrf_token": csrf_of(page.text)}
        )
        link = catcher.link(catcher.wait_for(1))
        token = link.rsplit("/", 1)[1]
        confirm = client.get(f"/portal/login/{token}")
        client.post(f"/portal/login/{token}", data={"csrf_token": csrf_of(confirm.text)})
        assert client.get("/portal/").status_code == 200
        assert cli_for(app)("payouts", "run", "--as-of", DAY.isoformat()).exit_code == 0
        transfer = stripe_server.fake.transfers[0]["id"]
        get_state(app).engine.dispose()
    lines = [JSONFormatter().format(record) for record in caplog.records]
    assert any('"event": "payout"' in line and '"outcome": "paid"' in line for line in lines)
    text = "\n".join(lines)
    for secret in (token, "anna@example.com", "ben@example.com", STRIPE_KEY, "acct_ben"):
        assert secret not in text, secret
    assert transfer  # the payout really went out, and its log line names no account or email
