"""A local stand-in for the parts of Shopify's Admin GraphQL API Codecut uses, over real HTTP.

It answers as Shopify documents (https://shopify.dev/docs/api/admin-graphql,
https://shopify.dev/docs/api/usage/limits):

* ``POST /admin/api/{version}/graphql.json`` with ``X-Shopify-Access-Token`` (401 otherwise);
* the access-scope check, ``discountCodeBasicCreate``, ``discountRedeemCodeBulkAdd`` (at most 250
  codes; an asynchronous job that is ``done`` after ``job_polls`` polls, codes the shop already
  holds failing with ``TAKEN``), ``discountRedeemCodeBulkCreation`` (paged codes with their
  errors), ``discountCodeRedeemCodeBulkDelete`` and ``orders(query: "updated_at:>='…'")`` in
  cursor pages, sorted by update time;
* cost-based throttling: a bucket of ``bucket_max`` points refilled at ``restore_rate`` a second;
  a query costing more than is left answers ``THROTTLED`` with ``extensions.cost``;
* test hooks: the next request answers 500, 429 with ``Retry-After``, or ``THROTTLED``.

The operation is told by its root field; answers carry every field Codecut selects.
``graphql_order`` turns a REST/webhook order (as the fixtures hold) into the GraphQL ``Order``
the API returns, so a test can deliver one order by webhook and find the same order here.
"""

from __future__ import annotations

import base64
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from .local_server import JsonHandler, LocalServer

SCOPES = ("write_discounts", "read_discounts", "read_orders", "read_all_orders")
_ROOT = re.compile(r"\{\s*(\w+)")
_SINCE = re.compile(r"updated_at:>=\s*'?([0-9T:\-\.Z+]+)'?")
COSTS = {
    "shop": 2,
    "discountCodeBasicCreate": 10,
    "discountRedeemCodeBulkAdd": 10,
    "discountRedeemCodeBulkCreation": 12,
    "discountCodeRedeemCodeBulkDelete": 10,
    "orders": 52,
}


