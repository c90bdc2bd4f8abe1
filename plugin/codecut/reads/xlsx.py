"""Exports as XLSX files a spreadsheet opens right: typed cells, a frozen header, a filter, widths
that fit, and a ``totals`` sheet with one row per currency.

Rows are the same records the CSV and the API use (money as decimal strings, times as ISO 8601);
here each column becomes its type: money a number formatted with its row currency's decimals,
rates a percentage, days real date cells, times real date-time cells in UTC, ids whole numbers.
Text is written as text (an XLSX string cell is never a formula, so it needs no apostrophe).
xlsxwriter makes the workbook; the rows' XML, the same its ``constant_memory`` mode writes, is
written here into a temporary file and spliced into the sheet (see :func:`write_cells`).
"""

from __future__ import annotations

import io
import re
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
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

#: The sheet part of the first worksheet, the one :func:`write_cells` writes its rows into.
_SHEET_PART = "xl/worksheets/sheet1.xml"
#: Deflate level of the file: against xlsxwriter's 6, the benchmark's million-row ledger is 6%
#: larger (87.6 MB, not 82.3) and written in about a fifth less time; 1 is no faster.
_COMPRESS_LEVEL = 3
#: Rows per write into the sheet's temporary body.
_ROWS_PER_WRITE = 1000

#: Anything in a text cell that needs more than copying: XML's specials, control characters
#: (and text that looks like their escape), leading or trailing whitespace.
_TEXT_SPECIAL = re.compile(r"[&<>\x00-\x08\x0b-\x1f\ufffe\uffff]|_x[0-9a-fA-F]{4}_|^\s|\s$")
_ESCAPED_ESCAPE = re.compile("(_x[0-9a-fA-F]{4}_)")
_CONTROL = re.compile(r"([\x00-\x08\x0b-\x1f])")
_EDGE_SPACE = re.compile(r"^\s|\s$")
#: Day 0 of a spreadsheet's dates (1900 system), as an ordinal and as a date-time.
_EPOCH_ORDINAL = date(1899, 12, 31).toordinal()
_EPOCH = datetime(1899, 12, 31)


def inline_text(text: str) -> str:
    """A string cell's content as xlsxwriter writes it in constant-memory mode: control
    characters as ``_xHHHH_`` (text already looking so gets its underscore escaped), XML
    specials escaped, edge whitespace preserved. Any text, markup included, stays text."""
    if not _TEXT_SPECIAL.search(text):
        return f"<is><t>{text}</t></is>"
    text = _ESCAPED_ESCAPE.sub(r"_x005F\1", text)
    text = _CONTROL.sub(lambda found: f"_x{ord(found.group(1)):04X}_", text)
    text = text.replace("\ufffe", "_xFFFE_").replace("\uffff", "_xFFFF_")
    preserve = ' xml:space="preserve"' if _EDGE_SPACE.search(text) else ""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f"<is><t{preserve}>{text}</t></is>"


def serial(value: date) -> float:
    """A day or a naive date-time as a spreadsheet's serial number, exactly as xlsxwriter
    computes it (1900 system, its leap-year bug included)."""
    if not isinstance(value, datetime):
        days = float(value.toordinal() - _EPOCH_ORDINAL)
        return days + 1 if days > 59 else days
    delta = value - _EPOCH
    number = delta.days + (float(delta.seconds) + delta.microseconds / 1e6) / 86400
    if delta.days == 1:  # 1900-01-01: a time of the day before in xlsxwriter's arithmetic
        number -= 1
    return number + 1 if number > 59 else number


def column_letters(index: int) -> str:
    """``0`` -> ``A``, ``26`` -> ``AA``."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


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
    ledger, straight from the database) skip the records' text and its parsing.

    xlsxwriter makes the workbook (header, comments, styles, filter, totals), but the rows'
    XML is written here, the same XML its constant-memory mode writes, to a temporary file
    spliced into the sheet: its per-cell work was most of an export's time (issue #15). No
    library did better: pyexcelerate holds a whole sheet in memory; rustpy-xlsxwriter formats by
    column only (money here is formatted by its row's currency) and is young, one person's."""
    skeleton = io.BytesIO()
    workbook = xlsxwriter.Workbook(skeleton, {"constant_memory": True, "in_memory": False})
    worksheet = workbook.add_worksheet(sheet)
    header = workbook.add_format({"bold": True})
    formats = {
        _DAY: workbook.add_format({"num_format": "yyyy-mm-dd"}),
        _TIME: workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"}),
        _PERCENT: workbook.add_format({"num_format": "0.00%"}),
    }
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

    # Styles are numbered as xlsxwriter's worksheet numbers them, by calling _get_xf_index as a
    # cell first uses one: the header's first, then in the order the rows meet them, so every
    # part is the one xlsxwriter writes (a test holds it so; it may number a style first met in
    # the last row later, as it writes that row only when it packs the file).
    header._get_xf_index()

    def style(kind: int | str) -> tuple[int, int]:
        """A kind's style number (or a currency's money style and its divisor from minor to
        major units), numbered as first met."""
        if isinstance(kind, str):
            return money_format(kind)._get_xf_index(), 10 ** exponent(kind)
        return formats[kind]._get_xf_index(), 0

    money_columns = [c for c in columns if c in MONEY]
    with tempfile.TemporaryFile() as body:
        count, totals = _write_rows(rows, columns, kinds, style, body)
        worksheet.autofilter(0, 0, max(count, 1), len(columns) - 1)
        _write_totals(workbook, header, money_format, ["currency", "rows", *money_columns], totals)
        workbook.close()
        _assemble(skeleton, body, f"A1:{column_letters(len(columns) - 1)}{count + 1}", target)
    return count


