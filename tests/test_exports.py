"""Ledger and payout exports, CSV and XLSX, read back as finance would read them."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import UTC, datetime, timedelta

import openpyxl
import pytest
from builders import DAY
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from payout_support import engine_of, entry, influencer, order_entry, programme
from programme import book, make_programme, order
from sqlalchemy import delete, select

from codecut.db import create_db_engine, transaction
from codecut.models import (
    Campaign,
    Influencer,
    LedgerEntry,
    Order,
    Payout,
    PayoutBatch,
    Settlement,
    utcnow,
)
from codecut.reads import exports as reports
from codecut.state import get_state
from codecut.storefronts.base import RefundEvent


def _seed(app, pcli) -> None:  # type: ignore[no-untyped-def]
    with transaction(engine_of(app)) as s:
        campaign = programme(s)
        influencer(s, "anna@example.com", name='=HYPERLINK("http://x")')
        influencer(s, "ben@example.com", name="Ben")
        order_entry(s, campaign, "anna@example.com", 6012, base=60120, memo="@SUM(A1)")
        order_entry(s, campaign, "ben@example.com", 1000, base=10000, memo="-2+3")
        entry(s, influencer(s, "yuki@example.com"), 7000, "JPY")
        entry(s, influencer(s, "omar@example.com"), 51234, "KWD")
    assert pcli("payouts", "run", "--as-of", DAY.isoformat()).exit_code == 0


def _paid_out(s, who: int, row: LedgerEntry, amount: int) -> None:  # type: ignore[no-untyped-def]
    """Settle one entry by a paid manual payout of its own batch."""
    batch = PayoutBatch(as_of=DAY, status="completed")
    s.add(batch)
    s.flush()
    payout = Payout(
        batch_id=batch.id,
        influencer_id=who,
        currency=row.currency,
        amount=amount,
        entry_count=1,
        method="manual",
        status="paid",
        period_end=DAY,
    )
    s.add(payout)
    s.flush()
    s.add(Settlement(entry_id=row.id, payout_id=payout.id))


def test_ledger_csv_keeps_columns_and_neutralises(papp, pcli, tmp_path) -> None:
    _seed(papp, pcli)
    result = pcli("export", "ledger")
    assert result.exit_code == 0, result.stderr
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0] == reports.LEDGER_COLUMNS
    records = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    anna = records[0]
    assert anna["influencer_name"] == '\'=HYPERLINK("http://x")'
    assert anna["memo"] == "'@SUM(A1)"
    assert (anna["amount"], anna["base_amount"], anna["order_total"]) == (
        "60.12",
        "601.20",
        "606.20",
    )
    assert anna["rate"] == "10%" and anna["payout_id"] == "1" and anna["order_number"] == "#1001"
    assert records[1]["memo"] == "'-2+3"
    assert [r["amount"] for r in records[2:]] == ["7000", "51.234"]  # JPY 0, KWD 3 decimals


def test_ledger_xlsx_opens_right(papp, pcli, tmp_path) -> None:
    """Typed cells, a frozen header with a filter, widths, and totals per currency."""
    _seed(papp, pcli)
    path = tmp_path / "ledger.xlsx"
    result = pcli("export", "ledger", "--format", "xlsx", "-o", str(path))
    assert result.exit_code == 0, result.stderr
    book = openpyxl.load_workbook(path)
    sheet = book["ledger"]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == reports.LEDGER_COLUMNS
    col = {name: i for i, name in enumerate(reports.LEDGER_COLUMNS)}
    anna = rows[1]
    assert anna[col["amount"]] == 60.12 and anna[col["base_amount"]] == 601.2
    assert anna[col["entry_id"]] == 1 and anna[col["payout_id"]] == 1
    # Text is a string cell (never a formula), shown as typed: no apostrophe.
    assert anna[col["influencer_name"]] == '=HYPERLINK("http://x")'
    assert anna[col["memo"]] == "@SUM(A1)"
    assert isinstance(anna[col["created_at"]], datetime)
    assert anna[col["available_on"]] == datetime(2026, 1, 31)  # a date cell
    assert anna[col["rate"]] == 0.1
    assert rows[3][col["amount"]] == 7000 and rows[4][col["amount"]] == 51.234
    cells = list(sheet.iter_rows(min_row=2))
    formats = [row[col["amount"]].number_format for row in cells]
    assert formats == ["#,##0.00", "#,##0.00", "#,##0", "#,##0.000"]
    assert cells[0][col["rate"]].number_format == "0.00%"
    assert cells[0][col["available_on"]].number_format == "yyyy-mm-dd"
    assert cells[0][col["created_at"]].number_format == "yyyy-mm-dd hh:mm:ss"
    assert all(row[col["memo"]].data_type == "s" for row in cells if row[col["memo"]].value)
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == f"A1:V{len(rows)}"
    assert sheet.column_dimensions["C"].width > sheet.column_dimensions["A"].width
    # What base_amount means is on its header, as a comment.
    note = sheet.cell(row=1, column=col["base_amount"] + 1).comment
    assert note is not None and "Reversal rows: the refunded goods" in note.text
    totals = list(book["totals"].iter_rows(values_only=True))
    assert totals[0] == ("currency", "rows", "base_amount", "amount", "order_total")
    assert totals[1:] == [
        ("JPY", 1, 0, 7000, 0),
        ("KWD", 1, 0, 51.234, 0),
        ("USD", 2, 701.2, 70.12, 711.2),
    ]


def test_payouts_export_csv_and_xlsx(papp, pcli, tmp_path) -> None:
    _seed(papp, pcli)
    assert pcli("payouts", "mark-paid", "1", "--reference", "=cmd|' /C calc'!A0").exit_code == 0
    result = pcli("export", "payouts", "--batch", "1")
    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    header = result.stdout.splitlines()[0].split(",")
    assert header[:14] == [
        "payout_id", "batch_id", "influencer_email", "influencer_name", "method",
        "destination", "currency", "amount", "entries", "period_end", "status", "reference",
        "created_at", "paid_at",
    ]  # fmt: skip
    assert [(r["influencer_email"], r["amount"], r["currency"], r["entries"]) for r in rows] == [
        ("anna@example.com", "60.12", "USD", "1"),
        ("yuki@example.com", "7000", "JPY", "1"),
        ("omar@example.com", "51.234", "KWD", "1"),
    ]
    first = rows[0]
    assert first["reference"].startswith("'=cmd") and first["status"] == "paid"
    assert first["period_end"] == DAY.isoformat() and first["paid_at"]
    assert first["influencer_name"].startswith("'=")
    # XLSX on a pipe (not a terminal) is fine, and the same rows come back.
    piped = pcli("export", "payouts", "--format", "xlsx")
    assert piped.exit_code == 0 and piped.stdout_bytes[:2] == b"PK"
    book = openpyxl.load_workbook(io.BytesIO(piped.stdout_bytes))
    values = list(book["payouts"].iter_rows(values_only=True))
    assert [v[7] for v in values[1:]] == [60.12, 7000, 51.234]
    assert values[1][9] == datetime(2026, 1, 31) and isinstance(values[1][13], datetime)
    assert values[1][3] == '=HYPERLINK("http://x")' and values[1][11] == "=cmd|' /C calc'!A0"
    assert list(book["totals"].iter_rows(values_only=True))[1:] == [
        ("JPY", 1, 7000),
        ("KWD", 1, 51.234),
        ("USD", 1, 60.12),
    ]
    assert pcli("export", "payouts", "--batch", "99").exit_code == 1


def test_xlsx_refuses_a_terminal(papp, pcli, monkeypatch) -> None:
    import sys

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(sys, "stdout", Terminal())
    from codecut.cli import export

    try:
        export._refuse_binary_terminal("xlsx", None)
    except Exception as error:  # click.UsageError
        assert "XLSX is binary" in str(error)
    else:
        raise AssertionError("expected a refusal")
    export._refuse_binary_terminal("xlsx", "out.xlsx")
    export._refuse_binary_terminal("csv", None)


hostile_text = st.text(
    alphabet=st.sampled_from([*"=+-@\t\r\n,\"' aZé€\\.;0", "\u2028", "ß"]), max_size=12
)


@pytest.mark.postgres
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from(["USD", "JPY", "KWD", "CLF"]),
            st.integers(min_value=-(10**12), max_value=10**12),
            hostile_text,
            st.booleans(),  # with an order (store, code, order number, total, rate)
            st.sampled_from([None, 0, 5, 1000, 1250, 333, 10000]),
            st.booleans(),  # settled by a paid payout
        ),
        max_size=8,
    )
)
def test_postgres_copy_writes_the_same_bytes_as_the_python_writer(postgres_url, rows) -> None:
    """On PostgreSQL the ledger CSV is made by ``COPY``; byte for byte it is the Python writer's
    file for the same ledger (hostile text, every decimal count, orders or none, paid or not)."""
    from conftest import _truncate_postgres

    _truncate_postgres(postgres_url)
    engine = create_db_engine(postgres_url)
    try:
        with transaction(engine) as s:
            campaign = programme(s)
            who = influencer(s, "anna@example.com", name='Anna "A", =1')
            for currency, amount, memo, with_order, rate, paid in rows:
                if with_order:
                    entry_id = order_entry(
                        s, campaign, "anna@example.com", amount, base=abs(amount)
                    )
                else:
                    entry_id = entry(s, who, amount, currency, memo=memo)
                row = s.get(LedgerEntry, entry_id)
                row.memo, row.rate_bps = memo, rate
                if paid:
                    _paid_out(s, who, row, amount)
        with transaction(engine, readonly=True) as s:
            by_copy = b"".join(reports.ledger_csv(s))
            by_python = b"".join(
                reports.csv_chunks(reports.iter_ledger_rows(s), reports.LEDGER_COLUMNS)
            )
        assert by_copy == by_python
    finally:
        engine.dispose()


def _sheets(xlsx: bytes) -> dict[str, bytes]:
    """An XLSX's parts but its creation time."""
    with zipfile.ZipFile(io.BytesIO(xlsx)) as archive:
        return {n: archive.read(n) for n in archive.namelist() if n != "docProps/core.xml"}


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from(["USD", "JPY", "KWD", "CLF"]),
            st.integers(min_value=-(10**12), max_value=10**12),
            hostile_text,
            st.sampled_from([None, "USD", "JPY", "KWD"]),  # an order, in this currency
            st.sampled_from([None, 0, 5, 1000, 1250, 333, 10000]),
            st.booleans(),  # settled by a payout
        ),
        max_size=8,
    )
)
def test_ledger_xlsx_from_typed_cells_is_the_records_file(database_url, rows) -> None:
    """The ledger XLSX is written from the database's typed values; part for part it is the
    file the records (the CSV's values) make: every decimal count, orders in another currency's
    decimals, hostile text, rates, settled or not."""
    engine = create_db_engine(database_url)
    try:
        with transaction(engine) as s:
            for table in (Settlement, Payout, PayoutBatch, LedgerEntry, Order):
                s.execute(delete(table))
            campaign = s.scalar(select(Campaign)) or programme(s)
            who = s.scalar(
                select(Influencer.id).where(Influencer.email == "anna@example.com")
            ) or influencer(s, "anna@example.com", name='Anna "A", =1')
            for currency, amount, memo, order_currency, rate, settled in rows:
                if order_currency:
                    entry_id = order_entry(
                        s, campaign, "anna@example.com", amount, base=abs(amount)
                    )
                    row = s.get(LedgerEntry, entry_id)
                    s.get(Order, row.order_id).currency = order_currency
                    row.currency = currency
                else:
                    entry_id = entry(s, who, amount, currency, memo=memo)
                    row = s.get(LedgerEntry, entry_id)
                row.memo, row.rate_bps = memo, rate
                if settled:
                    _paid_out(s, who, row, amount)
        with transaction(engine, readonly=True) as s:
            typed, records = io.BytesIO(), io.BytesIO()
            export = reports.ledger_export()
            assert export.write(s, "xlsx", typed) == len(rows)
            reports.write_xlsx(
                reports.iter_ledger_rows(s),
                reports.LEDGER_COLUMNS,
                records,
                "ledger",
                reports.LEDGER_NOTES,
            )
        assert _sheets(typed.getvalue()) == _sheets(records.getvalue())
    finally:
        engine.dispose()