@dataclass
class FakeShopify:
    token: str = "shpat_codecut_local"
    scopes: set[str] = field(default_factory=lambda: set(SCOPES))
    currency: str = "USD"
    bucket_max: float = 1000.0
    restore_rate: float = 100.0
    job_polls: int = 1  # polls a bulk job answers ``done: false`` before it is done
    refuse: dict[str, str] = field(default_factory=dict)  # code -> message (INVALID)
    discounts: dict[str, dict[str, Any]] = field(default_factory=dict)
    codes: dict[str, tuple[str, str]] = field(default_factory=dict)  # CODE -> (discount, redeem)
    jobs: dict[str, dict[str, Any]] = field(default_factory=dict)
    orders: list[dict[str, Any]] = field(default_factory=list)
    faults: list[tuple[str, float]] = field(default_factory=list)
    operations: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    _available: float = -1.0
    _refilled: float = 0.0
    _ids: int = 1000

    # -- test hooks --------------------------------------------------------------------------

    def fail_next(self, status: int = 500) -> None:
        self.faults.append((str(status), 0.0))

    def rate_limit_next(self, retry_after: float = 1.0) -> None:
        self.faults.append(("429", retry_after))

    def throttle_next(self) -> None:
        self.faults.append(("throttle", 0.0))

    def add_order(self, order: dict[str, Any]) -> None:
        """A GraphQL ``Order`` (see :func:`graphql_order`), replacing one with the same id."""
        with self.lock:
            self.orders = [o for o in self.orders if o["id"] != order["id"]] + [order]

    def holds(self, code: str) -> bool:
        return code.upper() in self.codes

    # -- the API -----------------------------------------------------------------------------

    def _id(self, kind: str) -> str:
        self._ids += 1
        return f"gid://shopify/{kind}/{self._ids}"

    def _cost(self, requested: float) -> dict[str, Any] | None:
        """Take ``requested`` points from the bucket, or the THROTTLED answer."""
        now = time.monotonic()
        if self._available < 0:
            self._available, self._refilled = self.bucket_max, now
        self._available = min(
            self.bucket_max, self._available + (now - self._refilled) * self.restore_rate
        )
        self._refilled = now
        status = {
            "maximumAvailable": self.bucket_max,
            "currentlyAvailable": int(self._available),
            "restoreRate": self.restore_rate,
        }
        if self._available < requested:
            return {
                "errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
                "extensions": {
                    "cost": {
                        "requestedQueryCost": requested,
                        "actualQueryCost": None,
                        "throttleStatus": status,
                    }
                },
            }
        self._available -= requested
        status["currentlyAvailable"] = int(self._available)
        return None

    def answer(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        found = _ROOT.search(query)
        root = found.group(1) if found else ""
        with self.lock:
            self.operations.append(root)
            requested = COSTS.get(root)
            if requested is None:
                return {
                    "errors": [{"message": f"Field '{root}' doesn't exist on type 'QueryRoot'"}]
                }
            throttled = self._cost(requested)
            if throttled:
                return throttled
            data = getattr(self, f"_op_{root}")(variables or {})
            cost = {
                "requestedQueryCost": requested,
                "actualQueryCost": requested,
                "throttleStatus": {
                    "maximumAvailable": self.bucket_max,
                    "currentlyAvailable": int(self._available),
                    "restoreRate": self.restore_rate,
                },
            }
            return {"data": data, "extensions": {"cost": cost}}

    def _op_shop(self, _variables: dict[str, Any]) -> dict[str, Any]:
        return {
            "shop": {"name": "Local shop", "currencyCode": self.currency},
            "currentAppInstallation": {
                "accessScopes": [{"handle": scope} for scope in sorted(self.scopes)]
            },
        }

    def _denied(self, scope: str) -> dict[str, Any] | None:
        if scope in self.scopes:
            return None
        return {"message": f"Access denied: requires {scope}", "code": "ACCESS_DENIED"}

    def _op_discountCodeBasicCreate(self, variables: dict[str, Any]) -> dict[str, Any]:
        spec = variables.get("d") or {}
        code = str(spec.get("code") or "")
        errors = []
        if denied := self._denied("write_discounts"):
            errors.append({"field": None, **denied})
        elif not code:
            errors.append(
                {
                    "field": ["basicCodeDiscount", "code"],
                    "code": "BLANK",
                    "message": "Code can't be blank",
                }
            )
        elif code.upper() in self.codes:
            errors.append(
                {
                    "field": ["basicCodeDiscount", "code"],
                    "code": "TAKEN",
                    "message": "Code must be unique. Please try a different code.",
                }
            )
        if errors:
            return {"discountCodeBasicCreate": {"codeDiscountNode": None, "userErrors": errors}}
        discount, redeem = self._id("DiscountCodeNode"), self._id("DiscountRedeemCode")
        self.discounts[discount] = {"input": spec, "codes": {code.upper(): redeem}}
        self.codes[code.upper()] = (discount, redeem)
        node = {
            "id": discount,
            "codeDiscount": {"codes": {"nodes": [{"id": redeem, "code": code}]}},
        }
        return {"discountCodeBasicCreate": {"codeDiscountNode": node, "userErrors": []}}

    def _op_discountRedeemCodeBulkAdd(self, variables: dict[str, Any]) -> dict[str, Any]:
        discount = str(variables.get("id"))
        codes = [str(c.get("code", "")) for c in variables.get("codes") or []]
        errors = []
        if denied := self._denied("write_discounts"):
            errors.append({"field": None, **denied})
        elif discount not in self.discounts:
            errors.append(
                {"field": ["discountId"], "code": "INVALID", "message": "Discount does not exist"}
            )
        elif len(codes) > 250:
            errors.append(
                {
                    "field": ["codes"],
                    "code": "TOO_LONG",
                    "message": "Codes is too long (maximum is 250)",
                }
            )
        if errors:
            return {"discountRedeemCodeBulkAdd": {"bulkCreation": None, "userErrors": errors}}
        results: list[dict[str, Any]] = []
        for code in codes:
            problem: dict[str, Any] | None = None
            if code.upper() in self.codes:
                problem = {
                    "field": ["code"],
                    "code": "TAKEN",
                    "message": "Code must be unique. Please try a different code.",
                }
            elif code in self.refuse:
                problem = {"field": ["code"], "code": "INVALID", "message": self.refuse[code]}
            if problem:
                results.append({"code": code, "discountRedeemCode": None, "errors": [problem]})
                continue
            redeem = self._id("DiscountRedeemCode")
            self.codes[code.upper()] = (discount, redeem)
            self.discounts[discount]["codes"][code.upper()] = redeem
            results.append({"code": code, "discountRedeemCode": {"id": redeem}, "errors": []})
        job = self._id("DiscountRedeemCodeBulkCreation")
        self.jobs[job] = {"results": results, "polls_left": self.job_polls}
        return {
            "discountRedeemCodeBulkAdd": {
                "bulkCreation": {"id": job, "done": False},
                "userErrors": [],
            }
        }

    def _op_discountRedeemCodeBulkCreation(self, variables: dict[str, Any]) -> dict[str, Any]:
        job = self.jobs.get(str(variables.get("id")))
        if job is None:
            return {"discountRedeemCodeBulkCreation": None}
        if job["polls_left"] > 0:
            job["polls_left"] -= 1
            return {
                "discountRedeemCodeBulkCreation": {
                    "done": False,
                    "codesCount": len(job["results"]),
                    "importedCount": 0,
                    "failedCount": 0,
                    "codes": {"nodes": [], "pageInfo": {"hasNextPage": False, "endCursor": None}},
                }
            }
        results = job["results"]
        start = _offset(variables.get("after"))
        page = results[start : start + 250]
        failed = sum(1 for r in results if r["discountRedeemCode"] is None)
        return {
            "discountRedeemCodeBulkCreation": {
                "done": True,
                "codesCount": len(results),
                "importedCount": len(results) - failed,
                "failedCount": failed,
                "codes": {
                    "nodes": page,
                    "pageInfo": {
                        "hasNextPage": start + 250 < len(results),
                        "endCursor": _cursor(start + len(page)),
                    },
                },
            }
        }

    def _op_discountCodeRedeemCodeBulkDelete(self, variables: dict[str, Any]) -> dict[str, Any]:
        discount = self.discounts.get(str(variables.get("id")))
        if discount is None:
            errors = [
                {"field": ["discountId"], "code": "INVALID", "message": "Discount does not exist"}
            ]
            return {"discountCodeRedeemCodeBulkDelete": {"job": None, "userErrors": errors}}
        doomed = set(variables.get("ids") or [])
        for code, redeem in list(discount["codes"].items()):
            if redeem in doomed:
                del discount["codes"][code]
                self.codes.pop(code, None)
        return {
            "discountCodeRedeemCodeBulkDelete": {
                "job": {"id": self._id("Job"), "done": True},
                "userErrors": [],
            }
        }

    def _op_orders(self, variables: dict[str, Any]) -> dict[str, Any]:
        if "read_orders" not in self.scopes:
            return {"orders": None}
        found = _SINCE.search(str(variables.get("q") or ""))
        since = found.group(1) if found else ""
        matching = sorted(
            (o for o in self.orders if not since or _instant(o["updatedAt"]) >= _instant(since)),
            key=lambda o: (_instant(o["updatedAt"]), o["id"]),
        )
        start = _offset(variables.get("after"))
        page = matching[start : start + 50]
        return {
            "orders": {
                "nodes": page,
                "pageInfo": {
                    "hasNextPage": start + 50 < len(matching),
                    "endCursor": _cursor(start + len(page)),
                },
            }
        }


def _cursor(offset: int) -> str:
    return base64.b64encode(f"offset:{offset}".encode()).decode()


def _offset(cursor: Any) -> int:
    if not cursor:
        return 0
    try:
        return int(base64.b64decode(str(cursor)).decode().split(":", 1)[1])
    except (ValueError, IndexError):
        return 0


def _instant(value: str) -> str:
    """ISO times compared as UTC strings of one format."""
    from datetime import UTC, datetime

    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


class _Handler(JsonHandler):
    def do_POST(self) -> None:
        fake: FakeShopify = self.server.state  # type: ignore[attr-defined]
        payload = self.body_json()
        if not re.fullmatch(r"/admin/api/[\w-]+/graphql\.json", self.path.split("?")[0]):
            self.send_json(404, {"errors": "Not Found"})
            return
        if self.headers.get("X-Shopify-Access-Token") != fake.token:
            self.send_json(
                401,
                {
                    "errors": "[API] Invalid API key or access token (unrecognized login or "
                    "wrong password)"
                },
            )
            return
        with fake.lock:
            fault = fake.faults.pop(0) if fake.faults else None
        if fault and fault[0] == "429":
            self.send_json(
                429,
                {
                    "errors": "Exceeded 2 calls per second for api client. Reduce request "
                    "rates to resume uninterrupted service."
                },
                {"Retry-After": f"{fault[1]:g}"},
            )
            return
        if fault and fault[0].isdigit():
            self.send_json(int(fault[0]), {"errors": "Internal Server Error"})
            return
        if fault and fault[0] == "throttle":
            with fake.lock:
                fake._available = 0.0
                fake._refilled = time.monotonic()
        if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
            self.send_json(400, {"errors": {"query": "Required parameter missing or invalid"}})
            return
        self.send_json(200, fake.answer(payload["query"], payload.get("variables") or {}))


class ShopifyServer(LocalServer):
    """``with ShopifyServer() as shop: shop.url`` (the ``--api-base`` of ``store connect``)."""

    state: FakeShopify

    def __init__(self, port: int = 0, **settings: Any) -> None:
        super().__init__(_Handler, FakeShopify(**settings), port)

    @property
    def fake(self) -> FakeShopify:
        return self.state


# -- REST (webhook) order -> GraphQL Order -----------------------------------------------------


def _money(amount: Any, currency: str) -> dict[str, Any] | None:
    if amount is None:
        return None
    return {"shopMoney": {"amount": str(amount), "currencyCode": currency}}


def _rest_money(obj: dict[str, Any], name: str) -> Any:
    money_set = obj.get(f"{name}_set")
    if isinstance(money_set, dict) and isinstance(money_set.get("shop_money"), dict):
        return money_set["shop_money"].get("amount")
    return obj.get(name)


def graphql_order(order: dict[str, Any]) -> dict[str, Any]:
    """The GraphQL ``Order`` Shopify's Admin API returns for a REST/webhook ``order``."""
    currency = order.get("currency") or "USD"
    applications = order.get("discount_applications") or []

    def code_of(allocation: dict[str, Any]) -> dict[str, Any]:
        index = allocation.get("discount_application_index")
        if isinstance(index, int) and 0 <= index < len(applications):
            application = applications[index]
            if application.get("type") == "discount_code":
                return {"code": application.get("code")}
        return {}

    def gid(kind: str, value: Any) -> str:
        return f"gid://shopify/{kind}/{value}"

    customer = order.get("customer")
    return {
        "id": gid("Order", order["id"]),
        "legacyResourceId": str(order["id"]),
        "name": order.get("name"),
        "email": order.get("email"),
        "createdAt": order.get("created_at"),
        "updatedAt": order.get("updated_at") or order.get("created_at"),
        "cancelledAt": order.get("cancelled_at"),
        "test": order.get("test") is True,
        "taxesIncluded": order.get("taxes_included") is True,
        "displayFinancialStatus": str(order.get("financial_status") or "").upper(),
        "discountCodes": [c.get("code") for c in order.get("discount_codes") or []],
        "currencyCode": currency,
        "customer": (
            {"legacyResourceId": str(customer.get("id")), "email": customer.get("email")}
            if isinstance(customer, dict) and customer.get("id")
            else None
        ),
        "totalPriceSet": _money(_rest_money(order, "total_price"), currency),
        "totalShippingPriceSet": _money(_rest_money(order, "total_shipping_price"), currency),
        "shippingLines": {
            "nodes": [
                {
                    "discountedPriceSet": _money(
                        _rest_money(line, "discounted_price") or _rest_money(line, "price"),
                        currency,
                    ),
                    "taxLines": [
                        {"priceSet": _money(_rest_money(tax, "price"), currency)}
                        for tax in line.get("tax_lines") or []
                    ],
                }
                for line in order.get("shipping_lines") or []
            ]
        },
        "lineItems": {
            "nodes": [
                {
                    "id": gid("LineItem", item.get("id")),
                    "quantity": item.get("quantity"),
                    "isGiftCard": item.get("gift_card") is True,
                    "originalUnitPriceSet": _money(_rest_money(item, "price"), currency),
                    "taxLines": [
                        {"priceSet": _money(_rest_money(tax, "price"), currency)}
                        for tax in item.get("tax_lines") or []
                    ],
                    "discountAllocations": [
                        {
                            "allocatedAmountSet": _money(_rest_money(a, "amount"), currency),
                            "discountApplication": code_of(a),
                        }
                        for a in item.get("discount_allocations") or []
                    ],
                }
                for item in order.get("line_items") or []
            ]
        },
        "refunds": [
            {
                "id": gid("Refund", refund.get("id")),
                "createdAt": refund.get("created_at") or refund.get("processed_at"),
                "refundLineItems": {
                    "nodes": [
                        {
                            "lineItem": {
                                "id": gid("LineItem", item.get("line_item_id")),
                                "isGiftCard": (item.get("line_item") or {}).get("gift_card")
                                is True,
                            },
                            "quantity": item.get("quantity"),
                            "subtotalSet": _money(_rest_money(item, "subtotal"), currency),
                            "totalTaxSet": _money(_rest_money(item, "total_tax"), currency),
                        }
                        for item in refund.get("refund_line_items") or []
                    ]
                },
                "transactions": {
                    "nodes": [
                        {
                            "kind": str(txn.get("kind") or "").upper(),
                            "status": str(txn.get("status") or "").upper(),
                            "amountSet": _money(txn.get("amount"), currency),
                        }
                        for txn in refund.get("transactions") or []
                    ]
                },
            }
            for refund in order.get("refunds") or []
        ],
        "customerJourneySummary": {
            "lastVisit": {
                "landingPage": order.get("landing_site"),
                "referrerUrl": order.get("referring_site"),
            }
        },
    }
