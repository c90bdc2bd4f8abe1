"""Shopify's Admin GraphQL API, for the calls Codecut makes.

``POST {api_base}/admin/api/{version}/graphql.json`` with ``X-Shopify-Access-Token``. Every
answer carries ``extensions.cost.throttleStatus``; a query refused with ``THROTTLED`` (HTTP 200
with an error, or HTTP 429) is retried after ``(requested - available) / restoreRate`` seconds,
and a call whose cost the bucket cannot cover yet waits first instead of being refused.
Business errors come back as ``userErrors`` and are reported with the store's own words.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .http import HttpClient, StoreError
from .terms import DiscountTerms

#: The scopes Codecut needs, and what each is for (named in the one-line report when missing).
SCOPES = {
    "write_discounts": "create the campaign's discount codes",
    "read_orders": "pull orders whose webhooks were missed",
    "read_all_orders": "pull orders older than 60 days",
}
#: Shopify takes at most this many codes in one ``discountRedeemCodeBulkAdd``.
BULK_LIMIT = 250
ORDERS_PAGE = 50

CHECK = """query Check { shop { name currencyCode }
  currentAppInstallation { accessScopes { handle } } }"""

CREATE_DISCOUNT = """mutation Create($d: DiscountCodeBasicInput!) {
  discountCodeBasicCreate(basicCodeDiscount: $d) {
    codeDiscountNode { id codeDiscount { ... on DiscountCodeBasic {
      codes(first: 1) { nodes { id code } } } } }
    userErrors { field code message } } }"""

BULK_ADD = """mutation Add($id: ID!, $codes: [DiscountRedeemCodeInput!]!) {
  discountRedeemCodeBulkAdd(discountId: $id, codes: $codes) {
    bulkCreation { id done } userErrors { field code message } } }"""

POLL = """query Poll($id: ID!, $after: String) {
  discountRedeemCodeBulkCreation(id: $id) { done codesCount importedCount failedCount
    codes(first: 250, after: $after) {
      nodes { code discountRedeemCode { id } errors { field code message } }
      pageInfo { hasNextPage endCursor } } } }"""

BULK_DELETE = """mutation Delete($id: ID!, $ids: [ID!]!) {
  discountCodeRedeemCodeBulkDelete(discountId: $id, ids: $ids) {
    job { id done } userErrors { field code message } } }"""

ORDERS = """query Changed($q: String!, $after: String) {
  orders(first: 50, after: $after, query: $q, sortKey: UPDATED_AT) {
    pageInfo { hasNextPage endCursor }
    nodes { id legacyResourceId name createdAt updatedAt cancelledAt test taxesIncluded
      displayFinancialStatus discountCodes email currencyCode
      customer { legacyResourceId email }
      totalPriceSet { shopMoney { amount currencyCode } }
      totalShippingPriceSet { shopMoney { amount currencyCode } }
      shippingLines(first: 5) { nodes { discountedPriceSet { shopMoney { amount } }
        taxLines { priceSet { shopMoney { amount } } } } }
      lineItems(first: 100) { nodes { id quantity isGiftCard
        originalUnitPriceSet { shopMoney { amount } }
        taxLines { priceSet { shopMoney { amount } } }
        discountAllocations { allocatedAmountSet { shopMoney { amount } }
          discountApplication { ... on DiscountCodeApplication { code } } } } }
      refunds(first: 20) { id createdAt
        refundLineItems(first: 100) { nodes { lineItem { id isGiftCard } quantity
          subtotalSet { shopMoney { amount } } totalTaxSet { shopMoney { amount } } } }
        transactions(first: 10) { nodes { kind status amountSet { shopMoney { amount } } } } }
      customerJourneySummary { lastVisit { landingPage referrerUrl } } } } }"""


@dataclass(frozen=True)
class CodeOutcome:
    code: str
    external_id: str | None  # the DiscountRedeemCode gid when created
    error: str | None  # the store's reason when not


class ShopifyAdmin:
    """One shop's Admin GraphQL API."""

    platform = "shopify"

    def __init__(
        self, domain: str, token: str, api_base: str | None, version: str, http: HttpClient
    ) -> None:
        self.domain = domain
        self.url = (
            f"{(api_base or f'https://{domain}').rstrip('/')}/admin/api/{version}/graphql.json"
        )
        self.token = token
        self.http = http

    def graphql(self, query: str, variables: dict[str, Any] | None = None, *, what: str) -> Any:
        """``data`` of one query, after waiting out any throttling; errors raise StoreError."""
        for _ in range(20):
            answer = self.http.request(
                "POST",
                self.url,
                headers={"X-Shopify-Access-Token": self.token},
                payload={"query": query, "variables": variables or {}},
                what=what,
            ).body
            if not isinstance(answer, dict):
                raise StoreError(f"{what}: Shopify answered something other than JSON")
            errors = answer.get("errors")
            if errors and _throttled(errors):
                self.http.wait(_throttle_wait(answer), "THROTTLED")
                continue
            if errors:
                raise StoreError(f"{what}: Shopify answered {_describe(errors)}")
            return answer.get("data") or {}
        raise StoreError(f"{what}: Shopify kept throttling the request")

    def check(self) -> list[str]:
        """The scopes Codecut needs that the token lacks (an empty list when all is well)."""
        data = self.graphql(CHECK, what="checking the access token")
        granted = {
            scope.get("handle")
            for scope in (data.get("currentAppInstallation") or {}).get("accessScopes") or []
            if isinstance(scope, dict)
        }
        return [scope for scope in SCOPES if scope not in granted]

    def create_discount(self, terms: DiscountTerms, first_code: str) -> tuple[str, CodeOutcome]:
        """The campaign's one discount, made with its first code; (discount gid, that code)."""
        data = self.graphql(
            CREATE_DISCOUNT, {"d": _discount_input(terms, first_code)}, what="creating the discount"
        )
        result = data.get("discountCodeBasicCreate") or {}
        errors = result.get("userErrors") or []
        node = result.get("codeDiscountNode")
        if errors or not node:
            raise StoreError(f"creating the discount: Shopify answered {_describe(errors)}")
        codes = ((node.get("codeDiscount") or {}).get("codes") or {}).get("nodes") or []
        first = codes[0]["id"] if codes else None
        return str(node["id"]), CodeOutcome(first_code, first, None)

    def bulk_add(self, discount_id: str, codes: list[str]) -> str:
        """Queue ``codes`` (at most 250) on the discount; returns the bulk creation job's gid."""
        if len(codes) > BULK_LIMIT:
            raise ValueError(f"at most {BULK_LIMIT} codes per bulk add")
        data = self.graphql(
            BULK_ADD,
            {"id": discount_id, "codes": [{"code": code} for code in codes]},
            what="adding codes",
        )
        result = data.get("discountRedeemCodeBulkAdd") or {}
        creation = result.get("bulkCreation")
        if result.get("userErrors") or not creation:
            raise StoreError(
                f"adding codes: Shopify answered {_describe(result.get('userErrors'))}"
            )
        return str(creation["id"])

    def bulk_results(self, job_id: str) -> list[CodeOutcome] | None:
        """Each code of a finished job, pushed or refused with the reason; None while it runs."""
        outcomes: list[CodeOutcome] = []
        after = None
        while True:
            data = self.graphql(POLL, {"id": job_id, "after": after}, what="reading the bulk job")
            job = data.get("discountRedeemCodeBulkCreation")
            if not job:
                raise StoreError(f"reading the bulk job: Shopify knows no job {job_id}")
            if not job.get("done"):
                return None
            page = job.get("codes") or {}
            for node in page.get("nodes") or []:
                created = node.get("discountRedeemCode")
                outcomes.append(
                    CodeOutcome(
                        str(node.get("code")),
                        str(created["id"]) if created else None,
                        None if created else _describe(node.get("errors")),
                    )
                )
            info = page.get("pageInfo") or {}
            if not info.get("hasNextPage"):
                return outcomes
            after = info.get("endCursor")

    def remove_codes(self, discount_id: str, external_ids: list[str]) -> None:
        """Take codes out of the store (a paused influencer's): the discount's other codes stay."""
        for start in range(0, len(external_ids), BULK_LIMIT):
            data = self.graphql(
                BULK_DELETE,
                {"id": discount_id, "ids": external_ids[start : start + BULK_LIMIT]},
                what="removing codes",
            )
            result = data.get("discountCodeRedeemCodeBulkDelete") or {}
            if result.get("userErrors"):
                raise StoreError(
                    f"removing codes: Shopify answered {_describe(result['userErrors'])}"
                )

    def orders_since(self, since: datetime) -> Iterator[list[dict[str, Any]]]:
        """Pages of orders changed at or after ``since``, oldest change first."""
        query = f"updated_at:>='{since.strftime('%Y-%m-%dT%H:%M:%SZ')}'"
        after = None
        while True:
            data = self.graphql(ORDERS, {"q": query, "after": after}, what="pulling orders")
            page = data.get("orders") or {}
            yield list(page.get("nodes") or [])
            info = page.get("pageInfo") or {}
            if not info.get("hasNextPage"):
                return
            after = info.get("endCursor")


