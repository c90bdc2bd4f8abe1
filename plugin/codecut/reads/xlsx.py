"""Exports as XLSX files a spreadsheet opens right: typed cells, a frozen header, a filter, widths
that fit, and a ``totals`` sheet with one row per currency.

Rows are the same records the CSV and the API use (money as decimal strings, times as ISO 8601);
here each column becomes its type: money a number formatted with its row currency's decimals,
rates a percentage, days real date cells, times real date-time cells in UTC, ids whole numbers.
Text is written as text (an XLSX string cell is never a formula, so it needs no apostrophe).
Written by xlsxwriter in ``constant_memory`` mode: rows are flushed as they are written.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import IO, Any

import xlsxwriter

from ..money import exponent

MONEY = {"base_amount", "amount", "order_total", "pending", "payable", "held", "in_payout"}
MONEY |= {"paid", "taken_back"}
WHOLE = {"entry_id", "payout_id", "batch_id", "entries", "attempt", "influencer_id"}
DAYS = {"available_on", "period_end", "as_of"}
TIMES = {"created_at", "paid_at", "order_placed_at", "refunded_at"}
PERCENT = {"rate"}
#: Widths in characters; text columns not named get 18.
_WIDTHS = {"money": 14, "whole": 9, "day": 11, "time": 20, "percent": 8}
_NARROW_TEXT = {"currency": 9, "kind": 11, "status": 10, "method": 8}
_WIDE_TEXT = {"influencer_email": 28, "influencer_name": 22, "memo": 30, "failure_message": 30}


def kind_of(column: str) -> str:
    if column in MONEY:
        return "money"
    if column in WHOLE:
        return "whole"
    if column in DAYS:
        return "day"
    if column in TIMES:
        return "time"
    if column in PERCENT:
        return "percent"
    return "text"


def _moment(value: str) -> datetime:
    """An ISO 8601 time as the naive UTC date-time a spreadsheet cell holds."""
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed


def write_xlsx(
    rows: Iterable[dict[str, Any]],
    columns: list[str],
    target: str | IO[bytes],
    sheet: str,
    notes: Mapping[str, str] | None = None,
) -> int:
    """Write ``rows`` as the sheet ``sheet`` plus a ``totals`` sheet; returns the row count.

    ``notes`` describe columns: each is a comment on its header cell (shown on hover)."""
    workbook = xlsxwriter.Workbook(
        target, {"constant_memory": True, "strings_to_numbers": False, "in_memory": False}
    )
    worksheet = workbook.add_worksheet(sheet)
    header = workbook.add_format({"bold": True})
    day_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
    time_format = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    percent_format = workbook.add_format({"num_format": "0.00%"})
    money_formats: dict[int, Any] = {}

    def money_format(currency: str) -> Any:
        places = exponent(currency)
        if places not in money_formats:
            pattern = "#,##0" + ("." + "0" * places if places else "")
            money_formats[places] = workbook.add_format({"num_format": pattern})
        return money_formats[places]

    kinds = [kind_of(column) for column in columns]
    for index, (column, kind) in enumerate(zip(columns, kinds, strict=True)):
        width = _WIDTHS.get(kind) or _NARROW_TEXT.get(column) or _WIDE_TEXT.get(column, 18)
        worksheet.set_column(index, index, width)
        worksheet.write_string(0, index, column, header)
        if notes and column in notes:
            worksheet.write_comment(0, index, notes[column], {"x_scale": 2, "y_scale": 1.5})
    worksheet.freeze_panes(1, 0)

    money_columns = [c for c in columns if c in MONEY]
    totals: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    count = 0
    for count, row in enumerate(rows, start=1):
        currency = str(row.get("currency") or "")
        for index, (column, kind) in enumerate(zip(columns, kinds, strict=True)):
            value = row[column]
            if value == "" or value is None:
                continue
            if kind == "money":
                amount = Decimal(value)
                totals[currency][column] += int(amount.scaleb(exponent(currency)))
                # XLSX numbers are binary doubles; decimals of any currency fit them exactly as
                # displayed (15 significant digits).
                worksheet.write_number(count, index, float(amount), money_format(currency))
            elif kind == "whole":
                worksheet.write_number(count, index, int(value))
            elif kind == "day":
                worksheet.write_datetime(count, index, date.fromisoformat(value), day_format)
            elif kind == "time":
                worksheet.write_datetime(count, index, _moment(value), time_format)
            elif kind == "percent":
                worksheet.write_number(
                    count, index, float(Decimal(str(value).rstrip("%")) / 100), percent_format
                )
            else:
                worksheet.write_string(count, index, str(value))
        if currency:
            totals[currency]["rows"] += 1
    worksheet.autofilter(0, 0, max(count, 1), len(columns) - 1)

    summary = workbook.add_worksheet("totals")
    summary_columns = ["currency", "rows", *money_columns]
    for index, column in enumerate(summary_columns):
        summary.set_column(index, index, 14)
        summary.write_string(0, index, column, header)
    summary.freeze_panes(1, 0)
    for line, (currency, sums) in enumerate(sorted(totals.items()), start=1):
        summary.write_string(line, 0, currency)
        summary.write_number(line, 1, sums["rows"])
        for index, column in enumerate(money_columns, start=2):
            minor = sums[column]
            places = exponent(currency)
            summary.write_number(
                line, index, float(Decimal(minor).scaleb(-places)), money_format(currency)
            )
    workbook.close()
    return count
