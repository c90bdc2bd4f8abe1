"""The XLSX writer's own sheet XML against xlsxwriter's: the rows are written by hand for speed
(issue #15), so each part of the file must be the one xlsxwriter itself makes of the same cells."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import openpyxl
import xlsxwriter
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from codecut.money import exponent
from codecut.reads import xlsx

COLUMNS = [
    "entry_id",
    "created_at",
    "influencer_name",
    "currency",
    "amount",
    "order_total",
    "available_on",
    "rate",
    "memo",
]


def _by_xlsxwriter(rows: list[tuple[Any, ...]]) -> bytes:
    """The same sheets through xlsxwriter's own cell writing (the writer before issue #15)."""
    target = io.BytesIO()
    book = xlsxwriter.Workbook(target, {"constant_memory": True, "strings_to_numbers": False})
    sheet = book.add_worksheet("ledger")
    header = book.add_format({"bold": True})
    day = book.add_format({"num_format": "yyyy-mm-dd"})
    time = book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    percent = book.add_format({"num_format": "0.00%"})
    money: dict[int, Any] = {}

    def money_format(currency: str) -> Any:
        places = exponent(currency)
        if places not in money:
            pattern = "#,##0" + ("." + "0" * places if places else "")
            money[places] = book.add_format({"num_format": pattern})
        return money[places]

    kinds = [xlsx.kind_of(column) for column in COLUMNS]
    for index, (column, kind) in enumerate(zip(COLUMNS, kinds, strict=True)):
        width = xlsx._WIDTHS.get(kind) or xlsx._NARROW_TEXT.get(column) or 18
        sheet.set_column(index, index, xlsx._WIDE_TEXT.get(column, width))
        sheet.write_string(0, index, column, header)
    sheet.freeze_panes(1, 0)
    totals: dict[str, list[int]] = {}
    for line, cells in enumerate(rows, start=1):
        currency = cells[3]
        sums = totals.setdefault(currency, [0, 0, 0])
        sums[0] += 1
        for index, (value, kind) in enumerate(zip(cells, kinds, strict=True)):
            if value is None or value == "":
                continue
            if kind == "money":
                place = 1 if COLUMNS[index] == "amount" else 2
                if isinstance(value, int):
                    sums[place] += value
                    number = value / 10 ** exponent(currency)
                else:
                    sums[place] += int(value.scaleb(exponent(currency)))
                    number = float(value)
                sheet.write_number(line, index, number, money_format(currency))
            elif kind == "whole":
                sheet.write_number(line, index, value)
            elif kind in ("day", "time"):
                sheet.write_datetime(line, index, value, day if kind == "day" else time)
            elif kind == "percent":
                sheet.write_number(line, index, value, percent)
            else:
                sheet.write_string(line, index, value)
    sheet.autofilter(0, 0, max(len(rows), 1), len(COLUMNS) - 1)
    summary = book.add_worksheet("totals")
    for index, column in enumerate(["currency", "rows", "amount", "order_total"]):
        summary.set_column(index, index, 14)
        summary.write_string(0, index, column, header)
    summary.freeze_panes(1, 0)
    for line, (currency, sums) in enumerate(sorted(totals.items()), start=1):
        summary.write_string(line, 0, currency)
        summary.write_number(line, 1, sums[0])
        for index, minor in enumerate(sums[1:], start=2):
            major = float(Decimal(minor).scaleb(-exponent(currency)))
            summary.write_number(line, index, major, money_format(currency))
    book.close()
    return target.getvalue()


def _parts(data: bytes) -> dict[str, bytes]:
    """An XLSX's parts but its creation time, each cell's style number replaced by what the
    style is (xlsxwriter numbers styles as rows are flushed, and flushes a sheet's last row only
    when the file is packed: after the totals sheet's, so a style first met in the last row
    gets a later number there; which number a style has is no part of what the file says)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        parts = {n: archive.read(n) for n in archive.namelist() if n != "docProps/core.xml"}
    styles = parts.pop("xl/styles.xml").decode()
    codes = dict(re.findall(r'<numFmt numFmtId="(\d+)" formatCode="([^"]*)"/>', styles))
    xfs = re.search(r"<cellXfs[^>]*>(.*?)</cellXfs>", styles)
    assert xfs is not None
    meaning = [
        (codes.get(number, number), font)
        for number, font in re.findall(r'<xf numFmtId="(\d+)" fontId="(\d+)"', xfs.group(1))
    ]
    parts["styles"] = repr(sorted(meaning)).encode()
    for name in [n for n in parts if n.startswith("xl/worksheets/sheet")]:
        parts[name] = re.sub(
            rb' s="(\d+)"', lambda m: b' s="%r"' % (meaning[int(m.group(1))],), parts[name]
        )
    return parts


hostile = st.text(
    alphabet=st.sampled_from(
        [*"=+-@\t\r\n &<>\"'_x0A5F;aZé€", "\x00", "\x1f", "\x0b", "\ufffe", "\uffff", "😀"]
    ),
    max_size=14,
)
#: Around 1900-02-29, the day that only exists in spreadsheets, and 1900-01-01.
edges = [datetime(1900, 1, 1, 6), datetime(1900, 2, 28, 23, 59), datetime(1900, 3, 1)]
moments = st.one_of(
    st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(9999, 12, 31)),
    st.sampled_from(edges),
)
days = st.one_of(st.dates(min_value=date(1900, 1, 1)), st.sampled_from([e.date() for e in edges]))
money = st.one_of(st.integers(-(10**13), 10**13), st.none())
row = st.tuples(
    st.integers(0, 10**18),
    moments,
    hostile,
    st.sampled_from(["USD", "JPY", "KWD", "CLF"]),
    money,
    st.one_of(money, st.decimals(-(10**6), 10**6, places=5).map(lambda d: d or None)),
    st.one_of(days, st.none()),
    st.one_of(st.sampled_from([0.0, 0.1, 0.125, 1 / 3, 1.0]), st.none()),
    st.one_of(hostile, st.none()),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(row, max_size=12))
def test_every_part_is_xlsxwriters_own(rows: list[tuple[Any, ...]]) -> None:
    """Every cell type, hostile text (control characters, text that looks like their escape,
    XML's specials, edge whitespace), days around the 1900 leap-year bug, finer decimals."""
    # xlsxwriter writes text shaped "<r>...</r>" unescaped, as rich text; ours stays text.
    assume(
        not any(
            t and t.startswith("<r>") and t.endswith("</r>") for r in rows for t in (r[2], r[8])
        )
    )
    ours = io.BytesIO()
    assert xlsx.write_cells(iter(rows), COLUMNS, ours, "ledger") == len(rows)
    assert _parts(ours.getvalue()) == _parts(_by_xlsxwriter(rows))


def test_markup_stays_text(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Text shaped like xlsxwriter's rich text is still one plain string cell."""
    path = tmp_path / "t.xlsx"
    cells = [(1, datetime(2026, 1, 1), "<r><t>x</t></r>", "USD", 1, None, None, None, " a ")]
    xlsx.write_cells(iter(cells), COLUMNS, str(path), "ledger")
    sheet = openpyxl.load_workbook(path)["ledger"]
    assert sheet["C2"].value == "<r><t>x</t></r>" and sheet["I2"].value == " a "
