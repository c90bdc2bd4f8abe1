"""Outgoing webhooks: written with the fact they report, signed, delivered at least once by
``codecut worker``, retried with backoff, and endpoints disabled when their receiver is gone."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from builders import cli_for, make_app
from programme import SHOP, book, make_programme, order
from sqlalchemy import func, select, update
from sqlmodel import Session

from codecut.commissions.posting import Posting
from codecut.db import transaction
from codecut.devtools.webhook_receiver import Receiver
from codecut.models import OutboxEvent, WebhookDelivery, WebhookEndpoint, utcnow
from codecut.outbox.delivery import DISABLE_AFTER_FAILURES, deliver_due, retry_delay
from codecut.programme import stores
from codecut.state import get_state

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def receiver():  # type: ignore[no-untyped-def]
    with Receiver() as server:
        yield server


def _add(cli, url: str, events: str = "commission.created,commission.reversed") -> str:  # type: ignore[no-untyped-def]
    result = cli("webhook-endpoint", "add", "--url", url, "--events", events)
    assert result.exit_code == 0, result.output
    secret = result.stdout.strip()
    assert secret.startswith("whsec_")
    return secret


def _count(engine, model) -> int:  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _deliveries(engine) -> list[WebhookDelivery]:  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        return list(session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)))


def _make_due(engine) -> None:  # type: ignore[no-untyped-def]
    """Time passes: every pending retry is due now."""
    with transaction(engine) as session:
        session.execute(update(WebhookDelivery).values(next_attempt_at=utcnow()))


def test_a_booked_commission_is_delivered_signed(app, engine, cli, receiver) -> None:
    make_programme(engine)
    receiver.state.secret = _add(cli, receiver.url)
    book(engine, order("1", base=10000))
    assert _count(engine, WebhookDelivery) == 1
    result = cli("worker", "--once")
    assert result.exit_code == 0, result.output
    assert "delivered 1" in result.output
    [got] = receiver.state.received
    assert got.verified
    event = got.event
    assert set(event) == {"id", "type", "created", "data"}
    assert event["type"] == "commission.created" and event["id"].startswith("evt_")
    data = event["data"]
    assert (data["amount"], data["amount_minor"], data["currency"]) == ("10.00", 1000, "USD")
    assert data["influencer"]["email"] == "anna@example.com"
    assert (data["code"], data["store"], data["order"]) == (
        "TENOFF",
        SHOP,
        {"id": "1", "number": "#1"},
    )
    assert got.headers["Codecut-Event-Id"] == event["id"]
    [delivery] = _deliveries(engine)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 1, 200)
    # Delivered once: a second run has nothing to do.
    assert "nothing due" in cli("worker", "--once").output
    assert receiver.state.event_ids() == [event["id"]]


def test_a_refund_is_announced_as_a_reversal(app, engine, cli, receiver) -> None:
    from codecut.storefronts.base import RefundEvent

    make_programme(engine)
    receiver.state.secret = _add(cli, receiver.url)
    book(engine, order("1", base=10000))
    book(engine, RefundEvent(refund_id="r1", order_id="1", goods=None, money=5000))
    cli("worker", "--once")
    types = [(r.event["type"], r.event["data"]["amount_minor"]) for r in receiver.state.received]
    assert sorted(types) == [("commission.created", 1000), ("commission.reversed", -500)]


def test_nothing_is_written_without_a_subscriber(app, engine, cli, receiver) -> None:
    make_programme(engine)
    _add(cli, receiver.url, events="payout.paid")
    book(engine, order("1"))
    assert _count(engine, OutboxEvent) == 0 and _count(engine, WebhookDelivery) == 0


def test_a_rolled_back_booking_sends_nothing(app, engine, cli, receiver) -> None:
    make_programme(engine)
    _add(cli, receiver.url)
    with pytest.raises(RuntimeError), transaction(engine) as session:
        store = stores.get_store(session, SHOP)
        posting = Posting(session.connection(), store.id, store.currency, hold_days=30)
        posting.apply(order("1"))
        posting.settle()
        assert session.scalar(select(func.count()).select_from(OutboxEvent)) == 1
        raise RuntimeError("the booking fails after the event was written")
    assert _count(engine, OutboxEvent) == 0 and _count(engine, WebhookDelivery) == 0
    cli("worker", "--once")
    assert receiver.state.received == []


def test_a_failing_receiver_is_retried_with_backoff(app, engine, cli, receiver) -> None:
    make_programme(engine)
    receiver.state.secret = _add(cli, receiver.url)
    receiver.state.mode = "fail"
    book(engine, order("1"))
    before = utcnow()
    assert "retrying 1" in cli("worker", "--once").output
    [delivery] = _deliveries(engine)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, 500)
    assert delivery.last_response == "receiver exploded: database is down"
    wait = delivery.next_attempt_at - before
    assert timedelta(seconds=29) < wait < timedelta(seconds=35)
    # Not due yet: nothing is sent again now.
    assert "nothing due" in cli("worker", "--once").output
    listing = cli("webhook-endpoint", "deliveries", "1")
    assert listing.exit_code == 0
    assert "HTTP 500" in listing.output and "receiver exploded" in listing.output
    # The receiver recovers: the retry is delivered, and the endpoint's failure count resets.
    receiver.state.mode = "ok"
    _make_due(engine)
    assert "delivered 1" in cli("worker", "--once").output
    assert [d.status for d in _deliveries(engine)] == ["delivered"]
    assert len(receiver.state.received) == 1
    with Session(engine) as session:
        assert session.get(WebhookEndpoint, 1).consecutive_failures == 0


def test_the_backoff_schedule_spans_about_three_days() -> None:
    assert [retry_delay(n).total_seconds() for n in (1, 2, 3)] == [30, 60, 120]
    assert retry_delay(12) == retry_delay(40) == timedelta(hours=12)
    elapsed, attempts = timedelta(0), 0
    while elapsed < timedelta(days=3):
        attempts += 1
        elapsed += retry_delay(attempts)
    assert 14 <= attempts <= 18


def test_a_receiver_that_hangs_times_out(database_url, tmp_path, receiver) -> None:
    app = make_app(database_url, tmp_path, CODECUT_WEBHOOK_TIMEOUT=1)
    engine, cli = get_state(app).engine, cli_for(app)
    make_programme(engine)
    receiver.state.secret = _add(cli, receiver.url)
    receiver.state.mode = "hang"
    book(engine, order("1"))
    assert "retrying 1" in cli("worker", "--once").output
    [delivery] = _deliveries(engine)
    assert delivery.last_status_code is None and "timed out" in (delivery.last_error or "")
    engine.dispose()


def test_410_gone_disables_the_endpoint(app, engine, cli, receiver) -> None:
    make_programme(engine)
    _add(cli, receiver.url)
    receiver.state.mode = "gone"
    book(engine, order("1"))
    book(engine, order("2"))
    output = cli("worker", "--once").output
    assert "disabled endpoint(s) 1" in output
    listing = json.loads(cli("webhook-endpoint", "list", "--json").stdout)
    assert listing[0]["enabled"] is False and "410 Gone" in listing[0]["disabled_reason"]
    assert "secret" not in listing[0]
    # Its other delivery waits, unsent, until the owner enables the endpoint again.
    statuses = sorted(d.status for d in _deliveries(engine))
    assert statuses in (["failed", "failed"], ["failed", "pending"])


def test_twenty_failures_in_a_row_disable_an_endpoint_and_say_why(
    app, engine, cli, receiver
) -> None:
    make_programme(engine)
    receiver.state.secret = _add(cli, receiver.url)
    receiver.state.mode = "fail"
    book(engine, order("1"))
    for _ in range(DISABLE_AFTER_FAILURES):
        _make_due(engine)
        cli("worker", "--once")
    listing = json.loads(cli("webhook-endpoint", "list", "--json").stdout)[0]
    assert listing["enabled"] is False
    assert listing["disabled_reason"].startswith("20 failed deliveries in a row")
    assert "HTTP 500" in listing["disabled_reason"]
    result = cli("webhook-endpoint", "deliveries", "1")
    assert "disabled: 20 failed deliveries" in result.output
    # Enabling it again delivers what waited.
    receiver.state.mode = "ok"
    assert cli("webhook-endpoint", "enable", "1").exit_code == 0
    _make_due(engine)
    assert "delivered 1" in cli("worker", "--once").output


def test_a_disabled_endpoints_deliveries_are_parked_until_it_is_enabled(
    app, engine, cli, receiver
) -> None:
    make_programme(engine)
    receiver.state.secret = _add(cli, receiver.url)
    receiver.state.mode = "fail"
    book(engine, order("1"))
    book(engine, order("2"))
    assert "retrying 2" in cli("worker", "--once").output
    assert cli("webhook-endpoint", "disable", "1").exit_code == 0

    def due_by(moment: datetime) -> int:
        with transaction(engine, readonly=True) as session:
            return int(
                session.scalar(
                    select(func.count()).where(
                        WebhookDelivery.status == "pending",
                        WebhookDelivery.next_attempt_at <= moment,
                    )
                )
                or 0
            )

    # Out of the range every claim reads, however late it runs: a dead receiver's backlog costs
    # the delivery loop nothing.
    assert due_by(datetime(9000, 1, 1, tzinfo=UTC)) == 0
    listing = json.loads(cli("webhook-endpoint", "deliveries", "1", "--json").stdout)
    assert [(d["status"], d["next_attempt_at"]) for d in listing] == [("pending", None)] * 2
    receiver.state.mode = "ok"
    assert cli("worker", "--once").output == "nothing due\n"
    assert cli("webhook-endpoint", "enable", "1").exit_code == 0
    assert due_by(utcnow()) == 2  # sent again from now on
    assert "delivered 2" in cli("worker", "--once").output


def test_a_delivery_is_given_up_after_three_days(app, engine, cli, receiver) -> None:
    make_programme(engine)
    _add(cli, receiver.url)
    receiver.state.mode = "fail"
    book(engine, order("1"))
    with transaction(engine) as session:
        session.execute(
            update(OutboxEvent).values(created_at=utcnow() - timedelta(days=3, hours=1))
        )
    assert "given up 1" in cli("worker", "--once").output
    assert [d.status for d in _deliveries(engine)] == ["failed"]


def test_rotation_signs_with_both_secrets_for_a_day(app, engine, cli, receiver) -> None:
    make_programme(engine)
    old = _add(cli, receiver.url)
    result = cli("webhook-endpoint", "rotate-secret", "1")
    new = result.stdout.strip()
    assert result.exit_code == 0 and new.startswith("whsec_") and new != old
    book(engine, order("1"))
    receiver.state.secret = old  # a receiver not switched yet still verifies
    cli("worker", "--once")
    assert len(receiver.state.received) == 1
    assert receiver.state.received[0].headers["Codecut-Signature"].count("v1=") == 2


def test_bad_input_is_one_line_and_writes_nothing(app, engine, cli) -> None:
    for args, message in [
        (("--url", "ftp://x", "--events", "payout.paid"), "must be http:// or https://"),
        (("--url", "https://x.example", "--events", "payout.sent"), "unknown event type"),
        (("--url", "https://x.example", "--events", ","), "at least one event type"),
    ]:
        result = cli("webhook-endpoint", "add", *args)
        assert result.exit_code == 1 and message in result.output, result.output
        assert "Traceback" not in result.output
    for command in ("disable", "enable", "rotate-secret", "remove", "deliveries"):
        result = cli("webhook-endpoint", command, "9")
        assert result.exit_code == 1 and "no webhook endpoint with id 9" in result.output
    assert _count(engine, WebhookEndpoint) == 0


def test_endpoint_lifecycle(app, engine, cli, receiver) -> None:
    _add(cli, receiver.url, events="*")
    [listed] = json.loads(cli("webhook-endpoint", "list", "--json").stdout)
    assert listed["events"][0] == "commission.created" and len(listed["events"]) == 7
    assert cli("webhook-endpoint", "disable", "1").exit_code == 0
    make_programme(engine)  # influencer.created / code.created: no delivery while disabled
    assert _count(engine, WebhookDelivery) == 0
    assert cli("webhook-endpoint", "enable", "1").exit_code == 0
    assert cli("influencer", "add", "--email", "bo@example.com", "--name", "Bo").exit_code == 0
    assert _count(engine, WebhookDelivery) == 1
    assert cli("webhook-endpoint", "remove", "1").exit_code == 0
    assert _count(engine, WebhookEndpoint) == 0 and _count(engine, WebhookDelivery) == 0


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_two_workers_on_postgresql_deliver_each_event_once(
    app, engine, cli, receiver, database_url
) -> None:
    make_programme(engine)
    receiver.state.secret = _add(cli, receiver.url)
    book(engine, *(order(str(n)) for n in range(1, 201)))
    assert _count(engine, WebhookDelivery) == 200
    env = {**os.environ, "CODECUT_DATABASE_URL": database_url, "CODECUT_SECRET_KEY": "x"}
    command = [sys.executable, "-c", "from codecut.cli.main import main; main()", "worker"]
    workers = [
        subprocess.Popen([*command, "--once", "--concurrency", "4"], env=env, cwd=ROOT)
        for _ in range(2)
    ]
    assert [w.wait(timeout=120) for w in workers] == [0, 0]
    ids = receiver.state.event_ids()
    assert len(ids) == 200 and len(set(ids)) == 200
    assert {d.status for d in _deliveries(engine)} == {"delivered"}


def test_a_long_running_worker_stops_on_request(app, engine, cli, receiver) -> None:
    from codecut.outbox.worker import run_forever

    make_programme(engine)
    receiver.state.secret = _add(cli, receiver.url)
    stop = threading.Event()
    thread = threading.Thread(
        target=run_forever,
        kwargs={"engine": engine, "timeout": 5, "concurrency": 2, "interval": 0.1, "stop": stop},
    )
    thread.start()
    try:
        book(engine, order("1"))
        for _ in range(100):
            if receiver.state.received:
                break
            threading.Event().wait(0.05)
    finally:
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive() and len(receiver.state.received) == 1
    assert deliver_due(engine, timeout=5).attempted == 0


def test_the_example_receiver_verifies_real_deliveries(app, engine, cli) -> None:
    """``examples/webhook_receiver.py``, as a user runs it, prints what the worker delivered."""
    import time

    import requests
    from servers import free_port

    make_programme(engine)
    port = free_port()
    secret = _add(cli, f"http://127.0.0.1:{port}/")
    example = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "examples" / "webhook_receiver.py"),
            "--port",
            str(port),
            "--secret",
            secret,
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        for _ in range(100):
            try:
                requests.post(f"http://127.0.0.1:{port}/", data=b"{}", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.05)
        book(engine, order("1"))
        assert "delivered 1" in cli("worker", "--once").output
        forged = requests.post(
            f"http://127.0.0.1:{port}/",
            data=b'{"id":"evt_x"}',
            headers={"Codecut-Signature": f"t={int(time.time())},v1=00"},
            timeout=5,
        )
        assert forged.status_code == 400
    finally:
        example.terminate()
        output = example.communicate(timeout=10)[0]
    assert output.startswith("commission.created {")
    assert '"amount": "10.00"' in output


def test_a_delivered_order_reaches_only_enabled_subscribed_endpoints(app, engine, cli) -> None:  # type: ignore[no-untyped-def]
    from programme import shopify_post
    from storefront_payloads import load_fixture_json

    make_programme(engine)
    _add(cli, "http://127.0.0.1:9/created")  # 1: commission.created, commission.reversed
    _add(cli, "http://127.0.0.1:9/flagged", events="review.flagged")  # 2: not this event
    _add(cli, "http://127.0.0.1:9/off", events="commission.created")  # 3: disabled below
    assert cli("webhook-endpoint", "disable", "3").exit_code == 0
    payload = load_fixture_json("shopify_order_code_TENOFF_partially_refunded")
    payload.update(id=77, financial_status="paid", refunds=[])
    response = shopify_post(app.test_client(), payload, "orders/paid")
    assert response.status_code == 200 and response.get_json()["status"] == "processed"
    assert [d.endpoint_id for d in _deliveries(engine)] == [1]


def test_a_worker_interval_that_is_no_number_is_refused(app, cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("worker", "--interval", "nan")  # Click's range alone lets NaN through
    assert result.exit_code == 2 and "from 0.1 to 3600" in result.output
