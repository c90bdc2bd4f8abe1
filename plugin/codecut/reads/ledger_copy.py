"""The ledger CSV made by PostgreSQL itself: ``COPY (query) TO STDOUT``, streamed.

At a million rows, Python formatting each cell costs several times what the database spends
reading them. On PostgreSQL the export's query therefore formats every cell in SQL, exactly as
:func:`codecut.reads.exports.ledger_values` and the CSV writer would (money with its currency's
decimals, ISO 8601 times in UTC, rates, spreadsheet-safe text, empty cells for nothing), and
``COPY`` writes the CSV. ``tests/test_exports.py`` holds the two byte for byte against each other.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import Dialect
from sqlmodel import Session

from ..money import CURRENCY_EXPONENTS
from .balances import AnySelect

#: The characters a spreadsheet reads as the start of a formula (see ``exports.neutralise``).
_FORMULA_STARTS = "('=', '+', '-', '@', chr(9), chr(13))"


def _neutral(expression: str) -> str:
    """Text as the CSV writer leaves it: a leading apostrophe before a formula, empty for none."""
    value = f"NULLIF({expression}, '')"
    return f"CASE WHEN left({value}, 1) IN {_FORMULA_STARTS} THEN '''' || {value} ELSE {value} END"


def _money(amount: str, currency: str) -> str:
    """Minor units in major units with the currency's own decimals (``format_minor``)."""
    by_places: dict[int, list[str]] = {}
    for code, places in CURRENCY_EXPONENTS.items():
        by_places.setdefault(places, []).append(code)
    branches = []
    for places, codes in sorted(by_places.items()):
        if places == 0:
            text = f"{amount}::text"
        else:
            scale = 10**places
            text = (
                f"CASE WHEN {amount} < 0 THEN '-' ELSE '' END || (abs({amount}) / {scale})::text"
                f" || '.' || lpad((abs({amount}) % {scale})::text, {places}, '0')"
            )
        listed = ", ".join(f"'{code}'" for code in sorted(codes))
        branches.append(f"WHEN {currency} IN ({listed}) THEN {text}")
    return f"CASE WHEN {amount} IS NULL THEN NULL {' '.join(branches)} END"


def _iso_utc(moment: str) -> str:
    """``datetime.isoformat()`` of the moment in UTC: microseconds only when there are some."""
    utc = f"({moment} AT TIME ZONE 'UTC')"
    return (
        f"to_char({utc}, 'YYYY-MM-DD\"T\"HH24:MI:SS') || CASE WHEN to_char({utc}, 'US') = "
        f"'000000' THEN '' ELSE '.' || to_char({utc}, 'US') END || '+00:00'"
    )


def _rate(bps: str) -> str:
    """``format_rate``: 1000 -> 10%, 1250 -> 12.5%, 5 -> 0.05%."""
    return (
        f"CASE WHEN {bps} IS NULL THEN NULL WHEN {bps} % 100 = 0 THEN ({bps} / 100)::text || '%'"
        f" WHEN {bps} % 10 = 0 THEN ({bps} / 100)::text || '.' || (({bps} % 100) / 10)::text"
        f" || '%' ELSE ({bps} / 100)::text || '.' || lpad(({bps} % 100)::text, 2, '0') || '%' END"
    )


def formatted(query: AnySelect, dialect: Dialect) -> str:
    """``query`` (from ``exports.ledger_query``) wrapped so every column is its CSV text."""
    inner = query.compile(dialect=dialect, compile_kwargs={"literal_binds": True})
    names = [f"c{index}" for index in range(len(query.selected_columns))]
    (
        entry_id, created_at, email, name, domain, slug, code, external_id, order_number,
        kind, currency, base_amount, amount, available_on, memo, reason,
        order_total, order_currency, rate_bps, placed_at, refunded_at, status, payout_id,
    ) = names  # fmt: skip
    cells = [
        f"{entry_id}::text",
        _neutral(_iso_utc(created_at)),
        _neutral(email),
        _neutral(name),
        _neutral(domain),
        _neutral(slug),
        _neutral(code),
        _neutral(external_id),
        _neutral(order_number),
        _neutral(kind),
        _neutral(status),
        _neutral(currency),
        _money(base_amount, currency),
        _money(amount, currency),
        _neutral(f"to_char({available_on}, 'YYYY-MM-DD')"),
        f"{payout_id}::text",
        _neutral(memo),
        _neutral(reason),
        _money(order_total, order_currency),
        _neutral(_rate(rate_bps)),
        _neutral(_iso_utc(placed_at)),
        _neutral(_iso_utc(refunded_at)),
    ]
    aliased = ", ".join(names)
    return f"SELECT {', '.join(cells)} FROM ({inner}) AS ledger ({aliased})"


def copy_csv(session: Session, query: AnySelect, tally: Any = None) -> Iterator[bytes]:
    """The rows of ``query`` as CSV (no header), in the chunks PostgreSQL sends them; sets
    ``tally.rows`` when done."""
    connection: Any = session.connection().connection.dbapi_connection
    # No parameters are passed, so psycopg sends the statement as it is (its % signs included).
    statement = formatted(query, session.get_bind().dialect)
    with connection.cursor() as cursor:
        with cursor.copy(f"COPY ({statement}) TO STDOUT (FORMAT csv, NULL '')") as copy:
            for chunk in copy:
                yield bytes(chunk)
        if tally is not None:
            tally.rows = max(cursor.rowcount, 0)