def test_balances_export_per_influencer_and_currency(papp, pcli, tmp_path) -> None:
    """Hand-worked: Anna was paid 60.00 (marked paid by hand), then earned 10.00 still in its
    hold, lost 5.00 to a refund after payment and has 3.00 held for review; Ben earned 7000 JPY
    after the run."""
    with transaction(engine_of(papp)) as s:
        anna = influencer(s, "anna@example.com")
        entry(s, anna, 6000)
    assert pcli("payouts", "run", "--as-of", DAY.isoformat()).exit_code == 0
    assert pcli("payouts", "mark-paid", "1", "--reference", "BANK-1").exit_code == 0
    with transaction(engine_of(papp)) as s:
        entry(s, anna, 1000, status="pending", available_on=DAY + timedelta(days=400))
        entry(s, anna, -500)
        entry(s, anna, 300, status="held")
        entry(s, influencer(s, "ben@example.com"), 7000, "JPY")
    result = pcli("export", "balances")
    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert rows == [
        {
            "influencer_email": "anna@example.com",
            "influencer_name": "Anna",
            "currency": "USD",
            "pending": "10.00",
            "payable": "-5.00",
            "held": "3.00",
            "in_payout": "0.00",
            "paid": "60.00",
            "taken_back": "5.00",
        },
        {
            "influencer_email": "ben@example.com",
            "influencer_name": "Ben",
            "currency": "JPY",
            "pending": "0",
            "payable": "7000",
            "held": "0",
            "in_payout": "0",
            "paid": "0",
            "taken_back": "0",
        },
    ]
    # Before anything was booked there was nothing; XLSX carries the totals per currency.
    yesterday = (utcnow() - timedelta(days=1)).date().isoformat()
    assert pcli("export", "balances", "--as-of", yesterday).stdout.strip() == ",".join(
        reports.BALANCE_COLUMNS
    )
    path = tmp_path / "balances.xlsx"
    assert pcli("export", "balances", "--format", "xlsx", "-o", str(path)).exit_code == 0
    totals = list(openpyxl.load_workbook(path)["totals"].iter_rows(values_only=True))
    assert totals[1:] == [("JPY", 1, 0, 7000, 0, 0, 0, 0), ("USD", 1, 10, -5, 3, 0, 60, 5)]
    assert pcli("export", "balances", "--as-of", "2026-13-01").exit_code == 2


