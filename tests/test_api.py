"""The finance API: Bearer keys, scopes, and streamed CSV/XLSX downloads."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime

import openpyxl
from builders import DAY
from payout_support import engine_of, entry, influencer

from codecut.access import apikeys
from codecut.db import transaction
from codecut.reads import exports as reports


def _keys(app):  # type: ignore[no-untyped-def]
    with transaction(engine_of(app)) as s:
        return {
            scope: apikeys.create_key(s, name=scope, scope=scope, actor="test")[1]
            for scope in apikeys.SCOPES
        }


def _seed(app, pcli) -> None:  # type: ignore[no-untyped-def]
    with transaction(engine_of(app)) as s:
        entry(s, influencer(s, "anna@example.com"), 6000)
        entry(s, influencer(s, "ben@example.com"), -250, memo="=1+1")
    assert pcli("payouts", "run", "--as-of", DAY.isoformat()).exit_code == 0


def _get(app, path, key=None):  # type: ignore[no-untyped-def]
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return app.test_client().get(path, headers=headers)


def test_scopes(papp, pcli) -> None:
    _seed(papp, pcli)
    keys = _keys(papp)
    for path in ("/api/exports/payouts.csv", "/api/exports/ledger.xlsx", "/api/payouts"):
        missing = _get(papp, path)
        assert missing.status_code == 401 and missing.get_json()["error"]["code"] == "unauthorized"
        assert missing.headers["WWW-Authenticate"] == "Bearer"
        assert _get(papp, path, "cc_not-a-key").status_code == 401
    forbidden = _get(papp, "/api/exports/payouts.csv", keys["read"])
    assert (
        forbidden.status_code == 403
        and "finance is needed" in forbidden.get_json()["error"]["message"]
    )
    assert _get(papp, "/api/exports/payouts.csv", keys["finance"]).status_code == 200
    assert _get(papp, "/api/exports/payouts.csv", keys["admin"]).status_code == 200
    listed = _get(papp, "/api/payouts", keys["read"])
    assert listed.status_code == 200
    assert [(p["influencer_email"], p["amount"]) for p in listed.get_json()["payouts"]] == [
        ("anna@example.com", "60.00")
    ]


def test_downloads(papp, pcli) -> None:
    _seed(papp, pcli)
    key = _keys(papp)["finance"]
    response = _get(papp, "/api/exports/ledger.csv", key)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.is_streamed
    assert 'filename="ledger.csv"' in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == reports.LEDGER_COLUMNS and len(rows) == 3
    assert rows[2][reports.LEDGER_COLUMNS.index("memo")] == "'=1+1"
    assert rows[2][reports.LEDGER_COLUMNS.index("amount")] == "-2.50"
    xlsx = _get(papp, "/api/exports/payouts.xlsx?batch=1", key)
    assert xlsx.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.get_data())).active
    values = list(sheet.iter_rows(values_only=True))
    assert list(values[0]) == reports.PAYOUT_COLUMNS
    assert values[1][reports.PAYOUT_COLUMNS.index("amount")] == 60.0


def test_bad_requests_are_json(papp) -> None:
    key = _keys(papp)["admin"]
    assert _get(papp, "/api/exports/ledger.pdf", key).status_code == 404
    bad_date = _get(papp, "/api/exports/ledger.csv?from=yesterday", key)
    assert bad_date.status_code == 400 and "not a date" in bad_date.get_json()["error"]["message"]
    assert (
        _get(papp, "/api/exports/ledger.csv?from=2026-02-02&to=2026-02-01", key).status_code == 400
    )
    assert _get(papp, "/api/exports/payouts.csv?batch=7", key).status_code == 404
    assert _get(papp, "/api/exports/payouts.csv?batch=x", key).status_code == 400


def test_a_payout_is_the_same_object_everywhere(papp, pcli) -> None:
    """``payouts list --json``, ``/api/payouts`` and the payout export show one record."""
    _seed(papp, pcli)
    key = _keys(papp)["read"]
    from_cli = json.loads(pcli("payouts", "list", "--json").stdout)
    from_api = _get(papp, "/api/payouts", key).get_json()["payouts"]
    finance = _keys(papp)["finance"]
    exported = list(
        csv.DictReader(io.StringIO(_get(papp, "/api/exports/payouts.csv", finance).text))
    )
    assert from_cli == from_api
    assert set(from_api[0]) == set(reports.PAYOUT_COLUMNS)
    assert from_api[0]["payout_id"] == 1 and from_api[0]["influencer_name"] == "Anna"
    for record, row in zip(from_api, exported, strict=True):
        assert {k: "" if v is None else str(v) for k, v in record.items()} == row
    created = from_api[0]["created_at"]
    assert datetime.fromisoformat(created).tzinfo is not None  # ISO 8601 with its offset
    assert from_api[0]["period_end"] == DAY.isoformat()