def _write_rows(
    rows: Iterable[Sequence[Any]],
    columns: list[str],
    kinds: list[str],
    style: Callable[[int | str], tuple[int, int]],
    body: IO[bytes],
) -> tuple[int, dict[str, list[int]]]:
    """The rows' ``<row>`` elements into ``body``; returns the count and, per currency, the
    totals (rows, then each money column in minor units).

    One function, locals only: this loop is the export's hot path."""
    money_columns = [c for c in columns if c in MONEY]
    currency_at = columns.index("currency") if "currency" in columns else None
    # Per column: its index, its kind, its letter and, for money, its place among the totals.
    plan = [
        (
            index,
            _KIND_CODES[kind],
            column_letters(index),
            money_columns.index(column) + 1 if kind == "money" else 0,
        )
        for index, (column, kind) in enumerate(zip(columns, kinds, strict=True))
    ]
    day_style = time_style = percent_style = 0  # numbered as first met, see ``style``
    totals: dict[str, list[int]] = {}
    money_of: dict[str, tuple[int, int]] = {}
    days: dict[date, str] = {}  # a day's serial as text: a ledger has few days, many rows
    pending: list[str] = []
    add = pending.append
    count = 0
    for count, cells in enumerate(rows, start=1):
        line = str(count + 1)
        add(f'<row r="{line}">')
        currency = str(cells[currency_at] or "") if currency_at is not None else ""
        sums = totals.get(currency)
        for index, code, letter, place in plan:
            value = cells[index]
            if value is None or value == "":
                continue
            if code == _TEXT:
                add(f'<c r="{letter}{line}" t="inlineStr">{inline_text(str(value))}</c>')
                continue
            if code == _MONEY:
                if sums is None:
                    sums = totals[currency] = [0] * (len(money_columns) + 1)
                money = money_of.get(currency)
                if money is None:
                    money = money_of[currency] = style(currency)
                if value.__class__ is int:
                    sums[place] += value
                    # XLSX numbers are binary doubles; decimals of any currency fit them exactly
                    # as displayed (15 significant digits). Both divisions round correctly, so
                    # this is float(Decimal(the amount as text)).
                    number = value / money[1]
                else:
                    sums[place] += int(value.scaleb(exponent(currency)))
                    number = float(value)
                add(f'<c r="{letter}{line}" s="{money[0]}"><v>{number:.16G}</v></c>')
            elif code == _DAY:
                if not day_style:
                    day_style = style(_DAY)[0]
                text = days.get(value)
                if text is None:
                    if len(days) > 10_000:
                        days.clear()
                    text = days[value] = f"{serial(value):.16G}"
                add(f'<c r="{letter}{line}" s="{day_style}"><v>{text}</v></c>')
            elif code == _TIME:
                if not time_style:
                    time_style = style(_TIME)[0]
                add(f'<c r="{letter}{line}" s="{time_style}"><v>{serial(value):.16G}</v></c>')
            elif code == _WHOLE:
                add(f'<c r="{letter}{line}"><v>{int(value):.16G}</v></c>')
            else:
                if not percent_style:
                    percent_style = style(_PERCENT)[0]
                add(f'<c r="{letter}{line}" s="{percent_style}"><v>{value:.16G}</v></c>')
        add("</row>")
        if currency:
            if sums is None:
                sums = totals[currency] = [0] * (len(money_columns) + 1)
            sums[0] += 1
        if count % _ROWS_PER_WRITE == 0:
            body.write("".join(pending).encode())
            pending.clear()
    body.write("".join(pending).encode())
    return count, totals


def _write_totals(
    workbook: Any,
    header: Any,
    money_format: Callable[[str], Any],
    columns: list[str],
    totals: Mapping[str, list[int]],
) -> None:
    """The ``totals`` sheet: one row per currency, its row count and its money sums."""
    summary = workbook.add_worksheet("totals")
    for index, column in enumerate(columns):
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


def _assemble(skeleton: io.BytesIO, body: IO[bytes], extent: str, target: str | IO[bytes]) -> None:
    """Copy xlsxwriter's file ``skeleton`` into ``target``, its first sheet's rows ``body``
    spliced in after the header row and the sheet's extent (its ``dimension``) set to
    ``extent``. Streamed: ``body`` passes through in chunks."""
    size = body.tell()
    body.seek(0)
    with (
        zipfile.ZipFile(skeleton) as source,
        zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=_COMPRESS_LEVEL) as out,
    ):
        for info in source.infolist():
            data = source.read(info)
            if info.filename != _SHEET_PART or not size:
                out.writestr(info.filename, data)
                continue
            head, tail = data.split(b"</sheetData>")
            head = re.sub(
                rb'<dimension ref="[^"]*"/>', f'<dimension ref="{extent}"/>'.encode(), head
            )
            # By name, so the member takes the file's compression level.
            zip64 = len(head) + size + len(tail) > zipfile.ZIP64_LIMIT * 0.9
            with out.open(info.filename, "w", force_zip64=zip64) as member:
                member.write(head)
                shutil.copyfileobj(body, member, 1 << 20)
                member.write(b"</sheetData>" + tail)
