"""Exports for finance: streamed, spreadsheet-safe, money as exact decimal strings."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import IO, Any, TextIO

from sqlalchemy import select
from sqlmodel import Session, col

from ..commissions.approval import approved_through
from ..models import Campaign, Code, Influencer, LedgerEntry, Order, Payout, Settlement, Store
from ..money import exponent, format_minor, format_rate
from .balances import AnySelect, status_of, with_settlement
from .records import PAYOUT_FIELDS, payout_record

#: The ledger export's columns, in this order; scripts depend on it. More may be appended.
LEDGER_COLUMNS = [
    "entry_id",
    "created_at",
    "influencer_email",
    "influencer_name",
    "store",
    "campaign",
    "code",
    "order_id",
    "order_number",
    "kind",
    "status",
    "currency",
    "base_amount",
    "amount",
    "available_on",
    "payout_id",
    "memo",
    "reason",
    "order_total",
    "rate",
]

#: The payout export's columns: a payout's record fields (:data:`.records.PAYOUT_FIELDS`).
PAYOUT_COLUMNS = PAYOUT_FIELDS

#: Columns holding money: written as numbers, never neutralised.
MONEY_COLUMNS = {"base_amount", "amount", "order_total"}
#: Whole-number columns, written as numbers in XLSX.
INTEGER_COLUMNS = {"entry_id", "payout_id", "batch_id", "entries", "attempt"}

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_STREAM_BATCH = 2000


def neutralise(value: Any) -> Any:
    """Keep a spreadsheet from running text as a formula (CSV/formula injection).

    A text cell starting with ``= + - @``, a tab or a carriage return gets a leading apostrophe,
    which spreadsheets show as text. Numbers are left alone.
    """
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def ledger_query(
    through: date | None,
    *,
    date_from: date | None = None,
    date_to: date | None = None,
    influencer_id: int | None = None,
    after_id: int = 0,
) -> AnySelect:
    """Ledger entries with what finance needs beside them, oldest first; ``date_to`` inclusive.

    Plain columns (six ORM objects per row would make a million-row export several times
    slower), each entry's status as of the approval ``through`` and the payout settling it.
    """
    query = with_settlement(
        select(*_LEDGER_COLUMNS, status_of(through), col(Settlement.payout_id))
        .join(Influencer, col(Influencer.id) == col(LedgerEntry.influencer_id))
        .outerjoin(Store, col(Store.id) == col(LedgerEntry.store_id))
        .outerjoin(Campaign, col(Campaign.id) == col(LedgerEntry.campaign_id))
        .outerjoin(Code, col(Code.id) == col(LedgerEntry.code_id))
        .outerjoin(Order, col(Order.id) == col(LedgerEntry.order_id))
    ).order_by(col(LedgerEntry.id))
    if date_from:
        query = query.where(col(LedgerEntry.created_at) >= _day_start(date_from))
    if date_to:
        query = query.where(col(LedgerEntry.created_at) < _day_start(date_to + timedelta(days=1)))
    if influencer_id is not None:
        query = query.where(col(LedgerEntry.influencer_id) == influencer_id)
    if after_id:
        query = query.where(col(LedgerEntry.id) > after_id)
    return query


#: The plain columns of :func:`ledger_query`, in :func:`ledger_values`' order (the status and
#: the payout follow them).
_LEDGER_COLUMNS = (
    col(LedgerEntry.id),
    col(LedgerEntry.created_at),
    col(Influencer.email),
    col(Influencer.name),
    col(Store.domain),
    col(Campaign.slug),
    col(Code.code),
    col(Order.external_id),
    col(Order.order_number),
    col(LedgerEntry.kind),
    col(LedgerEntry.currency),
    col(LedgerEntry.base_amount),
    col(LedgerEntry.amount),
    col(LedgerEntry.available_on),
    col(LedgerEntry.memo),
    col(LedgerEntry.reason),
    col(Order.order_total),
    col(Order.currency),
    col(LedgerEntry.rate_bps),
)


def ledger_values(values: Sequence[Any]) -> dict[str, Any]:
    """One export row from a row of :func:`ledger_query`."""
    (
        entry_id, created_at, email, name, domain, slug, code, external_id, order_number,
        kind, currency, base_amount, amount, available_on, memo, reason,
        order_total, order_currency, rate_bps, status, payout_id,
    ) = values  # fmt: skip
    return {
        "entry_id": entry_id,
        "created_at": created_at.isoformat(),
        "influencer_email": email,
        "influencer_name": name,
        "store": domain or "",
        "campaign": slug or "",
        "code": code or "",
        "order_id": external_id or "",
        "order_number": order_number or "",
        "kind": kind,
        "status": status,
        "currency": currency,
        "base_amount": format_minor(base_amount, currency) if base_amount is not None else "",
        "amount": format_minor(amount, currency),
        "available_on": available_on.isoformat(),
        "payout_id": payout_id or "",
        "memo": memo or "",
        "reason": reason or "",
        "order_total": format_minor(order_total, order_currency) if order_currency else "",
        "rate": format_rate(rate_bps) if rate_bps is not None else "",
    }


def iter_ledger_rows(
    session: Session,
    *,
    date_from: date | None = None,
    date_to: date | None = None,
    influencer_id: int | None = None,
    after_id: int = 0,
    limit: int | None = None,
) -> Iterator[dict[str, Any]]:
    """Export rows of the ledger, one batch at a time (a server-side cursor on PostgreSQL):
    memory stays flat."""
    query = ledger_query(
        approved_through(session),
        date_from=date_from,
        date_to=date_to,
        influencer_id=influencer_id,
        after_id=after_id,
    )
    if limit is not None:
        query = query.limit(limit)
    result = session.execute(query.execution_options(yield_per=_STREAM_BATCH))
    for row in result:
        yield ledger_values(row)


def csv_cells(row: dict[str, Any], columns: list[str]) -> list[Any]:
    return [row[c] if c in MONEY_COLUMNS else neutralise(row[c]) for c in columns]


def write_csv(rows: Iterator[dict[str, Any]], columns: list[str], out: TextIO) -> int:
    """Write rows as CSV with spreadsheet-safe text cells; returns the number of rows."""
    writer = csv.writer(out)
    writer.writerow(columns)
    count = 0
    for row in rows:
        writer.writerow(csv_cells(row, columns))
        count += 1
    return count


def iter_csv(
    rows: Iterator[dict[str, Any]], columns: list[str], chunk_rows: int = 500
) -> Iterator[str]:
    """The same CSV as :func:`write_csv`, as text chunks for a streamed HTTP response."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    for count, row in enumerate(rows, start=1):
        writer.writerow(csv_cells(row, columns))
        if count % chunk_rows == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def payouts_query(*, batch_id: int | None = None) -> AnySelect:
    query = (
        select(Payout, Influencer)
        .join(Influencer, col(Influencer.id) == col(Payout.influencer_id))
        .order_by(col(Payout.id))
    )
    if batch_id is not None:
        query = query.where(col(Payout.batch_id) == batch_id)
    return query


