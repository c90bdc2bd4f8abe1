"""Exports as XLSX files a spreadsheet opens right: typed cells, a frozen header, a filter, widths
that fit, and a ``totals`` sheet with one row per currency.

Rows are the same records the CSV and the API use (money as decimal strings, times as ISO 8601);
here each column becomes its type: money a number formatted with its row currency's decimals,
rates a percentage, days real date cells, times real date-time cells in UTC, ids whole numbers.
Text is written as text (an XLSX string cell is never a formula, so it needs no apostrophe).
Written by xlsxwriter in ``constant_memory`` mode: rows are flushed as they are written.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
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


def moment(value: datetime) -> datetime:
    """A time as the naive UTC date-time a spreadsheet cell holds (naive times are UTC)."""
    if value.tzinfo is None:
        return value
    return value.astimezone(UTC).replace(tzinfo=None)


def _moment(value: str) -> datetime:
    """An ISO 8601 time as the naive UTC date-time a spreadsheet cell holds."""
    return moment(datetime.fromisoformat(value))


def cells_of(row: Mapping[str, Any], columns: list[str], kinds: list[str]) -> list[Any]:
    """A record (money as decimal strings, times as ISO 8601) as the typed cells
    :func:`write_cells` takes."""
    currency = str(row.get("currency") or "")
    cells: list[Any] = []
    for column, kind in zip(columns, kinds, strict=True):
        value = row[column]
        if value == "" or value is None:
            cells.append(None)
        elif kind == "money":
            amount = Decimal(value)
            minor = amount.scaleb(exponent(currency))
            cells.append(int(minor) if minor == minor.to_integral_value() else amount)
        elif kind == "whole":
            cells.append(int(value))
        elif kind == "day":
            cells.append(date.fromisoformat(value))
        elif kind == "time":
            cells.append(_moment(value))
        elif kind == "percent":
            cells.append(float(Decimal(str(value).rstrip("%")) / 100))
        else:
            cells.append(str(value))
    return cells


def write_xlsx(
    rows: Iterable[Mapping[str, Any]],
    columns: list[str],
    target: str | IO[bytes],
    sheet: str,
    notes: Mapping[str, str] | None = None,
) -> int:
    """Write records ``rows`` as the sheet ``sheet`` plus a ``totals`` sheet; returns the row
    count. ``notes`` describe columns: each is a comment on its header cell (shown on hover)."""
    kinds = [kind_of(column) for column in columns]
    return write_cells(
        (cells_of(row, columns, kinds) for row in rows), columns, target, sheet, notes
    )


_MONEY, _WHOLE, _DAY, _TIME, _PERCENT, _TEXT = range(6)
_KIND_CODES = {"money": _MONEY, "whole": _WHOLE, "day": _DAY, "time": _TIME}
_KIND_CODES |= {"percent": _PERCENT, "text": _TEXT}


def write_cells(
    rows: Iterable[Sequence[Any]],
    columns: list[str],
    target: str | IO[bytes],
    sheet: str,
    notes: Mapping[str, str] | None = None,
) -> int:
    """Write typed rows as the sheet ``sheet`` plus a ``totals`` sheet; returns the row count.

    A row holds one cell per column, None (or ``""``) for an empty one: money as an int of the
    row currency's minor units (or, for an amount finer than that currency's unit, a Decimal in
    major units), whole numbers as ints, days as dates, times as naive UTC date-times, rates as
    fractions (0.125 for 12.5%), text as str. Exports that have their values typed already (the
    ledger, straight from the database) skip the records' text and its parsing."""
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
    currency_at = columns.index("currency") if "currency" in columns else None
    # Per column: its index, its kind and, for money, its place among the totals.
    plan = [
        (index, _KIND_CODES[kind], money_columns.index(column) + 1 if kind == "money" else 0)
        for index, (column, kind) in enumerate(zip(columns, kinds, strict=True))
    ]
    # Per currency: the totals row (rows, then each money column), the money format and the
    # divisor from minor to major units, found once.
    totals: dict[str, list[int]] = {}
    money_of: dict[str, tuple[Any, int]] = {}
    write_number = worksheet.write_number
    write_string = worksheet.write_string
    write_datetime = worksheet.write_datetime
    count = 0
    for count, cells in enumerate(rows, start=1):
        currency = str(cells[currency_at] or "") if currency_at is not None else ""
        sums = totals.get(currency)
        for index, code, place in plan:
            value = cells[index]
            if value is None or value == "":
                continue
            if code == _MONEY:
                if sums is None:
                    sums = totals[currency] = [0] * (len(money_columns) + 1)
                money = money_of.get(currency)
                if money is None:
                    money = money_of[currency] = (
                        money_format(currency),
                        10 ** exponent(currency),
                    )
                if value.__class__ is int:
                    sums[place] += value
                    # XLSX numbers are binary doubles; decimals of any currency fit them exactly
                    # as displayed (15 significant digits). Both divisions round correctly, so
                    # this is float(Decimal(the amount as text)).
                    write_number(count, index, value / money[1], money[0])
                else:
                    sums[place] += int(value.scaleb(exponent(currency)))
                    write_number(count, index, float(value), money[0])
            elif code == _TEXT:
                write_string(count, index, str(value))
            elif code == _WHOLE:
                write_number(count, index, int(value))
            elif code == _TIME:
                write_datetime(count, index, value, time_format)
            elif code == _DAY:
                write_datetime(count, index, value, day_format)
            else:
                write_number(count, index, value, percent_format)
        if currency:
            if sums is None:
                sums = totals[currency] = [0] * (len(money_columns) + 1)
            sums[0] += 1
    worksheet.autofilter(0, 0, max(count, 1), len(columns) - 1)

    summary = workbook.add_worksheet("totals")
    summary_columns = ["currency", "rows", *money_columns]
    for index, column in enumerate(summary_columns):
        summary.set_column(index, index, 14)
        summary.write_string(0, index, column, header)
    summary.freeze_panes(1, 0)
    for line, (currency, sums) in enumerate(sorted(totals.items()), start=1):
        summary.write_string(line, 0, currency)
        summary.write_number(line, 1, sums[0])
        for index, minor in enumerate(sums[1:], start=2):
            places = exponent(currency)
            summary.write_number(
                line, index, float(Decimal(minor).scaleb(-places)), money_format(currency)
            )
    workbook.close()
    return count
