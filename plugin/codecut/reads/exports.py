"""Exports for finance: streamed, spreadsheet-safe, money as exact decimal strings."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import IO, Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlmodel import Session, col

from ..commissions.approval import approved_through
from ..dates import DEFAULT_ZONE, as_utc, check_period, day_end, day_start
from ..errors import InvalidInput
from ..models import Campaign, Code, Influencer, LedgerEntry, Order, Payout, Settlement, Store
from ..money import exponent, format_minor, format_rate
from .balances import AnySelect, balances, status_of, with_settlement
from .ledger_copy import copy_csv
from .records import PAYOUT_FIELDS, payout_record
from .xlsx import MONEY as MONEY_COLUMNS
from .xlsx import moment as xlsx_moment
from .xlsx import write_cells, write_xlsx

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
    "order_placed_at",
    "refunded_at",
]

#: What the ledger's less obvious columns mean: the README says the same, and each XLSX file
#: carries it as a comment on the column's header.
LEDGER_NOTES = {
    "created_at": "When Codecut recorded the entry (UTC).",
    "base_amount": (
        "Commission rows: the order's commissionable base (goods after discounts, without "
        "shipping, tax, duties or tips). Reversal rows: the refunded goods (or money, when the "
        "store sent no goods detail)."
    ),
    "amount": "The commission (positive) or what a refund or correction took back (negative).",
    "status": "pending | approved | held | paid | void, as of the export.",
    "available_on": "The day the hold ends and the entry becomes payable (the store's day).",
    "payout_id": "The payout that settles the entry, if any.",
    "rate": "The commission rate applied; empty for a flat amount per order.",
    "order_placed_at": "When the order was placed (UTC).",
    "refunded_at": "Reversal rows: when the refund or cancellation happened (UTC).",
}

#: What a ledger period filters on: when Codecut recorded the entry, or when its fact happened
#: (the order was placed, for commissions; refunded or cancelled, for reversals).
PERIOD_BASES = ("recorded", "order")

#: The payout export's columns: a payout's record fields (:data:`.records.PAYOUT_FIELDS`).
PAYOUT_COLUMNS = PAYOUT_FIELDS

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


def ledger_query(
    through: date | None,
    *,
    date_from: date | None = None,
    date_to: date | None = None,
    influencer_id: int | None = None,
    by: str = "recorded",
    zones: Sequence[str] = (DEFAULT_ZONE,),
) -> AnySelect:
    """Ledger entries with what finance needs beside them, oldest first; ``date_to`` inclusive,
    the period taken ``by`` when the entry was recorded or when its order fact happened, its
    days cut in each entry's store's time zone (``zones`` lists the stores' zones; an entry of
    no store, an adjustment, counts UTC days).

    Plain columns (six ORM objects per row would make a million-row export several times
    slower), each entry's status as of the approval ``through`` and the payout settling it.
    """
    if by not in PERIOD_BASES:
        raise InvalidInput(f"by must be one of {', '.join(PERIOD_BASES)}, not {by!r}")
    moment = col(LedgerEntry.occurred_at) if by == "order" else col(LedgerEntry.created_at)
    query = with_settlement(
        select(*_LEDGER_COLUMNS, status_of(through), col(Settlement.payout_id))
        .join(Influencer, col(Influencer.id) == col(LedgerEntry.influencer_id))
        .outerjoin(Store, col(Store.id) == col(LedgerEntry.store_id))
        .outerjoin(Campaign, col(Campaign.id) == col(LedgerEntry.campaign_id))
        .outerjoin(Code, col(Code.id) == col(LedgerEntry.code_id))
        .outerjoin(Order, col(Order.id) == col(LedgerEntry.order_id))
    ).order_by(col(LedgerEntry.id))
    if date_from or date_to:
        query = query.where(_in_period(moment, date_from, date_to, zones))
    if influencer_id is not None:
        query = query.where(col(LedgerEntry.influencer_id) == influencer_id)
    return query


def _in_period(
    moment: Any, first: date | None, last: date | None, zones: Sequence[str]
) -> ColumnElement[bool]:
    """``moment`` within the days ``first``..``last`` of its store's zone: one range per zone
    (a handful of stores, a handful of zones), each an index range scan."""
    zone_of = func.coalesce(col(Store.timezone), DEFAULT_ZONE)
    ranges = []
    for name in sorted({DEFAULT_ZONE, *zones}):
        bounds: list[ColumnElement[bool]] = [zone_of == name]
        if first:
            bounds.append(moment >= day_start(first, name))
        if last:
            bounds.append(moment < day_end(last, name))
        ranges.append(and_(*bounds))
    return or_(*ranges)


def store_zones(session: Session) -> list[str]:
    """The time zones the stores keep their days in."""
    return list(session.scalars(select(col(Store.timezone)).distinct()))


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
    col(Order.placed_at),
    col(LedgerEntry.refunded_at),
)


def iso_utc(moment: datetime) -> str:
    """ISO 8601 in UTC: the same text for a moment whatever the database hands back."""
    return as_utc(moment).astimezone(UTC).isoformat()


def ledger_values(values: Sequence[Any]) -> dict[str, Any]:
    """One export row from a row of :func:`ledger_query`."""
    (
        entry_id, created_at, email, name, domain, slug, code, external_id, order_number,
        kind, currency, base_amount, amount, available_on, memo, reason,
        order_total, order_currency, rate_bps, placed_at, refunded_at, status, payout_id,
    ) = values  # fmt: skip
    return {
        "entry_id": entry_id,
        "created_at": iso_utc(created_at),
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
        "order_placed_at": iso_utc(placed_at) if placed_at else "",
        "refunded_at": iso_utc(refunded_at) if refunded_at else "",
    }


def ledger_cells(
    exponents: dict[str, int],
) -> Callable[[Sequence[Any]], tuple[Any, ...]]:
    """A row of :func:`ledger_query` as the typed cells of :func:`.xlsx.write_cells`, in
    :data:`LEDGER_COLUMNS`' order: the cells the XLSX writer would make of :func:`ledger_values`'
    record, without writing the record's text and parsing it back. ``exponents`` is filled with
    each currency's decimals as they are met."""

    def places(currency: str) -> int:
        found = exponents.get(currency)
        if found is None:
            found = exponents[currency] = exponent(currency)
        return found

    def cells(values: Sequence[Any]) -> tuple[Any, ...]:
        (
            entry_id, created_at, email, name, domain, slug, code, external_id, order_number,
            kind, currency, base_amount, amount, available_on, memo, reason,
            order_total, order_currency, rate_bps, placed_at, refunded_at, status, payout_id,
        ) = values  # fmt: skip
        if order_currency and places(order_currency) != places(currency):
            # Money of another currency's decimals: its figure as text, as the record has it.
            total: Any = Decimal(format_minor(order_total, order_currency))
        else:
            total = order_total if order_currency else None
        return (
            entry_id,
            xlsx_moment(created_at),
            email,
            name,
            domain,
            slug,
            code,
            external_id,
            order_number,
            kind,
            status,
            currency,
            base_amount,
            amount,
            available_on,
            payout_id or None,
            memo,
            reason,
            total,
            rate_bps / 10000 if rate_bps is not None else None,
            xlsx_moment(placed_at) if placed_at else None,
            xlsx_moment(refunded_at) if refunded_at else None,
        )

    return cells


