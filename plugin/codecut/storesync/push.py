"""``codecut code push``: a campaign's codes created in its store, resumably.

Each code's standing is a :class:`~codecut.models.CodePush` row, committed as soon as the store
has answered for it, so a second run pushes only what is missing and a killed run resumes:

* Shopify: one discount per campaign (``discountCodeBasicCreate``, made with the first code; its
  id is kept on the campaign), the other codes added 250 at a time (``discountRedeemCodeBulkAdd``),
  an asynchronous job whose id is committed before it is polled, so a killed run polls it again
  instead of adding twice; each code is then ``pushed`` or ``failed`` with the store's reason (a
  code the shop already holds is named, never skipped in silence).
* WooCommerce: coupons 100 at a time (``coupons/batch``); a code refused as already existing is
  looked up, and counted as pushed when the coupon is the one Codecut made (a killed run's).
* Codes that are no longer live here (deactivated, or their influencer paused or terminated) are
  removed from the store (Shopify) or set to draft (WooCommerce): ``deactivated``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, func, select
from sqlmodel import Session, col

from ..db import transaction
from ..errors import InvalidInput
from ..models import (
    Campaign,
    Code,
    CodePush,
    CodePushState,
    Influencer,
    InfluencerStatus,
    Platform,
    Store,
    utcnow,
)
from ..programme.campaigns import get_campaign
from .http import StoreError
from .shopify_admin import BULK_LIMIT, CodeOutcome, ShopifyAdmin
from .terms import DiscountTerms, terms_of
from .woocommerce_rest import BATCH_LIMIT, WooCommerceRest

#: How long a Shopify bulk job may take before the run gives up on it (it resumes next time).
JOB_PATIENCE_SECONDS = 600


@dataclass
class PushReport:
    store: str
    platform: str
    campaign: str
    dry_run: bool
    pushed: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    deactivated: list[str] = field(default_factory=list)
    already: int = 0
    to_push: int = 0
    to_deactivate: int = 0
    calls: int = 0
    waited: float = 0.0
    seconds: float = 0.0

    def as_record(self) -> dict[str, Any]:
        return {
            "store": self.store,
            "platform": self.platform,
            "campaign": self.campaign,
            "dry_run": self.dry_run,
            "pushed": len(self.pushed),
            "failed": [{"code": code, "reason": reason} for code, reason in self.failed],
            "deactivated": self.deactivated,
            "already_in_store": self.already,
            "to_push": self.to_push,
            "to_deactivate": self.to_deactivate,
            "calls": self.calls,
            "seconds": round(self.seconds, 3),
            "seconds_waiting_on_store": round(self.waited, 3),
        }


@dataclass(frozen=True)
class _Plan:
    store: Store
    campaign: Campaign
    terms: DiscountTerms
    to_push: list[tuple[int, str]]  # (code id, code)
    submitted: dict[str, list[tuple[int, str]]]  # job id -> codes
    to_remove: list[tuple[int, str, str]]  # (code id, code, external id)
    already: int


def _plan(session: Session, campaign_slug: str) -> _Plan:
    campaign = get_campaign(session, campaign_slug)
    store = session.get(Store, campaign.store_id)
    assert store is not None
    if store.platform not in (Platform.SHOPIFY, Platform.WOOCOMMERCE):
        raise InvalidInput(f"{store.platform} stores have no Admin API to push codes to")
    terms = terms_of(campaign, store.currency)
    rows = session.execute(
        select(col(Code.id), col(Code.code), col(Code.active), col(Influencer.status), CodePush)
        .join(Influencer, col(Influencer.id) == col(Code.influencer_id))
        .outerjoin(CodePush, col(CodePush.code_id) == col(Code.id))
        .where(col(Code.campaign_id) == campaign.id)
        .order_by(col(Code.id))
    ).all()
    to_push: list[tuple[int, str]] = []
    to_remove: list[tuple[int, str, str]] = []
    submitted: dict[str, list[tuple[int, str]]] = {}
    already = 0
    for code_id, code, active, status, push in rows:
        live = active and status == InfluencerStatus.ACTIVE
        state = push.state if push else None
        if state == CodePushState.SUBMITTED and push.job_id:
            submitted.setdefault(push.job_id, []).append((code_id, code))
        elif live and state in (None, CodePushState.FAILED, CodePushState.DEACTIVATED):
            to_push.append((code_id, code))
        elif live and state == CodePushState.PUSHED:
            already += 1
        elif not live and state == CodePushState.PUSHED and push.external_id:
            to_remove.append((code_id, code, push.external_id))
    return _Plan(store, campaign, terms, to_push, submitted, to_remove, already)


def push_codes(
    engine: Engine,
    campaign_slug: str,
    api_for: Callable[[Store], ShopifyAdmin | WooCommerceRest],
    *,
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
    poll_interval: float = 0.5,
) -> PushReport:
    """Push what is missing and withdraw what is no longer live; returns what happened."""
    started = time.perf_counter()
    with transaction(engine, readonly=True) as session:
        plan = _plan(session, campaign_slug)
    report = PushReport(
        plan.store.domain,
        plan.store.platform,
        plan.campaign.slug,
        dry_run,
        already=plan.already,
        to_push=len(plan.to_push) + sum(len(c) for c in plan.submitted.values()),
        to_deactivate=len(plan.to_remove),
    )
    if dry_run or not (plan.to_push or plan.submitted or plan.to_remove):
        return report
    api = api_for(plan.store)
    tick = progress or (lambda _n: None)
    try:
        if isinstance(api, ShopifyAdmin):
            _push_shopify(engine, api, plan, report, tick, poll_interval)
        else:
            _push_woocommerce(engine, api, plan, report, tick)
    finally:
        report.calls = api.http.calls
        report.waited = api.http.waited
        report.seconds = time.perf_counter() - started
    return report


def _record(
    engine: Engine,
    outcomes: list[CodeOutcome],
    ids: dict[str, int],
    report: PushReport,
) -> None:
    """Write what the store said of each code, in one transaction."""
    now = utcnow()
    with transaction(engine) as session:
        for outcome in outcomes:
            code_id = ids.get(outcome.code.upper()) or ids.get(outcome.code)
            if code_id is None:
                continue
            state = CodePushState.FAILED if outcome.error else CodePushState.PUSHED
            _upsert(session, code_id, state, None, outcome.external_id, outcome.error, now)
            if outcome.error:
                report.failed.append((outcome.code, outcome.error))
            else:
                report.pushed.append(outcome.code)


def _upsert(
    session: Session,
    code_id: int,
    state: str,
    job_id: str | None,
    external_id: str | None,
    reason: str | None,
    now: Any,
) -> None:
    row = session.get(CodePush, code_id)
    if row is None:
        row = CodePush(code_id=code_id, state=state)
    row.state, row.job_id, row.reason, row.updated_at = state, job_id, reason, now
    row.external_id = external_id or row.external_id  # the store's id, once known, is kept
    session.add(row)


def _push_shopify(
    engine: Engine,
    api: ShopifyAdmin,
    plan: _Plan,
    report: PushReport,
    tick: Callable[[int], None],
    poll_interval: float,
) -> None:
    ids = {code: code_id for code_id, code in plan.to_push}
    for job_id, codes in plan.submitted.items():  # a killed run's jobs: read them, never re-add
        ids.update({code: code_id for code_id, code in codes})
        _record(engine, _wait_for(api, job_id, poll_interval), ids, report)
        tick(len(codes))
    pending = list(plan.to_push)
    discount_id = plan.campaign.shop_discount_id
    if pending and not discount_id:
        first_id, first = pending.pop(0)
        discount_id, outcome = api.create_discount(plan.terms, first)
        with transaction(engine) as session:
            campaign = session.get(Campaign, plan.campaign.id)
            assert campaign is not None
            campaign.shop_discount_id = discount_id
        _record(engine, [outcome], {first: first_id}, report)
        tick(1)
    for start in range(0, len(pending), BULK_LIMIT):
        chunk = pending[start : start + BULK_LIMIT]
        assert discount_id is not None
        job_id = api.bulk_add(discount_id, [code for _, code in chunk])
        now = utcnow()
        with transaction(engine) as session:  # before polling: a killed run finds the job
            for code_id, _code in chunk:
                _upsert(session, code_id, CodePushState.SUBMITTED, job_id, None, None, now)
        _record(engine, _wait_for(api, job_id, poll_interval), ids, report)
        tick(len(chunk))
    if plan.to_remove and discount_id:
        api.remove_codes(discount_id, [external for _, _, external in plan.to_remove])
        _mark_deactivated(engine, plan, report)


def _wait_for(api: ShopifyAdmin, job_id: str, interval: float) -> list[CodeOutcome]:
    waited = 0.0
    while True:
        outcomes = api.bulk_results(job_id)
        if outcomes is not None:
            return outcomes
        if waited > JOB_PATIENCE_SECONDS:
            raise StoreError(
                f"Shopify's bulk job {job_id} is still running; run `codecut code push` again "
                "later to read its outcome"
            )
        api.http.wait(interval, "bulk job running")
        waited += interval
        interval = min(interval * 1.5, 5.0)


def _push_woocommerce(
    engine: Engine,
    api: WooCommerceRest,
    plan: _Plan,
    report: PushReport,
    tick: Callable[[int], None],
) -> None:
    ids = {code: code_id for code_id, code in plan.to_push}
    for start in range(0, len(plan.to_push), BATCH_LIMIT):
        chunk = plan.to_push[start : start + BATCH_LIMIT]
        outcomes = api.create_coupons(
            plan.terms, [code for _, code in chunk], [code_id for code_id, _ in chunk]
        )
        outcomes = [_ours_already(api, outcome, ids) for outcome in outcomes]
        _record(engine, outcomes, ids, report)
        tick(len(chunk))
    if plan.to_remove:
        api.disable_coupons([external for _, _, external in plan.to_remove])
        _mark_deactivated(engine, plan, report)


def _ours_already(api: WooCommerceRest, outcome: CodeOutcome, ids: dict[str, int]) -> CodeOutcome:
    """A coupon refused as existing that Codecut itself made (a killed run's) is pushed."""
    if not outcome.error or "already_exists" not in outcome.error:
        return outcome
    found = api.find_coupon(outcome.code)
    if found is not None and found[1] == str(ids.get(outcome.code)):
        return CodeOutcome(outcome.code, found[0], None)
    return outcome


def _mark_deactivated(engine: Engine, plan: _Plan, report: PushReport) -> None:
    now = utcnow()
    with transaction(engine) as session:
        for code_id, code, external_id in plan.to_remove:
            _upsert(session, code_id, CodePushState.DEACTIVATED, None, external_id, None, now)
            report.deactivated.append(code)


def standing(session: Session, campaign_slug: str) -> dict[str, int]:
    """How many of a campaign's codes stand where in its store: ``pushed``, ``failed``,
    ``submitted``, ``deactivated`` and ``not_pushed`` (never sent), with ``codes`` in all; a
    push in progress moves codes from ``not_pushed`` on, commit by commit."""
    campaign = get_campaign(session, campaign_slug)
    counts = {state.value: 0 for state in CodePushState}
    total = 0
    for state, count in session.execute(
        select(col(CodePush.state), func.count())
        .select_from(Code)
        .outerjoin(CodePush, col(CodePush.code_id) == col(Code.id))
        .where(col(Code.campaign_id) == campaign.id)
        .group_by(col(CodePush.state))
    ):
        total += int(count)
        if state is not None:
            counts[state] = int(count)
    return {**counts, "not_pushed": total - sum(counts.values()), "codes": total}
