"""The leak score of a code: how much of its recent business the leak rules flagged.

``score`` (0-100) is the share of the code's commissions booked in the last :data:`WINDOW_DAYS`
(30) days (by order date) that any rule flagged, in percent, rounded half up; ``reasons`` counts
the flags per rule. A flag counts whatever a reviewer later decided: the score says how leaky the
code looks, not what was paid. It is for staff (``codecut review codes``); the portal never
shows it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, func, select, text
from sqlmodel import Session, col

from ...models import Code, EntryKind, Influencer, LedgerEntry, utcnow
from . import RULES

WINDOW_DAYS = 30


@dataclass(frozen=True)
class CodeScore:
    code: str
    influencer_email: str
    orders: int
    flagged: int
    score: int
    reasons: dict[str, int]

    def as_record(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "influencer_email": self.influencer_email,
            "orders": self.orders,
            "flagged": self.flagged,
            "score": self.score,
            "reasons": self.reasons,
        }


def code_scores(
    session: Session, *, now: datetime | None = None, flagged_only: bool = False
) -> list[CodeScore]:
    """Every code with commissions in the window, highest score first; with ``flagged_only``,
    only the codes a rule flagged at least once (found through the small partial index of
    commissions with a reason, then scored from their influencers' entries: fast beside a
    ledger of millions)."""
    since = (now or utcnow()) - timedelta(days=WINDOW_DAYS)
    reason = col(LedgerEntry.reason)
    commissions = [
        col(LedgerEntry.kind) == EntryKind.COMMISSION,
        col(LedgerEntry.occurred_at) >= since,
    ]
    if flagged_only:
        # Spelt as the index's own condition (constants, not parameters), so SQLite uses it.
        with_reason = text("kind = 'commission' AND reason IS NOT NULL")
        flagged_codes = session.execute(
            select(col(LedgerEntry.code_id), col(LedgerEntry.influencer_id))
            .where(with_reason, col(LedgerEntry.occurred_at) >= since)
            .where(reason.in_(_flag_reasons()))
            .distinct()
        ).all()
        if not flagged_codes:
            return []
        commissions += [
            col(LedgerEntry.influencer_id).in_({i for _c, i in flagged_codes}),
            col(LedgerEntry.code_id).in_({c for c, _i in flagged_codes}),
        ]
    flagged = func.sum(case((reason.in_(_flag_reasons()), 1), else_=0))
    per_rule = [func.sum(case((reason.contains(rule), 1), else_=0)) for rule in RULES]
    rows = session.execute(
        select(col(Code.code), col(Influencer.email), func.count(), flagged, *per_rule)
        .join(Code, col(Code.id) == col(LedgerEntry.code_id))
        .join(Influencer, col(Influencer.id) == col(LedgerEntry.influencer_id))
        .where(*commissions)
        .group_by(col(Code.code), col(Influencer.email))
    ).all()
    scores = []
    for code, email, orders, hits, *counts in rows:
        orders, hits = int(orders), int(hits or 0)
        scores.append(
            CodeScore(
                code=code,
                influencer_email=email,
                orders=orders,
                flagged=hits,
                score=(200 * hits + orders) // (2 * orders) if orders else 0,
                reasons={rule: int(n or 0) for rule, n in zip(RULES, counts, strict=True) if n},
            )
        )
    return sorted(scores, key=lambda s: (-s.score, s.code))


def _flag_reasons() -> list[str]:
    """Every ``reason`` a flagged commission can carry: the rules, alone or comma-joined in
    the order :func:`codecut.commissions.leaks.rules_for` reports them."""
    found = []
    for mask in range(1, 2 ** len(RULES)):
        found.append(",".join(rule for index, rule in enumerate(RULES) if mask >> index & 1))
    return found