def ledger_xlsx(session: Session, which: LedgerFilter | None, target: IO[bytes]) -> int:
    """The ledger as XLSX: typed cells straight from the database's rows (the same file as the
    records would make, see :func:`ledger_cells`), streamed in batches."""
    query = (which or LedgerFilter()).query(session)
    cells = ledger_cells({})
    rows = (cells(row) for batch in _row_batches(session, query) for row in batch)
    return write_cells(rows, LEDGER_COLUMNS, target, "ledger", LEDGER_NOTES)


def _row_batches(session: Session, query: AnySelect) -> Iterator[Sequence[Sequence[Any]]]:
    """``query``'s rows as plain tuples, a batch at a time. On PostgreSQL straight from a
    server-side cursor in binary format, a third cheaper than result rows; the values are the
    same (the XLSX test holds the files part for part)."""
    if session.get_bind().dialect.name != "postgresql":
        result = session.connection().execute(query.execution_options(yield_per=_STREAM_BATCH))
        yield from result.partitions()
        return
    connection: Any = session.connection().connection.dbapi_connection
    statement = query.compile(
        dialect=session.get_bind().dialect, compile_kwargs={"literal_binds": True}
    )
    # No parameters are passed, so psycopg sends the statement as it is (its % signs included).
    with connection.cursor(name="codecut_ledger_rows", binary=True) as cursor:
        cursor.execute(str(statement))
        while batch := cursor.fetchmany(_STREAM_BATCH):
            yield batch


@dataclass(frozen=True)
class LedgerFilter:
    """Which entries a ledger export holds: a period (``to`` inclusive) taken ``by`` recording
    or order date, and optionally one influencer's."""

    date_from: date | None = None
    date_to: date | None = None
    influencer_id: int | None = None
    by: str = "recorded"

    def __post_init__(self) -> None:
        # Checked where every ledger export is described (CLI, finance API, admin API, console).
        check_period(self.date_from, self.date_to)
        if self.by not in PERIOD_BASES:
            raise InvalidInput(f"by={self.by!r} must be one of {', '.join(PERIOD_BASES)}")

    def query(self, session: Session) -> AnySelect:
        return ledger_query(
            approved_through(session),
            date_from=self.date_from,
            date_to=self.date_to,
            influencer_id=self.influencer_id,
            by=self.by,
            zones=store_zones(session),
        )


def iter_ledger_rows(
    session: Session, which: LedgerFilter | None = None
) -> Iterator[dict[str, Any]]:
    """Export rows of the ledger, one batch at a time (a server-side cursor on PostgreSQL):
    memory stays flat."""
    query = (which or LedgerFilter()).query(session)
    result = session.execute(query.execution_options(yield_per=_STREAM_BATCH))
    for row in result:
        yield ledger_values(row)


