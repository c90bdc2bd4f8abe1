"""WooCommerce's REST API v3, for the calls Codecut makes.

``{api_base}/wp-json/wc/v3/...`` with HTTP Basic (consumer key and secret). Coupons are created
with ``POST coupons/batch`` (at most 100 a call; a refused item comes back with its ``error``
while the batch answers 200); orders are pulled with ``GET orders?modified_after=...`` page by
page (``X-WP-TotalPages``), each with its refunds (``GET orders/<id>/refunds``), whose line
detail the webhook payload lacks.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from .http import HttpClient, StoreError
from .shopify_admin import CodeOutcome
from .terms import DiscountTerms

BATCH_LIMIT = 100
ORDERS_PAGE = 100


class WooCommerceRest:
    platform = "woocommerce"

    def __init__(
        self, domain: str, key: str, secret: str, api_base: str | None, http: HttpClient
    ) -> None:
        self.domain = domain
        self.base = f"{(api_base or f'https://{domain}').rstrip('/')}/wp-json/wc/v3"
        token = base64.b64encode(f"{key}:{secret}".encode()).decode()
        self.auth = {"Authorization": f"Basic {token}"}
        self.http = http

    def _call(self, method: str, path: str, *, payload: Any = None, what: str) -> Any:
        return self.http.request(
            method, f"{self.base}/{path}", headers=self.auth, payload=payload, what=what
        )

    def check(self) -> list[str]:
        """One cheap call; the keys' missing rights are named by the store's refusal."""
        self._call("GET", "coupons?per_page=1", what="checking the keys")
        return []

    def create_coupons(
        self, terms: DiscountTerms, codes: list[str], ids: list[int]
    ) -> list[CodeOutcome]:
        """Create up to 100 coupons; one outcome per code, in order."""
        if len(codes) > BATCH_LIMIT:
            raise ValueError(f"at most {BATCH_LIMIT} coupons per batch")
        create = [_coupon(terms, code, code_id) for code, code_id in zip(codes, ids, strict=True)]
        body = self._call(
            "POST", "coupons/batch", payload={"create": create}, what="creating coupons"
        ).body
        created = (body or {}).get("create") if isinstance(body, dict) else None
        if not isinstance(created, list) or len(created) != len(codes):
            raise StoreError("creating coupons: WooCommerce answered an unexpected batch")
        outcomes = []
        for code, item in zip(codes, created, strict=True):
            error = item.get("error") if isinstance(item, dict) else None
            if error or not isinstance(item, dict) or not item.get("id"):
                reason = (
                    f"{error.get('code')}: {error.get('message')}"
                    if isinstance(error, dict)
                    else "refused"
                )
                outcomes.append(CodeOutcome(code, None, reason))
            else:
                outcomes.append(CodeOutcome(code, str(item["id"]), None))
        return outcomes

    def find_coupon(self, code: str) -> tuple[str, str | None] | None:
        """(coupon id, the Codecut code id in its metadata) of the coupon with ``code``, if any."""
        found = self._call(
            "GET", f"coupons?{urlencode({'code': code.lower()})}", what="looking a coupon up"
        ).body
        for coupon in found or []:
            if isinstance(coupon, dict) and str(coupon.get("code", "")).lower() == code.lower():
                meta = {
                    m.get("key"): m.get("value")
                    for m in coupon.get("meta_data") or []
                    if isinstance(m, dict)
                }
                mine = meta.get("_codecut_code_id")
                return str(coupon.get("id")), str(mine) if mine is not None else None
        return None

    def disable_coupons(self, external_ids: list[str]) -> None:
        """A coupon that is not published cannot be used at checkout: set them to draft."""
        for start in range(0, len(external_ids), BATCH_LIMIT):
            chunk = external_ids[start : start + BATCH_LIMIT]
            body = self._call(
                "POST",
                "coupons/batch",
                payload={"update": [{"id": int(i), "status": "draft"} for i in chunk]},
                what="disabling coupons",
            ).body
            for item in (body or {}).get("update") or []:
                if isinstance(item, dict) and item.get("error"):
                    error = item["error"]
                    raise StoreError(
                        f"disabling coupons: {error.get('code')}: {error.get('message')}"
                    )

    def orders_since(self, since: datetime) -> Iterator[list[dict[str, Any]]]:
        """Pages of orders modified at or after ``since`` (by id), each with its refunds' detail."""
        page, pages = 1, 1
        while page <= pages:
            query = urlencode(
                {
                    "modified_after": since.strftime("%Y-%m-%dT%H:%M:%S"),
                    "dates_are_gmt": "true",
                    "status": "any",
                    "per_page": ORDERS_PAGE,
                    "page": page,
                    "orderby": "id",
                    "order": "asc",
                }
            )
            answer = self._call("GET", f"orders?{query}", what="pulling orders")
            try:
                pages = int(
                    answer.headers.get("X-WP-TotalPages")
                    or answer.headers.get("x-wp-totalpages")
                    or 1
                )
            except ValueError:
                pages = 1
            orders = [o for o in answer.body or [] if isinstance(o, dict)]
            for order in orders:
                if order.get("refunds"):
                    detail = self._call(
                        "GET", f"orders/{int(order['id'])}/refunds", what="pulling refunds"
                    ).body
                    order["refunds"] = _with_detail(order["refunds"], detail)
            yield orders
            page += 1


def _coupon(terms: DiscountTerms, code: str, code_id: int) -> dict[str, Any]:
    coupon: dict[str, Any] = {
        "code": code,
        "discount_type": "percent" if terms.rate_bps is not None else "fixed_cart",
        "amount": terms.percent_text if terms.rate_bps is not None else terms.amount_text,
        "individual_use": not terms.combines_with,
        "description": terms.title,
        "meta_data": [{"key": "_codecut_code_id", "value": str(code_id)}],
    }
    if terms.once_per_customer:
        coupon["usage_limit_per_user"] = 1
    return coupon


def _with_detail(summaries: list[Any], detail: Any) -> list[Any]:
    """The order's refund summaries (negative ``total``, as its webhooks carry them) with each
    refund's lines and time from the refunds endpoint, so the refund is booked on its goods."""
    by_id = {r.get("id"): r for r in detail or [] if isinstance(r, dict)}
    merged = []
    for summary in summaries:
        found = by_id.get(summary.get("id")) if isinstance(summary, dict) else None
        if found is None:
            merged.append(summary)
            continue
        merged.append(
            {
                **summary,
                "line_items": found.get("line_items") or [],
                "date_created_gmt": found.get("date_created_gmt"),
            }
        )
    return merged
