"""A local stand-in for the parts of WooCommerce's REST API v3 Codecut uses, over real HTTP.

As WooCommerce documents (https://woocommerce.github.io/woocommerce-rest-api-docs/):

* HTTP Basic with the consumer key and secret (401 ``woocommerce_rest_cannot_view`` otherwise);
* ``GET /wp-json/wc/v3/coupons`` (``code``, ``per_page``); ``POST /wp-json/wc/v3/coupons/batch``
  with ``create`` and ``update`` (at most 100 items, else 413): codes are lower-cased on save, and
  an existing code fails its item with ``woocommerce_rest_coupon_code_already_exists`` while the
  batch answers 200;
* ``GET /wp-json/wc/v3/orders`` (``modified_after`` with ``dates_are_gmt``, ``per_page`` up to
  100, ``page``, ``orderby=id``, ``order``) with ``X-WP-Total`` and ``X-WP-TotalPages``;
  ``GET /wp-json/wc/v3/orders/<id>/refunds`` (positive ``amount``, line totals negative);
* test hooks: the next request answers 500, or 429 with ``Retry-After`` (as a host's firewall
  would: WooCommerce itself has no limit on this API).
"""

from __future__ import annotations

import base64
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from .local_server import JsonHandler, LocalServer

PREFIX = "/wp-json/wc/v3/"