def csv_cells(row: dict[str, Any], columns: list[str]) -> list[Any]:
    return [row[c] if c in MONEY_COLUMNS else neutralise(row[c]) for c in columns]


@dataclass
class Tally:
    """How many rows a streamed export wrote, known once it is done."""

    rows: int = 0


def csv_chunks(
    rows: Iterable[dict[str, Any]],
    columns: list[str],
    *,
    header: bool = True,
    tally: Tally | None = None,
    chunk_rows: int = 1000,
) -> Iterator[bytes]:
    r"""Rows as UTF-8 CSV chunks with spreadsheet-safe text cells, for a file or a response.

    Lines end in ``\n``, as PostgreSQL's ``COPY`` writes them, and a cell holding ``\r`` or
    ``\n`` is quoted, as ``COPY`` quotes it, so both ledger paths give the same bytes. (Python's
    writer quotes only the characters of its line ending: rows are written ending in ``\r\n``
    and that ending is then cut to ``\n``.)
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def write(cells: list[Any]) -> None:
        writer.writerow(cells)
        buffer.seek(buffer.tell() - 2)
        buffer.write("\n")
        buffer.truncate()

    if header:
        write(columns)
    count = 0
    for count, row in enumerate(rows, start=1):
        write(csv_cells(row, columns))
        if count % chunk_rows == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")
    if tally is not None:
        tally.rows = count


def ledger_csv(
    session: Session, which: LedgerFilter | None = None, *, tally: Tally | None = None
) -> Iterator[bytes]:
    """The ledger export as CSV chunks: written by PostgreSQL itself (``COPY``) on PostgreSQL,
    by the Python writer on SQLite; the same bytes either way."""
    which = which or LedgerFilter()
    if session.get_bind().dialect.name != "postgresql":
        yield from csv_chunks(iter_ledger_rows(session, which), LEDGER_COLUMNS, tally=tally)
        return
    yield from csv_chunks([], LEDGER_COLUMNS)
    yield from copy_csv(session, which.query(session), tally)


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


# -- one export, any format ----------------------------------------------------------------------


@dataclass(frozen=True)
class Export:
    """One export (the ledger of a period, the payouts of a batch) in either format."""

    name: str
    columns: list[str]
    rows: Callable[[Session], Iterator[dict[str, Any]]]
    csv: Callable[[Session, Tally], Iterator[bytes]]
    notes: Mapping[str, str] = field(default_factory=dict)
    #: Writes the XLSX from typed cells instead of :attr:`rows` (the same file, faster).
    xlsx: Callable[[Session, IO[bytes]], int] | None = None

    def write(self, session: Session, fmt: str, target: IO[bytes]) -> int:
        """Write the export to a binary file; returns the number of rows."""
        if fmt == "xlsx":
            if self.xlsx is not None:
                return self.xlsx(session, target)
            return write_xlsx(self.rows(session), self.columns, target, self.name, self.notes)
        tally = Tally()
        for chunk in self.csv(session, tally):
            target.write(chunk)
        return tally.rows


def ledger_export(which: LedgerFilter | None = None) -> Export:
    return Export(
        name="ledger",
        columns=LEDGER_COLUMNS,
        rows=lambda session: iter_ledger_rows(session, which),
        csv=lambda session, tally: ledger_csv(session, which, tally=tally),
        notes=LEDGER_NOTES,
        xlsx=lambda session, target: ledger_xlsx(session, which, target),
    )


def payouts_export(*, batch_id: int | None = None) -> Export:
    query = payouts_query(batch_id=batch_id)

    def rows(session: Session) -> Iterator[dict[str, Any]]:
        return iter_payout_rows(session, query)

    return Export(
        name="payouts",
        columns=PAYOUT_COLUMNS,
        rows=rows,
        csv=lambda session, tally: csv_chunks(rows(session), PAYOUT_COLUMNS, tally=tally),
    )


#: The balances export's columns, in this order. More may be appended.
BALANCE_COLUMNS = [
    "influencer_email",
    "influencer_name",
    "currency",
    "pending",
    "payable",
    "held",
    "in_payout",
    "paid",
    "taken_back",
]


def balances_export(*, on: date | None = None) -> Export:
    """Every influencer's balances per currency (:mod:`.balances`), now or at the end of ``on``."""

    def rows(session: Session) -> Iterator[dict[str, Any]]:
        people = {
            influencer_id: (email, name)
            for influencer_id, email, name in session.execute(
                select(col(Influencer.id), col(Influencer.email), col(Influencer.name))
            )
        }
        for balance in balances(session, on=on):
            email, name = people[balance.influencer_id]
            yield {"influencer_email": email, "influencer_name": name, **balance.as_record()}

    return Export(
        name="balances",
        columns=BALANCE_COLUMNS,
        rows=rows,
        csv=lambda session, tally: csv_chunks(rows(session), BALANCE_COLUMNS, tally=tally),
    )
