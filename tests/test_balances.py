"""Balances have one definition: every reader agrees with a naive classification of each entry.

Random ledgers are built the way the engine and payout runs leave them (entries pending, approved,
held or void; some approved ones settled into payouts that are pending, being sent, paid, failed
or cancelled), then the portal, ``influencer show``, the ledger export, the payout run's plan and
``payouts verify`` are read and held against sums worked out entry by entry.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date, timedelta

from builders import cli_for
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select
from sqlmodel import col

from codecut.db import transaction
from codecut.models import LedgerEntry, Payout, PayoutBatch, Settlement
from codecut.payouts.minimum import PayoutMinimum
from codecut.payouts.planning import plan
from codecut.payouts.verify import verify
from codecut.programme import influencers
from codecut.reads import exports
from codecut.reads import portal as portal_reads

TODAY = date(2026, 6, 1)
EMAILS = ("anna@example.com", "ben@example.com")

entry = st.tuples(
    st.sampled_from([0, 1]),  # whose
    st.sampled_from(["commission", "reversal", "adjustment"]),
    st.sampled_from(["pending", "approved", "approved", "held", "void"]),
    st.sampled_from(["USD", "JPY"]),
    st.integers(min_value=-50_000, max_value=50_000),
)
#: Per (influencer, currency) group of approved entries: settle them into a payout of this status,
#: or leave them payable (None).
payout_status = st.sampled_from([None, "pending", "processing", "paid", "failed", "cancelled"])


def _build(engine, rows, outcomes):  # type: ignore[no-untyped-def]
    with transaction(engine) as s:
        for table in (Settlement, LedgerEntry, Payout, PayoutBatch):
            s.execute(delete(table))
        ids = []
        for email in EMAILS:
            found = influencers.get_influencer_or_none(s, email)
            ids.append(
                found.id if found else influencers.add_influencer(s, email=email, name="X").id
            )
        made = []
        for who, kind, status, currency, amount in rows:
            row = LedgerEntry(
                influencer_id=ids[who],
                kind=kind,
                status=status,
                currency=currency,
                amount=amount,
                available_on=TODAY + timedelta(days=10 if status == "pending" else -10),
            )
            s.add(row)
            made.append(row)
        s.flush()
        batch = PayoutBatch(as_of=TODAY, status="completed")
        s.add(batch)
        s.flush()
        groups: dict[tuple[int, str], list[LedgerEntry]] = defaultdict(list)
        for row in made:
            if row.status == "approved":
                groups[(row.influencer_id, row.currency)].append(row)
        for (who_id, currency), members in sorted(groups.items()):
            outcome = outcomes[(who_id + len(currency)) % len(outcomes)] if outcomes else None
            if outcome is None:
                continue
            payout = Payout(
                batch_id=batch.id,
                influencer_id=who_id,
                currency=currency,
                amount=0 if outcome == "cancelled" else sum(m.amount for m in members),
                entry_count=0 if outcome == "cancelled" else len(members),
                method="manual",
                status=outcome,
                period_end=TODAY,
            )
            s.add(payout)
            s.flush()
            if outcome != "cancelled":
                for member in members:
                    s.add(Settlement(entry_id=member.id, payout_id=payout.id))
        return ids, batch.id


def _naive(
    rows_after: list[LedgerEntry], settled: dict[int, int], payouts: dict[int, str]
) -> dict[tuple[int, str], dict]:
    """Each entry's bucket worked out by hand from its stored status, settlement and payout."""
    expected: dict[tuple[int, str], dict] = defaultdict(lambda: defaultdict(int))
    for e in rows_after:
        if e.status == "void":
            continue
        figures = expected[(e.influencer_id, e.currency)]
        if e.status == "held":
            figures["held"] += e.amount
        elif e.id in settled:
            paid = payouts[settled[e.id]] == "paid"
            figures["paid" if paid else "in_payout"] += e.amount
        elif e.status == "pending":
            figures["pending"] += e.amount
        else:
            figures["payable"] += e.amount
        if e.kind == "reversal" and e.status != "held":
            figures["taken_back"] -= e.amount
    return expected


BUCKETS = ("pending", "payable", "held", "in_payout", "paid", "taken_back")


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=st.lists(entry, max_size=25), outcomes=st.lists(payout_status, max_size=4))
def test_every_reader_agrees_with_the_entries(app, engine, rows, outcomes) -> None:  # type: ignore[no-untyped-def]
    ids, batch_id = _build(engine, rows, outcomes)
    minimum = PayoutMinimum.parse("0")
    with transaction(engine, readonly=True) as s:
        after = list(s.scalars(select(LedgerEntry).order_by(col(LedgerEntry.id))))
        payout_status_of = {p.id: p.status for p in s.scalars(select(Payout))}
        settled = {row.entry_id: row.payout_id for row in s.scalars(select(Settlement))}
        expected = _naive(after, settled, payout_status_of)
        headlines = {
            (who, h.currency): h
            for who in ids
            for h in portal_reads.headline(s, who, minimum=minimum)
        }
        planned = plan(s, as_of=TODAY - timedelta(days=365), minimum=minimum)
        exported = list(exports.iter_ledger_rows(s))
        assert verify(s, batch_id).ok

    # The portal.
    for key, figures in expected.items():
        h = headlines.get(key)
        if h is None:
            assert not any(figures.values()), key
            continue
        assert (h.pending, h.payable, h.in_payout, h.paid, h.reversed) == (
            figures["pending"],
            figures["payable"],
            figures["in_payout"],
            figures["paid"],
            figures["taken_back"],
        )
        assert h.approved == figures["payable"] + figures["in_payout"]

    # `influencer show --json`, every bucket by name.
    run = cli_for(app)
    for who, email in zip(ids, EMAILS, strict=True):
        shown = json.loads(run("influencer", "show", email, "--json").stdout)["balances"]
        for balance in shown:
            figures = expected[(who, balance["currency"])]
            for bucket in BUCKETS:
                minor = int(balance[bucket].replace(".", ""))
                assert minor == figures[bucket], (email, bucket)

    # The payout run pays exactly the payable balances (a minimum of 0: every positive one).
    for payout in planned.payouts:
        who = ids[EMAILS.index(payout.influencer_email)]
        assert payout.amount == expected[(who, payout.currency)]["payable"] > 0

    # The export's statuses carry the same money.
    by_status: dict[tuple[str, str], int] = defaultdict(int)
    for row in exported:
        minor = int(row["amount"].replace(".", ""))
        by_status[(row["influencer_email"] + row["currency"], row["status"])] += minor
    for (who, currency), figures in expected.items():
        key = EMAILS[ids.index(who)] + currency
        assert by_status[(key, "pending")] == figures["pending"]
        assert by_status[(key, "approved")] == figures["payable"] + figures["in_payout"]
        assert by_status[(key, "paid")] == figures["paid"]
        assert by_status[(key, "held")] == figures["held"]