def iter_payout_rows(session: Session, query: AnySelect) -> Iterator[dict[str, Any]]:
    result = session.execute(query.execution_options(yield_per=_STREAM_BATCH))
    for payout, influencer in result:
        yield payout_record(payout, influencer)


def write_xlsx(
    rows: Iterator[dict[str, Any]], columns: list[str], target: str | IO[bytes], sheet: str
) -> int:
    """Write rows as one XLSX sheet in constant memory (rows are flushed as they are written).

    Money is a number with the row currency's decimals as its format; every other text cell is
    a string (never a formula), neutralised like the CSV so a re-save as CSV stays safe.
    """
    import xlsxwriter

    workbook = xlsxwriter.Workbook(
        target, {"constant_memory": True, "strings_to_numbers": False, "in_memory": False}
    )
    worksheet = workbook.add_worksheet(sheet)
    bold = workbook.add_format({"bold": True})
    formats: dict[int, Any] = {}

    def money_format(currency: str) -> Any:
        places = exponent(currency)
        if places not in formats:
            pattern = "#,##0" + ("." + "0" * places if places else "")
            formats[places] = workbook.add_format({"num_format": pattern})
        return formats[places]

    for index, column in enumerate(columns):
        worksheet.write_string(0, index, column, bold)
    count = 0
    for count, row in enumerate(rows, start=1):
        for index, column in enumerate(columns):
            value = row[column]
            if value == "" or value is None:
                continue
            if column in MONEY_COLUMNS:
                # XLSX numbers are binary doubles; decimals of any currency fit them exactly
                # as displayed (15 significant digits).
                number = float(Decimal(value))
                worksheet.write_number(count, index, number, money_format(row["currency"]))
            elif column in INTEGER_COLUMNS and isinstance(value, int):
                worksheet.write_number(count, index, value)
            else:
                worksheet.write_string(count, index, neutralise(str(value)))
    workbook.close()
    return count