def test_ledger_by_order_date_and_refund_dates(app, cli) -> None:
    """An October order recorded in December lands in October by order date, in December by
    recording date; its refund (dated November) carries its own date."""
    make_programme(get_state(app).engine)
    recorded = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
    placed = datetime(2026, 10, 14, 10, 30, tzinfo=UTC)
    refunded = datetime(2026, 11, 20, 8, 15, tzinfo=UTC)
    book(get_state(app).engine, order("77", placed_at=placed), now=recorded)
    book(
        get_state(app).engine,
        RefundEvent("r77", "77", goods=5000, created_at=refunded),
        now=recorded,
    )

    def export(*args: str) -> list[dict[str, str]]:
        result = cli("export", "ledger", *args)
        assert result.exit_code == 0, result.stderr
        return list(csv.DictReader(io.StringIO(result.stdout)))

    rows = export()
    assert [(r["kind"], r["order_placed_at"], r["refunded_at"]) for r in rows] == [
        ("commission", "2026-10-14T10:30:00+00:00", ""),
        ("reversal", "2026-10-14T10:30:00+00:00", "2026-11-20T08:15:00+00:00"),
    ]
    october = ("--from", "2026-10-01", "--to", "2026-10-31")
    november = ("--from", "2026-11-01", "--to", "2026-11-30")
    december = ("--from", "2026-12-01", "--to", "2026-12-31")
    assert [r["kind"] for r in export(*october, "--by", "order")] == ["commission"]
    assert [r["kind"] for r in export(*november, "--by", "order")] == ["reversal"]
    assert export(*december, "--by", "order") == []
    assert [r["kind"] for r in export(*december)] == ["commission", "reversal"]
    assert export(*october) == export(*october, "--by", "recorded") == []
    assert cli("export", "ledger", "--by", "placed").exit_code == 2


