"""What an influencer's earnings page shows, as a few indexed queries scoped to one influencer.

Every function takes the signed-in influencer's id and filters on it first: no portal query
can reach another influencer's rows, whatever a URL says. The queries are index range scans
on ``(influencer_id, ...)``, so an influencer with 50,000 orders is answered in milliseconds:

* headline figures are :mod:`codecut.reads.balances`, the one definition every reader shares;
* the weekly chart reads the last 26 weeks from the covering ``(influencer_id, occurred_at,
  currency, status, amount)`` index;
* an orders page reads one page of the ``(influencer_id, placed_at)`` index and that page's
  entries by ``order_id``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlmodel import Session, col

from ..commissions import leaks, review
from ..commissions.approval import approved_through
from ..dates import DEFAULT_ZONE, stored_day
from ..models import Code, EntryKind, EntryStatus, LedgerEntry, Order, Payout, Store, id_of
from ..payouts.minimum import PayoutMinimum
from .balances import influencer_balances, is_settled, status_of, with_settlement
from .store_days import store_day

WEEKS = 26
ORDERS_PER_PAGE = 25
PAYOUTS_SHOWN = 24


# -- headline figures ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Headline:
    """One currency's money as the dashboard shows it, in minor units (see :mod:`.balances`)."""

    currency: str
    pending: int
    next_payable_on: date | None  # the earliest day a pending commission becomes payable
    payable: int  # approved, in no payout: what the next payout run can pay
    in_payout: int  # in a payout that is being sent
    paid: int
    reversed: int  # positive: what refunds and cancellations took back
    minimum: int  # the payout minimum in this currency

    @property
    def approved(self) -> int:
        """Approved money not yet paid: payable, or in a payout on its way."""
        return self.payable + self.in_payout

    @property
    def short_of_minimum(self) -> int:
        """How much more must be approved before a payout is made (0 when it is reached)."""
        return max(0, self.minimum - self.payable)


def headline(session: Session, influencer_id: int, *, minimum: PayoutMinimum) -> list[Headline]:
    """The influencer's balances per currency with the payout minimum beside each."""
    return [
        Headline(
            currency=b.currency,
            pending=b.pending,
            next_payable_on=b.next_payable_on,
            payable=b.payable,
            in_payout=b.in_payout,
            paid=b.paid,
            reversed=b.taken_back,
            minimum=minimum.minor(b.currency),
        )
        for b in influencer_balances(session, influencer_id)
    ]


# -- weekly earnings -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Week:
    starts_on: date  # a Monday
    amount: int  # net earnings booked that week (commissions less reversals), minor units


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def weekly_earnings(
    session: Session, influencer_id: int, *, today: date, weeks: int = WEEKS
) -> dict[str, list[Week]]:
    """Net earnings per week (Monday to Sunday, in each store's time zone) for the last ``weeks``
    weeks, per currency, by when each fact happened: the order's placing for a commission, the
    refund's own date for a reversal (not when Codecut recorded them).

    Grouped by the store's day in the database (at most ``7 x weeks`` rows per currency) and
    folded into weeks here. PostgreSQL converts each moment to the store's zone itself; SQLite
    knows no time zones, so each moment is shifted by its zone's offset, span by span between the
    zone's clock changes (:func:`codecut.dates.offset_spans`). Weeks without earnings are zero.
    """
    first = week_start(today) - timedelta(weeks=weeks - 1)
    since = datetime.combine(first - timedelta(days=1), time.min, tzinfo=UTC)  # zones east of UTC
    until = datetime.combine(today + timedelta(days=2), time.min, tzinfo=UTC)
    zone_of = func.coalesce(col(Store.timezone), DEFAULT_ZONE)
    # The stores of the influencer's codes are the stores of their entries (adjustments, which
    # belong to no store, count UTC days): a few rows, where the entries are thousands.
    zones = {DEFAULT_ZONE} | set(
        session.scalars(
            select(col(Store.timezone))
            .join(Code, col(Code.store_id) == col(Store.id))
            .where(col(Code.influencer_id) == influencer_id)
            .distinct()
        )
    )
    day = store_day(session, col(LedgerEntry.occurred_at), zone_of, sorted(zones), since, until)
    rows = session.execute(
        select(col(LedgerEntry.currency), day, func.sum(col(LedgerEntry.amount)))
        .outerjoin(Store, col(Store.id) == col(LedgerEntry.store_id))
        .where(
            col(LedgerEntry.influencer_id) == influencer_id,
            col(LedgerEntry.occurred_at) >= since,
            col(LedgerEntry.status) != EntryStatus.VOID,
        )
        .group_by(col(LedgerEntry.currency), day)
    ).all()
    sums: dict[str, dict[date, int]] = defaultdict(lambda: defaultdict(int))
    for currency, booked_on, amount in rows:
        booked_day = stored_day(booked_on)
        if booked_day is not None and booked_day >= first:
            sums[currency][week_start(booked_day)] += int(amount)
    starts = [first + timedelta(weeks=n) for n in range(weeks)]
    return {
        currency: [Week(start, by_week.get(start, 0)) for start in starts]
        for currency, by_week in sorted(sums.items())
    }