def _discount_input(terms: DiscountTerms, code: str) -> dict[str, Any]:
    if terms.rate_bps is not None:
        value: dict[str, Any] = {"percentage": terms.rate_bps / 10_000}
    else:
        value = {"discountAmount": {"amount": terms.amount_text, "appliesOnEachItem": False}}
    return {
        "title": terms.title,
        "code": code,
        "startsAt": terms.starts_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "context": {"all": "ALL"},
        "customerGets": {"value": value, "items": {"all": True}},
        "appliesOncePerCustomer": terms.once_per_customer,
        "combinesWith": {
            "productDiscounts": "product" in terms.combines_with,
            "orderDiscounts": "order" in terms.combines_with,
            "shippingDiscounts": "shipping" in terms.combines_with,
        },
    }


def _throttled(errors: Any) -> bool:
    return isinstance(errors, list) and any(
        isinstance(e, dict) and (e.get("extensions") or {}).get("code") == "THROTTLED"
        for e in errors
    )


def _throttle_wait(answer: dict[str, Any]) -> float:
    """Seconds until the bucket holds the query's cost again (Shopify's own formula)."""
    cost = (answer.get("extensions") or {}).get("cost") or {}
    status = cost.get("throttleStatus") or {}
    try:
        missing = float(cost.get("requestedQueryCost") or 0) - float(
            status.get("currentlyAvailable") or 0
        )
        return max(missing / float(status.get("restoreRate") or 50), 0.05)
    except (TypeError, ValueError):
        return 1.0


def _describe(errors: Any) -> str:
    if isinstance(errors, list) and errors:
        parts = []
        for error in errors[:3]:
            if isinstance(error, dict):
                code = error.get("code") or (error.get("extensions") or {}).get("code")
                parts.append(f"{code + ': ' if code else ''}{error.get('message', '')}".strip())
        return "; ".join(parts) or "an error"
    if isinstance(errors, str):
        return errors
    return "an error"