@dataclass
class FakeWooCommerce:
    key: str = "ck_codecut_local"
    secret: str = "cs_codecut_local"
    coupons: dict[int, dict[str, Any]] = field(default_factory=dict)
    orders: list[dict[str, Any]] = field(default_factory=list)
    refunds: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    faults: list[tuple[int, float]] = field(default_factory=list)
    requests: list[tuple[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    _ids: int = 500

    def fail_next(self, status: int = 500) -> None:
        self.faults.append((status, 0.0))

    def rate_limit_next(self, retry_after: float = 1.0) -> None:
        self.faults.append((429, retry_after))

    def add_order(self, order: dict[str, Any], refunds: list[dict[str, Any]] | None = None) -> None:
        """An order as the REST API returns it, with its refunds as ``orders/<id>/refunds`` does
        (the order's own ``refunds`` summary is made from them)."""
        order = dict(order)
        details = refunds or []
        order["refunds"] = [
            {"id": r["id"], "reason": r.get("reason", ""), "total": f"-{r['amount']}"}
            for r in details
        ]
        with self.lock:
            self.orders = [o for o in self.orders if o["id"] != order["id"]] + [order]
            self.refunds[int(order["id"])] = details

    def coupon(self, code: str) -> dict[str, Any] | None:
        return next((c for c in self.coupons.values() if c["code"] == code.lower()), None)

    # -- the API -----------------------------------------------------------------------------

    def list_coupons(self, query: dict[str, str]) -> list[dict[str, Any]]:
        code = query.get("code", "").lower()
        found = [c for c in self.coupons.values() if not code or c["code"] == code]
        return found[: int(query.get("per_page", 10))]

    def batch(self, body: Any) -> tuple[int, Any]:
        if not isinstance(body, dict):
            return 400, _error("rest_invalid_json", "Invalid JSON body passed.", 400)
        creates, updates = body.get("create") or [], body.get("update") or []
        if len(creates) + len(updates) + len(body.get("delete") or []) > 100:
            return 413, _error(
                "woocommerce_rest_request_entity_too_large",
                "Unable to accept more than 100 items for this request.",
                413,
            )
        created = [self._create(item) for item in creates]
        updated = [self._update(item) for item in updates]
        return 200, {"create": created, "update": updated}

    def _create(self, item: Any) -> dict[str, Any]:
        code = str((item or {}).get("code") or "").lower()
        if not code:
            return {
                "id": 0,
                "error": _error(
                    "woocommerce_rest_empty_coupon_code", "The coupon code cannot be empty.", 400
                ),
            }
        if self.coupon(code) is not None:
            return {
                "id": 0,
                "error": _error(
                    "woocommerce_rest_coupon_code_already_exists",
                    "The coupon code already exists",
                    400,
                ),
            }
        self._ids += 1
        coupon = {
            "id": self._ids,
            "code": code,
            "status": "publish",
            "discount_type": item.get("discount_type", "fixed_cart"),
            "amount": str(item.get("amount", "0")),
            "individual_use": bool(item.get("individual_use", False)),
            "usage_limit_per_user": item.get("usage_limit_per_user"),
            "description": item.get("description", ""),
            "meta_data": [
                {"id": n, "key": m.get("key"), "value": m.get("value")}
                for n, m in enumerate(item.get("meta_data") or [], start=1)
            ],
        }
        self.coupons[coupon["id"]] = coupon
        return coupon

    def _update(self, item: Any) -> dict[str, Any]:
        coupon = self.coupons.get(int((item or {}).get("id") or 0))
        if coupon is None:
            return {
                "id": (item or {}).get("id", 0),
                "error": _error("woocommerce_rest_shop_coupon_invalid_id", "Invalid ID.", 400),
            }
        coupon.update({k: v for k, v in item.items() if k != "id"})
        return coupon

    def list_orders(self, query: dict[str, str]) -> tuple[list[dict[str, Any]], int]:
        since = query.get("modified_after")
        per_page = min(int(query.get("per_page", 10)), 100)
        page = max(int(query.get("page", 1)), 1)
        matching = [
            o
            for o in self.orders
            if not since or _utc(o.get("date_modified_gmt") or o["date_created_gmt"]) >= _utc(since)
        ]
        matching.sort(key=lambda o: int(o["id"]), reverse=query.get("order") == "desc")
        start = (page - 1) * per_page
        return matching[start : start + per_page], len(matching)


def _utc(value: str) -> datetime:
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _error(code: str, message: str, status: int) -> dict[str, Any]:
    return {"code": code, "message": message, "data": {"status": status}}


class _Handler(JsonHandler):
    def _authorised(self, fake: FakeWooCommerce) -> bool:
        scheme, _, token = self.headers.get("Authorization", "").partition(" ")
        try:
            user, _, password = base64.b64decode(token).decode().partition(":")
        except ValueError:
            user = password = ""
        if scheme == "Basic" and (user, password) == (fake.key, fake.secret):
            return True
        self.send_json(
            401, _error("woocommerce_rest_cannot_view", "Sorry, you cannot list resources.", 401)
        )
        return False

    def _start(self, method: str) -> tuple[FakeWooCommerce, str, dict[str, str]] | None:
        fake: FakeWooCommerce = self.server.state  # type: ignore[attr-defined]
        url = urlsplit(self.path)
        with fake.lock:
            fake.requests.append((method, url.path))
        if not url.path.startswith(PREFIX):
            self.send_json(
                404,
                _error(
                    "rest_no_route", "No route was found matching the URL and request method.", 404
                ),
            )
            return None
        if not self._authorised(fake):
            return None
        with fake.lock:
            fault = fake.faults.pop(0) if fake.faults else None
        if fault and fault[0] == 429:
            self.send_json(429, {"message": "Too Many Requests"}, {"Retry-After": f"{fault[1]:g}"})
            return None
        if fault:
            self.send_json(
                fault[0],
                _error(
                    "internal_server_error",
                    "There has been a critical error on this website.",
                    fault[0],
                ),
            )
            return None
        return fake, url.path[len(PREFIX) :], dict(parse_qsl(url.query))

    def do_GET(self) -> None:
        started = self._start("GET")
        if started is None:
            return
        fake, path, query = started
        with fake.lock:
            if path == "coupons":
                self.send_json(200, fake.list_coupons(query))
                return
            if path == "orders":
                page, total = fake.list_orders(query)
                per_page = min(int(query.get("per_page", 10)), 100)
                pages = max((total + per_page - 1) // per_page, 1)
                self.send_json(200, page, {"X-WP-Total": str(total), "X-WP-TotalPages": str(pages)})
                return
            parts = path.split("/")
            if (
                len(parts) == 3
                and parts[0] == "orders"
                and parts[2] == "refunds"
                and parts[1].isdigit()
            ):
                self.send_json(200, fake.refunds.get(int(parts[1]), []))
                return
        self.send_json(
            404,
            _error("rest_no_route", "No route was found matching the URL and request method.", 404),
        )

    def do_POST(self) -> None:
        started = self._start("POST")
        if started is None:
            return
        fake, path, _query = started
        body = self.body_json()
        if path == "coupons/batch":
            with fake.lock:
                self.send_json(*fake.batch(body))
            return
        self.send_json(
            404,
            _error("rest_no_route", "No route was found matching the URL and request method.", 404),
        )


class WooCommerceServer(LocalServer):
    """``with WooCommerceServer() as shop: shop.url`` (the ``--api-base`` of ``store connect``)."""

    state: FakeWooCommerce

    def __init__(self, port: int = 0, **settings: Any) -> None:
        super().__init__(_Handler, FakeWooCommerce(**settings), port)

    @property
    def fake(self) -> FakeWooCommerce:
        return self.state