# -- orders --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrderLine:
    """One order as the influencer sees it: no customer data, only what earned them money."""

    placed_at: datetime
    order_number: str
    currency: str
    amount: int  # the goods value commission is computed on
    commission: int  # net: commission less reversals, minor units
    # test | own_order | none | pending | approved | paid | void | reversed | partly_reversed
    # | held (under review)
    status: str
    payable_on: date | None  # for pending commissions
    why: str | None  # refunded | cancelled | a void reason | a plain review reason


@dataclass(frozen=True)
class OrdersPage:
    lines: list[OrderLine]
    page: int
    pages: int
    total: int  # exact when counted; else the orders seen, which tells whether there are more

    @property
    def has_more(self) -> bool:
        return self.page < self.pages


def orders_page(
    session: Session,
    influencer_id: int,
    *,
    page: int = 1,
    per_page: int = ORDERS_PER_PAGE,
    count: bool = True,
) -> OrdersPage:
    """One page of the influencer's orders, newest first (LIMIT/OFFSET on the placed_at index).

    ``count=False`` skips counting every order (a walk over the whole index): the dashboard only
    needs to know whether there are more than it shows, so it reads one extra row instead.
    """
    if count:
        total = int(
            session.scalar(
                select(func.count())
                .select_from(Order)
                .where(col(Order.influencer_id) == influencer_id)
            )
            or 0
        )
        pages = max(1, -(-total // per_page))
        page = min(max(1, page), pages)
    orders = session.scalars(
        select(Order)
        .where(col(Order.influencer_id) == influencer_id)
        .order_by(col(Order.placed_at).desc(), col(Order.id).desc())
        .limit(per_page if count else per_page + 1)
        .offset((page - 1) * per_page)
    ).all()
    if not count:
        total = (page - 1) * per_page + len(orders)  # a lower bound: "more than per_page"
        pages = page + (len(orders) > per_page)
        orders = orders[:per_page]
    entries: dict[int, list[tuple[LedgerEntry, str]]] = defaultdict(list)
    if orders:
        through = approved_through(session)
        for entry, status in session.execute(
            with_settlement(select(LedgerEntry, status_of(through)))
            .where(col(LedgerEntry.order_id).in_([order.id for order in orders]))
            .order_by(col(LedgerEntry.id))
        ):
            # Filtered here rather than in SQL, so the planner keeps to the order_id index.
            if entry.influencer_id == influencer_id:
                entries[entry.order_id or 0].append((entry, status))
    lines = [_order_line(order, entries[id_of(order)]) for order in orders]
    return OrdersPage(lines=lines, page=page, pages=pages, total=total)


def _reversal_why(entry: LedgerEntry, order: Order) -> str:
    text = f"{entry.reason or ''} {entry.dedupe_key or ''}".lower()
    if "cancel" in text or (order.cancelled_at is not None and "refund" not in text):
        return "cancelled"
    return "refunded"


def _order_line(order: Order, entries: list[tuple[LedgerEntry, str]]) -> OrderLine:
    """``entries``: the order's entries with the status each shows (see :mod:`.balances`)."""
    live = [(entry, status) for entry, status in entries if status != EntryStatus.VOID]
    commissions = [pair for pair in live if pair[0].kind == EntryKind.COMMISSION]
    reversals = [entry for entry, _status in live if entry.kind == EntryKind.REVERSAL]
    earned = sum(entry.amount for entry, _status in commissions)
    net = sum(entry.amount for entry, _status in live)
    payable_on = None
    why = None
    if order.test:
        status = "test"
    elif order.self_referral:
        status = "own_order"
    elif any(status == EntryStatus.HELD for _entry, status in commissions):
        status = "held"
        why = leaks.plain_reason(commissions[-1][0].reason)
    elif reversals:
        status = "reversed" if net <= 0 or earned == 0 else "partly_reversed"
        why = _reversal_why(reversals[-1], order)
    elif commissions:
        last, status = commissions[-1]
        if status == EntryStatus.PENDING:
            payable_on = last.available_on
    elif entries:
        status = EntryStatus.VOID
        last_entry = entries[-1][0]
        # Voided after review: the influencer sees the memo the reviewer wrote.
        why = last_entry.memo if review.is_review_memo(last_entry.memo) else last_entry.reason
    else:
        status = "none"
    return OrderLine(
        placed_at=order.placed_at,
        order_number=order.order_number or order.external_id,
        currency=order.currency,
        amount=order.base_amount,
        commission=net,
        status=status,
        payable_on=payable_on,
        why=why,
    )


# -- payouts and codes ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PayoutLine:
    created_at: datetime
    paid_at: datetime | None
    currency: str
    amount: int
    status: str  # pending | processing | paid | failed | cancelled
    reference: str | None
    method: str


def payout_history(
    session: Session, influencer_id: int, *, limit: int = PAYOUTS_SHOWN
) -> list[PayoutLine]:
    payouts = session.scalars(
        select(Payout)
        .where(col(Payout.influencer_id) == influencer_id)
        .order_by(col(Payout.created_at).desc(), col(Payout.id).desc())
        .limit(limit)
    ).all()
    return [
        PayoutLine(
            created_at=payout.created_at,
            paid_at=payout.paid_at,
            currency=payout.currency,
            amount=payout.amount,
            status=payout.status,
            reference=payout.reference,
            method=payout.method,
        )
        for payout in payouts
    ]


@dataclass(frozen=True)
class CodeLine:
    code: str
    active: bool
    store_id: int
    store_domain: str
    store_platform: str
    store_url: str | None
    shared_with_other_stores: bool  # the same code string exists in another store


def influencer_codes(session: Session, influencer_id: int) -> list[CodeLine]:
    rows = session.execute(
        select(Code, Store)
        .join(Store, col(Store.id) == col(Code.store_id))
        .where(col(Code.influencer_id) == influencer_id)
        .order_by(col(Code.active).desc(), col(Code.created_at), col(Code.id))
    ).all()
    if not rows:
        return []
    names = {code.code for code, _ in rows}
    counts = dict(
        session.execute(
            select(col(Code.code), func.count())
            .where(col(Code.code).in_(names))
            .group_by(col(Code.code))
        ).all()
    )
    return [
        CodeLine(
            code=code.code,
            active=code.active,
            store_id=id_of(store),
            store_domain=store.domain,
            store_platform=store.platform,
            store_url=store.url,
            shared_with_other_stores=counts.get(code.code, 1) > 1,
        )
        for code, store in rows
    ]


# -- why a balance is negative -------------------------------------------------------------------


@dataclass(frozen=True)
class Clawback:
    """A refund that came after the commission was approved or paid: it is taken from the
    influencer's next payouts."""

    order_number: str
    currency: str
    amount: int  # negative
    refunded_at: datetime | None


def below_zero(headlines: Iterable[Headline]) -> list[str]:
    """The currencies whose payable balance is negative: the ones whose clawbacks the dashboard
    explains."""
    return [headline.currency for headline in headlines if headline.payable < 0]


def clawbacks(
    session: Session, influencer_id: int, currencies: Collection[str], *, limit: int = 10
) -> list[Clawback]:
    """The influencer's clawbacks in ``currencies`` not yet taken from a payout, newest first.

    Read only for currencies below zero (:func:`below_zero`): otherwise there is usually none,
    and finding that out walked the influencer's whole ledger on every view."""
    if not currencies:
        return []
    rows = session.execute(
        select(
            col(Order.order_number),
            col(Order.external_id),
            col(LedgerEntry.currency),
            col(LedgerEntry.amount),
            col(LedgerEntry.refunded_at),
        )
        .join(Order, col(Order.id) == col(LedgerEntry.order_id))
        .where(
            col(LedgerEntry.influencer_id) == influencer_id,
            col(LedgerEntry.currency).in_(currencies),
            col(LedgerEntry.kind) == EntryKind.REVERSAL,
            col(LedgerEntry.status) == EntryStatus.APPROVED,
            ~is_settled(),
        )
        .order_by(col(LedgerEntry.id).desc())
        .limit(limit)
    ).all()
    return [
        Clawback(number or external, currency, amount, refunded_at)
        for number, external, currency, amount, refunded_at in rows
    ]
