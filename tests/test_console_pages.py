"""The console's working pages: the overview's weeks and leaky codes, CSV import, code push to the
store followed as it goes, payout runs in the background with their batch actions and exports, and
the admin's endpoints and keys (a secret shown once, never again)."""

from __future__ import annotations

import csv
import io
import json
import time
from datetime import timedelta
from typing import Any

from payout_support import engine_of, entry, influencer
from sqlmodel import select
from store_sync_support import shopify_programme
from test_console_access import csrf, signed_in

from codecut.db import transaction
from codecut.models import Payout, utcnow
from codecut.programme import campaigns, stores
from codecut.reads import kpi_days


def _wait(check: Any, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def _campaign(app: Any) -> None:
    with transaction(engine_of(app)) as session:
        stores.add_store(
            session, platform="shopify", domain="c.myshopify.com", secret="s", currency="USD"
        )
        campaigns.add_campaign(
            session, store_domain="c.myshopify.com", name="Autumn", slug="autumn"
        )


def test_influencers_imported_from_csv_all_or_nothing(app, cli) -> None:
    _campaign(app)
    client = signed_in(app, "marketing")
    token = csrf(client, "/console/influencers/import")
    good = "email,name,followers\nmia@example.com,Mia,1200\nleo@example.com,Leo,90\n"
    done = client.post(
        "/console/influencers/import",
        data={
            "csrf_token": token,
            "campaign": "autumn",
            "file": (io.BytesIO(good.encode()), "a.csv"),
        },
        content_type="multipart/form-data",
    )
    page = done.get_data(as_text=True)
    assert done.status_code == 200 and "2 influencer(s) imported into autumn" in page
    listed = json.loads(cli("influencer", "list", "--json").stdout)
    assert sorted(i["email"] for i in listed) == ["leo@example.com", "mia@example.com"]
    micro = client.get("/console/influencers?tier=micro").get_data(as_text=True)
    assert "mia@example.com" in micro and "leo@example.com" not in micro
    bad = "email,name\nzoe@example.com,Zoe\nnot-an-email,Bad\n"
    refused = client.post(
        "/console/influencers/import",
        data={
            "csrf_token": token,
            "campaign": "autumn",
            "file": (io.BytesIO(bad.encode()), "b.csv"),
        },
        content_type="multipart/form-data",
    )
    assert refused.status_code == 400 and "row 3:" in refused.get_data(as_text=True)
    assert len(json.loads(cli("influencer", "list", "--json").stdout)) == 2  # nothing written
    for data, message in (
        ({"campaign": "autumn"}, "Choose a CSV file"),
        ({"file": (io.BytesIO(good.encode()), "a.csv")}, "Choose the campaign"),
        (
            {"campaign": "autumn", "file": (io.BytesIO(b"\xff\xfe\x00"), "x.csv")},
            "not UTF-8",
        ),
        ({"campaign": "nope", "file": (io.BytesIO(good.encode()), "a.csv")}, "no campaign"),
    ):
        answer = client.post(
            "/console/influencers/import",
            data={"csrf_token": token, **data},
            content_type="multipart/form-data",
        )
        assert answer.status_code in (400, 404) and message in answer.get_data(as_text=True)


def test_codes_pushed_from_the_campaign_page_and_followed(sapp, scli, shop) -> None:
    codes = shopify_programme(scli, shop, influencers=30)
    client = signed_in(sapp, "marketing")
    page = client.get("/console/campaigns/launch").get_data(as_text=True)
    assert 'data-count="not_pushed">30<' in page and "Push codes to the store" in page
    token = csrf(client, "/console/campaigns/launch")
    started = client.post("/console/campaigns/launch/push", data={"csrf_token": token})
    assert started.status_code == 303

    def finished() -> bool:
        shown = client.get("/console/campaigns/launch").get_data(as_text=True)
        return "Last push finished: 30 pushed" in shown

    _wait(finished)
    assert all(shop.fake.holds(code) for code in codes)
    shown = client.get("/console/campaigns/launch").get_data(as_text=True)
    assert 'data-count="pushed">30<' in shown and 'http-equiv="refresh"' not in shown
    assert (
        signed_in(sapp, "finance")
        .post("/console/campaigns/launch/push", data={"csrf_token": token})
        .status_code
        == 403
    )


def test_a_push_needs_a_connected_store(app) -> None:
    _campaign(app)
    client = signed_in(app, "marketing")
    token = csrf(client, "/console/campaigns/autumn")
    refused = client.post("/console/campaigns/autumn/push", data={"csrf_token": token})
    assert refused.status_code == 400 and "Connect the store first" in refused.get_data(
        as_text=True
    )


def test_a_payout_run_is_followed_and_its_payouts_settled_by_hand(app) -> None:
    with transaction(engine_of(app)) as session:
        for name in ("anna", "ben"):
            entry(session, influencer(session, f"{name}@example.com"), 9000)
    client = signed_in(app, "finance")
    preview = client.get("/console/payouts").get_data(as_text=True)
    assert "180.00" in preview
    started = client.post(
        "/console/payouts/run", data={"csrf_token": csrf(client, "/console/payouts")}
    )
    assert started.status_code == 303 and "/console/payouts/1" in started.headers["Location"]

    def completed() -> bool:
        return 'data-test="batch-status">completed<' in client.get("/console/payouts/1").get_data(
            as_text=True
        )

    _wait(completed)
    with transaction(engine_of(app), readonly=True) as session:
        first, second = session.scalars(select(Payout).order_by(Payout.id)).all()
    token = csrf(client, "/console/payouts/1")
    paid = client.post(
        f"/console/payouts/1/payouts/{first.id}/mark-paid",
        data={"csrf_token": token, "reference": "BANK-77"},
    )
    assert paid.status_code == 303
    cancelled = client.post(
        f"/console/payouts/1/payouts/{second.id}/cancel", data={"csrf_token": token}
    )
    assert cancelled.status_code == 303
    shown = client.get(cancelled.headers["Location"]).get_data(as_text=True)
    assert "cancelled; its entries are payable again" in shown and "BANK-77" in shown
    again = client.post(f"/console/payouts/1/payouts/{first.id}/cancel", data={"csrf_token": token})
    assert again.status_code == 400 and "cannot be cancelled" in again.get_data(as_text=True)
    assert (
        client.post(f"/console/payouts/1/payouts/{first.id}/explode", data={"csrf_token": token})
    ).status_code == 404
    # Exports of any period, and every payout.
    ledger = client.get("/console/exports/ledger.csv?by=order")
    rows = list(csv.DictReader(io.StringIO(ledger.get_data(as_text=True))))
    assert ledger.status_code == 200 and len(rows) == 2
    payouts = list(
        csv.DictReader(
            io.StringIO(client.get("/console/exports/payouts.csv").get_data(as_text=True))
        )
    )
    assert sorted(p["status"] for p in payouts) == ["cancelled", "paid"]
    assert client.get("/console/exports/balances.xlsx").status_code == 200
    assert client.get("/console/exports/ledger.csv?from=2026-13-01").status_code == 400
    assert client.get("/console/exports/ledger.csv?by=whim").status_code == 400
    assert client.get("/console/exports/secrets.csv").status_code == 404


def test_admins_make_endpoints_and_keys_and_see_each_secret_once(app, cli) -> None:
    client = signed_in(app, "admin")
    token = csrf(client, "/console/admin")
    made = client.post(
        "/console/admin/keys", data={"csrf_token": token, "name": "crm", "scope": "marketing"}
    )
    page = made.get_data(as_text=True)
    assert made.status_code == 201 and "store it now" in page
    key = page.split('data-test="secret">')[1].split("<")[0]
    assert len(key) > 20
    assert key not in client.get("/console/admin").get_data(as_text=True)  # never again
    listed = json.loads(cli("apikey", "list", "--json").stdout)
    assert listed[0]["scope"] == "marketing" and not listed[0]["revoked"]
    assert (
        client.post("/console/admin/keys/1/revoke", data={"csrf_token": token}).status_code == 303
    )
    assert json.loads(cli("apikey", "list", "--json").stdout)[0]["revoked"]
    bad = client.post(
        "/console/admin/keys", data={"csrf_token": token, "name": "x", "scope": "root"}
    )
    assert bad.status_code == 400 and "scope must be one of" in bad.get_data(as_text=True)

    hook = client.post(
        "/console/admin/endpoints",
        data={
            "csrf_token": token,
            "url": "https://crm.example.com/hooks",
            "events": ["commission.created", "payout.paid"],
        },
    )
    assert hook.status_code == 201 and "whsec_" in hook.get_data(as_text=True)
    for action in ("disable", "enable"):
        answer = client.post(f"/console/admin/endpoints/1/{action}", data={"csrf_token": token})
        assert answer.status_code == 303
    rotated = client.post("/console/admin/endpoints/1/rotate-secret", data={"csrf_token": token})
    assert "whsec_" in rotated.get_data(as_text=True) and "24 hours" in rotated.get_data(
        as_text=True
    )
    refused = client.post(
        "/console/admin/endpoints", data={"csrf_token": token, "url": "ftp://x", "events": ["*"]}
    )
    assert refused.status_code == 400 and "http:// or https://" in refused.get_data(as_text=True)
    assert (
        client.post("/console/admin/endpoints/1/remove", data={"csrf_token": token}).status_code
        == 303
    )
    assert (
        client.post("/console/admin/endpoints/1/remove", data={"csrf_token": token}).status_code
        == 404
    )
    trail = client.get("/console/admin").get_data(as_text=True)
    for action in (
        "apikey.create",
        "apikey.revoke",
        "webhook_endpoint.add",
        "webhook_endpoint.remove",
    ):
        assert action in trail


def test_the_overview_shows_weeks_and_leaky_codes(app, cli) -> None:
    from programme import book, make_programme, order

    make_programme(engine_of(app), codes=("TENOFF",))
    today = utcnow()
    book(
        engine_of(app),
        order("1", base=10000, codes=("TENOFF",), placed_at=today - timedelta(days=8)),
        order("2", base=5000, codes=("TENOFF",), placed_at=today),
    )
    kpi_days.refresh(engine_of(app))
    page = signed_in(app, "marketing").get("/console/").get_data(as_text=True)
    assert page.count('<svg class="chart"') == 3
    weeks = page.split('data-test="weeks"')[1].split("</table>")[0]
    assert weeks.count("<tr>") == 27  # a header and 26 weeks
    assert "$150.00" not in weeks and ("$100.00" in weeks and "$50.00" in weeks)
    assert "Codes with a high leak score" in page