def test_an_output_that_cannot_be_written_is_one_line_and_leaves_no_file(
    papp, pcli, tmp_path
) -> None:
    _seed(papp, pcli)
    out = tmp_path / "out"
    folder = out / "a-folder"
    folder.mkdir(parents=True)
    cases = [
        (str(out / "no" / "such" / "dir.csv"), "No such file or directory"),
        ("", "the output file name is empty"),
        ("/dev/full", "No space left on device"),  # the disk fills up mid-export
    ]
    for export in (("export", "ledger"), ("export", "payouts"), ("code", "export")):
        for path, why in cases:
            campaign = ("--campaign", "shop") if export[0] == "code" else ()
            result = pcli(*export, "-o", path, *campaign)
            assert result.exit_code == 1, (export, path, result.output)
            lines = result.stderr.strip().splitlines()
            assert len(lines) == 1 and why in lines[0], (export, path, result.stderr)
        campaign = ("--campaign", "shop") if export[0] == "code" else ()
        result = pcli(*export, "-o", str(folder), *campaign)  # Click's own usage error: exit 2
        assert result.exit_code in (1, 2) and "is a directory" in result.stderr.lower()
        assert "Traceback" not in result.output
    assert sorted(p.name for p in out.iterdir()) == ["a-folder"]


def test_a_file_an_export_left_half_written_is_removed(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from codecut.cli._common import output_file

    target = tmp_path / "half.csv"
    with pytest.raises(RuntimeError), output_file(str(target), binary=False) as handle:
        handle.write("email,amount\n")
        raise RuntimeError("the database went away mid-export")
    assert not target.exists()
